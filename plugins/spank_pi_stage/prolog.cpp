// slurm_spank_job_prolog: stage-in on every node of the job, as root in
// `slurmstepd spank prolog`, before any step (PrologFlags=Alloc,DeferBatch;
// see docs/staging-slurm-notes.md). It never returns an error for
// anything a user did: a failing prolog drains the node. The outcome goes
// into the node's state record, which the job's steps read
// (task.cpp): a failed stage-in fails every step on the node with its
// reason, in the job's output; a good one prints its summary there.

#include "plugins/spank_pi_stage/hooks.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "common/stage/cache.hpp"
#include "common/stage/copy.hpp"
#include "common/stage/job.hpp"
#include "common/text.hpp"
#include "plugins/spank_pi_stage/node.hpp"
#include "plugins/spank_pi_stage/node_run.hpp"

namespace pistage {

using namespace slurmpi::stage;
using slurmpi::StageArgs;
using slurmpi::StageOnFailure;

namespace {

// Records a failed stage-in and carries out what the admin chose for
// failures of the node or the share. Returns the prolog's return code:
// 0 unless even the failure could not be recorded (then the steps would
// run without their input: fail the prolog, which drains the node).
int fail(const JobInfo &job, const std::string &reason, bool infrastructure,
	 StageOnFailure on_failure)
{
	std::string line = PI_STAGE ": stage-in failed on " + job.node + ": " + reason;
	FailureAction action = failure_action(infrastructure, on_failure, job.restart_count);
	std::string note;
	if (action == FailureAction::drain_requeue) {
		std::string why = drain_node(job.node, PI_STAGE ": " + reason);
		if (!why.empty())
			slurm_error(PI_STAGE ": job %u: cannot drain %s: %s", job.id,
				    job.node.c_str(), why.c_str());
		else
			note = "node " + job.node + " drained; ";
	}
	if (action == FailureAction::requeue || action == FailureAction::drain_requeue) {
		std::string why = requeue_job(job.id);
		if (why.empty())
			note += "job requeued";
		else
			note += "requeue refused (" + why + "), so the job fails";
	} else if (infrastructure) {
		note = "on-failure=" + std::string(slurmpi::to_string(on_failure)) +
		       (action == FailureAction::fail && on_failure != StageOnFailure::fail
				? " (after " + std::to_string(job.restart_count) +
					  " requeues the job fails)"
				: "");
	}
	slurm_error(PI_STAGE ": job %u: stage-in failed on %s (%s): %s%s%s", job.id,
		    job.node.c_str(), infrastructure ? "node or share" : "user error",
		    reason.c_str(), note.empty() ? "" : "; ", note.c_str());
	StageState st;
	st.ok = false;
	st.lines.push_back(line);
	if (!infrastructure)
		st.lines.push_back(PI_STAGE ": the job fails; node " + job.node + " stays up");
	std::string why = write_state(job.node, job.id, st);
	if (!why.empty()) {
		slurm_error(PI_STAGE ": job %u: cannot record the failure (%s); failing the "
			    "prolog so that no step runs without its input",
			    job.id, why.c_str());
		return -1;
	}
	return 0;
}

// The job ended (scancel) while the prolog worked for it: nothing to act
// on; the epilog removes the scratch.
int job_ended(const JobInfo &job)
{
	slurm_info(PI_STAGE ": job %u: stage-in on %s stopped: the job ended", job.id,
		   job.node.c_str());
	StageState gone{false, {PI_STAGE ": stage-in stopped on " + job.node + ": the job ended"}};
	(void)write_state(job.node, job.id, gone);
	return 0;
}

std::vector<std::string> roots_used(const StageArgs &args, const std::vector<slurmpi::StageItem> &items,
				    bool in)
{
	std::vector<std::string> used;
	for (const auto &root : args.roots)
		for (const auto &it : items)
			if (slurmpi::lexically_within(in ? it.src : it.dst, root)) {
				used.push_back(root);
				break;
			}
	return used;
}

} // namespace

int job_prolog(spank_t sp, int ac, char **av)
{
	Request req = request_from_env();
	if (!req.any())
		return 0;
	std::string why;
	auto job = job_info(sp, &why);
	if (!job) {
		slurm_error(PI_STAGE ": prolog: %s; not staging", why.c_str());
		return 0;
	}
	auto args = node_args(ac, av);
	if (!args)
		return fail(*job, "spank_pi_stage's arguments in plugstack.conf are wrong "
				  "(see the slurmd log)", true, StageOnFailure::fail);
	auto creds = user_creds(*job, &why);
	if (!creds)
		return fail(*job, why, true, args->on_failure);

	auto base = open_base(args->scratch, &why);
	if (!base)
		return fail(*job, why, true, args->on_failure);
	if (std::string e = make_scratch(base->get(), args->scratch, *job); !e.empty())
		return fail(*job, "scratch: " + e, true, args->on_failure);
	const std::string scratch = scratch_path(args->scratch, job->id);

	// The lists again, against this job's scratch: the values came
	// through the job's environment, which the user controls.
	auto places = slurmpi::stage_places(*args);
	places.scratch = scratch;
	slurmpi::StageList in, out;
	if (!req.in.empty())
		in = slurmpi::parse_stage_in(req.in, places, "--stage-in");
	if (!req.out.empty())
		out = slurmpi::parse_stage_out(req.out, places, "--stage-out");
	if (!in.ok())
		return fail(*job, slurmpi::join(in.errors, "; "), false, args->on_failure);
	if (!out.ok())
		return fail(*job, slurmpi::join(out.errors, "; "), false, args->on_failure);

	if (args->health_check) {
		std::vector<std::string> roots = roots_used(*args, in.items, true);
		for (const auto &r : roots_used(*args, out.items, false))
			if (std::find(roots.begin(), roots.end(), r) == roots.end())
				roots.push_back(r);
		bool stopped = false;
		std::string e = check_share(*creds, roots, args->health_timeout, job->id, &stopped);
		if (stopped)
			return job_ended(*job);
		if (!e.empty())
			return fail(*job, e, true, args->on_failure);
	}

	StageState st;
	if (!in.items.empty()) {
		if (args->cache) {
			std::string cache_base = join_path(args->scratch, ".cache");
			if (std::string e = prepare_user_dir(cache_base, job->uid, job->gid); !e.empty())
				slurm_error(PI_STAGE ": job %u: cache %s not usable (%s); staging without it",
					    job->id, cache_base.c_str(), e.c_str());
		}
		slurm_info(PI_STAGE ": job %u: stage-in on %s: %zu item%s into %s", job->id,
			   job->node.c_str(), in.items.size(), in.items.size() == 1 ? "" : "s",
			   scratch.c_str());
		StageRun run = run_stage(Direction::in, *args, *job, *creds, in.items, scratch);
		if (run.result.error.kind == ErrorKind::cancelled)
			return job_ended(*job);
		if (!run.ok()) {
			std::string reason = run.message();
			if (!run.result.item.empty() && run.child_error.empty())
				reason = "--stage-in item " + slurmpi::quoted(run.result.item, 256) +
					 ": " + reason;
			return fail(*job, reason, run.infrastructure(), args->on_failure);
		}
		std::string summary = "stage-in on " + job->node + ": " +
				      copy_summary(run.result.stats) + " into " + scratch;
		st.lines.push_back(PI_STAGE ": " + summary);
		if (args->cache && run.result.cache_note.empty())
			st.lines.push_back(PI_STAGE ": " + describe(run.result.cache));
		else if (!run.result.cache_note.empty())
			st.lines.push_back(PI_STAGE ": cache not used: " + run.result.cache_note);
		slurm_info(PI_STAGE ": job %u: %s; %s", job->id, summary.c_str(),
			   describe(run.result.cache).c_str());
		for (const auto &w : run.result.warnings)
			slurm_info(PI_STAGE ": job %u: warning: %s", job->id, w.c_str());
		if (args->cache) {
			auto t = trim(join_path(args->scratch, ".cache"), args->cache_size);
			if (t.evicted > 0 || !t.error.empty())
				slurm_info(PI_STAGE ": cache trimmed: %llu entries (%llu bytes) evicted, "
					   "%llu bytes kept%s%s",
					   (unsigned long long)t.evicted,
					   (unsigned long long)t.bytes_evicted,
					   (unsigned long long)t.bytes_after,
					   t.error.empty() ? "" : "; ", t.error.c_str());
		}
	}
	if (std::string e = write_state(job->node, job->id, st); !e.empty())
		slurm_error(PI_STAGE ": job %u: cannot record the stage-in: %s", job->id, e.c_str());
	return 0;
}

} // namespace pistage
