// GpioLines on the Linux GPIO character device through libgpiod.
//
// Only this header and gpio_gpiod.cpp know libgpiod, and only
// gpio_gpiod.cpp knows its version: it is written for the libgpiod 1.6 API
// (bookworm). A file for the 2.x API (trixie) can sit beside it and be
// chosen by configure; see the note at the top of gpio_gpiod.cpp.
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
