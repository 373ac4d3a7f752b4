#include "common/throttle.hpp"

#include <charconv>

#include "common/fs.hpp"
#include "common/text.hpp"

namespace slurmpi {

namespace {

const char *bit_phrase(unsigned bit)
{
	switch (bit) {
	case 0: return "under-voltage now";
	case 1: return "arm frequency capped now";
	case 2: return "throttled now";
	case 3: return "soft temperature limit now";
	case 16: return "under-voltage has occurred";
	case 17: return "arm frequency capping has occurred";
	case 18: return "throttling has occurred";
	case 19: return "soft temperature limit has occurred";
	default: return nullptr;
	}
}

} // namespace

ThrottleFlags decode_throttled(std::uint32_t word)
{
	ThrottleFlags f;
	f.under_voltage_now = word & kThrUnderVoltageNow;
	f.arm_capped_now = word & kThrArmCappedNow;
	f.throttled_now = word & kThrThrottledNow;
	f.soft_temp_now = word & kThrSoftTempNow;
	f.under_voltage_occurred = word & kThrUnderVoltageOccurred;
	f.arm_capped_occurred = word & kThrArmCappedOccurred;
	f.throttled_occurred = word & kThrThrottledOccurred;
	f.soft_temp_occurred = word & kThrSoftTempOccurred;
	f.unknown_bits = word & ~kThrKnownMask;
	return f;
}

std::vector<std::string> throttle_words(std::uint32_t word)
{
	std::vector<std::string> out;
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(word & (1u << bit)))
			continue;
		if (const char *p = bit_phrase(bit))
			out.emplace_back(p);
		else
			out.push_back("bit " + std::to_string(bit));
	}
	return out;
}

std::string describe_throttled(std::uint32_t word)
{
	if (word == 0)
		return "none";
	std::string out;
	for (const std::string &w : throttle_words(word)) {
		if (!out.empty())
			out += ", ";
		out += w;
	}
	return out;
}

std::string format_throttled(std::uint32_t word)
{
	return "0x" + hex(word);
}

std::optional<std::uint32_t> parse_throttled_hex(std::string_view text,
						 std::string *reason)
{
	std::string_view s = trim_value(text);
	auto fail = [&](const char *why) -> std::optional<std::uint32_t> {
		if (reason) {
			*reason = why;
			if (!s.empty())
				*reason += ": " + quoted(s);
		}
		return std::nullopt;
	};
	if (s.empty())
		return fail("empty");
	std::string_view digits = s;
	if (digits.size() >= 2 && digits[0] == '0' &&
	    (digits[1] == 'x' || digits[1] == 'X'))
		digits.remove_prefix(2);
	if (digits.empty())
		return fail("not a hex number");
	for (char c : digits) {
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F');
		if (!hex)
			return fail("not a hex number");
	}
	// 8 hex digits fill 32 bits; more would be a different attribute.
	if (digits.size() > 8)
		return fail("too long for a 32-bit word");
	std::uint32_t v = 0;
	std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
	return v;
}

} // namespace slurmpi
