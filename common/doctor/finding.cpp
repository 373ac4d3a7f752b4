#include "common/doctor/finding.hpp"

namespace slurmpi::doctor {

std::string_view verdict_name(Verdict v)
{
	switch (v) {
	case Verdict::ok:
		return "ok";
	case Verdict::skip:
		return "skip";
	case Verdict::warn:
		return "warn";
	case Verdict::fail:
		return "fail";
	}
	return "fail";
}

Verdict worst(const std::vector<Finding> &findings)
{
	Verdict w = Verdict::ok;
	for (const Finding &f : findings)
		if (f.verdict > w)
			w = f.verdict;
	return w;
}

int exit_status(Verdict worst)
{
	switch (worst) {
	case Verdict::ok:
	case Verdict::skip:
		return 0;
	case Verdict::warn:
		return kExitWarn;
	case Verdict::fail:
		return kExitFail;
	}
	return kExitFail;
}

} // namespace slurmpi::doctor
