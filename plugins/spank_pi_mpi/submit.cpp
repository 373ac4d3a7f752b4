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

#include <dlfcn.h>

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

// srun's MPI type as srun will use it: its --mpi, or SLURM_MPI_TYPE (which
// srun reads as --mpi, our PMIx default included), else MpiDefault.
// 22.05's srun has also put it in SLURM_MPI_TYPE by the post-option call;
// 24.11's does that only when it creates the step (srun_job.c:737), after
// the job exists and its prolog has started, so there the variable still
// says PMIx after `--mpi=none`. Both srun binaries export their options
// (`opt`), and libslurm exports slurm_option_get(), which returns an
// xmalloc'ed copy (freed with slurm_xfree).
std::string srun_mpi_type()
{
	using get_fn = char *(*)(void *, const char *);
	using xfree_fn = void (*)(void **);
	auto get = reinterpret_cast<get_fn>(::dlsym(RTLD_DEFAULT, "slurm_option_get"));
	void *opt = ::dlsym(RTLD_DEFAULT, "opt");
	if (get && opt) {
		char *v = get(opt, "mpi");
		std::string type = v ? v : "";
		if (auto xfree = reinterpret_cast<xfree_fn>(::dlsym(RTLD_DEFAULT, "slurm_xfree")); v && xfree)
			xfree(reinterpret_cast<void **>(&v));
		if (type != "invalid-context") // else not srun's options after all
			return type.empty() ? mpi_default() : type;
	}
	const char *env = std::getenv("SLURM_MPI_TYPE");
	return env ? env : mpi_default();
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
		// srun: its options are settled by now. Only an srun that
		// creates the job passes its MPI type on.
		if (!std::getenv("SLURM_JOB_ID"))
			spank_job_control_setenv(sp, "PI_MPI_TYPE", srun_mpi_type().c_str(), 1);
	}
	return 0;
}

} // namespace pimpi
