#include "tools/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <pthread.h>
#include <tuple>

#include "common/text.hpp"

extern char **environ;

namespace slurmpi::tool {

namespace {

struct Pipe {
	int fd[2] = {-1, -1};
	bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
	void close_end(int i)
	{
		if (fd[i] >= 0)
			::close(fd[i]);
		fd[i] = -1;
	}
	~Pipe()
	{
		close_end(0);
		close_end(1);
	}
};

} // namespace

CommandResult run_command(const std::vector<std::string> &argv, int timeout_ms,
			  const std::string &input, std::size_t max_output)
{
	CommandResult r;
	if (argv.empty()) {
		r.err = "no command";
		return r;
	}
	Pipe in, out, err;
	if (!in.open() || !out.open() || !err.open()) {
		r.err = "pipe: " + errno_string(errno);
		return r;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, in.fd[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out.fd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err.fd[1], 2);
	// Its own process group, so the deadline kills what it started too;
	// default signal handling (SIGPIPE too) in the child.
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	std::vector<char *> args;
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	pid_t pid = -1;
	int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	in.close_end(0);
	out.close_end(1);
	err.close_end(1);
	if (rc != 0) {
		r.not_found = rc == ENOENT || rc == EACCES;
		r.err = argv[0] + ": " + errno_string(rc);
		return r;
	}
	std::size_t written = 0;
	if (input.empty())
		in.close_end(1);
	else
		::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
	char buf[65536];
	while (out.fd[0] >= 0 || err.fd[0] >= 0) {
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				    deadline - std::chrono::steady_clock::now())
				    .count();
		if (left <= 0) {
			r.timed_out = true;
			break;
		}
		pollfd p[3];
		int n = 0;
		int io = -1, oo = -1, eo = -1;
		if (in.fd[1] >= 0) {
			io = n;
			p[n++] = {in.fd[1], POLLOUT, 0};
		}
		if (out.fd[0] >= 0) {
			oo = n;
			p[n++] = {out.fd[0], POLLIN, 0};
		}
		if (err.fd[0] >= 0) {
			eo = n;
			p[n++] = {err.fd[0], POLLIN, 0};
		}
		int got = ::poll(p, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left, 1000)));
		if (got < 0 && errno != EINTR)
			break;
		if (got <= 0)
			continue;
		if (io >= 0 && p[io].revents) {
			// A child that exits without reading its input must not
			// kill us with SIGPIPE: blocked around the write, and a
			// pending one taken back.
			sigset_t pipe_set, old;
			sigemptyset(&pipe_set);
			sigaddset(&pipe_set, SIGPIPE);
			::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
			ssize_t w = ::write(in.fd[1], input.data() + written, input.size() - written);
			if (w < 0 && errno == EPIPE) {
				timespec zero = {};
				::sigtimedwait(&pipe_set, nullptr, &zero);
				errno = EPIPE;
			}
			int saved = errno;
			::pthread_sigmask(SIG_SETMASK, &old, nullptr);
			errno = saved;
			if (w > 0)
				written += static_cast<std::size_t>(w);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				written = input.size();
			if (written >= input.size())
				in.close_end(1);
		}
		for (auto [idx, pipe, dst] : {std::tuple{oo, &out, &r.out}, std::tuple{eo, &err, &r.err}}) {
			if (idx < 0 || !p[idx].revents)
				continue;
			ssize_t k = ::read(pipe->fd[0], buf, sizeof buf);
			if (k > 0) {
				std::size_t room = dst->size() < max_output ? max_output - dst->size() : 0;
				dst->append(buf, std::min(room, static_cast<std::size_t>(k)));
			} else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
				pipe->close_end(0);
			}
		}
	}
	if (r.timed_out)
		::kill(-pid, SIGKILL);
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!r.timed_out && WIFEXITED(status)) {
		r.status = WEXITSTATUS(status);
		// posix_spawnp reports a missing program as exit 127 from the child
		// where it cannot report the exec's failure itself (qemu-user, whose
		// vfork is a fork); the message then comes from here.
		if (r.status == 127 && r.out.empty()) {
			r.not_found = true;
			if (r.err.empty())
				r.err = argv[0] + ": not found (exit status 127)";
		}
	}
	return r;
}

} // namespace slurmpi::tool
