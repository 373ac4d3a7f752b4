// spank_pi_mpi: what the per-context files share. One file per SPANK
// context, as in spank_pi_stage:
//   spank_pi_mpi.cpp  symbols, options, dispatch (every entry point catches)
//   submit.cpp        srun, sbatch, salloc: PMIx as srun's default MPI
//                     type, the options checked and passed to the job
//   prolog.cpp        job prolog, every node: a PMIx job on a node that
//                     cannot start PMIx fails with the package to install
//   task.cpp          slurmstepd: Open MPI's environment for the step's
//                     tasks and the batch script, and the checks before
//                     tasks start
//   node.cpp          the node's facts: interfaces, the route to
//                     slurmctld, which files exist, Slurm's config
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include <optional>
#include <string>

#include "common/mpi/wiring.hpp"

#define PI_MPI "spank_pi_mpi"

namespace pimpi {

// Values of the user options as the callbacks saw them (this process).
struct Options {
	std::optional<std::string> iface;   // --mpi-iface
	std::optional<std::string> wiring;  // --mpi-wiring
};
Options &options();

// The plugin's arguments, parsed; nullopt (and each error logged, once per
// process) when they do not parse: the plugin then changes nothing.
std::optional<slurmpi::MpiArgs> node_args(int ac, char **av);

// Context entry points (see the file comments).
void submit_init(int ac, char **av);
int submit_post_opt(spank_t sp, int ac, char **av);
int job_prolog(spank_t sp, int ac, char **av);
void task_user_init(spank_t sp, int ac, char **av);
int task_init_privileged(spank_t sp);

} // namespace pimpi
