// srun, sbatch, salloc (local and allocator contexts).
//   init (srun):      PMIx becomes srun's MPI type when the user gave none
//                     (no --mpi, no SLURM_MPI_TYPE) and slurm.conf's
//                     MpiDefault is none, if this host can load it. srun
//                     reads SLURM_MPI_TYPE after the plugin stack's init,
//                     and --mpi still wins over it.
//   init_post_opt:    --mpi-iface and --mpi-wiring (or their variables)
//                     checked, so a typo stops at submit with a clear
//                     message; their values go into the job's environment,
//                     where the batch script's steps find them. srun tells
//                     the job prolog its MPI type (PMIx check on each node).

#include "plugins/spank_pi_mpi/hooks.hpp"

#include <cstdlib>
#include <string>

#include "plugins/spank_pi_mpi/node.hpp"

namespace pimpi {

namespace {

// The option if given, else the variable; nullopt if neither.
std::optional<std::string> chosen(const std::optional<std::string> &opt, const char *var,
				  std::string *source, const char *opt_name)
{
	if (opt) {
		*source = opt_name;
		return opt;
	}
	if (const char *v = std::getenv(var)) {
		*source = var;
		return std::string(v);
	}
	return std::nullopt;
}

} // namespace

void submit_init(int ac, char **av)
{
	auto args = node_args(ac, av);
	if (!args || !args->pmix_default || std::getenv("SLURM_MPI_TYPE"))
		return;
	std::string def = mpi_default();
	if (def != "none" && def != "openmpi")
		return; // the admin chose a default (or it is unknown): keep it
	bool plugin = false;
	std::string plugin_path = pmix_plugin_path(&plugin);
	if (!plugin || !file_exists(args->pmix_lib)) {
		slurm_debug(PI_MPI ": PMIx is not srun's default here: %s",
			    slurmpi::pmix_problem("this host", plugin_path, plugin, args->pmix_lib,
						  file_exists(args->pmix_lib))
				    .c_str());
		return;
	}
	::setenv("SLURM_MPI_TYPE", "pmix", 0);
}

int submit_post_opt(spank_t sp, int, char **)
{
	std::string src;
	if (auto v = chosen(options().iface, "SLURM_PI_MPI_IFACE", &src, "--mpi-iface")) {
		std::string why;
		if (!slurmpi::parse_iface_spec(*v, &why)) {
			slurm_error("%s", slurmpi::mpi_message(src, why).c_str());
			return -1;
		}
		if (options().iface)
			::setenv("SLURM_PI_MPI_IFACE", v->c_str(), 1);
	}
	if (auto v = chosen(options().wiring, "SLURM_PI_MPI_WIRING", &src, "--mpi-wiring")) {
		std::string why;
		if (!slurmpi::parse_wiring(*v, &why)) {
			slurm_error("%s", slurmpi::mpi_message(src, why).c_str());
			return -1;
		}
		if (options().wiring)
			::setenv("SLURM_PI_MPI_WIRING", v->c_str(), 1);
	}
	if (spank_context() == S_CTX_LOCAL) {
		// srun: its MPI type is settled by now (mpi/ loaded, and
		// SLURM_MPI_TYPE set, before the plugin stack's post-option
		// call). Only an srun that creates the job passes it on.
		const char *type = std::getenv("SLURM_MPI_TYPE");
		if (!std::getenv("SLURM_JOB_ID"))
			spank_job_control_setenv(sp, "PI_MPI_TYPE", type ? type : "none", 1);
	}
	return 0;
}

} // namespace pimpi
