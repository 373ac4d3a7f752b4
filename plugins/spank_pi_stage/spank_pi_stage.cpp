// spank_pi_stage: stage-in and stage-out between the NFS share and
// node-local scratch, with a node cache.
//
//   sbatch --stage-in=/home/shared/data:data --stage-out=results job.sh
//   (or SLURM_PI_STAGE_IN=... SLURM_PI_STAGE_OUT=... sbatch job.sh)
//
// plugstack.conf (the plugin must be `required`, or Slurm ignores its
// failures):
//   required spank_pi_stage.so roots=/home/shared [scratch=...] ...
// and slurm.conf needs PrologFlags=Alloc,DeferBatch (see etc/ and the
// README). The hooks live one file per context; see hooks.hpp.

extern "C" {
#include <slurm/spank.h>
}

#include <exception>
#include <string>

#include "plugins/spank_pi_stage/hooks.hpp"
#include "plugins/spank_pi_stage/node.hpp"
#include "plugins/spank_common.hpp"

extern "C" {
// SPANK_PLUGIN(pi_stage, 1), spelled out: in C++ a namespace-scope const
// has internal linkage, and Slurm finds these with dlsym().
extern const char plugin_name[] = "pi_stage";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace pistage {

Options &options()
{
	static Options o;
	return o;
}

} // namespace pistage

namespace {

using pistage::options;

using slurmpi::spank::store_option;

int on_in(int, const char *optarg, int) { return store_option(options().in, optarg); }
int on_out(int, const char *optarg, int) { return store_option(options().out, optarg); }
int on_when(int, const char *optarg, int) { return store_option(options().when, optarg); }

// Registered in slurm_spank_init (as pyxis does): Slurm does not read a
// static spank_options table in sbatch and salloc (allocator context).
struct spank_option g_options[] = {
	{const_cast<char *>("stage-in"), const_cast<char *>("SRC[:DST][,...]"),
	 const_cast<char *>(
		 "[slurm-pi] Copy SRC (a file or a directory, recursively) from the "
		 "shared file system to node-local scratch on every node of the job, "
		 "once per node, before the job starts. DST is relative to the job's "
		 "scratch directory ($SLURM_PI_SCRATCH; default: the name of SRC). "
		 "SRC must be inside a shared root the admin allowed and readable by "
		 "you. Files unchanged since an earlier job of yours on that node come "
		 "from the node's cache. Write ',', ':' or '\\' in a path as '\\,', "
		 "'\\:', '\\\\'. Env: SLURM_PI_STAGE_IN."),
	 1, 0, on_in},
	{const_cast<char *>("stage-out"), const_cast<char *>("SRC[:DST][,...]"),
	 const_cast<char *>(
		 "[slurm-pi] When the job ends (also after scancel or the time limit), "
		 "copy SRC (relative to $SLURM_PI_SCRATCH; '.' is all of it) from every "
		 "node back to the shared file system: to DST on a one-node job, to "
		 "DST/<node name> on a multi-node job, replacing what is there. Default "
		 "DST: the submit directory's entry of the same name. Env: "
		 "SLURM_PI_STAGE_OUT."),
	 1, 0, on_out},
	{const_cast<char *>("stage-out-when"), const_cast<char *>("always|success"),
	 const_cast<char *>(
		 "[slurm-pi] 'always' (default) stages out whatever the job's end, so "
		 "the results of a failed or timed-out job are not lost; 'success' only "
		 "after a job that completed with exit code 0. Env: "
		 "SLURM_PI_STAGE_OUT_WHEN."),
	 1, 0, on_when},
};

} // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	try {
		spank_context_t ctx = spank_context();
		if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR || ctx == S_CTX_REMOTE) {
			for (auto &opt : g_options)
				if (spank_option_register(sp, &opt) != ESPANK_SUCCESS) {
					slurm_error(PI_STAGE ": cannot register --%s", opt.name);
					return -1;
				}
		}
		if (ctx == S_CTX_SLURMD) {
			// Once, at slurmd start: a wrong argument shows up here
			// first (every prolog says it again).
			auto args = pistage::node_args(ac, av);
			if (args)
				slurm_info("spank_pi_stage: loaded (options --stage-in, --stage-out, "
					   "--stage-out-when; %d shared root%s, scratch %s)",
					   static_cast<int>(args->roots.size()),
					   args->roots.size() == 1 ? "" : "s", args->scratch.c_str());
		}
	} catch (...) {
		slurm_error(PI_STAGE ": init: internal error");
	}
	return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	try {
		spank_context_t ctx = spank_context();
		if (ctx != S_CTX_LOCAL && ctx != S_CTX_ALLOCATOR)
			return 0;
		return pistage::submit_post_opt(sp, ac, av);
	} catch (const std::exception &e) {
		slurm_error(PI_STAGE ": internal error: %s", e.what());
	} catch (...) {
		slurm_error(PI_STAGE ": internal error");
	}
	return -1;
}

int slurm_spank_job_prolog(spank_t sp, int ac, char **av)
{
	try {
		return pistage::job_prolog(sp, ac, av);
	} catch (const std::exception &e) {
		slurm_error(PI_STAGE ": prolog: internal error: %s", e.what());
	} catch (...) {
		slurm_error(PI_STAGE ": prolog: internal error");
	}
	// A crash here is the plugin's: the node is fine. Let the job run
	// (its steps find no state record and run without staged input).
	return 0;
}

int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
	try {
		return pistage::job_epilog(sp, ac, av);
	} catch (const std::exception &e) {
		slurm_error(PI_STAGE ": epilog: internal error: %s", e.what());
	} catch (...) {
		slurm_error(PI_STAGE ": epilog: internal error");
	}
	return 0;
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	try {
		pistage::task_user_init(sp, ac, av);
	} catch (...) {
		slurm_error(PI_STAGE ": user_init: internal error");
	}
	return 0; // never: a failing user_init drains a batch job's node
}

int slurm_spank_task_init_privileged(spank_t sp, int, char **)
{
	try {
		return pistage::task_init_privileged(sp);
	} catch (...) {
		slurm_error(PI_STAGE ": task_init_privileged: internal error");
	}
	return 0;
}

int slurm_spank_task_init(spank_t sp, int, char **)
{
	try {
		pistage::task_init(sp);
	} catch (...) {
	}
	return 0;
}

} // extern "C"
