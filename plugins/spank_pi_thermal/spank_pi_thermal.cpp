// spank_pi_thermal: the per-job thermal options.
//
//   sbatch --thermal=strict job.sh      (or SLURM_PI_THERMAL=strict sbatch ...)
//   sbatch --thermal-report job.sh      (or SLURM_PI_THERMAL_REPORT=yes ...)
//
// The choice travels to slurmctld in the job's spank environment
// (spank_job_control_setenv -> job_ptr->spank_job_env "PI_THERMAL=..."),
// where select/pi_cons_tres reads it. No value means "the site default",
// which lives in one place: DefaultThermalPolicy in slurm-pi.conf, read by
// slurmctld. Inside the job, SLURM_PI_THERMAL holds the policy chosen.
//
// --thermal-report[=yes|no] asks for a thermal summary per node at the end
// of the job. This plugin only checks the choice and hands it to the job's
// steps as SLURM_PI_THERMAL_REPORT=yes|no in their environment (set in the
// submitting command's environment, and again in each step's by the remote
// side when the step got the option); task/pi
// reads it there at each step's end (slurmstepd, as root), puts the node's
// summary into the job's AdminComment and, at the end of the batch step,
// appends the report to the job's output file as the job's user (see
// plugins/task_pi/report.cpp). srun steps inside a batch job inherit the
// variable from the batch script's environment.
//
// Contexts: allocator (sbatch/salloc) and local (srun) register and check
// the options; remote (slurmstepd) re-reads them to set the job
// environment; slurmd only logs that the plugin is loaded.

// spank.h declares the slurm_spank_* hooks outside its own extern "C".
extern "C" {
#include <slurm/spank.h>
}

#include <cstdlib>
#include <cstring>
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
constexpr const char *kReportEnv = "SLURM_PI_THERMAL_REPORT";

std::optional<slurmpi::ThermalPolicy> g_policy;
// --thermal-report as given on the command line (or #SBATCH); in the
// submit contexts also from SLURM_PI_THERMAL_REPORT.
std::optional<bool> g_report;

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

// --thermal-report takes an optional value: no value means yes. Slurm
// passes a flag given without a value on as "" (to slurmstepd) or as
// "(null)": sbatch puts the option into the spank job environment, which
// reaches the batch script as SLURM_SPANK__SLURM_SPANK_OPTION_..., and every
// srun inside it reads that back as this option (spank_process_env_options).
int on_report_option(int, const char *optarg, int)
{
	try {
		if (!optarg || !*optarg || std::strcmp(optarg, "(null)") == 0) {
			g_report = true;
			return 0;
		}
		auto on = slurmpi::parse_report_flag(optarg);
		if (!on) {
			slurm_error("slurm-pi thermal: --thermal-report: %s",
				    slurmpi::report_flag_error(optarg).c_str());
			return -1;
		}
		g_report = on;
		return 0;
	} catch (...) {
		slurm_error("slurm-pi thermal: --thermal-report: internal error");
		return -1;
	}
}

struct spank_option g_report_option = {
	const_cast<char *>("thermal-report"),
	const_cast<char *>("yes|no"),
	const_cast<char *>(
		"[slurm-pi] At the end of a batch job, append to its output file "
		"one line per node: maximum and mean temperature, % of samples "
		"throttled, whether under-voltage was seen, minimum clock, over "
		"the job's steps on that node; what no sample could tell is "
		"printed as unknown. Each node's summary also goes into the "
		"job's AdminComment at each step's end (for srun and salloc jobs "
		"only there). Given alone it means yes; =no turns it off. "
		"Env: SLURM_PI_THERMAL_REPORT=yes|no."),
	2, 0, on_report_option,
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
			slurm_info("spank_pi_thermal: loaded (options --thermal, --thermal-report)");
			return 0;
		}
		if (is_submit_side(ctx) || ctx == S_CTX_REMOTE) {
			if (spank_option_register(sp, &g_thermal_option) != ESPANK_SUCCESS) {
				slurm_error("slurm-pi thermal: cannot register --thermal");
				return -1;
			}
			if (spank_option_register(sp, &g_report_option) != ESPANK_SUCCESS) {
				slurm_error("slurm-pi thermal: cannot register --thermal-report");
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
		if (!g_report) {
			const char *env = std::getenv(kReportEnv);
			if (env) {
				auto on = slurmpi::parse_report_flag(env);
				if (!on) {
					slurm_error("slurm-pi thermal: %s: %s", kReportEnv,
						    slurmpi::report_flag_error(env).c_str());
					return -1;
				}
				g_report = on;
			}
		}
		// Into this command's own environment, which becomes the job's
		// (sbatch copies SLURM* variables even with --export=NONE, which
		// drops Slurm's own _SLURM_SPANK_OPTION_* variable) and that of
		// the srun steps inside it.
		if (g_report &&
		    setenv(kReportEnv, std::string(slurmpi::report_flag_name(*g_report)).c_str(), 1) != 0)
			slurm_error("slurm-pi thermal: --thermal-report: cannot set %s", kReportEnv);
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

// slurmstepd, before the user's tasks start: let the job see its policy,
// and tell task/pi (which reads the step's environment at step end)
// whether to report. An option given to this step wins over a value the
// environment brought along.
extern "C" int slurm_spank_user_init(spank_t sp, int, char **)
{
	try {
		if (g_policy) {
			std::string value(slurmpi::to_string(*g_policy));
			spank_setenv(sp, kEnvFallback, value.c_str(), 1);
		}
		if (g_report) {
			std::string value(slurmpi::report_flag_name(*g_report));
			spank_setenv(sp, kReportEnv, value.c_str(), 1);
		}
	} catch (...) {
		slurm_error("slurm-pi thermal: user_init: internal error");
	}
	return 0;
}
