// libsensors reads the real /sys and cannot be given a fixture root, so
// this only checks that listing works on whatever this machine has (often
// no chips at all) and that failures come back as reasons.
#include <criterion/criterion.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/libsensors_chips.hpp"

using namespace slurmpi;

namespace {

std::string write_temp_config(const std::string &text)
{
	char path[] = "/tmp/slurmpi-sensors-conf-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text.data(), text.size()), (ssize_t)text.size());
	close(fd);
	return path;
}

} // namespace

Test(libsensors_chips, lists_this_machine_without_crashing)
{
	LibsensorsChips ls;
	if (!ls.ok()) {
		// A broken system configuration is a reason, not a crash.
		cr_assert(ls.error().starts_with("libsensors: "), "%s",
			  ls.error().c_str());
		cr_assert(ls.chips(nullptr).empty());
		return;
	}
	cr_assert(ls.error().empty());
	std::vector<std::string> problems;
	auto chips = ls.chips(&problems);
	for (const SensorChip &c : chips) {
		cr_assert(!c.name.empty());
		for (const SensorInput &in : c.inputs) {
			cr_assert(in.kind == "temp" || in.kind == "in" ||
				  in.kind == "fan", "%s", in.kind.c_str());
			cr_assert(!in.name.empty() && !in.label.empty());
			if (in.input)
				cr_assert(std::isfinite(*in.input));
			if (in.kind != "in")
				cr_assert(!in.lcrit_alarm.has_value());
		}
	}
	for (const std::string &p : problems)
		cr_assert(p.starts_with("libsensors: "), "%s", p.c_str());
	// Listing twice gives the same chips.
	cr_assert_eq(ls.chips(nullptr).size(), chips.size());
}

Test(libsensors_chips, empty_config_is_fine)
{
	std::string conf = write_temp_config("# nothing\n");
	{
		LibsensorsChips ls(conf);
		cr_assert(ls.ok(), "%s", ls.error().c_str());
		ls.chips(nullptr);
	}
	unlink(conf.c_str());
}

Test(libsensors_chips, config_parse_errors_are_collected)
{
	std::string conf = write_temp_config("chip \"x-*\"\n  label {{{ \n");
	{
		LibsensorsChips ls(conf);
		// libsensors skips lines it cannot parse and carries on.
		cr_assert(ls.ok(), "%s", ls.error().c_str());
		cr_assert_eq(ls.config_problems().size(), 1u);
		std::string want = "libsensors: " + conf + ":2: syntax error";
		cr_assert_str_eq(ls.config_problems()[0].c_str(), want.c_str());
	}
	unlink(conf.c_str());
}

Test(libsensors_chips, init_failure_is_a_reason)
{
	// libsensors refuses to start when /sys is not sysfs. Hide it in a
	// private mount namespace (this test runs in its own process).
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
	    mount("none", "/sys", "tmpfs", 0, nullptr) != 0)
		cr_skip_test("needs CAP_SYS_ADMIN for a mount namespace");
	LibsensorsChips ls;
	cr_assert(!ls.ok());
	cr_assert_str_eq(ls.error().c_str(), "libsensors: sensors_init failed: "
					     "Kernel interface error");
	cr_assert(ls.chips(nullptr).empty());
}

// True when a program built without _FILE_OFFSET_BITS=64 cannot list
// `dir` on this 32-bit build: glibc's readdir then fails with EOVERFLOW for
// an inode number or a directory offset beyond 32 bits. That happens under
// qemu-user on a 64-bit host (the armhf package build), whose ext4 hands
// out 64-bit directory offsets; a 32-bit kernel gives 32-bit ones.
static bool legacy_readdir_overflows(const std::string &dir)
{
	struct dirent64_raw {
		std::uint64_t d_ino;
		std::int64_t d_off;
		unsigned short d_reclen;
		unsigned char d_type;
		char d_name[1];
	};
	int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	alignas(8) char buf[16384];
	bool big = false;
	long n;
	while (!big && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			const auto *d = reinterpret_cast<const dirent64_raw *>(buf + off);
			if (d->d_ino > UINT32_MAX || d->d_off > INT32_MAX || d->d_off < INT32_MIN)
				big = true;
			off += d->d_reclen;
		}
	}
	close(fd);
	return sizeof(long) == 4 && big;
}

Test(libsensors_chips, lists_the_pi5_fixture)
{
	// Show libsensors the fixture's hwmon class in a private mount
	// namespace. Without the `device` links of a real Pi every chip looks
	// virtual (rpi_volt-virtual-0 where a Pi says rpi_volt-isa-0000).
	const std::string hwmon = std::string(FIXTURES_DIR) +
				  "/pi5/sys/class/hwmon";
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
	    mount("none", "/sys/class", "tmpfs", 0, nullptr) != 0 ||
	    mkdir("/sys/class/hwmon", 0755) != 0 ||
	    mount(hwmon.c_str(), "/sys/class/hwmon", nullptr, MS_BIND,
		  nullptr) != 0)
		cr_skip_test("needs CAP_SYS_ADMIN for a mount namespace");
	LibsensorsChips ls;
	// sensors_init scans /etc/sensors.d with scandir and calls a failure
	// a parse error.
	if (!ls.ok() && (legacy_readdir_overflows("/etc/sensors.d") ||
			 legacy_readdir_overflows("/sys/class/hwmon")))
		cr_skip_test("qemu-user on a 64-bit kernel: ext4's 64-bit directory "
			     "offsets do not fit the 32-bit readdir of Debian's armhf "
			     "libsensors (built without large-file support), so its "
			     "scandir of /etc/sensors.d fails; a 32-bit kernel gives "
			     "32-bit offsets");
	cr_assert(ls.ok(), "%s", ls.error().c_str());
	std::vector<std::string> problems;
	auto chips = ls.chips(&problems);
	cr_assert(problems.empty());
	cr_assert_eq(chips.size(), 4u);
	auto find = [&](const char *name) -> const SensorChip & {
		for (const SensorChip &c : chips)
			if (c.name == name)
				return c;
		cr_assert_fail("no chip %s", name);
		return chips[0];
	};
	const SensorChip &volt = find("rpi_volt-virtual-0");
	cr_assert_eq(volt.inputs.size(), 1u);
	cr_assert_str_eq(volt.inputs[0].kind.c_str(), "in");
	cr_assert_str_eq(volt.inputs[0].name.c_str(), "in0");
	cr_assert(!volt.inputs[0].input.has_value());
	cr_assert(volt.inputs[0].lcrit_alarm.has_value());
	cr_assert(!*volt.inputs[0].lcrit_alarm);
	const SensorChip &cpu = find("cpu_thermal-virtual-0");
	cr_assert_eq(cpu.inputs.size(), 1u);
	cr_assert_str_eq(cpu.inputs[0].kind.c_str(), "temp");
	cr_assert_str_eq(cpu.inputs[0].label.c_str(), "temp1");
	cr_assert_float_eq(cpu.inputs[0].input.value_or(-1), 52.65, 1e-9);
	const SensorChip &fan = find("pwmfan-virtual-0");
	cr_assert_str_eq(fan.inputs[0].kind.c_str(), "fan");
	cr_assert_float_eq(fan.inputs[0].input.value_or(-1), 2941, 1e-9);
	const SensorChip &adc = find("rp1_adc-virtual-0");
	cr_assert_float_eq(adc.inputs[0].input.value_or(-1), 50.195, 1e-9);
}

Test(libsensors_chips, missing_config_is_a_reason)
{
	LibsensorsChips ls(std::string("/nonexistent/sensors3.conf"));
	cr_assert(!ls.ok());
	cr_assert_str_eq(ls.error().c_str(), "libsensors: /nonexistent/"
					     "sensors3.conf: No such file or "
					     "directory");
}

Test(libsensors_chips, one_at_a_time)
{
	LibsensorsChips first;
	LibsensorsChips second;
	cr_assert(!second.ok());
	cr_assert_str_eq(second.error().c_str(),
			 "libsensors: already initialised by another "
			 "LibsensorsChips (it has one global state)");
	cr_assert(second.chips(nullptr).empty());
}

Test(libsensors_chips, init_again_after_destruction)
{
	for (int i = 0; i < 3; i++) {
		LibsensorsChips ls;
		cr_assert(ls.error().find("already initialised") ==
			  std::string::npos);
	}
}
