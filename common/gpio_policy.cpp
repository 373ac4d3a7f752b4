#include "common/gpio_policy.hpp"

#include <cmath>
#include <utility>

namespace slurmpi {

std::string_view led_mode_name(LedMode m)
{
	switch (m) {
	case LedMode::off:
		return "off";
	case LedMode::on:
		return "on";
	case LedMode::blink:
		return "blink";
	}
	return "off";
}

LedMode led_mode(Band band, bool jobs_running)
{
	if (band == Band::hot || band == Band::critical)
		return LedMode::blink;
	return jobs_running ? LedMode::on : LedMode::off;
}

bool led_level(LedMode m, std::int64_t now_ms, int blink_ms)
{
	switch (m) {
	case LedMode::off:
		return false;
	case LedMode::on:
		return true;
	case LedMode::blink: {
		std::int64_t half = blink_ms < 1 ? 1 : blink_ms;
		std::int64_t phase = now_ms % (2 * half);
		if (phase < 0)
			phase += 2 * half;
		return phase < half;
	}
	}
	return false;
}

std::int64_t ms_to_blink_edge(std::int64_t now_ms, int blink_ms)
{
	std::int64_t half = blink_ms < 1 ? 1 : blink_ms;
	std::int64_t into = now_ms % half;
	if (into < 0)
		into += half;
	return half - into;
}

bool FanHysteresis::update(std::optional<double> temp_c)
{
	if (!temp_c || !std::isfinite(*temp_c))
		on_ = true;
	else if (*temp_c >= on_temp_)
		on_ = true;
	else if (*temp_c < off_temp_)
		on_ = false;
	return on_;
}

void GpioDriver::drive(GpioRole r, bool level)
{
	if (!lines_.has(r))
		return;
	std::optional<bool> &w = written_[static_cast<int>(r)];
	if (w && *w == level)
		return;
	std::string why;
	if (lines_.set(r, level, &why)) {
		w = level;
	} else {
		w.reset(); // retry next time
		errors_.push_back(why);
	}
}

void GpioDriver::poll(Band band, std::optional<double> temp_c,
		      bool jobs_running, std::int64_t now_ms)
{
	led_ = led_mode(band, jobs_running);
	drive(GpioRole::led, led_level(led_, now_ms, s_.led_blink_ms));
	drive(GpioRole::fan, fan_.update(temp_c));
}

bool GpioDriver::blinking() const
{
	return led_ == LedMode::blink && lines_.has(GpioRole::led);
}

void GpioDriver::tick(std::int64_t now_ms)
{
	if (blinking())
		drive(GpioRole::led, led_level(led_, now_ms, s_.led_blink_ms));
}

void GpioDriver::shutdown()
{
	led_ = LedMode::off;
	drive(GpioRole::led, false);
	drive(GpioRole::fan, true);
}

std::vector<std::string> GpioDriver::take_errors()
{
	return std::exchange(errors_, {});
}

} // namespace slurmpi
