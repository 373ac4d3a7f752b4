// Running a program for `slurm-pi doctor` (timedatectl, munge, srun...):
// argv as given (no shell), stdin from a string, stdout and stderr
// captured up to a bound, and a deadline after which the program and its
// process group are killed. Never hangs the caller.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace slurmpi::tool {

struct CommandResult {
	// The exit status when it exited; -1 otherwise (killed, not started).
	int status = -1;
	bool not_found = false; // argv[0] could not be executed (ENOENT, EACCES)
	bool timed_out = false; // killed at the deadline
	std::string out;        // stdout, at most max_output bytes
	std::string err;        // stderr, at most max_output bytes; or why it did not start
	bool ok() const { return status == 0; }
};

// Runs argv[0] (searched in PATH when it has no '/') with argv, feeding
// `input` on stdin, for at most `timeout_ms`. Output beyond `max_output`
// bytes per stream is read and dropped.
CommandResult run_command(const std::vector<std::string> &argv, int timeout_ms,
			  const std::string &input = "", std::size_t max_output = 1 << 20);

} // namespace slurmpi::tool
