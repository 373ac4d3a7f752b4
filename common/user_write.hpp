// Writing into a file the job's user named (its output file), from a
// process that runs as root: never as root. A forked child takes the
// user's groups, gid and uid, and only then opens the path; the caller's
// own credentials never change (slurmstepd has other threads).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace slurmpi {

struct UserCreds {
	uid_t uid = 0;
	gid_t gid = 0;
	std::vector<gid_t> groups; // supplementary groups
};

// Appends `text` to the existing file `path` as `who`: in a forked child
// that calls setgroups, setresgid and setresuid (each checked; the child
// then checks it cannot become root again), and opens `path` with
// O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY: it never creates
// the file, never follows a symlink in its last component, and writes only
// into a regular file (anything else, e.g. /dev/null or a FIFO, is left
// alone and reported). The child only makes system calls: everything is
// prepared before fork(). The caller waits at most `timeout_ms` (polling,
// never blocking), then kills the child; a child stuck in the kernel (a
// hung NFS mount) is left behind and said so.
// Returns "" on success, else what failed, naming the path.
std::string append_as_user(const UserCreds &who, const std::string &path,
			   const std::string &text, int timeout_ms);

} // namespace slurmpi
