#include "common/policy.hpp"

#include "common/text.hpp"

namespace slurmpi {

std::optional<ThermalPolicy> parse_thermal_policy(std::string_view s)
{
	if (s == "strict")
		return ThermalPolicy::strict;
	if (s == "balanced")
		return ThermalPolicy::balanced;
	if (s == "any")
		return ThermalPolicy::any;
	return std::nullopt;
}

std::string_view to_string(ThermalPolicy p)
{
	switch (p) {
	case ThermalPolicy::strict:
		return "strict";
	case ThermalPolicy::balanced:
		return "balanced";
	case ThermalPolicy::any:
		return "any";
	}
	return "balanced";
}

std::string thermal_policy_error(std::string_view bad_value)
{
	if (bad_value.empty())
		return "an empty value is not one of strict, balanced, any";
	return quoted(bad_value) + " is not one of strict, balanced, any";
}

std::optional<bool> parse_report_flag(std::string_view s)
{
	if (s == "yes")
		return true;
	if (s == "no")
		return false;
	return std::nullopt;
}

std::string_view report_flag_name(bool on) { return on ? "yes" : "no"; }

std::string report_flag_error(std::string_view bad_value)
{
	if (bad_value.empty())
		return "an empty value is not one of yes, no";
	return quoted(bad_value) + " is not one of yes, no";
}

} // namespace slurmpi
