#include <criterion/criterion.h>

#include "common/policy.hpp"

using namespace slurmpi;

Test(policy, parses_the_three_names)
{
	cr_assert(parse_thermal_policy("strict") == ThermalPolicy::strict);
	cr_assert(parse_thermal_policy("balanced") == ThermalPolicy::balanced);
	cr_assert(parse_thermal_policy("any") == ThermalPolicy::any);
}

Test(policy, rejects_other_spellings)
{
	for (const char *bad : {"", "Strict", "STRICT", "hot", "strict ", " any", "bal"})
		cr_assert(!parse_thermal_policy(bad).has_value(), "accepted '%s'", bad);
}

Test(policy, round_trips_through_to_string)
{
	for (auto p : {ThermalPolicy::strict, ThermalPolicy::balanced, ThermalPolicy::any})
		cr_assert(parse_thermal_policy(to_string(p)) == p);
}

Test(policy, error_names_the_value_and_the_choices)
{
	// Keep the strings alive: Criterion evaluates its arguments more than once.
	std::string hot = thermal_policy_error("hot"), empty = thermal_policy_error("");
	cr_assert_str_eq(hot.c_str(), "'hot' is not one of strict, balanced, any");
	cr_assert_str_eq(empty.c_str(), "an empty value is not one of strict, balanced, any");
}

Test(policy, error_escapes_control_characters)
{
	std::string nl = thermal_policy_error("strict\nerror: forged");
	std::string q = thermal_policy_error("it's");
	cr_assert_str_eq(nl.c_str(),
			 "'strict\\nerror: forged' is not one of strict, balanced, any");
	cr_assert_str_eq(q.c_str(), "'it\\'s' is not one of strict, balanced, any");
}

Test(report_flag, yes_and_no_only)
{
	cr_assert(parse_report_flag("yes") == std::optional<bool>(true));
	cr_assert(parse_report_flag("no") == std::optional<bool>(false));
	for (const char *bad : {"", "1", "0", "true", "Yes", "on", "yes ", "maybe"})
		cr_assert(!parse_report_flag(bad).has_value(), "accepted '%s'", bad);
	for (bool on : {true, false})
		cr_assert(parse_report_flag(report_flag_name(on)) == std::optional<bool>(on));
}

Test(report_flag, error_names_the_value_and_the_choices)
{
	std::string bad = report_flag_error("maybe"), empty = report_flag_error("");
	std::string nl = report_flag_error("yes\nx");
	cr_assert_str_eq(bad.c_str(), "'maybe' is not one of yes, no");
	cr_assert_str_eq(empty.c_str(), "an empty value is not one of yes, no");
	cr_assert_str_eq(nl.c_str(), "'yes\\nx' is not one of yes, no");
}
