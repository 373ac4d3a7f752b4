// libFuzzer target: the --thermal option value (and SLURM_PI_THERMAL,
// PI_THERMAL), as spank_pi_thermal parses it.
#include <string>

#include "common/policy.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	std::string_view value = fuzz_text(data, size);
	if (auto p = parse_thermal_policy(value)) {
		// Exact names only: what parses is what to_string() spells.
		FUZZ_CHECK(to_string(*p) == value, "accepted a variant spelling");
		return 0;
	}
	FUZZ_CHECK(value != "strict" && value != "balanced" && value != "any",
		   "refused a policy name");
	std::string why = thermal_policy_error(value);
	FUZZ_CHECK(why.ends_with("is not one of strict, balanced, any"),
		   "message: %s", why.c_str());
	return 0;
}
