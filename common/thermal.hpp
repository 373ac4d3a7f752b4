// Thermal bands of a node and the state machine that moves between them.
//
// The band, not the raw temperature, is what the controller schedules on and
// what task/pi publishes, so it must not flap: going up a band happens as
// soon as the temperature reaches the band's threshold, going down only once
// it is below threshold - hysteresis.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace slurmpi {

// Ordered: cool < warm < hot < critical. `unknown` (no or stale data) is
// outside the order; it fails open (the node is scheduled normally).
enum class Band { cool, warm, hot, critical, unknown };

// "cool", "warm", "hot", "critical", "unknown".
std::string_view band_name(Band b);
// Inverse of band_name (exact, lower case); nullopt for anything else.
std::optional<Band> band_from_name(std::string_view s);

// Thresholds in degrees C and the staleness limit in seconds. The defaults
// match the documented slurm-pi.conf defaults; Config::thermal_limits()
// builds one from the parsed config.
struct ThermalLimits {
	double warm = 60;
	double hot = 70;
	double critical = 80;
	double hysteresis = 3;
	std::int64_t stale_after = 300;

	bool operator==(const ThermalLimits &) const = default;
};

// One reading. The flags mean "known to be set now" (get_throttled bit 2 and
// bit 0); a flag that could not be read is false, so a missing flag source
// never forces a node critical.
struct ThermalSample {
	std::optional<double> temp_c;
	bool throttled_now = false;
	bool undervoltage_now = false;
	std::int64_t time = 0; // seconds since the epoch, when it was taken
};

// Why the current band is what it is, for `slurm-pi status` and logs.
enum class BandCause { no_data, stale, temperature, throttled, undervoltage };
std::string_view band_cause_name(BandCause c);

// A sample taken at `sample_time` is stale at `now` when it is more than
// `stale_after` seconds old. One in the future by more than that is stale
// too: Pis have no RTC, so a big jump means the clock was not yet trusted.
bool is_stale(std::int64_t sample_time, std::int64_t now,
	      std::int64_t stale_after);

class ThermalState {
public:
	explicit ThermalState(const ThermalLimits &limits = {}) : limits_(limits) {}

	// Feed one sample; returns the new band. Rules, in order:
	//  - stale sample -> unknown;
	//  - throttled or under-voltage now -> critical, whatever the temperature;
	//  - no (or non-finite) temperature -> unknown;
	//  - otherwise by temperature with hysteresis. Coming from unknown there
	//    is no history, so the band is the plain threshold band.
	// Leaving critical after the flags clear obeys the same hysteresis as
	// leaving it by temperature (stays critical while temp >= Critical - H).
	Band update(const ThermalSample &s, std::int64_t now);

	Band band() const { return band_; }
	// Band before the last update().
	Band previous() const { return previous_; }
	// Whether the last update() changed the band: the publisher publishes on
	// change and otherwise only as a heartbeat.
	bool changed() const { return band_ != previous_; }
	BandCause cause() const { return cause_; }
	const ThermalLimits &limits() const { return limits_; }

private:
	Band by_temperature(double t) const;

	ThermalLimits limits_;
	Band band_ = Band::unknown;
	Band previous_ = Band::unknown;
	BandCause cause_ = BandCause::no_data;
};

} // namespace slurmpi
