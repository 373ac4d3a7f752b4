// One Sampler::sample() pass against what a shell-script monitor does for
// the same files: fork and exec `cat` once per file and wait for it.
//
// Usage: bench_sample [ROOT...]   (default: the pi5 fixture tree and the
// real machine). Target: a pass takes <= 1/100 of the fork path and
// <= 50 us.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "common/fs.hpp"
#include "common/sensors.hpp"

extern char **environ;

using namespace slurmpi;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kTargetRatio = 100.0;
constexpr double kTargetUs = 50.0;

double us_since(Clock::time_point t0, int iterations)
{
	std::chrono::duration<double, std::micro> d = Clock::now() - t0;
	return d.count() / iterations;
}

bool cat_file(const std::string &path)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	// Output to /dev/null: the cheapest a fork path can be.
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char arg0[] = "cat";
	std::string p = path;
	char *argv[] = {arg0, p.data(), nullptr};
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/cat", &fa, nullptr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return false;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void bench_root(const std::string &root)
{
	const int kWarm = 200, kPasses = 20000, kForkPasses = 100;
	Sampler s(root);
	Reading first = s.sample();
	for (int i = 0; i < kWarm; i++)
		s.sample();
	auto t0 = Clock::now();
	for (int i = 0; i < kPasses; i++)
		s.sample();
	double sample_us = us_since(t0, kPasses);

	std::printf("root %s\n", root.empty() ? "/ (this machine)"
					      : root.c_str());
	std::printf("  sample pass: %.2f us (%d passes, %zu values read, "
		    "%zu problems)\n",
		    sample_us, kPasses, first.sources.size(),
		    first.problems.size());

	std::vector<std::string> files;
	for (const std::string &src : first.sources)
		if (!src.empty() && src[0] == '/')
			files.push_back(join_root(root, src));
	if (files.empty()) {
		std::printf("  fork path: skipped, no sensor files here\n");
		std::printf("  target <= %.0f us: %s\n", kTargetUs,
			    sample_us <= kTargetUs ? "met" : "MISSED");
		return;
	}
	for (const std::string &f : files) {
		if (!cat_file(f)) {
			std::printf("  fork path: cat %s failed\n", f.c_str());
			return;
		}
	}
	t0 = Clock::now();
	for (int i = 0; i < kForkPasses; i++)
		for (const std::string &f : files)
			cat_file(f);
	double fork_us = us_since(t0, kForkPasses);
	double ratio = fork_us / sample_us;
	std::printf("  fork path:   %.2f us (%d passes of %zu x posix_spawn "
		    "/bin/cat + wait)\n",
		    fork_us, kForkPasses, files.size());
	std::printf("  ratio fork/sample: %.0fx (target >= %.0fx: %s); "
		    "pass <= %.0f us: %s\n",
		    ratio, kTargetRatio, ratio >= kTargetRatio ? "met" : "MISSED",
		    kTargetUs, sample_us <= kTargetUs ? "met" : "MISSED");
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> roots;
	for (int i = 1; i < argc; i++)
		roots.emplace_back(argv[i]);
	if (roots.empty()) {
#ifdef FIXTURES_DIR
		roots.emplace_back(std::string(FIXTURES_DIR) + "/pi5");
#endif
		roots.emplace_back("");
	}
	for (const std::string &r : roots)
		bench_root(r);
	return 0;
}
