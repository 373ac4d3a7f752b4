#include <criterion/criterion.h>

#include "common/text.hpp"
#include "tests/unit/helpers.hpp"

using slurmpi::hex;
using slurmpi::json_depth;
using slurmpi::kQuotedMax;
using slurmpi::parse_u32;
using namespace std::string_literals;

namespace {

// A string_view, always: with a std::string argument, unqualified
// quoted() would also find std::quoted through argument-dependent lookup.
std::string q(std::string_view s, std::size_t max = kQuotedMax)
{
	return slurmpi::quoted(s, max);
}

} // namespace

Test(quoted, plain_text_in_single_quotes)
{
	assert_sv_eq(q("hot"), "'hot'");
	assert_sv_eq(q("1500000 kHz"), "'1500000 kHz'");
	assert_sv_eq(q("~!@#$%^&*()_+{}|:\"<>?`-=[];,./"),
		     "'~!@#$%^&*()_+{}|:\"<>?`-=[];,./'");
}

Test(quoted, empty_input_is_two_quotes)
{
	assert_sv_eq(q(""), "''");
	assert_sv_eq(q("", 0), "''");
}

Test(quoted, control_characters_are_escaped)
{
	assert_sv_eq(q("a\nb"), "'a\\nb'");
	assert_sv_eq(q("a\tb\r"), "'a\\tb\\r'");
	// A forged log line stays on this one.
	assert_sv_eq(q("x\nerror: fake"), "'x\\nerror: fake'");
	assert_sv_eq(q("\x01\x1b[31m\x7f"), "'\\x01\\x1b[31m\\x7f'");
	assert_sv_eq(q("a\0b"s), "'a\\x00b'");
}

Test(quoted, non_ascii_bytes_are_escaped)
{
	assert_sv_eq(q("\xff\xfe"), "'\\xff\\xfe'");
	assert_sv_eq(q("caf\xc3\xa9"), "'caf\\xc3\\xa9'");
}

Test(quoted, quotes_and_backslashes_are_escaped)
{
	assert_sv_eq(q("it's"), "'it\\'s'");
	assert_sv_eq(q("a\\b"), "'a\\\\b'");
	assert_sv_eq(q("\"x\""), "'\"x\"'");
}

Test(quoted, long_input_is_cut_with_a_marker)
{
	const std::string full = "'" + std::string(kQuotedMax, 'x') + "'";
	const std::string cut = full + "...";
	assert_sv_eq(q(std::string(kQuotedMax, 'x')), full.c_str());
	assert_sv_eq(q(std::string(kQuotedMax + 1, 'x')), cut.c_str());
	assert_sv_eq(q("abcdef", 3), "'abc'...");
	assert_sv_eq(q("abc", 3), "'abc'");
	// The limit counts input bytes, not escaped output.
	assert_sv_eq(q("\n\n\n\n", 2), "'\\n\\n'...");
	std::string huge(1 << 20, '\x01');
	std::string out = q(huge);
	cr_assert_eq(out.size(), 2 + 4 * kQuotedMax + 3, "%zu", out.size());
}

Test(hex, lower_case_without_prefix)
{
	assert_sv_eq(hex(0), "0");
	assert_sv_eq(hex(0x50005), "50005");
	assert_sv_eq(hex(0xc03114), "c03114");
	assert_sv_eq(hex(0xffffffffu), "ffffffff");
}

Test(hex, pads_to_width_and_never_cuts)
{
	assert_sv_eq(hex(0xf, 2), "0f");
	assert_sv_eq(hex(0x15, 4), "0015");
	assert_sv_eq(hex(0xc03111, 4), "c03111");
	assert_sv_eq(hex(0x30046, 8), "00030046");
	assert_sv_eq(hex(0x1, 0), "1");
}

Test(join, separator_between_items_only)
{
	cr_assert_str_eq(slurmpi::join({"a", "b", "c"}, ", ").c_str(), "a, b, c");
	cr_assert_str_eq(slurmpi::join({"one"}, ":").c_str(), "one");
	cr_assert_str_eq(slurmpi::join({}, ":").c_str(), "");
	cr_assert_str_eq(slurmpi::join({"", "b"}, ",").c_str(), ",b");
}

Test(json_depth, brackets_outside_strings)
{
	cr_assert_eq(json_depth(""), 0);
	cr_assert_eq(json_depth("7"), 0);
	cr_assert_eq(json_depth(R"({"a":[1,"[{"]})"), 2);
	cr_assert_eq(json_depth(R"({"a\"[":{}})"), 2);
	cr_assert_eq(json_depth("[[[]][]]"), 3);
	cr_assert_eq(json_depth("]]]["), 1);
	cr_assert_eq(json_depth(std::string(100000, '[')), 100000);
}

Test(parse_u32, whole_decimal_numbers)
{
	cr_assert(parse_u32("0") == std::optional<std::uint32_t>(0u));
	cr_assert(parse_u32("42") == std::optional<std::uint32_t>(42u));
	cr_assert(parse_u32("007") == std::optional<std::uint32_t>(7u));
	cr_assert(parse_u32("4294967295") == std::optional<std::uint32_t>(4294967295u));
	cr_assert(parse_u32("0000000001") == std::optional<std::uint32_t>(1u));
}

Test(parse_u32, anything_else_is_refused)
{
	for (const char *s : {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.0", "x", "4294967296",
			      "9999999999", "99999999999", "18446744073709551617"})
		cr_assert(!parse_u32(s).has_value(), "'%s' accepted", s);
	cr_assert(!parse_u32("1\0"s).has_value(), "a NUL byte");
}
