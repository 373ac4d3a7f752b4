// One node's stage-in or stage-out of a job: the checked lists of
// common/stage/spec.hpp carried out with the copy engine (copy.hpp) and,
// for stage-in, the node-local cache (cache.hpp). spank_pi_stage calls
// these in a forked child that already runs as the job's user (uid, gid,
// supplementary groups); nothing here changes credentials or forks.
//
// Stage-in: every item's SRC (absolute, inside one of the roots) is
// resolved beneath its root (the longest root that contains it) and copied
// to DST (relative) beneath the job's scratch directory. Regular files go
// through the user's cache when one is configured: a hit is placed without
// reading the share, a miss fills the cache and is then placed.
//
// Stage-out: every item's SRC (relative to scratch, "." the scratch itself)
// is copied to stage_out_destination(item, node, nnodes) beneath its root,
// merging into what is there (existing directories reused, files
// replaced), so a rerun of a job overwrites its own earlier results.
//
// The items run in order; the first failure stops the run. The size limit
// counts all items of the run together. Errors are values.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stage/cache.hpp"
#include "common/stage/copy.hpp"
#include "common/stage/error.hpp"
#include "common/stage/spec.hpp"

namespace slurmpi::stage {

struct RunOptions {
	// Threads, deadline, cancel, progress, ... of every copy. Its
	// max_bytes is ignored: max_bytes below is the run's.
	CopyOptions copy;
	// Most bytes all items together may copy; 0 = no limit.
	std::uint64_t max_bytes = 0;
	// Stage-in only: the user's cache, when set. Opened with
	// UserCache::open(*cache, uid, ...); when that fails the run goes on
	// without it and says why in RunResult::cache_note.
	std::optional<CacheConfig> cache;
	uid_t uid = 0;
};

struct RunResult {
	Error error;          // the first failure; kind none on success
	std::string item;     // the failing item's SRC as the user wrote it
	CopyStats stats;      // all items together, also on error
	CacheStats cache;     // stage-in with a cache: hits, misses, bytes saved
	std::string cache_note; // why the cache was not used ("" if it was, or none set)
	std::vector<std::string> warnings;
	std::uint64_t warnings_dropped = 0;
	bool ok() const { return error.ok(); }
};

RunResult run_stage_in(const std::vector<std::string> &roots,
		       const std::vector<StageItem> &items, const std::string &scratch,
		       const RunOptions &options);

RunResult run_stage_out(const std::vector<std::string> &roots,
			const std::vector<StageItem> &items, const std::string &scratch,
			std::string_view node, std::uint32_t nnodes,
			const RunOptions &options);

// The result as one line of JSON and back, for the pipe from the child
// (which runs as the user) to the plugin (root): the reader treats it as
// hostile (bounded size and depth, every field checked; nullopt and `why`
// on anything unexpected).
std::string run_result_to_json(const RunResult &r);
std::optional<RunResult> run_result_from_json(std::string_view text, std::string *why);

} // namespace slurmpi::stage
