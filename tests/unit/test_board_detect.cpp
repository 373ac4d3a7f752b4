#include "common/board_detect.hpp"
#include "tests/unit/helpers.hpp"

#include <criterion/criterion.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

using namespace slurmpi;
namespace fs = std::filesystem;

namespace {

std::string fixture(const char *tree)
{
	return std::string(FIXTURES_DIR) + "/" + tree;
}

bool has_problem(const PiIdentity &id, std::string_view needle)
{
	for (const std::string &p : id.problems)
		if (contains(p, needle))
			return true;
	return false;
}

bool has_source(const PiIdentity &id, std::string_view src)
{
	for (const std::string &s : id.sources)
		if (s == src)
			return true;
	return false;
}

std::string problems_text(const PiIdentity &id)
{
	std::string out;
	for (const std::string &p : id.problems)
		out += p + " | ";
	return out;
}

// A scratch root for cases git cannot store (directories in place of
// files, dangling symlinks, unreadable files).
struct ScratchRoot {
	ScratchDir scratch{"test_board_detect"};
	const fs::path &dir = scratch.path();
	ScratchRoot()
	{
		fs::create_directories(dir / "sys/firmware/devicetree/base");
		fs::create_directories(dir / "proc");
	}
	void write(const std::string &rel, const std::string &data)
	{
		std::ofstream(dir / rel, std::ios::binary) << data;
	}
	void copy_cpuinfo_from(const char *tree)
	{
		fs::copy_file(fixture(tree) + "/proc/cpuinfo", dir / "proc/cpuinfo");
	}
	std::string root() const { return dir.string(); }
};

const char *kDtModel = "/sys/firmware/devicetree/base/model";
const char *kDtCompat = "/sys/firmware/devicetree/base/compatible";
const char *kDtSerial = "/sys/firmware/devicetree/base/serial-number";

} // namespace

// ---------------------------------------------------------------------------
// Detection on the model trees.

Test(detect, pi4b_tree)
{
	PiIdentity id = detect_pi(fixture("pi4b"));
	cr_assert(id.is_pi, "%s", id.reason.c_str());
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
	cr_assert_not_null(id.model);
	assert_sv_eq(id.model->key, "4B");
	cr_assert_str_eq(id.dt_model.c_str(), "Raspberry Pi 4 Model B Rev 1.4");
	cr_assert_eq(id.compatible.size(), 2u);
	cr_assert_str_eq(id.compatible[0].c_str(), "raspberrypi,4-model-b");
	cr_assert_str_eq(id.compatible[1].c_str(), "brcm,bcm2711");
	cr_assert_str_eq(id.serial.c_str(), "10000000a744c93f");
	cr_assert(id.revision.valid);
	cr_assert_eq(id.revision.code, 0xc03114u);
	cr_assert_eq(id.revision.mem_mb, 4096u);
	cr_assert_eq(id.max_mhz, 1800u);
	cr_assert_str_eq(id.arch.c_str(), "aarch64");
	cr_assert(has_source(id, kDtModel));
	cr_assert(has_source(id, kDtCompat));
	cr_assert(has_source(id, kDtSerial));
	cr_assert(has_source(id, "/proc/cpuinfo"));
	cr_assert(contains(id.reason, "raspberrypi,4-model-b"));
}

Test(detect, pi5_tree)
{
	PiIdentity id = detect_pi(fixture("pi5"));
	cr_assert(id.is_pi);
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
	assert_sv_eq(id.model->key, "5");
	cr_assert_str_eq(id.dt_model.c_str(), "Raspberry Pi 5 Model B Rev 1.0");
	cr_assert_eq(id.revision.mem_mb, 8192u);
	cr_assert_str_eq(id.revision.soc.c_str(), "BCM2712");
	cr_assert_eq(id.max_mhz, 2400u);
	cr_assert_str_eq(id.arch.c_str(), "aarch64");
	cr_assert_str_eq(id.serial.c_str(), "5d2a8c1e7f3b9046");
}

Test(detect, pi3bplus_tree)
{
	PiIdentity id = detect_pi(fixture("pi3bplus"));
	cr_assert(id.is_pi);
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
	assert_sv_eq(id.model->key, "3B+");
	assert_sv_eq(id.model->feature, "pi3bplus");
	cr_assert_str_eq(id.dt_model.c_str(), "Raspberry Pi 3 Model B Plus Rev 1.3");
	cr_assert_eq(id.revision.code, 0xa020d3u);
	cr_assert_eq(id.revision.mem_mb, 1024u);
	cr_assert_eq(id.max_mhz, 1400u);
	cr_assert_str_eq(id.arch.c_str(), "aarch64");
}

Test(detect, zero2w_tree)
{
	PiIdentity id = detect_pi(fixture("zero2w"));
	cr_assert(id.is_pi);
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
	assert_sv_eq(id.model->key, "Zero2W");
	cr_assert_eq(id.revision.code, 0x902120u);
	cr_assert_eq(id.revision.mem_mb, 512u);
	cr_assert_eq(id.max_mhz, 1000u);
	cr_assert_eq(id.model->cores, 4u);
}

Test(detect, x86_tree_is_not_a_pi)
{
	PiIdentity id = detect_pi(fixture("x86"));
	cr_assert_not(id.is_pi);
	cr_assert_null(id.model);
	cr_assert_not(id.revision.valid);
	cr_assert_eq(id.max_mhz, 0u);
	cr_assert_str_eq(id.arch.c_str(), "x86_64");
	cr_assert(contains(id.reason, kDtCompat), "%s", id.reason.c_str());
	cr_assert(contains(id.reason, "No such file or directory"), "%s", id.reason.c_str());
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
	cr_assert(id.dt_model.empty() && id.compatible.empty() && id.serial.empty());
}

Test(detect, other_arm_board_is_not_a_pi)
{
	PiIdentity id = detect_pi(fixture("broken/model_other_arm"));
	cr_assert_not(id.is_pi);
	cr_assert_null(id.model);
	cr_assert_str_eq(id.arch.c_str(), "aarch64");
	cr_assert(contains(id.reason, "pine64,rockpro64-v2.1"), "%s", id.reason.c_str());
}

Test(detect, pi1_old_style_revision_on_armv6)
{
	PiIdentity id = detect_pi(fixture("broken/model_pi1_old_style"));
	cr_assert(id.is_pi);
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
	assert_sv_eq(id.model->key, "B+");
	cr_assert_not(id.revision.new_style);
	cr_assert_eq(id.revision.mem_mb, 512u);
	cr_assert_str_eq(id.arch.c_str(), "armv6l");
	cr_assert_eq(id.model->cores, 1u);
}

Test(detect, missing_root_is_not_a_pi_and_says_why)
{
	PiIdentity id = detect_pi(fixture("no-such-tree"));
	cr_assert_not(id.is_pi);
	cr_assert_null(id.model);
	cr_assert(id.arch.empty());
	cr_assert(has_problem(id, "/proc/cpuinfo: CPU architecture not recognised"));
}

Test(detect, real_machine_does_not_crash)
{
	struct utsname u;
	cr_assert_eq(uname(&u), 0);
	PiIdentity id = detect_pi("");
	cr_assert_str_eq(id.arch.c_str(), u.machine);
	cr_assert(has_source(id, "uname"));
	PiIdentity slash = detect_pi("/");
	cr_assert_eq(slash.is_pi, id.is_pi);
	cr_assert_str_eq(slash.arch.c_str(), id.arch.c_str());
	if (!id.is_pi)
		cr_assert_null(id.model);
}

// ---------------------------------------------------------------------------
// Detection on bad input.

Test(detect_bad, garbage_revision)
{
	PiIdentity id = detect_pi(fixture("broken/model_garbage_revision"));
	cr_assert(id.is_pi);
	assert_sv_eq(id.model->key, "4B", "the device tree still names it");
	cr_assert_not(id.revision.valid);
	cr_assert_eq(id.revision.mem_mb, 0u);
	cr_assert(has_problem(id, "/proc/cpuinfo: Revision: not a hex number: 'zz03114'"),
		  "%s", problems_text(id).c_str());
	cr_assert_eq(id.max_mhz, 1800u);
}

Test(detect_bad, empty_model_file)
{
	PiIdentity id = detect_pi(fixture("broken/model_empty_model"));
	cr_assert(id.is_pi);
	cr_assert(id.dt_model.empty());
	cr_assert(has_problem(id, std::string(kDtModel) + ": file is empty"),
		  "%s", problems_text(id).c_str());
	assert_sv_eq(id.model->key, "4B");
	cr_assert_eq(id.revision.mem_mb, 4096u);
}

Test(detect_bad, garbage_model_file)
{
	PiIdentity id = detect_pi(fixture("broken/model_garbage_model"));
	cr_assert(id.is_pi);
	cr_assert(id.dt_model.empty());
	cr_assert(has_problem(id, std::string(kDtModel) + ": not text: '\\x01\\xfe"),
		  "%s", problems_text(id).c_str());
}

Test(detect_bad, truncated_compatible)
{
	PiIdentity id = detect_pi(fixture("broken/model_truncated_compatible"));
	cr_assert(id.is_pi, "the model string still says Raspberry Pi");
	cr_assert(contains(id.reason, kDtModel), "%s", id.reason.c_str());
	cr_assert(id.compatible.empty());
	cr_assert(has_problem(id, "truncated entry 'raspberrypi,4-mo'"),
		  "%s", problems_text(id).c_str());
	cr_assert(has_problem(id, "model from the Revision only"));
	assert_sv_eq(id.model->key, "4B");
	cr_assert_not(has_source(id, kDtCompat));
}

Test(detect_bad, device_tree_and_revision_disagree)
{
	PiIdentity id = detect_pi(fixture("broken/model_disagree"));
	cr_assert(id.is_pi);
	assert_sv_eq(id.model->key, "4B", "the device tree wins");
	cr_assert(has_problem(id, "device tree says 4B (raspberrypi,4-model-b) but "
				  "/proc/cpuinfo Revision d04170 says 5; using the device tree"),
		  "%s", problems_text(id).c_str());
	cr_assert(has_problem(id, "device tree SoC BCM2711 but /proc/cpuinfo Revision "
				  "d04170 says BCM2712"));
	cr_assert_eq(id.revision.mem_mb, 8192u, "memory still comes from the Revision");
}

Test(detect_bad, unknown_memory_field)
{
	PiIdentity id = detect_pi(fixture("broken/model_unknown_memory"));
	cr_assert(id.is_pi);
	cr_assert(id.revision.valid);
	cr_assert_eq(id.revision.mem_mb, 0u);
	cr_assert(has_problem(id, "/proc/cpuinfo: Revision f03114: memory size field 7"),
		  "%s", problems_text(id).c_str());
	assert_sv_eq(id.model->key, "4B");
}

Test(detect_bad, unknown_board)
{
	PiIdentity id = detect_pi(fixture("broken/model_unknown_board"));
	cr_assert(id.is_pi);
	cr_assert_null(id.model);
	cr_assert_eq(id.max_mhz, 0u);
	cr_assert(has_problem(id, "unknown Raspberry Pi board 'raspberrypi,6-model-b'"),
		  "%s", problems_text(id).c_str());
	cr_assert(has_problem(id, "unknown board type 0x30"));
	cr_assert(has_problem(id, "unknown processor 5"));
	cr_assert(has_problem(id, "Raspberry Pi model unknown"));
	cr_assert_eq(id.revision.mem_mb, 8192u);
}

Test(detect_bad, no_revision_line)
{
	PiIdentity id = detect_pi(fixture("broken/model_no_revision"));
	cr_assert(id.is_pi);
	assert_sv_eq(id.model->key, "4B");
	cr_assert_not(id.revision.valid);
	cr_assert(has_problem(id, "/proc/cpuinfo: no Revision line (memory size unknown)"),
		  "%s", problems_text(id).c_str());
	cr_assert_eq(id.max_mhz, 1800u, "without a board revision, assume arm_boost");
	cr_assert_str_eq(id.serial.c_str(), "10000000b3e7c1d2");
}

Test(detect_bad, bad_serial_falls_back_to_cpuinfo)
{
	PiIdentity id = detect_pi(fixture("broken/model_bad_serial"));
	cr_assert(id.is_pi);
	cr_assert_str_eq(id.serial.c_str(), "10000000b3e7c1d2");
	cr_assert_not(has_source(id, kDtSerial));
	cr_assert(id.problems.empty(), "%s", problems_text(id).c_str());
}

Test(detect_bad, no_device_tree_uses_cpuinfo_model)
{
	PiIdentity id = detect_pi(fixture("broken/model_no_devicetree"));
	cr_assert(id.is_pi);
	cr_assert(contains(id.reason, "/proc/cpuinfo: Model: Raspberry Pi 4"), "%s", id.reason.c_str());
	assert_sv_eq(id.model->key, "4B");
	cr_assert(has_problem(id, std::string(kDtModel) + ": No such file or directory"));
	cr_assert(has_problem(id, "model from the Revision only"));
	cr_assert_str_eq(id.serial.c_str(), "10000000b3e7c1d2");
}

Test(detect_bad, revision_alone_identifies_a_pi)
{
	PiIdentity id = detect_pi(fixture("broken/model_revision_only"));
	cr_assert(id.is_pi);
	cr_assert(contains(id.reason, "Revision c03114 (4B)"), "%s", id.reason.c_str());
	assert_sv_eq(id.model->key, "4B");
	cr_assert(has_problem(id, "serial number unknown"));
}

Test(detect_bad, model_is_a_directory_and_compatible_dangles)
{
	ScratchRoot s;
	fs::create_directory(s.dir / "sys/firmware/devicetree/base/model");
	fs::create_symlink("/nonexistent/compatible",
			   s.dir / "sys/firmware/devicetree/base/compatible");
	s.copy_cpuinfo_from("pi4b");
	PiIdentity id = detect_pi(s.root());
	cr_assert(id.is_pi, "cpuinfo still says Raspberry Pi: %s", id.reason.c_str());
	cr_assert(has_problem(id, std::string(kDtModel) + ": Is a directory"),
		  "%s", problems_text(id).c_str());
	cr_assert(has_problem(id, std::string(kDtCompat) + ": No such file or directory"));
	assert_sv_eq(id.model->key, "4B");
}

Test(detect_bad, cpuinfo_is_a_directory)
{
	ScratchRoot s;
	s.write("sys/firmware/devicetree/base/model", std::string("Raspberry Pi 5 Model B Rev 1.0\0", 31));
	s.write("sys/firmware/devicetree/base/compatible",
		std::string("raspberrypi,5-model-b\0brcm,bcm2712\0", 35));
	fs::create_directory(s.dir / "proc/cpuinfo");
	PiIdentity id = detect_pi(s.root());
	cr_assert(id.is_pi);
	assert_sv_eq(id.model->key, "5");
	cr_assert_not(id.revision.valid);
	cr_assert(has_problem(id, "/proc/cpuinfo: Is a directory (memory size unknown)"),
		  "%s", problems_text(id).c_str());
	cr_assert(id.arch.empty());
}

Test(detect_bad, unreadable_cpuinfo)
{
	// root reads through mode 000, so the case only exists for other users.
	if (geteuid() == 0)
		return;
	ScratchRoot s;
	s.copy_cpuinfo_from("pi4b");
	s.write("sys/firmware/devicetree/base/compatible",
		std::string("raspberrypi,4-model-b\0brcm,bcm2711\0", 35));
	fs::permissions(s.dir / "proc/cpuinfo", fs::perms::none);
	PiIdentity id = detect_pi(s.root());
	cr_assert(id.is_pi);
	cr_assert(has_problem(id, "/proc/cpuinfo: Permission denied"), "%s",
		  problems_text(id).c_str());
}
