// The GPIO seam: what task/pi needs from GPIO lines, without saying how
// they are driven. The real implementation (libgpiod) is declared in
// common/gpio_gpiod.hpp and lives in common/gpio_gpiod1.cpp (libgpiod 1.6)
// or gpio_gpiod2.cpp (2.x), whichever configure picks, in its own library,
// so that only task/pi loads libgpiod; the unit tests use a fake
// (tests/unit/fake_gpio.hpp).
//
// Pure: no I/O here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slurmpi {

// The lines slurm-pi drives: a status LED and a fan switch.
enum class GpioRole { led, fan };
// "LedLine", "FanLine": the config key that names the line.
std::string_view gpio_role_key(GpioRole r);

// A line as written in LedLine/FanLine: a line name (e.g. "GPIO17") or an
// offset on the chip (e.g. "17").
struct GpioLineRef {
	std::string name;             // set for a name
	std::optional<unsigned> offset; // set for an offset

	bool operator==(const GpioLineRef &) const = default;
};

// The highest offset accepted in the config. Real chips have fewer lines
// (pinctrl-bcm2711 58, pinctrl-rp1 54); opening the line checks the chip.
inline constexpr unsigned kMaxGpioOffset = 1023;
// Longest line name or chip label accepted: the kernel keeps 31
// characters of either (GPIO_MAX_NAME_SIZE 32 with the NUL).
inline constexpr std::size_t kMaxGpioName = 31;

// Parse a LedLine/FanLine value. All digits: an offset 0..kMaxGpioOffset.
// Otherwise a line name: printable ASCII without spaces, at most
// kMaxGpioName characters (names such as "2712_WAKE" exist, so a name may
// start with a digit); a sign followed by digits is refused as a bad
// offset. Whether the chip has the line is only known when it is opened.
// On failure nullopt, and *why (if given) says what is wrong with the
// quoted value, without the key.
std::optional<GpioLineRef> parse_gpio_line(std::string_view v,
					    std::string *why = nullptr);

// A GpioChip value: "" (fine: auto) or a label by the same rules as a line
// name (e.g. "pinctrl-rp1", "gpio-brcmstb@107d508500"). "" on success, else
// what is wrong with the quoted value.
std::string check_gpio_chip_label(std::string_view v);

// "GPIO17" or "offset 17", for messages.
std::string gpio_line_text(const GpioLineRef &l);

// Lines that have been requested for output and can be driven. Owned by one
// thread (task/pi's sampler). The destructor of an implementation releases
// the lines.
class GpioLines {
public:
	virtual ~GpioLines() = default;
	// Whether this object drives a line for `r` (the config named one).
	virtual bool has(GpioRole r) const = 0;
	// Drive the line for `r` high (on) or low. False if `r` has no line
	// or the kernel refused; then *why (if given) names the chip, the
	// line and the error.
	virtual bool set(GpioRole r, bool on, std::string *why) = 0;
};

} // namespace slurmpi
