#include "common/pi_model.hpp"

#include <criterion/criterion.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

using namespace slurmpi;
namespace fs = std::filesystem;

// Criterion keeps the pointer it is given, so compare through a named copy
// rather than a temporary's c_str().
#define assert_sv_eq(actual, ...)                                  \
	do {                                                       \
		std::string actual_copy_(actual);                  \
		cr_assert_str_eq(actual_copy_.c_str(), __VA_ARGS__); \
	} while (0)

namespace {

std::string fixture(const char *tree)
{
	return std::string(FIXTURES_DIR) + "/" + tree;
}

bool contains(std::string_view hay, std::string_view needle)
{
	return hay.find(needle) != std::string_view::npos;
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
	fs::path dir;
	ScratchRoot()
	{
		char tmpl[] = "/tmp/test_pi_model.XXXXXX";
		char *d = mkdtemp(tmpl);
		cr_assert_not_null(d);
		dir = d;
		fs::create_directories(dir / "sys/firmware/devicetree/base");
		fs::create_directories(dir / "proc");
	}
	~ScratchRoot()
	{
		std::error_code ec;
		fs::permissions(dir / "proc/cpuinfo", fs::perms::owner_all,
				fs::perm_options::add, ec);
		fs::remove_all(dir, ec);
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
// New-style Revision codes: every field.

Test(revision, c03111_is_4b_4gb_sony_uk_rev_1_1)
{
	Revision r = decode_revision(0xc03111);
	cr_assert(r.valid);
	cr_assert(r.new_style);
	cr_assert_eq(r.code, 0xc03111u);
	cr_assert_eq(r.mem_mb, 4096u);
	cr_assert_str_eq(r.manufacturer.c_str(), "Sony UK");
	cr_assert_str_eq(r.soc.c_str(), "BCM2711");
	cr_assert_eq(r.type, 0x11u);
	cr_assert_str_eq(r.type_name.c_str(), "4B");
	cr_assert_eq(r.pcb_rev, 1u);
	cr_assert_str_eq(r.board_rev.c_str(), "1.1");
	cr_assert_not(r.warranty_void);
	cr_assert_not(r.otp_read_disallowed);
	cr_assert_not(r.otp_program_disallowed);
	cr_assert_not(r.overvoltage_disallowed);
	cr_assert(r.error.empty(), "error: %s", r.error.c_str());
}

Test(revision, d04170_is_5_8gb)
{
	Revision r = decode_revision(0xd04170);
	cr_assert(r.valid && r.new_style);
	cr_assert_eq(r.mem_mb, 8192u);
	cr_assert_str_eq(r.manufacturer.c_str(), "Sony UK");
	cr_assert_str_eq(r.soc.c_str(), "BCM2712");
	cr_assert_eq(r.type, 0x17u);
	cr_assert_str_eq(r.type_name.c_str(), "5");
	cr_assert_eq(r.pcb_rev, 0u);
	cr_assert_str_eq(r.board_rev.c_str(), "1.0");
	cr_assert(r.error.empty());
}

Test(revision, r902120_is_zero_2_w_512mb)
{
	Revision r = decode_revision(0x902120);
	cr_assert(r.valid && r.new_style);
	cr_assert_eq(r.mem_mb, 512u);
	cr_assert_str_eq(r.manufacturer.c_str(), "Sony UK");
	cr_assert_str_eq(r.soc.c_str(), "BCM2837");
	cr_assert_eq(r.type, 0x12u);
	cr_assert_str_eq(r.type_name.c_str(), "Zero 2 W");
	cr_assert_eq(r.pcb_rev, 0u);
	cr_assert(r.error.empty());
}

Test(revision, a020d3_is_3bplus_1gb_rev_1_3)
{
	Revision r = decode_revision(0xa020d3);
	cr_assert(r.valid && r.new_style);
	cr_assert_eq(r.mem_mb, 1024u);
	cr_assert_str_eq(r.manufacturer.c_str(), "Sony UK");
	cr_assert_str_eq(r.soc.c_str(), "BCM2837");
	cr_assert_eq(r.type, 0x0du);
	cr_assert_str_eq(r.type_name.c_str(), "3B+");
	cr_assert_eq(r.pcb_rev, 3u);
	cr_assert_str_eq(r.board_rev.c_str(), "1.3");
	cr_assert(r.error.empty());
}

Test(revision, every_manufacturer)
{
	assert_sv_eq(decode_revision(0xa02082).manufacturer, "Sony UK");
	assert_sv_eq(decode_revision(0xa01041).manufacturer, "Sony UK");
	assert_sv_eq(decode_revision(0xa11041).manufacturer, "Egoman");
	assert_sv_eq(decode_revision(0xa22082).manufacturer, "Embest");
	assert_sv_eq(decode_revision(0xa32082).manufacturer, "Sony Japan");
	assert_sv_eq(decode_revision(0xa42082).manufacturer, "Embest");
	assert_sv_eq(decode_revision(0xa52082).manufacturer, "Stadium");
}

Test(revision, every_memory_size)
{
	const unsigned want[] = {256, 512, 1024, 2048, 4096, 8192, 16384};
	for (unsigned m = 0; m <= 6; m++) {
		Revision r = decode_revision(0x803111 | (m << 20));
		cr_assert_eq(r.mem_mb, want[m], "field %u", m);
		cr_assert(r.error.empty());
	}
	cr_assert_eq(decode_revision(0xe04171).mem_mb, 16384u);
}

Test(revision, every_processor)
{
	const char *want[] = {"BCM2835", "BCM2836", "BCM2837", "BCM2711", "BCM2712"};
	for (unsigned p = 0; p <= 4; p++)
		assert_sv_eq(decode_revision(0xa00110 | (p << 12)).soc, want[p]);
	assert_sv_eq(decode_revision(0xa01041).soc, "BCM2836");
	assert_sv_eq(decode_revision(0xa02042).soc, "BCM2837");
}

Test(revision, flag_bits)
{
	Revision w = decode_revision(0x02000000 | 0xc03111);
	cr_assert(w.warranty_void);
	cr_assert_not(w.otp_read_disallowed || w.otp_program_disallowed ||
		      w.overvoltage_disallowed);
	cr_assert(decode_revision(0x20000000 | 0xc03111).otp_read_disallowed);
	cr_assert(decode_revision(0x40000000 | 0xc03111).otp_program_disallowed);
	Revision n = decode_revision(0x80c03111);
	cr_assert(n.overvoltage_disallowed);
	cr_assert_not(n.warranty_void);
	cr_assert_str_eq(n.type_name.c_str(), "4B");
	cr_assert_eq(n.mem_mb, 4096u);
	// Bits 24 and 26-28 are unused in new-style codes: no flag, no error.
	Revision u = decode_revision(0x1c000000 | 0x01000000 | 0xc03111);
	cr_assert(u.valid);
	cr_assert_not(u.warranty_void || u.otp_read_disallowed ||
		      u.otp_program_disallowed || u.overvoltage_disallowed);
	cr_assert(u.error.empty());
	Revision all = decode_revision(0xe2c03111);
	cr_assert(all.warranty_void && all.otp_read_disallowed &&
		  all.otp_program_disallowed && all.overvoltage_disallowed);
}

Test(revision, every_type_name)
{
	struct {
		unsigned type;
		const char *name;
	} want[] = {
		{0x00, "A"},    {0x01, "B"},       {0x02, "A+"},     {0x03, "B+"},
		{0x04, "2B"},   {0x05, "Alpha"},   {0x06, "CM1"},    {0x08, "3B"},
		{0x09, "Zero"}, {0x0a, "CM3"},     {0x0c, "Zero W"}, {0x0d, "3B+"},
		{0x0e, "3A+"},  {0x10, "CM3+"},    {0x11, "4B"},     {0x12, "Zero 2 W"},
		{0x13, "400"},  {0x14, "CM4"},     {0x15, "CM4S"},   {0x17, "5"},
		{0x18, "CM5"},  {0x19, "500"},     {0x1a, "CM5 Lite"}, {0x1b, "CM0"},
	};
	for (auto &w : want)
		assert_sv_eq(revision_type_name(w.type), w.name,
				 "type 0x%x", w.type);
	for (unsigned gap : {0x07u, 0x0bu, 0x0fu, 0x16u, 0x1cu, 0xffu, 1000u})
		cr_assert(revision_type_name(gap).empty(), "type 0x%x", gap);
}

Test(revision, unknown_type_keeps_other_fields)
{
	Revision r = decode_revision(0xc03ff0);
	cr_assert(r.valid);
	cr_assert_eq(r.type, 0xffu);
	cr_assert(r.type_name.empty());
	cr_assert(contains(r.error, "unknown board type 0xff"), "%s", r.error.c_str());
	cr_assert_eq(r.mem_mb, 4096u);
	cr_assert_str_eq(r.soc.c_str(), "BCM2711");
	Revision internal = decode_revision(0xa020f0);
	cr_assert(internal.type_name.empty());
	cr_assert(contains(internal.error, "0x0f"));
}

Test(revision, unknown_memory_is_absent_not_guessed)
{
	Revision r = decode_revision(0xf03114);
	cr_assert(r.valid);
	cr_assert_eq(r.mem_mb, 0u);
	cr_assert(contains(r.error, "memory size field 7"), "%s", r.error.c_str());
	cr_assert_str_eq(r.type_name.c_str(), "4B");
}

Test(revision, unknown_manufacturer_and_processor)
{
	Revision m = decode_revision(0xc63111);
	cr_assert(m.manufacturer.empty());
	cr_assert(contains(m.error, "unknown manufacturer 6"));
	Revision p = decode_revision(0xc05111);
	cr_assert(p.soc.empty());
	cr_assert(contains(p.error, "unknown processor 5"));
	Revision both = decode_revision(0xcf5ff0);
	cr_assert(contains(both.error, "; "), "all errors are kept: %s", both.error.c_str());
}

// ---------------------------------------------------------------------------
// Old-style codes.

Test(revision_old, table_entries)
{
	Revision b = decode_revision(0x0002);
	cr_assert(b.valid);
	cr_assert_not(b.new_style);
	cr_assert_str_eq(b.type_name.c_str(), "B");
	cr_assert_eq(b.type, 0x01u);
	cr_assert_eq(b.mem_mb, 256u);
	cr_assert_str_eq(b.manufacturer.c_str(), "Egoman");
	cr_assert_str_eq(b.board_rev.c_str(), "1.0");
	cr_assert_str_eq(b.soc.c_str(), "BCM2835");
	cr_assert(b.error.empty());

	Revision q = decode_revision(0x0005);
	cr_assert_str_eq(q.manufacturer.c_str(), "Qisda");
	cr_assert_str_eq(q.board_rev.c_str(), "2.0");

	Revision a = decode_revision(0x0008);
	cr_assert_str_eq(a.type_name.c_str(), "A");
	cr_assert_eq(a.type, 0x00u);

	Revision b512 = decode_revision(0x000e);
	cr_assert_eq(b512.mem_mb, 512u);
	cr_assert_str_eq(b512.manufacturer.c_str(), "Sony UK");

	Revision bp = decode_revision(0x0010);
	cr_assert_str_eq(bp.type_name.c_str(), "B+");
	cr_assert_eq(bp.type, 0x03u);
	cr_assert_str_eq(bp.board_rev.c_str(), "1.2");
	cr_assert_eq(bp.mem_mb, 512u);

	Revision cm = decode_revision(0x0014);
	cr_assert_str_eq(cm.type_name.c_str(), "CM1");
	cr_assert_eq(cm.type, 0x06u);
	cr_assert_str_eq(cm.manufacturer.c_str(), "Embest");

	Revision ap = decode_revision(0x0012);
	cr_assert_str_eq(ap.type_name.c_str(), "A+");
	cr_assert_eq(ap.mem_mb, 256u);
}

Test(revision_old, ambiguous_memory_is_absent)
{
	Revision r = decode_revision(0x0015);
	cr_assert(r.valid);
	cr_assert_str_eq(r.type_name.c_str(), "A+");
	cr_assert_eq(r.mem_mb, 0u);
	cr_assert(contains(r.error, "256 MB and 512 MB"), "%s", r.error.c_str());
}

Test(revision_old, warranty_prefix)
{
	Revision r = decode_revision(0x1000002);
	cr_assert(r.valid);
	cr_assert(r.warranty_void);
	cr_assert_str_eq(r.type_name.c_str(), "B");
	cr_assert_eq(r.code, 0x1000002u);
	Revision r25 = decode_revision(0x2000010);
	cr_assert(r25.valid && r25.warranty_void);
	cr_assert_str_eq(r25.type_name.c_str(), "B+");
	cr_assert_not(decode_revision(0x0010).warranty_void);
}

Test(revision_old, unknown_codes_are_invalid)
{
	for (uint32_t c : {0x0000u, 0x0001u, 0x000au, 0x000bu, 0x000cu, 0x0016u,
			   0x7fffffu, 0x04000010u}) {
		Revision r = decode_revision(c);
		cr_assert_not(r.valid, "code %x", c);
		cr_assert(contains(r.error, "unknown old-style revision code"),
			  "code %x: %s", c, r.error.c_str());
		cr_assert(r.type_name.empty());
		cr_assert_eq(r.mem_mb, 0u);
	}
}

// ---------------------------------------------------------------------------
// cpuinfo parsing.

Test(cpuinfo, finds_revision_not_cpu_revision)
{
	std::string reason = "untouched";
	auto c = find_cpuinfo_revision("processor\t: 0\nCPU revision\t: 3\n\n"
				       "Hardware\t: BCM2835\nRevision\t: c03111\n"
				       "Serial\t\t: 100000001234abcd\n",
				       &reason);
	cr_assert(c.has_value());
	cr_assert_eq(*c, 0xc03111u);
	cr_assert_str_eq(reason.c_str(), "untouched");
}

Test(cpuinfo, old_style_and_uppercase_and_last_line_without_newline)
{
	cr_assert_eq(find_cpuinfo_revision("Revision\t: 0010\n").value_or(1), 0x10u);
	cr_assert_eq(find_cpuinfo_revision("Revision : C03111").value_or(1), 0xc03111u);
	cr_assert_eq(find_cpuinfo_revision("Revision\t: 1000002\n").value_or(1), 0x1000002u);
}

Test(cpuinfo, missing_line)
{
	std::string reason;
	cr_assert_not(find_cpuinfo_revision("processor\t: 0\nCPU revision\t: 3\n", &reason));
	cr_assert_str_eq(reason.c_str(), "no Revision line");
	cr_assert_not(find_cpuinfo_revision("", &reason));
	cr_assert_str_eq(reason.c_str(), "no Revision line");
	cr_assert_not(find_cpuinfo_revision("Revision c03111\n", &reason),
		      "a line without ':' is not a field");
}

Test(cpuinfo, empty_value)
{
	std::string reason;
	cr_assert_not(find_cpuinfo_revision("Revision\t:\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: empty value");
	cr_assert_not(find_cpuinfo_revision("Revision\t:   \t\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: empty value");
}

Test(cpuinfo, garbage_value)
{
	std::string reason;
	cr_assert_not(find_cpuinfo_revision("Revision\t: zz03114\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: not a hex number: \"zz03114\"");
	cr_assert_not(find_cpuinfo_revision("Revision\t: 0xc03111\n", &reason));
	cr_assert(contains(reason, "not a hex number"));
	cr_assert_not(find_cpuinfo_revision("Revision\t: c031 11\n", &reason));
	cr_assert(contains(reason, "not a hex number"));
	cr_assert_not(find_cpuinfo_revision("Revision\t: -1\n", nullptr),
		      "a null reason pointer is allowed");
}

Test(cpuinfo, out_of_range_value)
{
	std::string reason;
	cr_assert_not(find_cpuinfo_revision("Revision\t: 1c0031110\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: out of range: \"1c0031110\"");
	cr_assert_eq(find_cpuinfo_revision("Revision\t: ffffffff\n").value_or(0), 0xffffffffu);
}

Test(cpuinfo, field_lookup)
{
	std::string_view text = "model name\t: ARMv7 Processor rev 4 (v7l)\n"
				"Model\t\t: Raspberry Pi 3 Model B Plus Rev 1.3\n";
	assert_sv_eq(cpuinfo_field(text, "Model").value(),
			 "Raspberry Pi 3 Model B Plus Rev 1.3");
	assert_sv_eq(cpuinfo_field(text, "model name").value(),
			 "ARMv7 Processor rev 4 (v7l)");
	cr_assert_not(cpuinfo_field(text, "Serial").has_value());
	cr_assert_not(cpuinfo_field(text, "model").has_value());
}

// ---------------------------------------------------------------------------
// Model table.

Test(models, pi4b_pi5_pi3bplus_zero2w_facts)
{
	const ModelInfo *m4 = model_by_type(0x11);
	cr_assert_not_null(m4);
	assert_sv_eq(m4->key, "4B");
	assert_sv_eq(m4->feature, "pi4b");
	assert_sv_eq(m4->soc, "BCM2711");
	cr_assert_eq(m4->cores, 4u);
	cr_assert_eq(m4->default_mhz, 1500u);
	cr_assert_eq(m4->max_mhz, 1800u);
	cr_assert_float_eq(m4->speed_score, 1.0, 1e-9);

	const ModelInfo *m5 = model_by_type(0x17);
	assert_sv_eq(m5->key, "5");
	assert_sv_eq(m5->feature, "pi5");
	cr_assert_eq(m5->cores, 4u);
	cr_assert_eq(m5->default_mhz, 2400u);
	cr_assert_eq(m5->max_mhz, 2400u);

	const ModelInfo *m3 = model_by_type(0x0d);
	assert_sv_eq(m3->key, "3B+");
	assert_sv_eq(m3->feature, "pi3bplus");
	cr_assert_eq(m3->default_mhz, 1400u);

	const ModelInfo *z = model_by_type(0x12);
	assert_sv_eq(z->key, "Zero2W");
	assert_sv_eq(z->feature, "pizero2w");
	cr_assert_eq(z->cores, 4u);
	cr_assert_eq(z->default_mhz, 1000u);

	cr_assert_eq(model_by_type(0x13)->default_mhz, 1800u);
	cr_assert_eq(model_by_type(0x08)->default_mhz, 1200u);
	cr_assert_eq(model_by_type(0x09)->cores, 1u);
}

Test(models, speed_scores_rank_the_generations)
{
	const char *order[] = {"5", "400", "4B", "3B+", "3B", "Zero2W", "2B", "Zero", "B"};
	for (std::size_t i = 0; i + 1 < std::size(order); i++) {
		const ModelInfo *a = model_by_key(order[i]);
		const ModelInfo *b = model_by_key(order[i + 1]);
		cr_assert(a && b);
		cr_assert_gt(a->speed_score, b->speed_score, "%s vs %s", order[i], order[i + 1]);
	}
}

Test(models, every_entry_is_consistent)
{
	std::set<std::string_view> keys, features;
	for (const ModelInfo &m : all_models()) {
		cr_assert(keys.insert(m.key).second, "duplicate key %s", m.key.data());
		cr_assert(features.insert(m.feature).second, "duplicate feature");
		cr_assert_eq(model_by_type(m.type), &m);
		cr_assert_eq(model_by_key(m.key), &m);
		cr_assert_not(revision_type_name(m.type).empty());
		cr_assert(m.compatible.substr(0, 12) == "raspberrypi,");
		const ModelInfo *bc = model_by_compatible(m.compatible);
		cr_assert(bc && bc->compatible == m.compatible);
		cr_assert(m.cores == 1 || m.cores == 4);
		cr_assert(m.default_mhz >= 700 && m.default_mhz <= m.max_mhz);
		cr_assert_gt(m.speed_score, 0.0);
		cr_assert_not(m.source.empty());
		cr_assert_not(m.core.empty());
		cr_assert_not(m.name.empty());
		for (char c : m.feature)
			cr_assert((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'),
				  "feature %s must be a plain Slurm feature", m.feature.data());
	}
	// Every board the brief lists has an entry.
	for (unsigned t : {0x00u, 0x01u, 0x02u, 0x03u, 0x04u, 0x06u, 0x08u, 0x09u,
			   0x0au, 0x0cu, 0x0du, 0x0eu, 0x10u, 0x11u, 0x12u, 0x13u,
			   0x14u, 0x15u, 0x17u, 0x18u, 0x19u, 0x1au})
		cr_assert_not_null(model_by_type(t), "type 0x%x", t);
}

Test(models, lookups_that_miss)
{
	cr_assert_null(model_by_type(0x05), "Alpha: no clock data");
	cr_assert_null(model_by_type(0x1b), "CM0: no clock data");
	cr_assert_null(model_by_type(0xff));
	cr_assert_null(model_by_compatible("raspberrypi,6-model-b"));
	cr_assert_null(model_by_compatible("brcm,bcm2711"));
	cr_assert_null(model_by_compatible(""));
	cr_assert_null(model_by_key("4b"));
	assert_sv_eq(model_by_compatible("raspberrypi,model-b-rev2")->key, "B");
	assert_sv_eq(model_by_compatible("raspberrypi,5-compute-module")->key, "CM5");
}

Test(models, board_max_mhz_depends_on_4b_revision)
{
	const ModelInfo &m4 = *model_by_type(0x11);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xc03111)), 1500u);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xc03112)), 1500u);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xc03114)), 1800u);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xd03115)), 1800u);
	cr_assert_eq(board_max_mhz(m4, Revision{}), 1800u);
	cr_assert_eq(board_max_mhz(*model_by_type(0x13), decode_revision(0xc03130)), 1800u);
	cr_assert_eq(board_max_mhz(*model_by_type(0x17), decode_revision(0xd04170)), 2400u);
}

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
	cr_assert(has_problem(id, "/proc/cpuinfo: Revision: not a hex number: \"zz03114\""),
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
	cr_assert(has_problem(id, std::string(kDtModel) + ": not text: \"\\x01\\xfe"),
		  "%s", problems_text(id).c_str());
}

Test(detect_bad, truncated_compatible)
{
	PiIdentity id = detect_pi(fixture("broken/model_truncated_compatible"));
	cr_assert(id.is_pi, "the model string still says Raspberry Pi");
	cr_assert(contains(id.reason, kDtModel), "%s", id.reason.c_str());
	cr_assert(id.compatible.empty());
	cr_assert(has_problem(id, "truncated entry \"raspberrypi,4-mo\""),
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
	cr_assert(has_problem(id, "unknown Raspberry Pi board \"raspberrypi,6-model-b\""),
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
