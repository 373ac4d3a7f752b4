// task/pi for Slurm 22.05: the task hooks only this release has
// (src/slurmd/common/task_plugin.c:52-93 looks up 12 symbols; 24.11 dropped
// these five). task/pi does nothing in them. The hooks all releases share
// are in plugins/task_pi/task_pi.cpp; docs/slurm-versions.md lists the
// differences.

#include "pi_slurm_node.h"

extern "C" int task_p_slurmd_suspend_job(uint32_t)
{
	return SLURM_SUCCESS;
}

extern "C" int task_p_slurmd_resume_job(uint32_t)
{
	return SLURM_SUCCESS;
}

extern "C" int task_p_pre_set_affinity(stepd_step_rec_t *, uint32_t)
{
	return SLURM_SUCCESS;
}

extern "C" int task_p_set_affinity(stepd_step_rec_t *, uint32_t)
{
	return SLURM_SUCCESS;
}

extern "C" int task_p_post_set_affinity(stepd_step_rec_t *, uint32_t)
{
	return SLURM_SUCCESS;
}
