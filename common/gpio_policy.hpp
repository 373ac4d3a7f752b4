// What task/pi's GPIO lines show, decided from the node's state. Pure
// decisions (no I/O, no clock) plus a driver that applies them to a
// GpioLines (common/gpio.hpp) and reports failures for the caller to log.
//
// Rules:
//  - LED: blinks while the band is hot or critical; otherwise on while
//    jobs run on the node, off when none do. Band unknown counts as
//    not hot (the LED does not claim heat it cannot see).
//  - Fan: on once the temperature reaches FanOnTemp, off once it falls
//    below FanOffTemp, unchanged in between (hysteresis). No temperature
//    (or a non-finite one) turns it on: fail safe. It starts on, so a node
//    that starts between the two thresholds keeps it on until it cools
//    below FanOffTemp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/gpio.hpp"
#include "common/thermal.hpp"

namespace slurmpi {

enum class LedMode { off, on, blink };
std::string_view led_mode_name(LedMode m); // "off", "on", "blink"

LedMode led_mode(Band band, bool jobs_running);

// The LED's level at `now_ms` (any monotonic milliseconds): blink is on
// for the first `blink_ms` of every 2 * `blink_ms`, off for the second.
// `blink_ms` below 1 counts as 1.
bool led_level(LedMode m, std::int64_t now_ms, int blink_ms);

// Milliseconds from `now_ms` to the next change of a blink's level (the
// next multiple of `blink_ms`), 1..blink_ms; `blink_ms` below 1 counts as 1.
std::int64_t ms_to_blink_edge(std::int64_t now_ms, int blink_ms);

class FanHysteresis {
public:
	FanHysteresis(double on_temp, double off_temp)
		: on_temp_(on_temp), off_temp_(off_temp) {}

	// Feed one temperature; returns whether the fan is to be on.
	bool update(std::optional<double> temp_c);
	bool on() const { return on_; }

private:
	double on_temp_, off_temp_;
	bool on_ = true;
};

struct GpioSettings {
	double fan_on_temp = 65;
	double fan_off_temp = 55;
	int led_blink_ms = 500;
};

// Applies the rules to the lines. Writes a line only when its level
// changes (and on the first call), so a poll costs no syscalls when
// nothing changed. A failed write is retried on the next call.
class GpioDriver {
public:
	GpioDriver(GpioLines &lines, const GpioSettings &s)
		: lines_(lines), s_(s), fan_(s.fan_on_temp, s.fan_off_temp) {}

	// Once per poll: the band and temperature of this poll, whether jobs
	// run on the node, and a monotonic clock in milliseconds.
	void poll(Band band, std::optional<double> temp_c, bool jobs_running,
		  std::int64_t now_ms);
	// Between polls: re-drives a blinking LED for `now_ms`; does nothing
	// when the LED does not blink.
	void tick(std::int64_t now_ms);
	// Whether tick() has anything to do (the LED line exists and blinks).
	bool blinking() const;
	// When to tick next: ms_to_blink_edge() for LedBlinkMs.
	std::int64_t ms_to_tick(std::int64_t now_ms) const
	{
		return ms_to_blink_edge(now_ms, s_.led_blink_ms);
	}
	// At the end (before the lines are released): LED off; fan on, since
	// nothing watches the temperature any more (fail safe).
	void shutdown();

	LedMode led() const { return led_; }
	bool fan_on() const { return fan_.on(); }
	// Errors of the calls so far since the last take_errors(), each
	// naming the line (for the caller's rate-limited log).
	std::vector<std::string> take_errors();

private:
	void drive(GpioRole r, bool level);

	GpioLines &lines_;
	GpioSettings s_;
	FanHysteresis fan_;
	LedMode led_ = LedMode::off;
	std::optional<bool> written_[2]; // by GpioRole: last level written
	std::vector<std::string> errors_;
};

} // namespace slurmpi
