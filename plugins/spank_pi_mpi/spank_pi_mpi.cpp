// spank_pi_mpi: Open MPI and PMIx wiring that works on a Pi cluster.
//
//   srun ./mpi_app                      (PMIx, the cluster network)
//   sbatch job.sh   (job.sh: mpirun ./mpi_app)
//   srun --mpi-iface=eth0 ... / --mpi-wiring=off ...
//
// plugstack.conf:
//   required spank_pi_mpi.so [iface=auto|NAME|CIDR] [pml=ob1|default]
//            [btl=LIST|default] [pmix-default=yes|no] [pmix-lib=PATH]
//            [openmpi=4|5]
// See etc/plugstack.conf.d/slurm-pi-mpi.conf and the README. The hooks
// live one file per context; see hooks.hpp.

#include <exception>
#include <string>

#include "plugins/spank_common.hpp"
#include "plugins/spank_pi_mpi/hooks.hpp"
#include "common/text.hpp"
#include "slurmpi_config.h"

extern "C" {
// SPANK_PLUGIN(pi_mpi, 1), spelled out: in C++ a namespace-scope const has
// internal linkage, and Slurm finds these with dlsym().
extern const char plugin_name[] = "pi_mpi";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace pimpi {

Options &options()
{
	static Options o;
	return o;
}

std::optional<slurmpi::MpiArgs> node_args(int ac, char **av)
{
	std::vector<std::string> args;
	for (int i = 0; i < ac; i++)
		args.emplace_back(av[i] ? av[i] : "");
	auto res = slurmpi::parse_mpi_args(args, SLURMPI_PMIX_LIB, SLURMPI_OPENMPI_MAJOR);
	if (!res.ok()) {
		static bool told = false; // once per process
		if (!told)
			for (const auto &e : res.errors)
				slurm_error("%s", e.c_str());
		told = true;
		return std::nullopt;
	}
	return res.args;
}

} // namespace pimpi

namespace {

using pimpi::options;

using slurmpi::spank::store_option;

int on_iface(int, const char *optarg, int) { return store_option(options().iface, optarg); }
int on_wiring(int, const char *optarg, int) { return store_option(options().wiring, optarg); }

// Registered in slurm_spank_init: sbatch and salloc do not read a static
// spank_options table.
struct spank_option g_options[] = {
	{const_cast<char *>("mpi-iface"), const_cast<char *>("auto|NAME|CIDR"),
	 const_cast<char *>(
		 "[slurm-pi] The network Open MPI uses between nodes: 'auto' (the "
		 "interface that carries each node's route to slurmctld), an interface "
		 "name such as eth0, or an IPv4 network such as 10.0.0.0/24. Sets "
		 "OMPI_MCA_btl_tcp_if_include and the OOB's if_include for srun's tasks "
		 "and for the batch script (mpirun inherits them), unless you set them "
		 "yourself. Env: SLURM_PI_MPI_IFACE."),
	 1, 0, on_iface},
	{const_cast<char *>("mpi-wiring"), const_cast<char *>("on|off"),
	 const_cast<char *>(
		 "[slurm-pi] 'off' sets no Open MPI variables for this job or step (and an "
		 "srun inside a wired batch script removes the ones the script got), so "
		 "only your own settings and Open MPI's defaults apply. Default: on. Env: "
		 "SLURM_PI_MPI_WIRING."),
	 1, 0, on_wiring},
};

template <typename F> int guarded(const char *what, F &&f, int on_error)
{
	try {
		return f();
	} catch (const std::exception &e) {
		slurm_error(PI_MPI ": %s: internal error: %s", what, e.what());
	} catch (...) {
		slurm_error(PI_MPI ": %s: internal error", what);
	}
	return on_error;
}

} // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	return guarded(
		"init",
		[&] {
			spank_context_t ctx = spank_context();
			if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR || ctx == S_CTX_REMOTE) {
				for (auto &opt : g_options)
					if (spank_option_register(sp, &opt) != ESPANK_SUCCESS) {
						slurm_error(PI_MPI ": cannot register --%s", opt.name);
						return -1;
					}
			}
			if (ctx == S_CTX_LOCAL)
				pimpi::submit_init(ac, av);
			if (ctx == S_CTX_SLURMD) {
				// Once, at slurmd start: a wrong argument shows up
				// here first.
				if (auto args = pimpi::node_args(ac, av))
					slurm_info("spank_pi_mpi: loaded (%s)",
						   slurmpi::join(slurmpi::format_mpi_args(*args), " ")
							   .c_str());
			}
			return 0;
		},
		0);
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	if (ctx != S_CTX_LOCAL && ctx != S_CTX_ALLOCATOR)
		return 0;
	// A wrong option stops the submission; an internal error does not.
	return guarded("options", [&] { return pimpi::submit_post_opt(sp, ac, av); }, 0);
}

int slurm_spank_job_prolog(spank_t sp, int ac, char **av)
{
	// Always 0: a failing prolog drains the node.
	guarded("prolog", [&] { return pimpi::job_prolog(sp, ac, av); }, 0);
	return 0;
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	// Always 0: a failing user_init drains a batch job's node.
	guarded("user_init", [&] { pimpi::task_user_init(sp, ac, av); return 0; }, 0);
	return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int, char **)
{
	return guarded("task_init_privileged", [&] { return pimpi::task_init_privileged(sp); }, 0);
}

} // extern "C"
