#include "common/pipeline.hpp"

#include "common/placement.hpp"
#include "common/throttle.hpp"

#include <cmath>

namespace slurmpi {

bool flag_now(const Reading &r, std::uint32_t bit)
{
	return r.throttled && (r.throttled_known & bit) && (*r.throttled & bit);
}

ThermalSample thermal_sample(const Reading &r, std::int64_t now)
{
	ThermalSample s;
	s.temp_c = r.temp_c;
	s.throttled_now = flag_now(r, kThrThrottledNow);
	s.undervoltage_now = flag_now(r, kThrUnderVoltageNow);
	s.time = now;
	return s;
}

Telemetry make_record(const Reading &r, Band band, const NodeFacts &facts,
		      std::int64_t now)
{
	Telemetry t;
	t.band = band;
	t.ts = now;
	t.temp_c = r.temp_c;
	if (r.throttled && r.throttled_known) {
		// Only what the source can tell: unknown bits are not "clear".
		t.throttled = *r.throttled & r.throttled_known;
		t.throttled_known = r.throttled_known;
	}
	t.mhz = r.cur_mhz;
	t.max_mhz = r.max_mhz;
	t.model = facts.model;
	t.mem_mb = facts.mem_mb;
	return t;
}

std::string_view publish_reason_name(PublishReason r)
{
	switch (r) {
	case PublishReason::none: return "none";
	case PublishReason::first: return "first";
	case PublishReason::band: return "band change";
	case PublishReason::flags: return "flag change";
	case PublishReason::temperature: return "temperature step";
	case PublishReason::heartbeat: return "heartbeat";
	case PublishReason::retry: return "retry";
	}
	return "?";
}

namespace {

// The "now" bits a record claims to know, and their values.
struct NowFlags {
	std::uint32_t known = 0;
	std::uint32_t set = 0;
	bool operator==(const NowFlags &) const = default;
};

NowFlags now_flags(const Telemetry &t)
{
	if (!t.throttled)
		return {};
	std::uint32_t known = t.throttled_known & kThrNowMask;
	return {known, *t.throttled & known};
}

// Whether the temperature moved to another of placement's steps, and far
// enough that a reading wobbling across a step's edge does not count.
bool temperature_moved(const Telemetry &now, const Telemetry &last)
{
	if (!now.temp_c || !last.temp_c || !std::isfinite(*now.temp_c) ||
	    !std::isfinite(*last.temp_c))
		return false;
	return temperature_step(now.temp_c) != temperature_step(last.temp_c) &&
	       std::fabs(*now.temp_c - *last.temp_c) >= kTemperatureStepMinDelta;
}

} // namespace

PublishReason Publisher::decide(const Telemetry &rec, std::int64_t now) const
{
	if (!last_)
		return PublishReason::first;
	if (retry_)
		return PublishReason::retry;
	if (rec.band != last_->band)
		return PublishReason::band;
	if (now_flags(rec) != now_flags(*last_))
		return PublishReason::flags;
	// A clock stepped back (no RTC, NTP caught up) must not silence the
	// heartbeat until it catches up again.
	if (now - last_time_ >= interval_ || now < last_time_)
		return PublishReason::heartbeat;
	if (now - last_time_ >= temperature_gap() && temperature_moved(rec, *last_))
		return PublishReason::temperature;
	return PublishReason::none;
}

void Publisher::published(const Telemetry &rec, std::int64_t now)
{
	last_ = rec;
	last_time_ = now;
	retry_ = false;
}

NodePipeline::Step NodePipeline::update(const Reading &r, std::int64_t now)
{
	Step s;
	s.band = state_.update(thermal_sample(r, now), now);
	s.cause = state_.cause();
	s.record = make_record(r, s.band, facts_, now);
	s.publish = publisher_.decide(s.record, now);
	return s;
}

bool ProblemLog::should_log(const std::vector<std::string> &problems,
			    std::int64_t now)
{
	bool changed = problems != logged_;
	if (!changed && problems.empty())
		return false;
	std::int64_t since = last_ ? now - *last_ : repeat_;
	bool due = changed ? (since >= min_gap_ || since < 0)
			   : (since >= repeat_ || since < 0);
	if (!due)
		return false;
	logged_ = problems;
	last_ = now;
	return true;
}

} // namespace slurmpi
