#include "common/thermal.hpp"

#include <cmath>

namespace slurmpi {

std::string_view band_name(Band b)
{
	switch (b) {
	case Band::cool:
		return "cool";
	case Band::warm:
		return "warm";
	case Band::hot:
		return "hot";
	case Band::critical:
		return "critical";
	case Band::unknown:
		break;
	}
	return "unknown";
}

std::optional<Band> band_from_name(std::string_view s)
{
	for (Band b : {Band::cool, Band::warm, Band::hot, Band::critical,
		       Band::unknown})
		if (band_name(b) == s)
			return b;
	return std::nullopt;
}

std::string_view band_cause_name(BandCause c)
{
	switch (c) {
	case BandCause::stale:
		return "stale";
	case BandCause::temperature:
		return "temperature";
	case BandCause::throttled:
		return "throttled";
	case BandCause::undervoltage:
		return "under-voltage";
	case BandCause::no_data:
		break;
	}
	return "no data";
}

bool is_stale(std::int64_t sample_time, std::int64_t now,
	      std::int64_t stale_after)
{
	// Compare without subtracting: arbitrary timestamps must not overflow.
	if (sample_time <= now)
		return sample_time < now - stale_after;
	return sample_time - stale_after > now;
}

Band ThermalState::by_temperature(double t) const
{
	Band raw = Band::cool;
	if (t >= limits_.warm)
		raw = Band::warm;
	if (t >= limits_.hot)
		raw = Band::hot;
	if (t >= limits_.critical)
		raw = Band::critical;
	if (band_ == Band::unknown || raw >= band_)
		return raw;

	// Going down: settle in the highest band at or below the current one
	// whose hysteresis window still holds t, as if stepping down one band
	// at a time.
	const double thresholds[] = {limits_.warm, limits_.hot, limits_.critical};
	for (int b = static_cast<int>(band_); b > static_cast<int>(Band::cool); --b)
		if (t >= thresholds[b - 1] - limits_.hysteresis)
			return static_cast<Band>(b);
	return Band::cool;
}

Band ThermalState::update(const ThermalSample &s, std::int64_t now)
{
	previous_ = band_;
	if (is_stale(s.time, now, limits_.stale_after)) {
		band_ = Band::unknown;
		cause_ = BandCause::stale;
	} else if (s.throttled_now || s.undervoltage_now) {
		band_ = Band::critical;
		cause_ = s.undervoltage_now ? BandCause::undervoltage
					    : BandCause::throttled;
	} else if (!s.temp_c || !std::isfinite(*s.temp_c)) {
		band_ = Band::unknown;
		cause_ = BandCause::no_data;
	} else {
		band_ = by_temperature(*s.temp_c);
		cause_ = BandCause::temperature;
	}
	return band_;
}

} // namespace slurmpi
