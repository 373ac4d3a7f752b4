#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "common/throttle.hpp"

using namespace slurmpi;

namespace {

void expect_words(std::uint32_t word, const std::vector<std::string> &want)
{
	std::vector<std::string> got = throttle_words(word);
	cr_assert_eq(got.size(), want.size(), "0x%x: %zu words, want %zu",
		     word, got.size(), want.size());
	for (std::size_t i = 0; i < want.size(); i++)
		cr_assert_str_eq(got[i].c_str(), want[i].c_str());
}

} // namespace

Test(throttle, zero_is_all_clear)
{
	ThrottleFlags f = decode_throttled(0x0);
	cr_assert(!f.under_voltage_now && !f.arm_capped_now &&
		  !f.throttled_now && !f.soft_temp_now);
	cr_assert(!f.under_voltage_occurred && !f.arm_capped_occurred &&
		  !f.throttled_occurred && !f.soft_temp_occurred);
	cr_assert_eq(f.unknown_bits, 0u);
	expect_words(0x0, {});
	std::string text = describe_throttled(0x0);
	cr_assert_str_eq(text.c_str(), "none");
	text = format_throttled(0x0);
	cr_assert_str_eq(text.c_str(), "0x0");
	cr_assert(!throttled_now(0) && !undervoltage_now(0) && !any_now(0));
}

Test(throttle, undervoltage_throttling_now)
{
	ThrottleFlags f = decode_throttled(0x50005);
	cr_assert(f.under_voltage_now);
	cr_assert(!f.arm_capped_now);
	cr_assert(f.throttled_now);
	cr_assert(!f.soft_temp_now);
	cr_assert(f.under_voltage_occurred);
	cr_assert(!f.arm_capped_occurred);
	cr_assert(f.throttled_occurred);
	cr_assert(!f.soft_temp_occurred);
	expect_words(0x50005, {"under-voltage now", "throttled now",
			       "under-voltage has occurred",
			       "throttling has occurred"});
	std::string text = describe_throttled(0x50005);
	cr_assert_str_eq(text.c_str(),
			 "under-voltage now, throttled now, under-voltage has "
			 "occurred, throttling has occurred");
	text = format_throttled(0x50005);
	cr_assert_str_eq(text.c_str(), "0x50005");
	cr_assert(throttled_now(0x50005));
	cr_assert(undervoltage_now(0x50005));
	cr_assert(any_now(0x50005));
}

Test(throttle, only_sticky_bits_are_not_now)
{
	ThrottleFlags f = decode_throttled(0x50000);
	cr_assert(!f.under_voltage_now && !f.throttled_now);
	cr_assert(f.under_voltage_occurred && f.throttled_occurred);
	expect_words(0x50000,
		     {"under-voltage has occurred", "throttling has occurred"});
	cr_assert(!throttled_now(0x50000));
	cr_assert(!undervoltage_now(0x50000));
	cr_assert(!any_now(0x50000));
}

Test(throttle, everything_but_past_undervoltage)
{
	ThrottleFlags f = decode_throttled(0xE000F);
	cr_assert(f.under_voltage_now && f.arm_capped_now && f.throttled_now &&
		  f.soft_temp_now);
	cr_assert(!f.under_voltage_occurred);
	cr_assert(f.arm_capped_occurred && f.throttled_occurred &&
		  f.soft_temp_occurred);
	cr_assert_eq(f.unknown_bits, 0u);
	expect_words(0xE000F, {"under-voltage now", "arm frequency capped now",
			       "throttled now", "soft temperature limit now",
			       "arm frequency capping has occurred",
			       "throttling has occurred",
			       "soft temperature limit has occurred"});
	std::string text = format_throttled(0xE000F);
	cr_assert_str_eq(text.c_str(), "0xe000f");
	cr_assert(throttled_now(0xE000F) && undervoltage_now(0xE000F) &&
		  any_now(0xE000F));
}

Test(throttle, soft_limit_alone_is_now_but_not_throttled)
{
	cr_assert(any_now(0x80008));
	cr_assert(!throttled_now(0x80008));
	cr_assert(!undervoltage_now(0x80008));
	expect_words(0x80008, {"soft temperature limit now",
			       "soft temperature limit has occurred"});
}

Test(throttle, arm_capped_alone_counts_as_now)
{
	cr_assert(any_now(0x2));
	cr_assert(!throttled_now(0x2));
}

Test(throttle, unknown_bits_are_named_not_dropped)
{
	ThrottleFlags f = decode_throttled(0x80100010u);
	cr_assert_eq(f.unknown_bits, 0x80100010u);
	expect_words(0x80100010u, {"bit 4", "bit 20", "bit 31"});
	cr_assert(!any_now(0x80100010u));
	std::string text = format_throttled(0xffffffffu);
	cr_assert_str_eq(text.c_str(), "0xffffffff");
}

Test(throttle, parse_legacy_sysfs_text)
{
	std::string why;
	auto v = parse_throttled_hex("50005\n", &why);
	cr_assert(v.has_value());
	cr_assert_eq(*v, 0x50005u);
	v = parse_throttled_hex("0\n", &why);
	cr_assert(v.has_value() && *v == 0);
	v = parse_throttled_hex("e000f", &why);
	cr_assert(v.has_value() && *v == 0xE000Fu);
	v = parse_throttled_hex("E000F\n", &why);
	cr_assert(v.has_value() && *v == 0xE000Fu);
	v = parse_throttled_hex("0x50000", &why);
	cr_assert(v.has_value() && *v == 0x50000u);
	v = parse_throttled_hex("ffffffff", &why);
	cr_assert(v.has_value() && *v == 0xffffffffu);
	cr_assert(parse_throttled_hex("0", nullptr).has_value());
}

Test(throttle, parse_rejects_bad_text_with_reason)
{
	struct Case {
		const char *text;
		const char *why;
	} cases[] = {
		{"", "empty"},
		{"\n", "empty"},
		{"zz\n", "not a hex number: 'zz'"},
		{"0x", "not a hex number: '0x'"},
		{"-1", "not a hex number: '-1'"},
		{"5 0005", "not a hex number: '5 0005'"},
		{"50005 extra", "not a hex number: '50005 extra'"},
		{"throttled=0x50005", "not a hex number: 'throttled=0x50005'"},
		{"123456789", "too long for a 32-bit word: '123456789'"},
	};
	for (const Case &c : cases) {
		std::string why;
		auto v = parse_throttled_hex(c.text, &why);
		cr_assert(!v.has_value(), "accepted \"%s\"", c.text);
		cr_assert_str_eq(why.c_str(), c.why);
	}
	cr_assert(!parse_throttled_hex("zz", nullptr).has_value());
}
