// task/pi: the node side of slurm-pi, loaded by slurmd and every slurmstepd
// with TaskPlugin=task/affinity,task/pi (22.05 runs them in that order;
// 24.11 sorts the list and runs task/pi first: it binds nothing, so either
// order works).
//
// In slurmd: identifies the Pi at load (logged so an admin sees what each
// node is) and runs the telemetry sampler (agent.cpp): sensors every
// PollInterval, the record in the node's Extra, drain and resume on
// critical; and keeps the node's sample ring (common/ring.hpp). In every
// step: gives each task SLURM_PI_MODEL, so a job can tell which Pi it runs
// on, and at step end (slurmstepd, as root) logs the step's thermal
// accounting from the ring and appends it to the per-job record
// <SlurmdSpoolDir>/slurm-pi/job_<jobid>.json (format: common/step_stats.hpp);
// for a job that asked for --thermal-report it then shares the node's
// summary and, at the end of the batch step, writes the report (report.cpp).

#include "pi_slurm_node.h"

extern "C" {
// The configuration of slurmd, or of slurmstepd (which gets slurmd's, with
// SlurmdSpoolDir's %n/%h expanded). Weak: see agent.cpp.
extern slurmd_conf_t *conf __attribute__((weak));
}

#include <ctime>

#include <exception>
#include <string>

#include "common/board_detect.hpp"
#include "common/ring.hpp"
#include "common/step_stats.hpp"
#include "plugins/task_pi/agent.hpp"
#include "plugins/task_pi/report.hpp"

#define PI_TASK "task/pi"

extern "C" {
extern const char plugin_name[] = "Raspberry Pi telemetry and accounting (slurm-pi)";
extern const char plugin_type[] = PI_TASK;
extern const uint32_t plugin_version = SLURM_VERSION_NUMBER;
}

namespace {

// Identified once per process at init: the board cannot change under a
// running daemon, and pre_launch runs in every task where I/O would be
// repeated. Empty when this is not a Pi.
std::string g_model;
// What the record says about this board (slurmd).
slurmpi::NodeFacts g_facts;

void identify()
{
	slurmpi::PiIdentity id = slurmpi::detect_pi("");
	bool in_slurmd = running_in_slurmd();
	if (!id.is_pi || !id.model) {
		g_model.clear();
		if (in_slurmd)
			info(PI_TASK ": loaded; %s%s", slurmpi::describe_board(id).c_str(),
			     id.is_pi ? ": model unknown, SLURM_PI_MODEL not set" : "");
		return;
	}
	g_model = id.dt_model.empty() ? std::string(id.model->name) : id.dt_model;
	g_facts.model = std::string(id.model->key);
	if (id.revision.valid && id.revision.mem_mb)
		g_facts.mem_mb = static_cast<int>(id.revision.mem_mb);
	if (in_slurmd) {
		info(PI_TASK ": loaded on a %s", slurmpi::describe_board(id).c_str());
		for (const std::string &p : id.problems)
			info(PI_TASK ": board identification: %s", p.c_str());
	} else {
		debug(PI_TASK ": loaded on a %s", slurmpi::describe_board(id).c_str());
	}
}

// When this slurmstepd's step started (task_p_pre_setuid, before any task
// runs); 0 if that hook never ran.
time_t g_step_start = 0;

// Per-step thermal accounting, in slurmstepd at step end. Sets *spool_out
// and *node_out when they are known (the report needs them even when this
// step could not be accounted).
void account_step(stepd_step_rec_t *job, std::string *spool_out, std::string *node_out)
{
	std::string id = std::to_string(job->step_id.job_id) + "." +
			 slurmpi::step_name(job->step_id.step_id,
					    job->step_id.step_het_comp);
	std::string node = job->node_name ? job->node_name : "";
	std::string spool;
	if (&conf && conf) {
		if (conf->spooldir)
			spool = conf->spooldir;
		if (node.empty() && conf->node_name)
			node = conf->node_name;
	}
	if (spool.empty()) {
		error(PI_TASK ": StepId=%s: no SlurmdSpoolDir known; no thermal accounting",
		      id.c_str());
		return;
	}
	*spool_out = spool;
	*node_out = node;
	if (!g_step_start) {
		verbose(PI_TASK ": StepId=%s on %s: start time not recorded; no thermal accounting",
			id.c_str(), node.c_str());
		return;
	}
	time_t end = std::time(nullptr);
	std::string path = spool + "/" + slurmpi::kRingFileName;
	slurmpi::RingRead rd = slurmpi::read_ring(path, g_step_start, end);
	if (!rd.ok) {
		error(PI_TASK ": StepId=%s on %s: no thermal accounting: %s",
		      id.c_str(), node.c_str(), rd.error.c_str());
		return;
	}
	if (rd.torn)
		debug(PI_TASK ": StepId=%s: %u ring slots were being written; skipped",
		      id.c_str(), rd.torn);
	slurmpi::StepStats st = slurmpi::step_stats(rd.samples, g_step_start, end);
	info(PI_TASK ": StepId=%s on %s: %s", id.c_str(), node.c_str(),
	     slurmpi::step_stats_text(st).c_str());
	std::string why = slurmpi::append_job_record(
		spool, job->step_id.job_id,
		slurmpi::step_stats_json(st, job->step_id.job_id,
					 slurmpi::step_name(job->step_id.step_id,
							    job->step_id.step_het_comp),
					 node));
	if (!why.empty())
		error(PI_TASK ": StepId=%s: per-job record not written: %s",
		      id.c_str(), why.c_str());
}

taskpi::ReportStep report_step(stepd_step_rec_t *job, const std::string &spool,
			       const std::string &node)
{
	taskpi::ReportStep r;
	r.job_id = job->step_id.job_id;
	r.id = std::to_string(job->step_id.job_id) + "." +
	       slurmpi::step_name(job->step_id.step_id, job->step_id.step_het_comp);
	r.node = node;
	r.spool = spool;
	r.batch = job->batch && job->step_id.step_id == SLURM_BATCH_SCRIPT;
	r.user.uid = job->uid;
	r.user.gid = job->gid;
	for (int i = 0; job->gids && i < job->ngids; ++i)
		r.user.groups.push_back(job->gids[i]);
	if (r.batch && job->node_tasks >= 1 && job->task && job->task[0] &&
	    job->task[0]->ofname)
		r.output = job->task[0]->ofname;
	return r;
}

} // namespace

extern "C" int init(void)
{
	try {
		identify();
	} catch (const std::exception &e) {
		error(PI_TASK ": board identification failed: %s", e.what());
	} catch (...) {
		error(PI_TASK ": board identification failed");
	}
	// Not a Pi, or not identified: still sample what can be read (a
	// record with band unknown tells the controller so).
	if (running_in_slurmd())
		taskpi::agent_init(g_facts);
	// A failure to identify the board must not stop slurmd: run without it.
	return SLURM_SUCCESS;
}

extern "C" int fini(void)
{
	if (running_in_slurmd())
		taskpi::agent_fini();
	return SLURM_SUCCESS;
}

// The hooks every supported Slurm has. Those only one release has are in
// plugins/slurm-<version>/task_hooks.cpp.

extern "C" int task_p_slurmd_batch_request(batch_job_launch_msg_t *)
{
	return SLURM_SUCCESS;
}

extern "C" int task_p_slurmd_launch_request(launch_tasks_request_msg_t *,
					    uint32_t, char **)
{
	return SLURM_SUCCESS;
}

// slurmstepd, as root, before the step's tasks start (batch and srun steps
// in _fork_all_tasks, the extern step in _spawn_job_container).
extern "C" int task_p_pre_setuid(stepd_step_rec_t *)
{
	g_step_start = std::time(nullptr);
	return SLURM_SUCCESS;
}

// Runs in the forked task after setuid, just before exec: job->env is this
// task's private copy.
extern "C" int task_p_pre_launch(stepd_step_rec_t *job)
{
	if (!g_model.empty())
		env_array_overwrite(&job->env, "SLURM_PI_MODEL", g_model.c_str());
	return SLURM_SUCCESS;
}

extern "C" int task_p_post_term(stepd_step_rec_t *, stepd_step_task_info_t *)
{
	return SLURM_SUCCESS;
}

// slurmstepd, as root, once the step's tasks are gone (job_manager() for
// batch and srun steps, _spawn_job_container() for the extern step).
// Accounting fails open: it never fails the step.
extern "C" int task_p_post_step(stepd_step_rec_t *job)
{
	try {
		if (job && running_in_slurmstepd()) {
			std::string spool, node;
			account_step(job, &spool, &node);
			// The extern step ends after the job has (its AdminComment
			// can no longer change, its output is complete): its
			// record is kept, nothing more.
			if (!spool.empty() && !node.empty() &&
			    job->step_id.step_id != SLURM_EXTERN_CONT &&
			    taskpi::report_wanted(getenvp(job->env, "SLURM_PI_THERMAL_REPORT")))
				taskpi::thermal_report(report_step(job, spool, node));
		}
	} catch (const std::exception &e) {
		error(PI_TASK ": thermal accounting failed: %s", e.what());
	} catch (...) {
		error(PI_TASK ": thermal accounting failed");
	}
	return SLURM_SUCCESS;
}

extern "C" int task_p_add_pid(pid_t)
{
	return SLURM_SUCCESS;
}
