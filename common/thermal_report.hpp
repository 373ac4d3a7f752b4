// --thermal-report: each node's thermal summary of a job, shared through
// the job's AdminComment in slurmctld, and the report written at the end of
// a batch job. Pure except for publish_summary(), which talks to slurmctld
// only through the JobComment it is given.
//
// AdminComment holds one JSON object; slurm-pi's part is the key
// "pi_thermal", every other top-level key is the site's and kept:
//   {"pi_thermal":{"v":1,"nodes":{"pi1":{"steps":["batch","0"],
//     "start":1795938000,"end":1795938020,"samples":20,"max_c":84.0,
//     "mean_c":61.2,"throttled_pct":35,"throttled_samples":7,
//     "throttle_known_samples":20,"undervoltage":true,"min_mhz":600}}}}
// Fields as in the per-job record (common/step_stats.hpp); null where no
// sample could tell. An AdminComment that is not a JSON object (an
// admin's text) is never overwritten.
//
// Limit. nlohmann copies and writes JSON recursively, once per nesting
// level, and an admin may set AdminComment to anything: one that nests
// more than kAdminCommentMaxDepth levels of [ and { (slurm-pi's part is 5
// deep) is not parsed but treated as not slurm-pi's to change.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/step_stats.hpp"

namespace slurmpi {

inline constexpr int kAdminCommentMaxDepth = 32;

// The entry of one node (the object under "nodes").
std::string node_summary_json(const NodeSummary &s);

struct CommentMerge {
	bool ok = false;
	std::string text;   // the new AdminComment when ok
	std::string reason; // why not, when !ok
};

// `current` with `node`'s entry set to `s`. An existing entry for the node
// that already covers more steps (a later step of the same node that
// published first) is kept. Fails, saying why, when `current` is neither
// empty nor a JSON object, its "pi_thermal" is not an object (with an
// object "nodes"), or it nests deeper than kAdminCommentMaxDepth.
CommentMerge merge_admin_comment(std::string_view current, const std::string &node,
				 const NodeSummary &s);

struct CommentRead {
	std::map<std::string, NodeSummary> nodes;
	std::vector<std::string> problems; // e.g. an entry that is not one
};

// The node entries in an AdminComment; none (and no problem) when it has
// no "pi_thermal" key or is empty; none and one problem when merging into
// it would fail.
CommentRead read_admin_comment(std::string_view current);

// Whether `current` holds `node`'s entry with at least `s`'s steps.
bool admin_comment_has(std::string_view current, const std::string &node,
		       const NodeSummary &s);

// The lines a --thermal-report job finds at the end of its output:
//   slurm-pi thermal report for job 42 (2 nodes):
//   pi1: max 45.0C mean 45.0C, throttled 0% of 12 samples, no under-voltage, min 600 MHz (steps batch, 0)
//   pi2: unknown: no summary from this node ...
// One line per node of `job_nodes` (in that order), then any other node
// that has an entry; each ends with "\n".
std::string report_text(std::uint32_t job_id, const std::vector<std::string> &job_nodes,
			const std::map<std::string, NodeSummary> &nodes);

// The job's AdminComment as publish_summary() reaches it: read returns the
// current text (nullopt and *why when slurmctld cannot be asked), write
// replaces it. sleep_ms waits; now_ms is a monotonic clock.
struct JobComment {
	std::function<std::optional<std::string>(std::string *why)> read;
	std::function<bool(const std::string &text, std::string *why)> write;
	std::function<void(int ms)> sleep_ms;
	std::function<std::int64_t()> now_ms;
	std::function<int(int below)> random; // uniform in [0, below)
};

struct PublishResult {
	bool ok = false;
	int writes = 0;          // AdminComment updates sent
	std::string error;       // why not, when !ok
	std::string last_text;   // the AdminComment last read
};

// Puts `node`'s entry into the job's AdminComment and makes sure it stays.
// Nodes of a job publish at the same moment (every node of a step ends it
// at once), and AdminComment has only read and replace, so two nodes may
// both read, merge and write, and the later write drops the other's entry.
// So each writer reads again after a settle time and writes again if its
// entry is gone; the settle time (at least settle_ms) is twice the longest
// read-to-write time this writer has seen, so that a write based on a read
// from before ours lands before we look again. Each try starts after a
// random pause, which spreads the writers. Gives up after budget_ms, or at
// once when slurmctld cannot be asked or the AdminComment is not ours to
// change. A writer that stalls longer than any other's settle time between
// its read and its write can still drop an entry: publish_summary() cannot
// see that; the report then says that node's summary is missing.
PublishResult publish_summary(const JobComment &c, const std::string &node,
			      const NodeSummary &s, int settle_ms, int budget_ms);

} // namespace slurmpi
