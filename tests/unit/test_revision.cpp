#include "common/cpuinfo.hpp"
#include "common/revision.hpp"
#include "tests/unit/helpers.hpp"

#include <criterion/criterion.h>

#include <string>

using namespace slurmpi;

namespace {

// The Revision code of a cpuinfo text, as board detection gets it.
std::optional<uint32_t> revision_in(std::string_view cpuinfo,
				    std::string *reason = nullptr)
{
	return parse_revision_code(parse_cpuinfo(cpuinfo).revision, reason);
}

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

Test(revision_line, finds_revision_not_cpu_revision)
{
	std::string reason = "untouched";
	auto c = revision_in("processor\t: 0\nCPU revision\t: 3\n\n"
				       "Hardware\t: BCM2835\nRevision\t: c03111\n"
				       "Serial\t\t: 100000001234abcd\n",
				       &reason);
	cr_assert(c.has_value());
	cr_assert_eq(*c, 0xc03111u);
	cr_assert_str_eq(reason.c_str(), "untouched");
}

Test(revision_line, old_style_and_uppercase_and_last_line_without_newline)
{
	cr_assert_eq(revision_in("Revision\t: 0010\n").value_or(1), 0x10u);
	cr_assert_eq(revision_in("Revision : C03111").value_or(1), 0xc03111u);
	cr_assert_eq(revision_in("Revision\t: 1000002\n").value_or(1), 0x1000002u);
}

Test(revision_line, missing_line)
{
	std::string reason;
	cr_assert_not(revision_in("processor\t: 0\nCPU revision\t: 3\n", &reason));
	cr_assert_str_eq(reason.c_str(), "no Revision line");
	cr_assert_not(revision_in("", &reason));
	cr_assert_str_eq(reason.c_str(), "no Revision line");
	cr_assert_not(revision_in("Revision c03111\n", &reason),
		      "a line without ':' is not a field");
}

Test(revision_line, empty_value)
{
	std::string reason;
	cr_assert_not(revision_in("Revision\t:\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: empty value");
	cr_assert_not(revision_in("Revision\t:   \t\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: empty value");
}

Test(revision_line, garbage_value)
{
	std::string reason;
	cr_assert_not(revision_in("Revision\t: zz03114\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: not a hex number: 'zz03114'");
	cr_assert_not(revision_in("Revision\t: 0xc03111\n", &reason));
	cr_assert(contains(reason, "not a hex number"));
	cr_assert_not(revision_in("Revision\t: c031 11\n", &reason));
	cr_assert(contains(reason, "not a hex number"));
	cr_assert_not(revision_in("Revision\t: -1\n", nullptr),
		      "a null reason pointer is allowed");
}

Test(revision_line, out_of_range_value)
{
	std::string reason;
	cr_assert_not(revision_in("Revision\t: 1c0031110\n", &reason));
	cr_assert_str_eq(reason.c_str(), "Revision: out of range: '1c0031110'");
	cr_assert_eq(revision_in("Revision\t: ffffffff\n").value_or(0), 0xffffffffu);
}
