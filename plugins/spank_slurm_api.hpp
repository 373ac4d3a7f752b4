// The SPANK plugins' calls to slurmctld from a job prolog or epilog.
#pragma once

extern "C" {
#include <slurm/slurm.h>
}

namespace slurmpi::spank {

// Call before the first call to slurmctld from a job prolog or epilog.
// Slurm 24.11 runs them in `slurmstepd spank prolog|epilog`, which reads
// the configuration from slurmd but loads no hash plugin (slurmstepd.c's
// _handle_spank_mode returns before its hash_g_init), and an RPC without
// one is fatal: "No hash plugins loaded. Was slurm_init() called...";
// the prolog then fails and slurmd drains the node ("Prolog error").
// slurm_init() loads what is missing and leaves the configuration alone
// (slurm_conf_init refuses a second load); in 22.05 it only reads the
// configuration, which is loaded already. Each plugin is its own shared
// object, so each keeps its own flag; a second slurm_init() is harmless.
inline void ensure_slurm_api()
{
	static bool done = false;
	if (!done) {
		slurm_init(nullptr);
		done = true;
	}
}

} // namespace slurmpi::spank
