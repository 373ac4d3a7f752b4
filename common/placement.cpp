#include "common/placement.hpp"

#include <algorithm>
#include <cmath>

namespace slurmpi {

Band scheduling_band(const TelemetryParse &p, std::int64_t now,
		     std::int64_t stale_after)
{
	if (!p.telemetry || is_stale(p.telemetry->ts, now, stale_after))
		return Band::unknown;
	return p.telemetry->band;
}

bool policy_excludes(ThermalPolicy policy, Band band)
{
	switch (policy) {
	case ThermalPolicy::strict:
		return band == Band::hot || band == Band::critical;
	case ThermalPolicy::balanced:
		return band == Band::critical;
	case ThermalPolicy::any:
		return false;
	}
	return false;
}

namespace {

// 0 (cool, unknown) .. kMaxPenalty (critical, when it is not left out).
int band_penalty(Band b, const PlacementPenalties &pen)
{
	switch (b) {
	case Band::warm: return std::clamp(pen.warm, 0, kMaxPenalty);
	case Band::hot: return std::clamp(pen.hot, 0, kMaxPenalty);
	case Band::critical: return kMaxPenalty;
	case Band::cool:
	case Band::unknown: break;
	}
	return 0;
}

// 0 (fastest) .. 31: the speed score in tenths, a Pi 4B (1.0) at 21.
// Unknown speed counts as a Pi 4B: neither first nor last.
int speed_rank(double speed)
{
	if (!(speed > 0) || !std::isfinite(speed))
		speed = 1.0;
	long tenths = std::lround(std::min(speed, 3.1) * 10.0);
	return 31 - static_cast<int>(tenths);
}

} // namespace

int temperature_step(const std::optional<double> &t)
{
	if (!t || !std::isfinite(*t))
		return 1;
	if (*t < 40)
		return 0;
	return std::min(3, static_cast<int>((*t - 40) / 10) + 1);
}

void place(ThermalPolicy policy, const PlacementPenalties &pen,
	   std::span<const PlacementNode> nodes,
	   std::span<PlacementResult> out) noexcept
{
	std::size_t n = std::min(nodes.size(), out.size());
	for (std::size_t i = 0; i < n; i++) {
		const PlacementNode &node = nodes[i];
		int band = band_penalty(node.band, pen); // 0..30
		int speed = speed_rank(node.speed);      // 0..31
		int rank = policy == ThermalPolicy::any
				   ? speed * 8 + std::min(band, 7)
				   : band * 8 + std::min(7, speed / 4 + temperature_step(node.temp_c));
		out[i].rank = static_cast<std::uint8_t>(std::min(rank, 0xfe));
		out[i].exclude = !node.required && policy_excludes(policy, node.band);
	}
}

std::string placement_wait_reason(ThermalPolicy policy, const char *source,
				  int candidates, int hot, int critical)
{
	hot = std::max(hot, 0);
	critical = std::max(critical, 0);
	int left_out = hot + critical;
	if (left_out == 0)
		return "";
	const char *bands = critical == 0 ? "hot" : hot == 0 ? "critical" : "hot or critical";
	std::string why = "(";
	why += source && *source ? source : "DefaultThermalPolicy";
	why += "=";
	why += to_string(policy);
	why += ")";
	if (left_out >= candidates)
		return std::string("slurm-pi: all eligible nodes are ") + bands + " " + why;
	return "slurm-pi: " + std::to_string(left_out) + " of " + std::to_string(candidates) +
	       " eligible nodes left out as " + bands + " " + why +
	       ", the rest cannot run the job now";
}

} // namespace slurmpi
