#include "common/stage/child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/text.hpp"

namespace slurmpi::stage {

namespace {

using Clock = std::chrono::steady_clock;

// Exit status of a child that could not become the user; its one line of
// output says why.
constexpr int kCredsFailed = 126;

[[noreturn]] void creds_failed(int fd, const char *what, int err)
{
	// Only async-signal-safe calls before the identity is taken.
	char line[160];
	const char *why = err ? strerrordesc_np(err) : "still privileged";
	std::size_t n = 0;
	for (const char *p = "E cannot "; *p && n < sizeof line - 2; ++p)
		line[n++] = *p;
	for (const char *p = what; *p && n < sizeof line - 2; ++p)
		line[n++] = *p;
	for (const char *p = ": "; *p && n < sizeof line - 2; ++p)
		line[n++] = *p;
	for (const char *p = why ? why : "?"; *p && n < sizeof line - 2; ++p)
		line[n++] = *p;
	line[n++] = '\n';
	ssize_t w = ::write(fd, line, n);
	(void)w;
	_exit(kCredsFailed);
}

[[noreturn]] void child(int fd, const UserCreds &who, const gid_t *groups,
			const std::function<int(int)> &body)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setgroups(who.groups.size(), groups) != 0)
		creds_failed(fd, "take the user's groups", errno);
	if (setresgid(who.gid, who.gid, who.gid) != 0)
		creds_failed(fd, "take the user's gid", errno);
	if (setresuid(who.uid, who.uid, who.uid) != 0)
		creds_failed(fd, "take the user's uid", errno);
	if (getuid() != who.uid || geteuid() != who.uid || getgid() != who.gid ||
	    getegid() != who.gid)
		creds_failed(fd, "take the user's identity", 0);
	if (who.uid != 0 && (setresuid(0, 0, 0) == 0 || seteuid(0) == 0))
		creds_failed(fd, "drop root for good", 0);
	int rc = 1;
	try {
		rc = body(fd);
	} catch (...) {
		write_all(fd, "E internal error in the staging child\n");
		rc = 1;
	}
	_exit(rc);
}

bool reap(pid_t pid, int *status, int ms)
{
	auto end = Clock::now() + std::chrono::milliseconds(ms);
	for (;;) {
		pid_t r = ::waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		if (Clock::now() >= end)
			return false;
		struct timespec ts{0, 5 * 1000 * 1000};
		nanosleep(&ts, nullptr);
	}
}

} // namespace

bool write_all(int fd, std::string_view text)
{
	while (!text.empty()) {
		ssize_t n = ::write(fd, text.data(), text.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		text.remove_prefix(static_cast<std::size_t>(n));
	}
	return true;
}

ChildOutcome run_as_user(const UserCreds &who, const std::function<int(int fd)> &body,
			 const ChildOptions &options)
{
	ChildOutcome out;
	int p[2];
	if (::pipe2(p, O_CLOEXEC) != 0) {
		out.error = "pipe: " + errno_string(errno);
		return out;
	}
	const gid_t *groups = who.groups.empty() ? nullptr : who.groups.data();
	pid_t pid = ::fork();
	if (pid < 0) {
		int e = errno;
		::close(p[0]);
		::close(p[1]);
		out.error = "fork: " + errno_string(e);
		return out;
	}
	if (pid == 0) {
		::close(p[0]);
		child(p[1], who, groups, body);
	}
	::close(p[1]);
	(void)::fcntl(p[0], F_SETFL, O_NONBLOCK);

	const auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
	auto next_poll_stop = Clock::now() + std::chrono::seconds(1);
	std::string pending;
	std::size_t total = 0;
	bool eof = false, overflow = false;
	auto take_lines = [&] {
		std::size_t pos;
		while ((pos = pending.find('\n')) != std::string::npos) {
			std::string line = pending.substr(0, pos);
			pending.erase(0, pos + 1);
			if (options.on_line)
				options.on_line(line);
			out.lines.push_back(std::move(line));
		}
	};
	while (!eof) {
		auto now = Clock::now();
		if (now >= deadline) {
			out.timed_out = true;
			break;
		}
		if (options.should_stop && now >= next_poll_stop) {
			next_poll_stop = now + std::chrono::seconds(1);
			if (options.should_stop()) {
				out.stopped = true;
				break;
			}
		}
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
		int wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 1000));
		struct pollfd pfd{p[0], POLLIN, 0};
		int r = ::poll(&pfd, 1, wait_ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		char buf[8192];
		for (;;) {
			ssize_t n = ::read(p[0], buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break; // EAGAIN: back to poll
			if (n == 0) {
				eof = true;
				break;
			}
			total += static_cast<std::size_t>(n);
			if (total > options.max_output) {
				overflow = true;
				eof = true;
				break;
			}
			pending.append(buf, static_cast<std::size_t>(n));
			take_lines();
		}
	}
	::close(p[0]);
	if (!pending.empty() && !overflow) {
		if (options.on_line)
			options.on_line(pending);
		out.lines.push_back(pending);
	}
	int status = 0;
	if (out.timed_out || out.stopped || overflow) {
		::kill(pid, SIGKILL);
	} else if (!reap(pid, &status, 5000)) {
		// Closed its output but does not exit: do not wait forever.
		::kill(pid, SIGKILL);
		out.timed_out = true;
	} else {
		if (WIFEXITED(status))
			out.exit_code = WEXITSTATUS(status);
		if (out.exit_code == kCredsFailed && !out.lines.empty() &&
		    out.lines.back().rfind("E ", 0) == 0)
			out.error = out.lines.back().substr(2);
		else if (out.exit_code != 0)
			out.error = WIFSIGNALED(status)
					    ? "the staging child was killed by signal " +
						      std::to_string(WTERMSIG(status))
					    : "the staging child exited with status " +
						      std::to_string(out.exit_code);
		return out;
	}
	if (!reap(pid, &status, 2000))
		out.left_behind = true;
	if (overflow)
		out.error = "the staging child wrote more than " +
			    std::to_string(options.max_output) + " bytes; killed";
	else if (out.stopped)
		out.error = "stopped";
	else
		out.error = "did not finish in " + std::to_string(options.timeout_ms / 1000) +
			    " s; killed";
	if (out.left_behind)
		out.error += " (pid " + std::to_string(pid) +
			     " could not be reaped: stuck in the kernel, e.g. on a hung share)";
	return out;
}

} // namespace slurmpi::stage
