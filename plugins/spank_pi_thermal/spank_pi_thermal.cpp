// spank_pi_thermal: the per-job thermal policy option.
//
//   sbatch --thermal=strict job.sh      (or SLURM_PI_THERMAL=strict sbatch ...)
//
// The choice travels to slurmctld in the job's spank environment
// (spank_job_control_setenv -> job_ptr->spank_job_env "PI_THERMAL=..."),
// where select/pi_cons_tres reads it. No value means "the site default",
// which lives in one place: DefaultThermalPolicy in slurm-pi.conf, read by
// slurmctld. Inside the job, SLURM_PI_THERMAL holds the policy chosen.
//
// Contexts: allocator (sbatch/salloc) and local (srun) register and check
// the option; remote (slurmstepd) re-reads it to set the job environment;
// slurmd only logs that the plugin is loaded.

// spank.h declares the slurm_spank_* hooks outside its own extern "C".
extern "C" {
#include <slurm/spank.h>
}

#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include "common/policy.hpp"
#include "common/text.hpp"

extern "C" {
// SPANK_PLUGIN(pi_thermal, 1), spelled out: in C++ a namespace-scope const
// has internal linkage, and Slurm finds these with dlsym().
extern const char plugin_name[] = "pi_thermal";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

constexpr const char *kEnvFallback = "SLURM_PI_THERMAL";

std::optional<slurmpi::ThermalPolicy> g_policy;

int on_thermal_option(int, const char *optarg, int)
{
	try {
		std::string value = optarg ? optarg : "";
		auto policy = slurmpi::parse_thermal_policy(value);
		if (!policy) {
			slurm_error("slurm-pi thermal: --thermal: %s",
				    slurmpi::thermal_policy_error(value).c_str());
			return -1;
		}
		g_policy = policy;
		return 0;
	} catch (...) {
		slurm_error("slurm-pi thermal: --thermal: internal error");
		return -1;
	}
}

struct spank_option g_thermal_option = {
	const_cast<char *>("thermal"),
	const_cast<char *>("POLICY"),
	const_cast<char *>(
		"[slurm-pi] Thermal placement policy: 'strict' never uses a hot "
		"or critical (throttling, under-voltage) Pi; 'balanced' never "
		"uses a critical one and puts hot and warm Pis behind cooler "
		"ones; 'any' ignores temperature. Nodes named with --nodelist "
		"are always used. Default: the site's DefaultThermalPolicy "
		"(slurm-pi.conf). Env: SLURM_PI_THERMAL."),
	1, 0, on_thermal_option,
};

bool is_submit_side(spank_context_t ctx)
{
	return ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR;
}

} // namespace

extern "C" int slurm_spank_init(spank_t sp, int ac, char **av)
{
	try {
		for (int i = 0; i < ac; i++) {
			slurm_error("slurm-pi thermal: plugstack.conf: unknown argument "
				    "%s (spank_pi_thermal takes no arguments; the default "
				    "policy is DefaultThermalPolicy in slurm-pi.conf)",
				    slurmpi::quoted(av[i]).c_str());
			return -1;
		}
		spank_context_t ctx = spank_context();
		if (ctx == S_CTX_SLURMD) {
			slurm_info("spank_pi_thermal: loaded (option --thermal)");
			return 0;
		}
		if (is_submit_side(ctx) || ctx == S_CTX_REMOTE) {
			if (spank_option_register(sp, &g_thermal_option) != ESPANK_SUCCESS) {
				slurm_error("slurm-pi thermal: cannot register --thermal");
				return -1;
			}
		}
		return 0;
	} catch (...) {
		slurm_error("slurm-pi thermal: init: internal error");
		return -1;
	}
}

extern "C" int slurm_spank_init_post_opt(spank_t sp, int, char **)
{
	try {
		if (!is_submit_side(spank_context()))
			return 0;
		if (!g_policy) {
			const char *env = std::getenv(kEnvFallback);
			if (env && *env) {
				auto policy = slurmpi::parse_thermal_policy(env);
				if (!policy) {
					slurm_error("slurm-pi thermal: %s: %s", kEnvFallback,
						    slurmpi::thermal_policy_error(env).c_str());
					return -1;
				}
				g_policy = policy;
			}
		}
		if (!g_policy)
			return 0;
		std::string value(slurmpi::to_string(*g_policy));
		// In srun inside an existing allocation there is no job to
		// carry it (the job is already placed): not an error.
		spank_err_t rc = spank_job_control_setenv(sp, "PI_THERMAL", value.c_str(), 1);
		if (rc != ESPANK_SUCCESS && rc != ESPANK_NOT_LOCAL)
			slurm_verbose("slurm-pi thermal: PI_THERMAL not recorded: %s",
				      spank_strerror(rc));
		return 0;
	} catch (...) {
		slurm_error("slurm-pi thermal: internal error");
		return -1;
	}
}

// slurmstepd, before the user's tasks start: let the job see its policy.
extern "C" int slurm_spank_user_init(spank_t sp, int, char **)
{
	try {
		if (g_policy) {
			std::string value(slurmpi::to_string(*g_policy));
			spank_setenv(sp, kEnvFallback, value.c_str(), 1);
		}
	} catch (...) {
		slurm_error("slurm-pi thermal: user_init: internal error");
	}
	return 0;
}
