#include "plugins/spank_pi_stage/node_run.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/stage/child.hpp"
#include "common/stage/copy.hpp"
#include "common/text.hpp"

namespace pistage {

using namespace slurmpi::stage;
using slurmpi::errno_string;

namespace {

using Clock = std::chrono::steady_clock;

// Seconds the plugin gives a child beyond its own deadline to say so,
// before it kills it.
constexpr int kGraceSeconds = 15;

} // namespace

std::function<bool()> job_gone(std::uint32_t job_id)
{
	// First after 3 s: a quick stage never asks.
	auto next_ask = std::make_shared<Clock::time_point>(Clock::now() + std::chrono::seconds(3));
	return [job_id, next_ask]() {
		if (Clock::now() < *next_ask)
			return false;
		*next_ask = Clock::now() + std::chrono::seconds(10);
		std::string s = job_state(job_id);
		return !s.empty() && s != "RUNNING" && s != "PENDING" && s != "CONFIGURING" &&
		       s != "REQUEUED";
	};
}

std::string check_share(const slurmpi::UserCreds &who, const std::vector<std::string> &roots,
			int timeout_s, std::uint32_t job_id, bool *stopped)
{
	ChildOptions o;
	o.timeout_ms = timeout_s * 1000;
	o.should_stop = job_gone(job_id);
	std::string current;
	o.on_line = [&](std::string_view line) {
		if (line.rfind("C ", 0) == 0)
			current = line.substr(2);
	};
	auto body = [&roots](int fd) {
		for (const auto &root : roots) {
			write_all(fd, "C " + root + "\n");
			struct statfs sf;
			if (::statfs(root.c_str(), &sf) != 0) {
				write_all(fd, "F " + root + ": " + errno_string(errno) + "\n");
				return 1;
			}
			DIR *d = ::opendir(root.c_str());
			if (!d) {
				write_all(fd, "F " + root + ": " + errno_string(errno) + "\n");
				return 1;
			}
			errno = 0;
			(void)::readdir(d);
			int e = errno;
			::closedir(d);
			if (e != 0) {
				write_all(fd, "F " + root + ": " + errno_string(e) + "\n");
				return 1;
			}
		}
		write_all(fd, "H ok\n");
		return 0;
	};
	auto out = run_as_user(who, body, o);
	*stopped = out.stopped;
	if (out.stopped)
		return "the job ended (scancel?) during the health check; stopped";
	for (const auto &line : out.lines)
		if (line.rfind("F ", 0) == 0)
			return "shared root " + line.substr(2);
	if (out.timed_out)
		return "shared root " + (current.empty() ? std::string("?") : current) +
		       " did not answer within " + std::to_string(timeout_s) +
		       " s (health-timeout; a hung NFS server?)" +
		       (out.left_behind ? "; the check is stuck in the kernel" : "");
	if (!out.ok())
		return "health check: " + out.error;
	if (out.lines.empty() || out.lines.back() != "H ok")
		return "health check: no answer from the check";
	return "";
}

bool StageRun::infrastructure() const
{
	return !child_error.empty() || is_infrastructure(result.error.kind);
}

std::string StageRun::message() const
{
	if (!child_error.empty())
		return child_error;
	return result.error.message;
}

StageRun run_stage(Direction dir, const slurmpi::StageArgs &args, const JobInfo &job,
		   const slurmpi::UserCreds &who, const std::vector<slurmpi::StageItem> &items,
		   const std::string &scratch)
{
	StageRun run;
	const char *what = dir == Direction::in ? "stage-in" : "stage-out";
	const auto deadline = Clock::now() + std::chrono::seconds(args.copy_timeout);

	RunOptions ro;
	ro.copy.threads = 4;
	ro.copy.deadline = deadline;
	ro.copy.full_note = "node-local disk full: " + args.scratch;
	ro.max_bytes = args.max_size;
	ro.uid = job.uid;
	if (dir == Direction::in && args.cache) {
		CacheConfig c;
		c.base = join_path(args.scratch, ".cache");
		c.max_bytes = args.cache_size;
		ro.cache = c;
	}

	auto body = [&](int fd) {
		RunOptions o = ro;
		o.copy.progress = [fd](const Progress &p) {
			write_all(fd, "P " + progress_line(p) + "\n");
		};
		RunResult r = dir == Direction::in
				      ? run_stage_in(args.roots, items, scratch, o)
				      : run_stage_out(args.roots, items, scratch, job.node,
						      job.nnodes, o);
		write_all(fd, "R " + run_result_to_json(r) + "\n");
		return 0;
	};

	ChildOptions co;
	co.timeout_ms = (args.copy_timeout + kGraceSeconds) * 1000;
	co.on_line = [&](std::string_view line) {
		if (line.rfind("P ", 0) == 0)
			slurm_info(PI_STAGE ": job %u: %s on %s: %s", job.id, what,
				   job.node.c_str(), std::string(line.substr(2)).c_str());
	};
	// scancel does not stop a prolog: ask slurmctld now and then whether
	// the job is still wanted, and stop copying for one that is not.
	if (dir == Direction::in)
		co.should_stop = job_gone(job.id);
	auto out = run_as_user(who, body, co);
	if (out.stopped) {
		run.child_error = "the job ended (scancel?) during " + std::string(what) + "; stopped";
		run.result.error.kind = ErrorKind::cancelled;
		return run;
	}
	if (out.timed_out) {
		run.child_error = std::string(what) + " did not finish within copy-timeout=" +
				  std::to_string(args.copy_timeout) + " s; killed" +
				  (out.left_behind ? " (the copier is stuck in the kernel: a hung share?)"
						   : "");
		return run;
	}
	for (auto it = out.lines.rbegin(); it != out.lines.rend(); ++it) {
		if (it->rfind("R ", 0) != 0)
			continue;
		std::string why;
		auto r = run_result_from_json(std::string_view(*it).substr(2), &why);
		if (!r) {
			run.child_error = std::string(what) + ": unreadable result from the copier: " + why;
			return run;
		}
		run.result = std::move(*r);
		return run;
	}
	run.child_error = std::string(what) + ": the copier gave no result" +
			  (out.error.empty() ? "" : ": " + out.error);
	return run;
}

} // namespace pistage
