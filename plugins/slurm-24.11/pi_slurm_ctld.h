// Slurm 24.11's internal interface for select/pi_cons_tres: the headers,
// and the few names that differ from 22.05 (plugins/slurm-22.05/ has the
// same file). configure puts the directory of the Slurm it found on the
// include path; nothing outside plugins/slurm-*/ tests a Slurm version.
// The differences, with their source locations: docs/slurm-versions.md.
#pragma once

extern "C" {
#include "config.h"

// src/common/extra_constraints.h:57 declares a member named `operator`
// (through node_conf.h, job_record.h and slurmctld.h): not C++.
#define operator slurm_operator_
#include "src/common/slurm_xlator.h"
#include "src/common/bitstring.h"
#include "src/common/log.h"
#include "src/common/plugin.h"
#include "src/common/read_config.h"
#include "src/common/run_in_daemon.h"
#include "src/common/xmalloc.h"
#include "src/common/xstring.h"
#include "src/interfaces/select.h"
#include "src/slurmctld/slurmctld.h"
#undef operator
}

namespace pislurm {

// 24.11's select_nodes() replaces any reason the select plugin set with
// WAIT_RESOURCES (and frees state_desc) unless the job is held
// (node_scheduler.c:2880-2913), and WAIT_BLOCK_D_ACTION is gone: a
// pending job shows "Resources", and slurm-pi's reason is only logged.
inline constexpr bool kHasOwnWaitReason = false;
inline constexpr enum job_state_reason kOwnWaitReason = WAIT_NO_REASON;

// What plugin_load_and_link's errno means: 24.11 sets a Slurm error code
// (ESLURM_PLUGIN_NOTFOUND, ...; src/common/plugin.c) and has no
// plugin_strerror any more.
inline const char *plugin_load_error(int err)
{
	return slurm_strerror(err);
}

} // namespace pislurm
