// The firmware's throttle word (the value `vcgencmd get_throttled` shows).
//
// Bits 0-3 describe the state now, bits 16-19 whether the same condition
// has occurred since boot or since the sticky bits were last cleared. The
// layout is the same on every Pi model including the Pi 5. The kernel's
// rpi_volt hwmon driver clears the sticky bits on every ~2 s poll, so on a
// kernel that has it "has occurred" means "in the last couple of seconds".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi {

inline constexpr std::uint32_t kThrUnderVoltageNow = 1u << 0;
inline constexpr std::uint32_t kThrArmCappedNow = 1u << 1;
inline constexpr std::uint32_t kThrThrottledNow = 1u << 2;
inline constexpr std::uint32_t kThrSoftTempNow = 1u << 3;
inline constexpr std::uint32_t kThrUnderVoltageOccurred = 1u << 16;
inline constexpr std::uint32_t kThrArmCappedOccurred = 1u << 17;
inline constexpr std::uint32_t kThrThrottledOccurred = 1u << 18;
inline constexpr std::uint32_t kThrSoftTempOccurred = 1u << 19;

inline constexpr std::uint32_t kThrNowMask = 0x0000000fu;
inline constexpr std::uint32_t kThrOccurredMask = 0x000f0000u;
inline constexpr std::uint32_t kThrKnownMask = kThrNowMask | kThrOccurredMask;

struct ThrottleFlags {
	bool under_voltage_now = false;
	bool arm_capped_now = false;
	bool throttled_now = false;
	bool soft_temp_now = false;
	bool under_voltage_occurred = false;
	bool arm_capped_occurred = false;
	bool throttled_occurred = false;
	bool soft_temp_occurred = false;
	// Bits outside kThrKnownMask: newer firmware may define more.
	std::uint32_t unknown_bits = 0;
};

ThrottleFlags decode_throttled(std::uint32_t word);

// One phrase per set bit in bit order, e.g. 0x50005 gives
// {"under-voltage now", "throttled now", "under-voltage has occurred",
//  "throttling has occurred"}; a bit without a meaning gives "bit N".
std::vector<std::string> throttle_words(std::uint32_t word);

// throttle_words() joined with ", ", or "none" for 0.
std::string describe_throttled(std::uint32_t word);

// "0x50005": the spelling vcgencmd and the telemetry record use.
std::string format_throttled(std::uint32_t word);

// Bit 2. Under-voltage alone can set it (0x50005).
inline bool throttled_now(std::uint32_t word)
{
	return (word & kThrThrottledNow) != 0;
}

inline bool undervoltage_now(std::uint32_t word)
{
	return (word & kThrUnderVoltageNow) != 0;
}

// Any of the four "now" bits.
inline bool any_now(std::uint32_t word)
{
	return (word & kThrNowMask) != 0;
}

// Parse the hex text of the legacy sysfs attribute ("50005\n", the kernel
// prints it without 0x); a leading "0x" is accepted too. On failure returns
// nullopt and says why in *reason (without a file name: the caller adds it).
std::optional<std::uint32_t> parse_throttled_hex(std::string_view text,
						 std::string *reason);

} // namespace slurmpi
