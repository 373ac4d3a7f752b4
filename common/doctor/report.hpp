// slurm-pi doctor: which checks run (--only, --skip), and the findings as
// a table for people or JSON for scripts. Pure: findings in, text out.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/doctor/finding.hpp"

namespace slurmpi::doctor {

// One check as `slurm-pi doctor --list` names it.
struct CheckInfo {
	std::string id;          // "munge.key"
	std::string description; // one line
};

// Whether check `id` runs: `only` and `skip` hold ids or groups ("munge"
// selects "munge.key" and "munge.daemon"; "slurm.conf" every
// "slurm.conf.*"). Empty `only` means all; `skip` wins over `only`.
bool selected(std::string_view id, std::span<const std::string> only,
	      std::span<const std::string> skip);

// The words of an --only/--skip value ("munge,time.sync"), each checked
// against `known`: "" and the words when all name a check or a group;
// otherwise a message naming the first unknown word and the groups, e.g.
// `'mung' is not a check (groups: memory, mpi, munge, ...; see --list)`.
std::string parse_selection(std::string_view value, std::span<const CheckInfo> known,
			    std::vector<std::string> *words);

// The table: one line per finding (NODE when any finding has one, CHECK,
// RESULT, WHAT), and under each that is not ok, "saw:" and "fix:" lines
// when there is evidence or a fix; then a last line with the worst
// result and the counts, e.g. "worst: fail (1 fail, 2 warn, 9 ok,
// 1 skip)". `color`: ANSI colours for the result (ok green, warn yellow,
// fail bold red, skip dim). Ends in '\n'. Every value is printed
// as it is: the checks quote what they took from files.
std::string format_text(std::span<const Finding> findings, bool color);

// {"worst": "fail", "counts": {"ok": 9, ...}, "findings": [{"check",
// "verdict", "summary", "evidence", "fix", "node"}...]}, one line, '\n'.
std::string format_json(std::span<const Finding> findings);

// `slurm-pi doctor --list`: "ID  DESCRIPTION" lines, aligned, '\n' each.
std::string format_list(std::span<const CheckInfo> checks);

} // namespace slurmpi::doctor
