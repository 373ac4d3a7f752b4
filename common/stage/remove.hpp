// Removing a directory tree (a job's scratch, a half-staged copy) beneath a
// directory fd without ever following a symbolic link: every directory is
// opened with openat(O_NOFOLLOW | O_DIRECTORY) from its parent's fd, every
// entry removed with unlinkat() in its directory. A symbolic link is
// removed as a link; what it points to is never touched, even when it
// names a directory outside. Errors are values, no exceptions.
//
// Robust to entries changing underneath (a job's leftover process still
// writing): an entry gone before it is removed counts as removed; a
// directory that gains entries while emptied is listed again (a few
// times). Directories the owner cannot write or search are given u+rwx
// first (by fchmod on the open fd: only the owner or root can). Other
// file systems mounted beneath are not entered: their mount point stays
// and is reported. Deeper than `max_depth` levels is left and reported.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/stage/error.hpp"

namespace slurmpi::stage {

struct RemoveOptions {
	int max_depth = 128;     // levels below the named directory
	int relist_tries = 3;    // listings of a directory that keeps refilling
	std::size_t max_failures = 50; // kept in RemoveResult::failures
};

struct RemoveResult {
	std::uint64_t removed = 0; // entries removed, the top one included
	// The first failure, kind none when everything went. Its message
	// names the entry and why ("<path>: Permission denied").
	Error error;
	// Every entry that could not be removed, "<path>: <why>", at most
	// max_failures (the rest are counted in failures_dropped).
	std::vector<std::string> failures;
	std::uint64_t failures_dropped = 0;
	bool ok() const { return error.ok(); }
};

// Removes `name` (one component, no '/' or NUL) in the directory `parent_fd`,
// whatever it is: a directory with everything in it, a file, a symbolic
// link (the link only). `shown` is the path that messages name for it,
// e.g. "/var/spool/slurm-pi/scratch/job.42". A `name` that does not exist
// is success with removed == 0.
RemoveResult remove_tree(int parent_fd, std::string_view name, std::string_view shown,
			 const RemoveOptions &options = {});

} // namespace slurmpi::stage
