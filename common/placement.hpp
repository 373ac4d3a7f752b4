// Thermal- and Pi-aware placement: which candidate nodes a job may use and
// in which order cons_tres should try them.
//
// Pure: select/pi_cons_tres gives it, per candidate node, the band it reads
// from the node's telemetry (stale or missing data = unknown), the model's
// speed score and whether the job named the node; it gets back, per node,
// whether to leave it out and the low byte of the node's sched_weight.
//
// Slurm orders candidates by sched_weight = Weight << 8 | low byte, lowest
// first. slurm-pi writes only the low byte, so the admin's Weight stays the
// primary key; within one Weight:
//   strict, balanced: cooler bands first (each band's penalty), then within
//                     a band faster models and cooler nodes: the model's
//                     speed (0..7, a Pi 5 2, a Pi 4B 5, a Pi 3B+ 6) plus
//                     one per 10 C from 40 C (0..3), at most 7;
//   any:              faster models first; the band only breaks ties.
// Exclusion: strict leaves out hot and critical nodes, balanced critical
// ones, any none. A node the job named (--nodelist) is never left out, and
// unknown telemetry is never a reason to leave a node out (fail open).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/policy.hpp"
#include "common/telemetry.hpp"
#include "common/thermal.hpp"

namespace slurmpi {

// Penalties of the warm and hot bands (slurm-pi.conf WarmPenalty,
// HotPenalty): how far back a warm or hot node goes behind a cool one.
// 0..kMaxPenalty; hot should exceed warm.
inline constexpr int kMaxPenalty = 30;
struct PlacementPenalties {
	int warm = 2;
	int hot = 8;
};

struct PlacementNode {
	Band band = Band::unknown; // as of now (see scheduling_band)
	double speed = 0;          // speed score (Pi 4B = 1.0); 0 = unknown
	bool required = false;     // named by the job
	// The published temperature (C), when the record has one; unknown
	// counts as 40-50 C.
	std::optional<double> temp_c;
};

struct PlacementResult {
	bool exclude = false;
	std::uint8_t rank = 0xff; // the low byte of sched_weight
};

// The band the scheduler uses for a parsed telemetry record: unknown when
// there is none, or when it is stale at `now` (see is_stale()).
Band scheduling_band(const TelemetryParse &p, std::int64_t now,
		     std::int64_t stale_after);

// How far a node's temperature puts it back within its band: 0 below
// 40 C, then one step per 10 C, 3 from 60 C; unknown (or not finite) 1.
// task/pi publishes when a node moves to another step (common/pipeline),
// so that the controller's order stays current between heartbeats.
int temperature_step(const std::optional<double> &t);

// Whether `policy` leaves out a node in `band` (before `required`).
bool policy_excludes(ThermalPolicy policy, Band band);

// One result per node, in order; `out.size()` must equal `nodes.size()`.
// No allocation, no exceptions.
void place(ThermalPolicy policy, const PlacementPenalties &pen,
	   std::span<const PlacementNode> nodes,
	   std::span<PlacementResult> out) noexcept;

// Why a job waits when its policy left nodes out and cons_tres then found
// no place for it: the text squeue shows as the job's reason, or "" when no
// node was left out (then the wait is cons_tres's own: Resources).
//   candidates     nodes the job could use before the policy (eligible)
//   hot, critical  of those, left out as hot and as critical
//   source         where the policy came from: "--thermal" or
//                  "DefaultThermalPolicy"
// e.g. "slurm-pi: all eligible nodes are hot (--thermal=strict)",
//      "slurm-pi: 2 of 4 eligible nodes left out as hot or critical
//       (--thermal=strict), the rest cannot run the job now".
std::string placement_wait_reason(ThermalPolicy policy, const char *source,
				  int candidates, int hot, int critical);

} // namespace slurmpi
