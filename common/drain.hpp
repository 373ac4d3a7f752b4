// Drain on critical: when a node has been critical for DrainGrace seconds,
// task/pi drains it with a reason that starts "slurm-pi:"; once its band
// has been known and not critical for ResumeAfter seconds, task/pi resumes
// it, but only while the node's reason is still one slurm-pi wrote. An
// admin's drain, including one set over slurm-pi's, is never touched.
//
// Pure: the caller feeds one band per poll, asks what might be due, looks
// the node up in slurmctld only then, and confirms with what it found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/thermal.hpp"

namespace slurmpi {

inline constexpr std::string_view kDrainReasonPrefix = "slurm-pi:";

// Whether a node's reason is one slurm-pi wrote.
bool is_slurm_pi_reason(std::string_view reason);

// "slurm-pi: under-voltage", "slurm-pi: throttled at 84.2C",
// "slurm-pi: 84.2C, CriticalTemp is 80C". `critical_temp` is the limit the
// band came from.
std::string drain_reason(BandCause cause, std::optional<double> temp_c,
			 double critical_temp);

enum class DrainAction { none, drain, resume };
std::string_view drain_action_name(DrainAction a);

// What slurmctld says about the node right now.
struct NodeDrainState {
	bool drain = false; // the DRAIN flag is set (draining or drained)
	std::string reason;
};

struct DrainRules {
	bool drain_on_critical = false; // DrainOnCritical
	std::int64_t grace = 30;        // DrainGrace, seconds
	std::int64_t resume_after = 300; // ResumeAfter, seconds
};

class DrainTracker {
public:
	explicit DrainTracker(const DrainRules &rules) : rules_(rules) {}

	// One band per poll. `unknown` (no data) neither starts nor ends a
	// critical spell, and does not count as clear.
	void observe(Band band, std::int64_t now);

	// What may be due now, before looking at the node: drain when critical
	// for `grace` (and drains are on), resume when clear for
	// `resume_after` while slurm-pi may have drained the node (after its
	// own drain, or once after the daemon starts: a restart forgets).
	DrainAction due(std::int64_t now) const;

	// The action to take given the node's state in slurmctld, and what
	// the tracker learns from it. Drain only a node not already drained;
	// resume only a drained node whose reason is slurm-pi's.
	DrainAction confirm(DrainAction due, const NodeDrainState &node);

	// The action was carried out (or failed: call nothing, it stays due).
	void done(DrainAction a);

private:
	DrainRules rules_;
	std::optional<std::int64_t> critical_since_;
	std::optional<std::int64_t> clear_since_;
	// This critical spell has been dealt with (drained, or found drained):
	// no more lookups until it ends. An admin who resumes a node that is
	// still critical is not overruled.
	bool spell_settled_ = false;
	// slurm-pi may have a drain in place: true at start (unknown) and
	// after a drain; false once slurmctld shows no drain of ours.
	bool maybe_ours_ = true;
};

} // namespace slurmpi
