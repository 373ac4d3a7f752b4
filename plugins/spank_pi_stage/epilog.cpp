// slurm_spank_job_epilog: stage-out and cleanup on every node of the job,
// as root in `slurmstepd spank epilog`, after every process of the job is
// gone: at a normal end, after scancel, after the time limit, after a
// requeue. It always returns 0 (a failing epilog drains the node): what
// went wrong is logged and appended to the job's output file as the user.

#include "plugins/spank_pi_stage/hooks.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>

#include "common/stage/copy.hpp"
#include "common/stage/job.hpp"
#include "common/text.hpp"
#include "common/user_write.hpp"
#include "plugins/spank_pi_stage/node.hpp"
#include "plugins/spank_pi_stage/node_run.hpp"

namespace pistage {

using namespace slurmpi::stage;

namespace {

std::optional<long> env_long(const char *name)
{
	const char *v = std::getenv(name);
	if (!v || !*v)
		return std::nullopt;
	char *end = nullptr;
	errno = 0;
	long n = std::strtol(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return std::nullopt;
	return n;
}

// Tells the user: appended to the job's output file, as the user. Only
// a file that exists is written (on this node's view of it).
void tell_user(const JobInfo &job, const slurmpi::UserCreds &who, const std::string &text)
{
	const char *spec = std::getenv("SLURM_JOB_STDOUT");
	auto path = job_output_path(spec ? spec : "", job.workdir, job.id, job.user, job.node);
	if (!path)
		return;
	std::string why = slurmpi::append_as_user(who, *path, text + "\n", 5000);
	if (!why.empty())
		slurm_debug(PI_STAGE ": job %u: not in the job's output: %s", job.id, why.c_str());
}

} // namespace

int job_epilog(spank_t sp, int ac, char **av)
{
	Request req = request_from_env();
	if (!req.any())
		return 0;
	std::string why;
	auto job = job_info(sp, &why);
	if (!job) {
		slurm_error(PI_STAGE ": epilog: %s; not staging out", why.c_str());
		return 0;
	}
	auto args = node_args(ac, av);
	if (!args) {
		slurm_error(PI_STAGE ": job %u: plugstack.conf arguments are wrong; no stage-out, "
			    "no cleanup", job->id);
		return 0;
	}
	auto state = read_state(job->node, job->id);
	auto base = open_base(args->scratch, &why);
	if (!base) {
		slurm_error(PI_STAGE ": job %u: %s; no stage-out, no cleanup", job->id, why.c_str());
		remove_state(job->node, job->id);
		return 0;
	}
	const std::string scratch = scratch_path(args->scratch, job->id);
	struct stat st;
	const bool have_scratch =
		::fstatat(base->get(), scratch_name(job->id).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		S_ISDIR(st.st_mode) && st.st_uid == job->uid;

	auto creds = user_creds(*job, &why);
	if (!req.out.empty() && creds) {
		auto when = slurmpi::parse_stage_out_when(req.when.empty() ? "always" : req.when);
		if (!when)
			when = slurmpi::StageOutWhen::always; // checked at submit; keep results
		if (!have_scratch || !state) {
			slurm_info(PI_STAGE ": job %u: no stage-out on %s: no stage-in ran here",
				   job->id, job->node.c_str());
		} else if (!state->ok) {
			slurm_info(PI_STAGE ": job %u: no stage-out on %s: stage-in had failed",
				   job->id, job->node.c_str());
		} else {
			JobEnd end;
			end.exit_code = env_long("SLURM_JOB_EXIT_CODE");
			end.derived_ec = env_long("SLURM_JOB_DERIVED_EC");
			if (*when == slurmpi::StageOutWhen::success)
				end.state = job_state(job->id);
			auto places = slurmpi::stage_places(*args);
			places.scratch = scratch;
			auto out = slurmpi::parse_stage_out(req.out, places, "--stage-out");
			if (!out.ok()) {
				std::string m = slurmpi::join(out.errors, "; ");
				slurm_error(PI_STAGE ": job %u: %s", job->id, m.c_str());
				tell_user(*job, *creds, m);
			} else if (!stage_out_allowed(*when, end)) {
				std::string m = PI_STAGE ": stage-out skipped on " + job->node +
						": the job did not succeed (" +
						(end.state.empty() ? "exit code " +
									     std::to_string(end.exit_code.value_or(-1))
								   : end.state) +
						") and --stage-out-when=success";
				slurm_info("%s (job %u)", m.c_str(), job->id);
				tell_user(*job, *creds, m);
			} else {
				StageRun run = run_stage(Direction::out, *args, *job, *creds, out.items,
							 scratch);
				if (run.ok()) {
					std::string m = PI_STAGE ": stage-out on " + job->node + ": " +
							copy_summary(run.result.stats);
					slurm_info("%s (job %u)", m.c_str(), job->id);
					tell_user(*job, *creds, m);
				} else {
					std::string reason = run.message();
					if (!run.result.item.empty() && run.child_error.empty())
						reason = "--stage-out item " +
							 slurmpi::quoted(run.result.item, 256) + ": " + reason;
					std::string m = PI_STAGE ": stage-out failed on " + job->node + ": " +
							reason + "; the job's scratch is removed";
					slurm_error("%s (job %u)", m.c_str(), job->id);
					tell_user(*job, *creds, m);
					if (run.infrastructure() &&
					    args->on_failure == slurmpi::StageOnFailure::drain) {
						std::string e = drain_node(job->node, PI_STAGE ": stage-out: " + reason);
						if (!e.empty())
							slurm_error(PI_STAGE ": job %u: cannot drain %s: %s",
								    job->id, job->node.c_str(), e.c_str());
					}
				}
			}
		}
	} else if (!req.out.empty()) {
		slurm_error(PI_STAGE ": job %u: no stage-out: %s", job->id, why.c_str());
	}
	remove_scratch(base->get(), args->scratch, job->id);
	remove_state(job->node, job->id);
	return 0;
}

} // namespace pistage
