// task/pi for Slurm 24.11: the task hooks only this release has
// (src/interfaces/task.c:56-84 looks up 8 symbols: pre_launch_priv is new,
// and 22.05's suspend/resume and three affinity hooks are gone). task/pi
// does nothing in it. The hooks all releases share are in
// plugins/task_pi/task_pi.cpp; docs/slurm-versions.md lists the
// differences.

#include "pi_slurm_node.h"

extern "C" int task_p_pre_launch_priv(stepd_step_rec_t *, uint32_t, uint32_t)
{
	return SLURM_SUCCESS;
}
