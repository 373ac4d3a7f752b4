#include "common/user_write.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.hpp"
#include "common/text.hpp"

namespace slurmpi {

namespace {

// What the child reports through its pipe.
enum Stage : int {
	kDone = 0,
	kSetgroups,
	kSetgid,
	kSetuid,
	kStillPrivileged,
	kOpen,
	kStat,
	kNotRegular,
	kWrite,
};

struct ChildResult {
	int stage;
	int err;
};

[[noreturn]] void child_exit(int fd, int stage, int err)
{
	ChildResult r{stage, err};
	ssize_t n = write(fd, &r, sizeof r);
	(void)n;
	_exit(stage == kDone ? 0 : 1);
}

// Only async-signal-safe calls from here: the parent may have had other
// threads holding locks (malloc's among them) at fork().
[[noreturn]] void child(int fd, uid_t uid, gid_t gid, const gid_t *groups,
			std::size_t ngroups, const char *path, const char *data,
			std::size_t size)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setgroups(ngroups, groups) != 0)
		child_exit(fd, kSetgroups, errno);
	if (setresgid(gid, gid, gid) != 0)
		child_exit(fd, kSetgid, errno);
	if (setresuid(uid, uid, uid) != 0)
		child_exit(fd, kSetuid, errno);
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		child_exit(fd, kStillPrivileged, 0);
	if (uid != 0 && (setresuid(0, 0, 0) == 0 || seteuid(0) == 0))
		child_exit(fd, kStillPrivileged, 0);
	int out = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				     O_CLOEXEC);
	if (out < 0)
		child_exit(fd, kOpen, errno);
	struct stat st;
	if (fstat(out, &st) != 0)
		child_exit(fd, kStat, errno);
	if (!S_ISREG(st.st_mode))
		child_exit(fd, kNotRegular, 0);
	while (size > 0) {
		ssize_t n = write(out, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			child_exit(fd, kWrite, n < 0 ? errno : EIO);
		data += n;
		size -= static_cast<std::size_t>(n);
	}
	if (close(out) != 0)
		child_exit(fd, kWrite, errno);
	child_exit(fd, kDone, 0);
}

std::string describe(const ChildResult &r, uid_t uid)
{
	std::string id = "uid " + std::to_string(uid);
	switch (r.stage) {
	case kDone: return "";
	case kSetgroups: return "cannot take the user's groups: " + errno_string(r.err);
	case kSetgid: return "cannot take the user's gid: " + errno_string(r.err);
	case kSetuid: return "cannot become " + id + ": " + errno_string(r.err);
	case kStillPrivileged: return "still privileged after becoming " + id + "; not written";
	case kOpen:
		if (r.err == ELOOP)
			return "is a symbolic link; not followed";
		return "cannot open as " + id + ": " + errno_string(r.err);
	case kStat: return errno_string(r.err);
	case kNotRegular: return "not a regular file; not written";
	case kWrite: return "write as " + id + ": " + errno_string(r.err);
	}
	return "unexpected result from the writer";
}

void sleep_ms(int ms)
{
	struct timespec ts{ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

// Reaps `pid` within `ms`; true when it was.
bool reap(pid_t pid, int ms, int *status)
{
	for (int waited = 0;; waited += 5) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return true; // not ours any more: nothing to wait for
		if (waited >= ms)
			return false;
		sleep_ms(5);
	}
}

} // namespace

std::string append_as_user(const UserCreds &who, const std::string &path,
			   const std::string &text, int timeout_ms)
{
	if (path.empty() || path[0] != '/')
		return quoted(path, 256) + ": not an absolute path; not written";
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return quoted(path, 256) + ": pipe: " + errno_string(errno);
	const gid_t *groups = who.groups.empty() ? nullptr : who.groups.data();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return quoted(path, 256) + ": fork: " + errno_string(e);
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], who.uid, who.gid, groups, who.groups.size(), path.c_str(),
		      text.data(), text.size());
	}
	close(p[1]);
	int status = 0;
	std::string why;
	if (!reap(pid, timeout_ms, &status)) {
		kill(pid, SIGKILL);
		if (!reap(pid, 1000, &status)) {
			close(p[0]);
			return quoted(path, 256) + ": the writer (pid " + std::to_string(pid) +
			       ") did not finish in " + std::to_string(timeout_ms) +
			       " ms and cannot be killed (stuck in the kernel?); left behind";
		}
		close(p[0]);
		return quoted(path, 256) + ": the writer did not finish in " +
		       std::to_string(timeout_ms) + " ms; killed";
	}
	ChildResult r{-1, 0};
	ssize_t n = read(p[0], &r, sizeof r);
	close(p[0]);
	if (n != static_cast<ssize_t>(sizeof r))
		return quoted(path, 256) + ": the writer ended without a result (status " +
		       std::to_string(status) + ")";
	why = describe(r, who.uid);
	return why.empty() ? why : quoted(path, 256) + ": " + why;
}

} // namespace slurmpi
