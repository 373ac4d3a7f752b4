// Slurm 24.11's internal interface for task/pi (slurmd and slurmstepd):
// the headers. plugins/slurm-22.05/ has the same file; configure puts the
// directory of the Slurm it found on the include path.
// The differences, with their source locations: docs/slurm-versions.md.
#pragma once

extern "C" {
#include "config.h"

// src/common/extra_constraints.h:57 declares a member named `operator`.
#define operator slurm_operator_
#include "src/common/slurm_xlator.h"
#include "src/common/env.h"
#include "src/common/list.h"
#include "src/common/log.h"
#include "src/common/read_config.h"
#include "src/common/run_in_daemon.h"
#include "src/common/stepd_api.h"
#include "src/common/xmalloc.h"
#include "src/slurmd/slurmd/slurmd.h"
#include "src/slurmd/slurmstepd/slurmstepd_job.h"
#undef operator
}
