// Running part of spank_pi_stage as the job's user: a forked child takes
// the user's supplementary groups, gid and uid (each checked, and checked
// that it cannot become root again), then runs a function that writes
// lines to a pipe; the caller (root, in slurmstepd's prolog or epilog)
// reads them as they come, with a deadline, and kills the child when it
// passes. The child dies with its parent (PR_SET_PDEATHSIG), so a prolog
// killed by slurmd leaves no copier behind.
//
// The child is a plain fork of the caller: it may allocate and start
// threads (the copy engine does), which relies on glibc's malloc being
// usable after fork(); slurmstepd's prolog process has no threads holding
// locks at that point. It never calls back into Slurm.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/user_write.hpp"

namespace slurmpi::stage {

struct ChildOptions {
	// How long the child may run in all, in milliseconds.
	int timeout_ms = 10000;
	// Most bytes of output kept; a child that writes more is killed.
	std::size_t max_output = 1 << 20;
	// Called with each complete line as it arrives (without the '\n').
	std::function<void(std::string_view line)> on_line;
	// Polled about once a second: true kills the child (stopped).
	std::function<bool()> should_stop;
};

struct ChildOutcome {
	std::vector<std::string> lines; // everything the child wrote, by line
	bool timed_out = false;         // killed at the deadline
	bool stopped = false;           // killed because should_stop said so
	bool left_behind = false;       // could not be reaped after SIGKILL
	int exit_code = -1;             // the child's exit status, -1 if killed
	std::string error;              // "" when the child ran and exited 0
	bool ok() const { return error.empty(); }
};

// Runs `body(fd)` in a child as `who`; `body` writes its output to `fd`
// (a pipe) and returns the child's exit status. A child that cannot take
// the user's identity exits 126 without running `body`, and `error` says
// which step failed.
ChildOutcome run_as_user(const UserCreds &who, const std::function<int(int fd)> &body,
			 const ChildOptions &options);

// Writes all of `text` to `fd` (EINTR retried); false on error.
bool write_all(int fd, std::string_view text);

} // namespace slurmpi::stage
