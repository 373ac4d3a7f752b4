// GpioLines on the Linux GPIO character device through libgpiod.
//
// Only this header and its two implementations know libgpiod, and only
// those know its version: gpio_gpiod1.cpp for the libgpiod 1.6 API
// (bookworm), gpio_gpiod2.cpp for 2.x (trixie). configure builds the one
// that matches the installed libgpiod (GPIOD2 in Makefile.am); both do
// what is specified here, with the same messages.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/gpio.hpp"

namespace slurmpi {

// Chip labels tried, in order, when GpioChip is empty: Pi 5 (RP1), Pi 4 /
// 400 / CM4, Pi 3 / Zero 2 W.
inline const std::vector<std::string> kPiGpioChipLabels = {
	"pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835"};

struct GpioRequest {
	// The chip's label; "" tries kPiGpioChipLabels in order.
	std::string chip_label;
	std::optional<GpioLineRef> led, fan;
	// Shown by gpioinfo as the lines' user.
	std::string consumer = "slurm-pi";
};

// Opens the chip and requests each configured line as an output, LED low
// and fan high (fail safe until the first poll decides). On failure returns
// null and *why names the chip and the line, the error, and the fix, e.g.
// "no GPIO chip labelled 'pinctrl-x' (...); `gpiodetect` lists the chips:
// set GpioChip to one of them". Nothing is held after a failure. Never throws
// for system errors (std::bad_alloc may pass).
// On success *chip_label (if given) is the label of the chip opened.
std::unique_ptr<GpioLines> open_gpiod_lines(const GpioRequest &req,
					    std::string *why,
					    std::string *chip_label = nullptr);

} // namespace slurmpi
