// common/doctor/report: --only/--skip selection and the table and JSON of
// findings.
#include <criterion/criterion.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/doctor/report.hpp"

using namespace slurmpi::doctor;

namespace {

const std::vector<CheckInfo> kKnown = {
	{"slurm.conf.partition", "a real partition exists"},
	{"slurm.conf.realmemory", "RealMemory fits"},
	{"munge.key", "the key's owner and mode"},
	{"munge.daemon", "munged answers"},
	{"time.sync", "the clock is synchronised"},
};

bool has(const std::string &s, const std::string &needle)
{
	return s.find(needle) != std::string::npos;
}

std::vector<Finding> sample()
{
	return {
		{"slurm.conf.partition", Verdict::fail, "only PartitionName=default",
		 "/etc/slurm/slurm.conf:3: 'PartitionName=default Nodes=pi[1-4]'",
		 "PartitionName=main Nodes=pi[1-4] Default=YES", ""},
		{"munge.key", Verdict::ok, "owned by munge, mode 0400", "", "", ""},
		{"time.sync", Verdict::warn, "not synchronised", "timedatectl: NTPSynchronized=no",
		 "sudo timedatectl set-ntp true", ""},
		{"power.voltage", Verdict::skip, "not a Raspberry Pi", "", "", ""},
	};
}

} // namespace

Test(select, everything_by_default)
{
	cr_assert(selected("munge.key", {}, {}));
}

Test(select, only_takes_ids_and_groups)
{
	std::vector<std::string> only = {"munge"};
	cr_assert(selected("munge.key", only, {}));
	cr_assert(selected("munge.daemon", only, {}));
	cr_assert(!selected("time.sync", only, {}));
	std::vector<std::string> one = {"time.sync"};
	cr_assert(selected("time.sync", one, {}));
	cr_assert(!selected("time.syncx", one, {}));
	// A group is a whole word: "slurm" is not "slurm-pi".
	std::vector<std::string> slurm = {"slurm"};
	cr_assert(!selected("slurm-pi.plugins", slurm, {}));
	std::vector<std::string> conf = {"slurm.conf"};
	cr_assert(selected("slurm.conf.partition", conf, {}));
}

Test(select, skip_wins)
{
	std::vector<std::string> only = {"munge"}, skip = {"munge.daemon"};
	cr_assert(selected("munge.key", only, skip));
	cr_assert(!selected("munge.daemon", only, skip));
	std::vector<std::string> all_munge = {"munge"};
	cr_assert(!selected("munge.key", {}, all_munge));
}

Test(select, parse_selection_checks_each_word)
{
	std::vector<std::string> words;
	cr_assert_str_eq(parse_selection("munge,time.sync", kKnown, &words).c_str(), "");
	cr_assert_eq(words.size(), 2u);
	cr_assert_str_eq(words[0].c_str(), "munge");
	cr_assert_str_eq(parse_selection("slurm.conf", kKnown, &words).c_str(), "");
	std::string e = parse_selection("munge,mung", kKnown, &words);
	cr_assert(has(e, "'mung' is not a check"), "%s", e.c_str());
	cr_assert(has(e, "groups: munge, slurm, time"), "%s", e.c_str());
	cr_assert(has(e, "--list"), "%s", e.c_str());
	e = parse_selection("munge,,time", kKnown, &words);
	cr_assert(has(e, "an empty name"), "%s", e.c_str());
	e = parse_selection("", kKnown, &words);
	cr_assert(has(e, "an empty name"), "%s", e.c_str());
}

Test(text, table_with_saw_and_fix_for_problems_only)
{
	auto f = sample();
	std::string t = format_text(f, false);
	cr_assert(t.starts_with("CHECK"), "%s", t.c_str());
	cr_assert(!has(t, "NODE"), "%s", t.c_str());
	cr_assert(has(t, "slurm.conf.partition  FAIL    only PartitionName=default\n"), "%s", t.c_str());
	cr_assert(has(t, "saw: /etc/slurm/slurm.conf:3:"), "%s", t.c_str());
	cr_assert(has(t, "fix: PartitionName=main Nodes=pi[1-4] Default=YES\n"), "%s", t.c_str());
	cr_assert(has(t, "munge.key             ok      owned by munge"), "%s", t.c_str());
	cr_assert(has(t, "SKIP    not a Raspberry Pi"), "%s", t.c_str());
	cr_assert(t.ends_with("worst: fail (1 fail, 1 warn, 1 ok, 1 skip)\n"), "%s", t.c_str());
	cr_assert(!has(t, "\033["), "no colour unless asked");
}

Test(text, colour_and_node_column)
{
	auto f = sample();
	for (auto &x : f)
		x.node = "pi2";
	std::string t = format_text(f, true);
	cr_assert(t.starts_with("NODE  CHECK"), "%s", t.c_str());
	cr_assert(has(t, "\033[1;31mFAIL  \033[0m"), "%s", t.c_str());
	cr_assert(has(t, "\033[32mok    \033[0m"), "%s", t.c_str());
	cr_assert(has(t, "worst: \033[1;31mfail\033[0m"), "%s", t.c_str());
}

Test(text, no_findings)
{
	std::string t = format_text({}, false);
	cr_assert(t.ends_with("worst: ok (0 fail, 0 warn, 0 ok, 0 skip)\n"), "%s", t.c_str());
}

Test(json, every_field_and_the_worst)
{
	auto f = sample();
	f[2].node = "pi3";
	auto j = nlohmann::json::parse(format_json(f));
	cr_assert_eq(j["worst"], "fail");
	cr_assert_eq(j["counts"]["warn"], 1);
	cr_assert_eq(j["counts"]["ok"], 1);
	cr_assert_eq(j["findings"].size(), 4u);
	cr_assert_eq(j["findings"][0]["check"], "slurm.conf.partition");
	cr_assert_eq(j["findings"][0]["verdict"], "fail");
	cr_assert_eq(j["findings"][0]["fix"], "PartitionName=main Nodes=pi[1-4] Default=YES");
	cr_assert_eq(j["findings"][2]["node"], "pi3");
}

Test(json, invalid_utf8_does_not_throw)
{
	std::vector<Finding> f = {{"munge.key", Verdict::fail, "bad \xff byte", "", "", ""}};
	auto j = nlohmann::json::parse(format_json(f));
	cr_assert_eq(j["worst"], "fail");
}

Test(list, aligned)
{
	std::string l = format_list(kKnown);
	cr_assert(has(l, "munge.key              the key's owner and mode\n"), "%s", l.c_str());
}

// finding.hpp/.cpp: the verdicts' names, the worst of a list, the exit
// status, and the constructor every check uses.
Test(finding, verdict_names)
{
	cr_assert_str_eq(std::string(verdict_name(Verdict::ok)).c_str(), "ok");
	cr_assert_str_eq(std::string(verdict_name(Verdict::skip)).c_str(), "skip");
	cr_assert_str_eq(std::string(verdict_name(Verdict::warn)).c_str(), "warn");
	cr_assert_str_eq(std::string(verdict_name(Verdict::fail)).c_str(), "fail");
}

Test(finding, worst_is_the_highest_and_ok_for_none)
{
	cr_assert_eq(worst({}), Verdict::ok);
	std::vector<Finding> fs(3);
	fs[1].verdict = Verdict::skip;
	cr_assert_eq(worst(fs), Verdict::skip);
	fs[0].verdict = Verdict::skip;
	fs[1].verdict = Verdict::warn;
	fs[2].verdict = Verdict::ok;
	cr_assert_eq(worst(fs), Verdict::warn);
	fs[2].verdict = Verdict::fail;
	cr_assert_eq(worst(fs), Verdict::fail);
	cr_assert_eq(worst(sample()), Verdict::fail);
}

Test(finding, exit_status_by_worst)
{
	cr_assert_eq(exit_status(Verdict::ok), 0);
	cr_assert_eq(exit_status(Verdict::skip), 0);
	cr_assert_eq(exit_status(Verdict::warn), kExitWarn);
	cr_assert_eq(exit_status(Verdict::fail), kExitFail);
	cr_assert_eq(kExitWarn, 4);
	cr_assert_eq(kExitFail, 5);
}

Test(finding, constructor_leaves_the_node_to_the_runner)
{
	Finding f = finding("munge.key", Verdict::warn, "s", "e", "x");
	cr_assert_str_eq(f.check.c_str(), "munge.key");
	cr_assert_eq(f.verdict, Verdict::warn);
	cr_assert_str_eq(f.summary.c_str(), "s");
	cr_assert_str_eq(f.evidence.c_str(), "e");
	cr_assert_str_eq(f.fix.c_str(), "x");
	cr_assert(f.node.empty());
	Finding ok = finding("time.sync", Verdict::ok, "fine");
	cr_assert(ok.evidence.empty() && ok.fix.empty());
}
