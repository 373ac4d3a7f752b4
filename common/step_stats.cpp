#include "common/step_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/throttle.hpp"

namespace slurmpi {

namespace {

// One decimal, as the log line shows it (and the record stores it).
double tenth(double v) { return std::round(v * 10) / 10; }

} // namespace

std::optional<int> StepStats::throttled_pct() const
{
	if (throttle_known_samples <= 0)
		return std::nullopt;
	return static_cast<int>(std::lround(100.0 * throttled_samples /
					    throttle_known_samples));
}

StepStats step_stats(const std::vector<RingSample> &samples, std::int64_t start,
		     std::int64_t end)
{
	StepStats st;
	st.start = start;
	st.end = end;
	double sum = 0;
	constexpr std::uint32_t uv_bits = kThrUnderVoltageNow | kThrUnderVoltageOccurred;
	for (const RingSample &s : samples) {
		if (s.time < start || s.time > end)
			continue;
		++st.samples;
		if (s.temp_mc != kRingNoTemp) {
			double c = s.temp_mc / 1000.0;
			++st.temp_samples;
			sum += c;
			st.max_c = st.max_c ? std::max(*st.max_c, c) : c;
		}
		if (s.throttled_known & kThrThrottledNow) {
			++st.throttle_known_samples;
			if (s.throttled & kThrThrottledNow)
				++st.throttled_samples;
		}
		if (s.throttled_known & uv_bits) {
			bool seen = (s.throttled & s.throttled_known & uv_bits) != 0;
			st.undervoltage = st.undervoltage.value_or(false) || seen;
		}
		if (s.cur_mhz > 0)
			st.min_mhz = st.min_mhz ? std::min(*st.min_mhz, int{s.cur_mhz})
						: int{s.cur_mhz};
	}
	if (st.temp_samples)
		st.mean_c = sum / st.temp_samples;
	return st;
}

std::string step_stats_text(const StepStats &s)
{
	if (s.samples == 0)
		return "no samples in the ring for the step's lifetime";
	char buf[64];
	std::string out;
	if (s.max_c) {
		std::snprintf(buf, sizeof buf, "max %.1fC mean %.1fC", *s.max_c,
			      *s.mean_c);
		out = buf;
	} else {
		out = "temperature unknown";
	}
	if (auto pct = s.throttled_pct())
		std::snprintf(buf, sizeof buf, ", throttled %d%% of %d samples", *pct,
			      s.samples);
	else
		std::snprintf(buf, sizeof buf, ", throttling unknown in %d samples",
			      s.samples);
	out += buf;
	if (!s.undervoltage)
		out += ", under-voltage unknown";
	else
		out += *s.undervoltage ? ", under-voltage seen" : ", no under-voltage";
	if (s.min_mhz)
		out += ", min " + std::to_string(*s.min_mhz) + " MHz";
	else
		out += ", clock unknown";
	return out;
}

std::string step_stats_json(const StepStats &s, std::uint32_t job_id,
			    const std::string &step, const std::string &node)
{
	using nlohmann::ordered_json;
	ordered_json j;
	j["v"] = 1;
	j["job"] = job_id;
	j["step"] = step;
	j["node"] = node;
	j["start"] = s.start;
	j["end"] = s.end;
	j["samples"] = s.samples;
	j["max_c"] = s.max_c ? ordered_json(tenth(*s.max_c)) : ordered_json();
	j["mean_c"] = s.mean_c ? ordered_json(tenth(*s.mean_c)) : ordered_json();
	auto pct = s.throttled_pct();
	j["throttled_pct"] = pct ? ordered_json(*pct) : ordered_json();
	j["throttled_samples"] = s.throttled_samples;
	j["throttle_known_samples"] = s.throttle_known_samples;
	j["undervoltage"] = s.undervoltage ? ordered_json(*s.undervoltage)
					   : ordered_json();
	j["min_mhz"] = s.min_mhz ? ordered_json(*s.min_mhz) : ordered_json();
	// Node and step names come from Slurm; replace bad UTF-8 rather than
	// throw.
	return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace slurmpi
