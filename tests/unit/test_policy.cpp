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
