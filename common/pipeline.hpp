// The node telemetry pipeline: a sensor reading becomes a thermal sample, a
// band and the record task/pi publishes into the node's Extra, and the
// publisher decides when the controller needs to hear about it.
//
// Pure: no I/O, no clock, no threads. task/pi's sampler thread feeds it one
// Reading per PollInterval and publishes when it says so; `slurm-pi status`
// uses the same joins for its one-shot report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sensors.hpp"
#include "common/telemetry.hpp"
#include "common/thermal.hpp"

namespace slurmpi {

// A flag counts as set only when the reading's source can tell it
// (hwmon rpi_volt knows under-voltage only) and it is set.
bool flag_now(const Reading &r, std::uint32_t bit);

// The reading as the thermal state machine sees it, taken at `now`.
ThermalSample thermal_sample(const Reading &r, std::int64_t now);

// What the node is, for the record; fixed for the life of the daemon.
struct NodeFacts {
	std::optional<std::string> model; // table key, e.g. "4B"
	std::optional<int> mem_mb;
};

// The record for one reading in `band` at `now`.
Telemetry make_record(const Reading &r, Band band, const NodeFacts &facts,
		      std::int64_t now);

// Why a record goes to the controller (or `none`).
enum class PublishReason {
	none,
	first,     // nothing published yet by this daemon (start, restart)
	band,      // the band changed
	flags,     // a throttle flag that is "now" changed, or what is known
	temperature, // the temperature moved to another placement step
	heartbeat, // PublishInterval passed without a change
	retry,     // the last publish failed
};
std::string_view publish_reason_name(PublishReason r);

// A temperature change publishes only when it crosses a step and is at
// least this large (degrees C) since the last published record.
inline constexpr double kTemperatureStepMinDelta = 2.0;

// Publish on change and as a heartbeat, never more: the controller takes
// write locks on jobs, nodes and partitions for every node update.
//   at once:  the band changed; a "now" throttle flag (or what is known of
//             them) changed;
//   soon:     the temperature moved to another of placement's steps
//             (temperature_step(): <40, 40s, 50s, 60+ C; the order within
//             a band) by at least kTemperatureStepMinDelta, once a quarter
//             of PublishInterval has passed since the last publish, so a
//             wobbling sensor costs at most 4 updates per PublishInterval;
//   heartbeat: PublishInterval passed.
// Changes that do not publish by themselves: the temperature within a step,
// the clock, and the "has occurred" throttle bits (rpi_volt clears those
// every ~2 s); the next heartbeat carries them.
class Publisher {
public:
	explicit Publisher(std::int64_t publish_interval)
		: interval_(publish_interval) {}

	PublishReason decide(const Telemetry &rec, std::int64_t now) const;
	// The controller has `rec`.
	void published(const Telemetry &rec, std::int64_t now);
	// The publish failed: the next decide() says retry.
	void failed() { retry_ = true; }

private:
	// At least one second, a quarter of PublishInterval.
	std::int64_t temperature_gap() const
	{
		return interval_ / 4 > 1 ? interval_ / 4 : 1;
	}

	std::int64_t interval_;
	std::optional<Telemetry> last_;
	std::int64_t last_time_ = 0;
	bool retry_ = false;
};

// One node's pipeline: state machine, record and publish decision.
class NodePipeline {
public:
	NodePipeline(const ThermalLimits &limits, NodeFacts facts,
		     std::int64_t publish_interval)
		: state_(limits), facts_(std::move(facts)),
		  publisher_(publish_interval) {}

	struct Step {
		Telemetry record;
		Band band = Band::unknown;
		BandCause cause = BandCause::no_data;
		PublishReason publish = PublishReason::none;
	};

	Step update(const Reading &r, std::int64_t now);
	void published(const Step &s, std::int64_t now)
	{
		publisher_.published(s.record, now);
	}
	void publish_failed() { publisher_.failed(); }
	const ThermalState &state() const { return state_; }

private:
	ThermalState state_;
	NodeFacts facts_;
	Publisher publisher_;
};

// When a daemon logs a node's sensor problems: on a change (including
// "none any more"), at most once per `min_gap` seconds however the garbage
// varies, and again every `repeat` seconds while the same problems last.
class ProblemLog {
public:
	explicit ProblemLog(std::int64_t min_gap = 60, std::int64_t repeat = 3600)
		: min_gap_(min_gap), repeat_(repeat) {}

	// Whether to log `problems` now; if so, they count as logged.
	bool should_log(const std::vector<std::string> &problems, std::int64_t now);

private:
	std::int64_t min_gap_, repeat_;
	std::vector<std::string> logged_;
	std::optional<std::int64_t> last_;
};

} // namespace slurmpi
