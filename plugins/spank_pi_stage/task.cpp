// slurmstepd (remote context): what a job's steps see of staging.
//   user_init:             SLURM_PI_SCRATCH, when the job has a scratch
//                          directory on this node
//   task_init_privileged:  a failed stage-in on this node fails the task
//                          (the message goes to the job's or srun's
//                          stderr; the node stays up)
//   task_init:             the batch script's first task prints the
//                          stage-in summary to its stderr
// user_init never fails: a failing user_init drains a batch job's node.

#include "plugins/spank_pi_stage/hooks.hpp"

extern "C" {
#include <slurm/slurm.h>
}

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "common/stage/job.hpp"
#include "plugins/spank_pi_stage/node.hpp"
#include "plugins/spank_common.hpp"

namespace pistage {

namespace {

std::vector<std::string> g_summary; // printed by task_init

std::string step_env(spank_t sp, const char *name)
{
	char buf[1024];
	if (spank_getenv(sp, name, buf, sizeof buf) != ESPANK_SUCCESS)
		return "";
	return buf;
}

std::string node_name(spank_t sp)
{
	return slurmpi::spank::node_name(step_env(sp, "SLURMD_NODENAME"), "");
}

} // namespace

void task_user_init(spank_t sp, int ac, char **av)
{
	auto args = node_args(ac, av);
	uint32_t id = 0;
	uid_t uid = 0;
	if (!args || spank_get_item(sp, S_JOB_ID, &id) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS)
		return;
	std::string path = scratch_path(args->scratch, id);
	struct stat st;
	if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid)
		return;
	if (spank_setenv(sp, "SLURM_PI_SCRATCH", path.c_str(), 1) != ESPANK_SUCCESS)
		slurm_error(PI_STAGE ": job %u: cannot set SLURM_PI_SCRATCH", id);
}

int task_init_privileged(spank_t sp)
{
	uint32_t id = 0, step = 0, task = 0;
	if (spank_get_item(sp, S_JOB_ID, &id) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return 0;
	auto state = read_state(node_name(sp), id);
	if (!state)
		return 0;
	if (!state->ok) {
		for (const auto &line : state->lines)
			slurm_error("%s", line.c_str());
		return -1;
	}
	if (step == SLURM_BATCH_SCRIPT &&
	    spank_get_item(sp, S_TASK_GLOBAL_ID, &task) == ESPANK_SUCCESS && task == 0)
		g_summary = state->lines;
	return 0;
}

void task_init(spank_t)
{
	for (const auto &line : g_summary)
		std::fprintf(stderr, "%s\n", line.c_str());
	std::fflush(stderr);
	g_summary.clear();
}

} // namespace pistage
