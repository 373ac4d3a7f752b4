// Job prolog (slurmd, every node of the job, as root; PrologFlags=Alloc
// runs it before any step starts).
//
// Slurm's mpi/pmix is loaded by slurmstepd before any SPANK hook of the
// step runs. On a node without it (or without the libpmix.so it loads,
// which only libpmix-dev ships), every srun --mpi=pmix step dies with
// "Task launch ... failed on node piN: Unspecified error" and nothing in
// the job's output says why. An srun that creates its job tells the
// prolog its MPI type (submit.cpp): a PMIx job on such a node is ended
// here, with the message (package and node) sent to srun, and the node
// stays up: the prolog still returns 0.

#include "plugins/spank_pi_mpi/hooks.hpp"

extern "C" {
#include <slurm/slurm.h>
}

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string>

#include "plugins/spank_common.hpp"
#include "plugins/spank_slurm_api.hpp"
#include "plugins/spank_pi_mpi/node.hpp"

namespace pimpi {

int job_prolog(spank_t sp, int ac, char **av)
{
	const char *type = std::getenv("SPANK_PI_MPI_TYPE");
	if (!type || std::string(type).rfind("pmix", 0) != 0)
		return 0;
	auto args = node_args(ac, av);
	uint32_t id = 0;
	if (!args || spank_get_item(sp, S_JOB_ID, &id) != ESPANK_SUCCESS)
		return 0;
	bool plugin = false;
	std::string plugin_path = pmix_plugin_path(&plugin);
	const char *node = std::getenv("SLURMD_NODENAME");
	std::string problem = slurmpi::pmix_problem(slurmpi::spank::node_name(node ? node : ""),
						    plugin_path, plugin, args->pmix_lib,
						    file_exists(args->pmix_lib));
	if (problem.empty())
		return 0;
	slurm_error(PI_MPI ": job %u: %s", id, problem.c_str());
	slurmpi::spank::ensure_slurm_api();
	std::string msg = problem;
	if (slurm_notify_job(id, msg.data()) != SLURM_SUCCESS)
		slurm_error(PI_MPI ": job %u: cannot tell srun: %s", id,
			    slurm_strerror(errno));
	if (slurm_kill_job(id, SIGKILL, 0) != SLURM_SUCCESS)
		slurm_error(PI_MPI ": job %u: cannot end the job: %s", id,
			    slurm_strerror(errno));
	return 0;
}

} // namespace pimpi
