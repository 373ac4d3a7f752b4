// slurm-pi doctor: what one check found, and how a list of findings is
// judged and shown. Pure: no I/O. Every check (common/doctor/*.hpp) is a
// function of the facts the tool gathered, returning Findings.
//
// A finding reads, in a table or JSON:
//   check     slurm.conf.partition
//   verdict   fail
//   summary   PartitionName=default is the only partition: Slurm reads it
//             as the defaults template, and slurmctld exits "No
//             PartitionName information available"
//   evidence  /etc/slurm/slurm.conf:42: PartitionName=default Nodes=...
//   fix       PartitionName=main Nodes=... Default=YES MaxTime=INFINITE State=UP
#pragma once

#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace slurmpi::doctor {

// Worst last: ok < skip < warn < fail. skip: the check cannot judge here
// (not a Pi, no slurm.conf, a file it may not read); it never hides a
// problem behind ok.
enum class Verdict { ok, skip, warn, fail };

// "ok", "skip", "warn", "fail".
std::string_view verdict_name(Verdict v);

struct Finding {
	// The check's id, as `--only` and `--skip` name it: a group and a
	// name, e.g. "slurm.conf.partition", "munge.key", "power.voltage".
	std::string check;
	Verdict verdict = Verdict::ok;
	// One line: what is wrong, or what is right.
	std::string summary;
	// One line: what it saw (a file and line, a value, a command's
	// output), with values quoted by quoted() (common/text.hpp). "" if
	// nothing to show.
	std::string evidence;
	// One line: what to do about it. "" for ok and skip.
	std::string fix;
	// The node it was found on; "" until the runner fills it in.
	std::string node;
};

// A finding of `check` (node left empty for the runner): what every
// check returns.
inline Finding finding(std::string_view check, Verdict v, std::string summary,
		       std::string evidence = {}, std::string fix = {})
{
	return {std::string(check), v, std::move(summary), std::move(evidence), std::move(fix), {}};
}

// The worst verdict of `findings` (ok for none).
Verdict worst(const std::vector<Finding> &findings);

// The exit status for a worst verdict: 0 ok or skip, 4 warn, 5 fail
// (slurm-pi's own errors keep 1-3; documented in slurm-pi(1)).
inline constexpr int kExitWarn = 4;
inline constexpr int kExitFail = 5;
int exit_status(Verdict worst);

} // namespace slurmpi::doctor
