// Slurm 22.05's internal interface for select/pi_cons_tres: the headers,
// and the few names that differ from 24.11 (plugins/slurm-24.11/ has the
// same file). configure puts the directory of the Slurm it found on the
// include path; nothing outside plugins/slurm-*/ tests a Slurm version.
// The differences, with their source locations: docs/slurm-versions.md.
#pragma once

extern "C" {
#include "config.h"

#include "src/common/slurm_xlator.h"
#include "src/common/bitstring.h"
#include "src/common/log.h"
#include "src/common/plugin.h"
#include "src/common/read_config.h"
#include "src/common/run_in_daemon.h"
#include "src/common/select.h"
#include "src/common/xmalloc.h"
#include "src/common/xstring.h"
#include "src/slurmctld/slurmctld.h"
}

namespace pislurm {

// The pending reason select/pi_cons_tres gives a job it kept off hot
// nodes. 22.05's select_nodes() keeps a reason the select plugin set only
// for WAIT_BLOCK_MAX_ERR and WAIT_BLOCK_D_ACTION (node_scheduler.c:2624);
// the second is a Blue Gene leftover nothing else sets. Its text goes in
// state_desc, which squeue and scontrol show in its place.
inline constexpr bool kHasOwnWaitReason = true;
inline constexpr enum job_state_reason kOwnWaitReason = WAIT_BLOCK_D_ACTION;

// What plugin_load_and_link's errno means: 22.05 sets a plugin_err_t
// (EPLUGIN_NOTFOUND, ...; src/common/plugin.h), told by plugin_strerror.
inline const char *plugin_load_error(int err)
{
	return plugin_strerror(static_cast<plugin_err_t>(err));
}

} // namespace pislurm
