// Per-step thermal accounting: what the node's sample ring says about the
// time a job step ran on this node. Pure: task/pi in slurmstepd reads the
// ring at step end and logs and records what this computes.
//
// The per-job record, <SlurmdSpoolDir>/slurm-pi/job_<jobid>.json, holds one
// JSON object per step and node, one a line (JSON lines), appended at step
// end, e.g.
//   {"v":1,"job":42,"step":"0","node":"pi3","start":1795938000,
//    "end":1795938020,"samples":20,"max_c":84.0,"mean_c":61.2,
//    "throttled_pct":35,"throttled_samples":7,"throttle_known_samples":20,
//    "undervoltage":true,"min_mhz":600}
// `step` is the step number, or "batch", "extern", "interactive". Values
// that no sample could tell are null: max_c/mean_c without a temperature,
// throttled_pct when no sample knew the throttled-now bit, undervoltage when
// none knew an under-voltage bit, min_mhz without a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/ring.hpp"

namespace slurmpi {

struct StepStats {
	std::int64_t start = 0, end = 0;
	int samples = 0;          // samples with start <= time <= end
	int temp_samples = 0;     // of those, with a temperature
	std::optional<double> max_c, mean_c;
	// Samples whose source knows the throttled-now bit (bit 2), and of
	// those, the ones with it set. A bit the source cannot tell never
	// counts as throttled.
	int throttle_known_samples = 0;
	int throttled_samples = 0;
	// Under-voltage now or has-occurred, in a sample that knows it;
	// nullopt when no sample knew either bit.
	std::optional<bool> undervoltage;
	std::optional<int> min_mhz;

	// Rounded percentage of throttle_known_samples; nullopt if none.
	std::optional<int> throttled_pct() const;
};

// The statistics of `samples` (any order) taken in [start, end].
StepStats step_stats(const std::vector<RingSample> &samples, std::int64_t start,
		     std::int64_t end);

// The log line's text after "StepId=<id> on <node>: ", e.g.
// "max 84.0C mean 61.2C, throttled 35% of 20 samples, under-voltage seen,
// min 600 MHz". Unknown parts say so ("temperature unknown", "throttling
// unknown", "under-voltage unknown", "clock unknown"); no samples at all
// gives "no samples in the ring for the step's lifetime".
std::string step_stats_text(const StepStats &s);

// One JSON line (no trailing newline) for the per-job record.
// The statistics' fields of a record, "start" .. "min_mhz" in that order,
// added to `j` (temperatures to one decimal, null where no sample could
// tell): the per-job record and the AdminComment summary share them.
void add_step_stats_fields(nlohmann::ordered_json &j, const StepStats &s);

std::string step_stats_json(const StepStats &s, std::uint32_t job_id,
			    const std::string &step, const std::string &node);

// The step name in records and logs: the step number, or "batch",
// "extern", "interactive", "pending" for Slurm's special step ids, with
// "+<component>" for a heterogeneous step component (`het_comp` is
// 0xfffffffe, Slurm's NO_VAL, for none).
std::string step_name(std::uint32_t step_id, std::uint32_t het_comp);

// Append `line` and a newline to <dir>/slurm-pi/job_<job_id>.json (dir:
// SlurmdSpoolDir). Creates slurm-pi/ (0755) and the file (0644) as the
// calling user (root in slurmstepd); never follows a symlink, and refuses a
// directory or file owned by someone else or writable by group or others.
// One write(2) with O_APPEND, so lines of steps ending at once do not mix.
// Returns "" or what failed, naming the path.
std::string append_job_record(const std::string &dir, std::uint32_t job_id,
			      const std::string &line);

// Remove per-job records older than `max_age` seconds: every regular file
// <dir>/slurm-pi/job_<digits>.json whose last change (mtime, the last
// step's append) is before now - max_age. Never follows a symlink, skips
// anything else in the directory, and leaves a directory that is missing,
// a symlink, or not root's alone. Returns how many it removed; *why says
// what failed ("" when nothing did), naming the path.
int prune_job_records(const std::string &dir, std::int64_t now,
		      std::int64_t max_age, std::string *why);

// One line of the per-job record, read back.
struct StepRecord {
	std::string step, node;
	StepStats stats; // temp_samples = samples when max_c is known, else 0
};

// A record line (see above) as written by step_stats_json(); nullopt and
// *why (naming the field) when it is not one: not JSON, wrong version, a
// field missing or of the wrong type, or a value the writer does not
// write: counts that do not add up or beyond 2^30, a temperature beyond
// what the ring holds (int32 millidegrees, about +-2147483.6 C), a mean
// without a maximum, a clock below 1 MHz or beyond an int.
std::optional<StepRecord> parse_step_record(std::string_view line,
					    std::string *why);

// What a node saw over all of one job's steps on it.
struct NodeSummary {
	StepStats stats;
	std::vector<std::string> steps; // every step merged, in start order
};

// Merges a node's step records of one job. Steps nest (the batch step spans
// the job; srun steps on the batch host run inside it): a record whose
// [start, end] lies within another's adds no samples and only its name.
// The others are summed: max of the maxima, min of the minimum clocks,
// under-voltage seen in any, throttled and sample counts added, the mean
// weighted by sample count. Steps that overlap without one containing the
// other (two srun steps at once) count their shared samples twice in the
// mean and the throttled share. Counts that would add up beyond 2^30 (only
// records no ring gives do) are scaled down together, so that the shares
// stay and parse_step_record() still reads the result. No records: no
// samples, no steps.
NodeSummary merge_step_records(std::vector<StepRecord> records);

// step_stats_text() of the merged stats, then the steps, e.g.
// "max 84.0C mean 61.2C, throttled 35% of 20 samples, under-voltage seen,
// min 600 MHz (steps: batch, 0)".
std::string node_summary_text(const NodeSummary &s);

// The records of `job_id` for `node` in <dir>/slurm-pi/job_<job_id>.json
// (bad lines are skipped and counted in *bad). nullopt and *why when the
// file cannot be read; a file that does not exist gives no records.
std::optional<std::vector<StepRecord>>
read_job_records(const std::string &dir, std::uint32_t job_id,
		 const std::string &node, int *bad, std::string *why);

} // namespace slurmpi
