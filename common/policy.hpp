// Per-job thermal policy: how much a job cares about a node's thermal band.
//   strict   - never place the job on a hot or critical node
//   balanced - avoid hot/critical nodes when others fit (the default)
//   any      - ignore telemetry (stock cons_tres behaviour)
// Chosen with `--thermal=` (spank_pi_thermal), carried to slurmctld in the
// job's spank environment as PI_THERMAL, defaulted by DefaultThermalPolicy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slurmpi {

enum class ThermalPolicy { strict, balanced, any };

// Exact, lower-case names only: the value travels through environment
// variables and the spank job env, and one spelling keeps logs greppable.
std::optional<ThermalPolicy> parse_thermal_policy(std::string_view s);
std::string_view to_string(ThermalPolicy p);

// "'hot' is not one of strict, balanced, any" — for messages that then
// name the option or key in front of it.
std::string thermal_policy_error(std::string_view bad_value);

// `--thermal-report[=yes|no]` and SLURM_PI_THERMAL_REPORT: whether the job
// wants a thermal summary per node at its end. "yes" and "no" only (the
// value also travels in the job's environment, where one spelling keeps it
// greppable); nullopt for anything else.
std::optional<bool> parse_report_flag(std::string_view s);
std::string_view report_flag_name(bool on);
// "'maybe' is not one of yes, no".
std::string report_flag_error(std::string_view bad_value);

} // namespace slurmpi
