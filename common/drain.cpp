#include "common/drain.hpp"

#include <cmath>
#include <cstdio>

namespace slurmpi {

bool is_slurm_pi_reason(std::string_view reason)
{
	return reason.substr(0, kDrainReasonPrefix.size()) == kDrainReasonPrefix;
}

namespace {

// "84.2C": one decimal, as the record and `slurm-pi status` show it.
std::string celsius(double t)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%.1fC", t);
	return buf;
}

} // namespace

std::string drain_reason(BandCause cause, std::optional<double> temp_c,
			 double critical_temp)
{
	std::string r(kDrainReasonPrefix);
	bool have_temp = temp_c && std::isfinite(*temp_c);
	switch (cause) {
	case BandCause::undervoltage:
		r += " under-voltage";
		break;
	case BandCause::throttled:
		r += " throttled";
		if (have_temp)
			r += " at " + celsius(*temp_c);
		break;
	case BandCause::temperature:
		if (have_temp)
			r += " " + celsius(*temp_c) + ", CriticalTemp is " +
			     celsius(critical_temp);
		else
			r += " critical temperature";
		break;
	default:
		r += " critical";
		break;
	}
	return r;
}

std::string_view drain_action_name(DrainAction a)
{
	switch (a) {
	case DrainAction::none: return "none";
	case DrainAction::drain: return "drain";
	case DrainAction::resume: return "resume";
	}
	return "?";
}

void DrainTracker::observe(Band band, std::int64_t now)
{
	if (band == Band::unknown) {
		// No data: a spell in progress neither continues nor ends.
		critical_since_.reset();
		clear_since_.reset();
		return;
	}
	if (band == Band::critical) {
		clear_since_.reset();
		if (!critical_since_) {
			critical_since_ = now;
			spell_settled_ = false;
		}
	} else {
		critical_since_.reset();
		if (!clear_since_)
			clear_since_ = now;
	}
}

DrainAction DrainTracker::due(std::int64_t now) const
{
	if (rules_.drain_on_critical && critical_since_ && !spell_settled_ &&
	    now - *critical_since_ >= rules_.grace)
		return DrainAction::drain;
	if (maybe_ours_ && clear_since_ && now - *clear_since_ >= rules_.resume_after)
		return DrainAction::resume;
	return DrainAction::none;
}

DrainAction DrainTracker::confirm(DrainAction due, const NodeDrainState &node)
{
	bool ours = node.drain && is_slurm_pi_reason(node.reason);
	switch (due) {
	case DrainAction::drain:
		if (node.drain) {
			// Drained already: by slurm-pi (nothing to do) or by an
			// admin (never ours to change).
			maybe_ours_ = ours;
			spell_settled_ = true;
			return DrainAction::none;
		}
		return DrainAction::drain;
	case DrainAction::resume:
		if (!ours) {
			maybe_ours_ = false;
			return DrainAction::none;
		}
		return DrainAction::resume;
	case DrainAction::none:
		break;
	}
	return DrainAction::none;
}

void DrainTracker::done(DrainAction a)
{
	if (a == DrainAction::drain) {
		maybe_ours_ = true;
		spell_settled_ = true;
	}
	else if (a == DrainAction::resume)
		maybe_ours_ = false;
}

} // namespace slurmpi
