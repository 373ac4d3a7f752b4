#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "common/doctor/conf_checks.hpp"
#include "common/doctor/finding.hpp"
#include "common/doctor/slurm_conf.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi::doctor;

namespace {

const std::string kDir = std::string(FIXTURES_DIR) + "/slurm-conf/";

SlurmConf fixture(const std::string &name)
{
	std::string text = slurp(kDir + name);
	cr_assert(!text.empty(), "cannot read %s", (kDir + name).c_str());
	return parse_slurm_conf(text, "/etc/slurm/" + name);
}

// MemTotal of the pi4b fixture tree: 3884356 kB, 3793 MB as slurmd counts.
constexpr std::uint64_t kPi4MemTotal = 3884356;

const BoardCpus kPi4{4, 1, 4, 1};

void expect_names(const std::optional<std::vector<std::string>> &got,
		  const std::vector<std::string> &want)
{
	cr_assert(got.has_value(), "refused");
	cr_assert_eq(got->size(), want.size(), "%zu names", got->size());
	for (std::size_t i = 0; i < want.size(); i++)
		assert_sv_eq((*got)[i], want[i].c_str());
}

} // namespace

// ---------------------------------------------------------------- reader

Test(slurm_conf, reads_the_guide)
{
	SlurmConf c = fixture("guide.conf");
	cr_assert(c.errors.empty(), "%s", c.errors.empty() ? "" : c.errors[0].c_str());
	cr_assert_eq(c.entries.size(), 4u);
	const ConfEntry &p = c.entries[3];
	assert_sv_eq(p.file, "/etc/slurm/guide.conf");
	cr_assert_eq(p.line, 6);
	assert_sv_eq(p.text,
		     "PartitionName=default Nodes=pi[1-4] Default=YES MaxTime=INFINITE State=UP");
	cr_assert_eq(p.kv.size(), 5u);
	assert_sv_eq(p.kv[1].first, "Nodes");
	assert_sv_eq(p.kv[1].second, "pi[1-4]");
	assert_sv_eq(*c.param("clustername"), "raspi-cluster");
	cr_assert_eq(c.of_kind("NODENAME").size(), 1u);
}

Test(slurm_conf, comments_escapes_continuations_and_includes)
{
	SlurmConf c = fixture("continued.conf");
	cr_assert(c.errors.empty(), "%s", c.errors.empty() ? "" : c.errors[0].c_str());
	// '\#' is a literal '#'; the comment after it is cut.
	assert_sv_eq(*c.param("ClusterName"), "pi#cluster");
	cr_assert_eq(c.includes.size(), 1u);
	assert_sv_eq(c.includes[0], "/etc/slurm/nodes.conf");
	cr_assert_eq(c.entries.size(), 9u);
	// Lines 4-5 are one line; the backslash at the end of line 5 is in
	// its comment, so line 6 is a line of its own.
	const ConfEntry &d = c.entries[1];
	cr_assert_eq(d.line, 4);
	assert_sv_eq(*d.get("realmemory"), "7800");
	cr_assert(!d.get("MaxTime"));
	cr_assert_eq(c.entries[2].line, 6);
	assert_sv_eq(c.entries[2].kind(), "PartitionName");
	// White space around '=' and a quoted value with a space.
	const ConfEntry &n3 = c.entries[5];
	cr_assert_eq(n3.line, 9);
	assert_sv_eq(n3.kv[0].first, "nodename");
	assert_sv_eq(n3.kv[0].second, "pi03");
	assert_sv_eq(*n3.get("FEATURE"), "pi3, arm64");
	// The continued partition line keeps its first line number.
	const ConfEntry &part = c.entries[6];
	cr_assert_eq(part.line, 10);
	assert_sv_eq(*part.get("Default"), "YES");
	// The last value of a global key counts.
	assert_sv_eq(*c.param("SelectTypeParameters"), "cr_cpu_memory");
	cr_assert(!c.param("TaskPlugin"));
}

Test(slurm_conf, continuation_joins_without_a_space)
{
	// _get_next_line reads the next line in where the backslash was.
	SlurmConf c = parse_slurm_conf("NodeName=pi[1-\\\n4] CPUs=4\n", "x");
	cr_assert_eq(c.entries.size(), 1u);
	assert_sv_eq(*c.entries[0].get("NodeName"), "pi[1-4]");
	// An even number of backslashes is a literal one, not a continuation.
	SlurmConf e = parse_slurm_conf("A=x\\\\\nB=y\n", "x");
	cr_assert_eq(e.entries.size(), 2u);
	assert_sv_eq(*e.entries[0].get("A"), "x\\");
	cr_assert_eq(e.entries[1].line, 2);
	// '\\#': the backslash is escaped, the '#' starts a comment.
	SlurmConf h = parse_slurm_conf("A=x\\\\#y\n", "x");
	assert_sv_eq(*h.entries[0].get("A"), "x\\");
}

Test(slurm_conf, include_only_at_the_start_of_a_line)
{
	SlurmConf c = parse_slurm_conf("INCLUDE\tcgroup.conf extra\n  include x.conf\n"
				       "Includes=3\n",
				       "f");
	cr_assert_eq(c.includes.size(), 1u);
	assert_sv_eq(c.includes[0], "cgroup.conf");
	// "  include x.conf" is no include for Slurm: no key=value either.
	cr_assert_eq(c.errors.size(), 1u);
	cr_assert(contains(c.errors[0], "f:2: parse error"), "%s", c.errors[0].c_str());
	cr_assert_eq(c.entries.size(), 1u);
	assert_sv_eq(c.entries[0].kind(), "Includes");
}

Test(slurm_conf, errors_name_file_and_line)
{
	SlurmConf c = parse_slurm_conf("ClusterName=a\n\nNodeName=pi1 junk\n", "/s.conf");
	cr_assert_eq(c.errors.size(), 1u);
	std::string e = c.errors[0];
	cr_assert(contains(e, "/s.conf:3: parse error at 'junk'"), "%s", e.c_str());
	// The pairs before it are kept.
	cr_assert_eq(c.entries.size(), 2u);
	assert_sv_eq(*c.entries[1].get("NodeName"), "pi1");
	// Two global keys on one line: Slurm's parse error, pairs kept.
	SlurmConf two = parse_slurm_conf("SelectType=select/cons_tres SelectTypeParameters=CR_Core\n"
					 "PartitionName=main Nodes=ALL\n",
					 "f");
	cr_assert_eq(two.errors.size(), 1u);
	std::string e2 = two.errors[0];
	cr_assert(contains(e2, "f:1: parse error: 'SelectType' takes one key=value"), "%s",
		  e2.c_str());
	assert_sv_eq(*two.entries[0].get("SelectTypeParameters"), "CR_Core");
}

Test(slurm_conf, bounded)
{
	std::string huge(kConfMaxLine + 10, 'a');
	SlurmConf c = parse_slurm_conf("A=" + huge + "\nB=1\n", "f");
	cr_assert_eq(c.entries.size(), 1u);
	assert_sv_eq(c.entries[0].kind(), "B");
	cr_assert_eq(c.entries[0].line, 2);
	cr_assert(contains(c.errors[0], "f:1: line longer than"), "%s", c.errors[0].c_str());

	std::string many;
	for (std::size_t i = 0; i < kConfMaxErrors * 2; i++)
		many += "?\n";
	SlurmConf m = parse_slurm_conf(many, "f");
	cr_assert_eq(m.errors.size(), kConfMaxErrors);
	cr_assert(contains(m.errors.back(), "more errors left out"));

	std::string pairs = "NodeName=pi1 ";
	for (std::size_t i = 0; i < kConfMaxPairs + 5; i++)
		pairs += "K" + std::to_string(i) + "=v ";
	SlurmConf p = parse_slurm_conf(pairs, "f");
	cr_assert_eq(p.entries[0].kv.size(), kConfMaxPairs);
	cr_assert_eq(p.errors.size(), 1u);
}

Test(slurm_conf, format_entry_quotes_when_needed)
{
	assert_sv_eq(format_entry({{"NodeName", "pi1"}, {"Feature", "a b"}, {"Reason", ""}}),
		     "NodeName=pi1 Feature=\"a b\" Reason=\"\"");
}

// ---------------------------------------------------------------- host lists

Test(hostlist, expands)
{
	expect_names(expand_hostlist("pi1,pi2"), {"pi1", "pi2"});
	expect_names(expand_hostlist("pi[1-4]"), {"pi1", "pi2", "pi3", "pi4"});
	expect_names(expand_hostlist("pi[01-10]"), {"pi01", "pi02", "pi03", "pi04", "pi05",
						    "pi06", "pi07", "pi08", "pi09", "pi10"});
	expect_names(expand_hostlist("pi[8-10]"), {"pi8", "pi9", "pi10"});
	expect_names(expand_hostlist("node[1-2,5]"), {"node1", "node2", "node5"});
	expect_names(expand_hostlist("a[1-2]b[3-4]"), {"a1b3", "a1b4", "a2b3", "a2b4"});
	expect_names(expand_hostlist("x[1-2],y"), {"x1", "x2", "y"});
	expect_names(expand_hostlist("[7]"), {"7"});
}

Test(hostlist, refuses_malformed)
{
	for (const char *bad : {"", "pi[", "pi]", "pi[1-", "pi[2-1]", "pi[a-b]", "pi[]",
				"pi[1-2", "pi[[1]]", "pi1,,pi2", "pi1,", "pi 1", "pi[-1]",
				"pi[1-4294967296]", "pi[1--2]", "pi[1-2]x", "a[1]b[2]c"})
		cr_assert(!expand_hostlist(bad).has_value(), "accepted %s", bad);
}

Test(hostlist, bounded)
{
	cr_assert(expand_hostlist("pi[1-4096]").has_value());
	cr_assert(!expand_hostlist("pi[1-4097]").has_value());
	cr_assert(!expand_hostlist("pi[0-4294967295]").has_value());
	cr_assert(!expand_hostlist("a[1-100]b[1-100]").has_value());
	cr_assert(!expand_hostlist("a[1-3],b[1-3]", 5).has_value());
	cr_assert(expand_hostlist("a[1-3],b[1-2]", 5).has_value());
}

// ---------------------------------------------------------------- nodes

Test(find_node, defaults_apply_to_later_lines)
{
	SlurmConf c = fixture("continued.conf");
	auto n = find_node(c, "pi02");
	cr_assert(n.has_value());
	cr_assert_eq(n->entry->line, 8);
	// The second DEFAULT line replaced RealMemory, kept CPUs.
	assert_sv_eq(*n->get("RealMemory"), "3700");
	assert_sv_eq(*n->get("CPUs"), "4");
	assert_sv_eq(*n->get("ThreadsPerCore"), "1");
	auto n3 = find_node(c, "pi03");
	assert_sv_eq(*n3->get("RealMemory"), "900");
	cr_assert(!find_node(c, "pi2").has_value(), "pi2 is not pi02");
	cr_assert(!find_node(c, "DEFAULT").has_value());
	// A DEFAULT line after a node does not reach back.
	SlurmConf late = parse_slurm_conf("NodeName=pi1 CPUs=4\nNodeName=DEFAULT RealMemory=9\n",
					  "f");
	cr_assert(!find_node(late, "pi1")->get("RealMemory"));
}

// ---------------------------------------------------------------- partition

Test(check_partition, guide_default_partition_fails)
{
	Finding f = check_partition(fixture("guide.conf"));
	assert_sv_eq(f.check, "slurm.conf.partition");
	cr_assert(f.verdict == Verdict::fail);
	cr_assert(contains(f.summary, "No PartitionName information available"), "%s",
		  f.summary.c_str());
	cr_assert(contains(f.summary, "PartitionName=default is the only partition"), "%s",
		  f.summary.c_str());
	assert_sv_eq(f.evidence, "/etc/slurm/guide.conf:6: 'PartitionName=default "
				 "Nodes=pi[1-4] Default=YES MaxTime=INFINITE State=UP'");
	assert_sv_eq(f.fix,
		     "PartitionName=main Nodes=pi[1-4] Default=YES MaxTime=INFINITE State=UP");
}

Test(check_partition, adds_default_yes)
{
	Finding f = check_partition(
		parse_slurm_conf("PartitionName=DEFAULT Nodes=pi[1-2] State=UP\n", "f"));
	cr_assert(f.verdict == Verdict::fail);
	assert_sv_eq(f.fix, "PartitionName=main Nodes=pi[1-2] State=UP Default=YES");
	Finding g = check_partition(parse_slurm_conf("partitionname=Default Default=NO\n", "f"));
	cr_assert(g.verdict == Verdict::fail);
	assert_sv_eq(g.fix, "partitionname=main Default=YES");
}

Test(check_partition, no_partition_line_fails)
{
	Finding f = check_partition(parse_slurm_conf("NodeName=pi1 CPUs=4\n", "f"));
	cr_assert(f.verdict == Verdict::fail);
	cr_assert(contains(f.summary, "no PartitionName line"), "%s", f.summary.c_str());
	cr_assert(!f.fix.empty());
}

Test(check_partition, real_partition_ok)
{
	Finding f = check_partition(fixture("fixed.conf"));
	cr_assert(f.verdict == Verdict::ok, "%s", f.summary.c_str());
	cr_assert(contains(f.summary, "'main'"), "%s", f.summary.c_str());
	cr_assert(f.fix.empty());
	// A DEFAULT line beside a real partition is fine.
	cr_assert(check_partition(fixture("continued.conf")).verdict == Verdict::ok);
}

// ---------------------------------------------------------------- RealMemory

Test(check_real_memory, too_much_fails_with_a_fix)
{
	SlurmConf c = parse_slurm_conf("NodeName=pi[1-4] CPUs=4 RealMemory=3900\n", "/e/s.conf");
	Finding f = check_real_memory(c, "pi3", kPi4MemTotal, 3537);
	assert_sv_eq(f.check, "slurm.conf.realmemory");
	cr_assert(f.verdict == Verdict::fail);
	cr_assert(contains(f.summary, "RealMemory=3900 MB, slurmd reports 3793 MB"), "%s",
		  f.summary.c_str());
	cr_assert(contains(f.summary, "Low RealMemory"));
	assert_sv_eq(f.evidence, "/e/s.conf:1: 'NodeName=pi[1-4] CPUs=4 RealMemory=3900'");
	assert_sv_eq(f.fix, "NodeName=pi[1-4] CPUs=4 RealMemory=3537");
	// Without a suggestion, or with one above what slurmd reports.
	Finding g = check_real_memory(c, "pi3", kPi4MemTotal, std::nullopt);
	assert_sv_eq(g.fix, "NodeName=pi[1-4] CPUs=4 RealMemory=3793");
	Finding h = check_real_memory(c, "pi3", kPi4MemTotal, 5000);
	assert_sv_eq(h.fix, "NodeName=pi[1-4] CPUs=4 RealMemory=3793");
}

Test(check_real_memory, exact_fit_ok_one_more_fails)
{
	SlurmConf ok = parse_slurm_conf("NodeName=pi1 RealMemory=3793\n", "f");
	cr_assert(check_real_memory(ok, "pi1", kPi4MemTotal, {}).verdict == Verdict::ok);
	SlurmConf bad = parse_slurm_conf("NodeName=pi1 RealMemory=3794\n", "f");
	cr_assert(check_real_memory(bad, "pi1", kPi4MemTotal, {}).verdict == Verdict::fail);
}

Test(check_real_memory, from_a_default_line)
{
	SlurmConf c = fixture("continued.conf");
	// pi01 takes RealMemory=3700 from the DEFAULT line: fits a Pi 4.
	cr_assert(check_real_memory(c, "pi01", kPi4MemTotal, {}).verdict == Verdict::ok);
	// ...not a 1 GB Pi 3 (944584 kB, 922 MB): the fix adds the key to
	// the node's own line.
	Finding f = check_real_memory(c, "pi01", 944584, {});
	cr_assert(f.verdict == Verdict::fail);
	assert_sv_eq(f.fix, "NodeName=pi[01-02] State=UNKNOWN RealMemory=922");
}

Test(check_real_memory, absent_ok_missing_node_skip)
{
	SlurmConf c = fixture("guide.conf");
	Finding f = check_real_memory(c, "pi1", kPi4MemTotal, {});
	cr_assert(f.verdict == Verdict::ok);
	cr_assert(contains(f.summary, "RealMemory not set"), "%s", f.summary.c_str());
	Finding s = check_real_memory(c, "pi-master", kPi4MemTotal, {});
	cr_assert(s.verdict == Verdict::skip);
	cr_assert(contains(s.summary, "no NodeName line names 'pi-master'"), "%s",
		  s.summary.c_str());
	cr_assert(check_real_memory(c, "pi1", 0, {}).verdict == Verdict::skip);
}

Test(check_real_memory, node_reg_mem_percent_and_config_overrides)
{
	SlurmConf c = parse_slurm_conf("SlurmctldParameters=enable_configless,"
				       "node_reg_mem_percent=90\n"
				       "NodeName=pi1 RealMemory=4000\n",
				       "f");
	// 3793 / 4000 = 94.8 % >= 90 %.
	cr_assert(check_real_memory(c, "pi1", kPi4MemTotal, {}).verdict == Verdict::ok);
	SlurmConf o = parse_slurm_conf("SlurmdParameters=config_overrides\n"
				       "NodeName=pi1 RealMemory=4000\n",
				       "f");
	cr_assert(check_real_memory(o, "pi1", kPi4MemTotal, {}).verdict == Verdict::warn);
}

Test(check_real_memory, not_a_number_warns)
{
	SlurmConf c = parse_slurm_conf("NodeName=pi1 RealMemory=4G\n", "f");
	Finding f = check_real_memory(c, "pi1", kPi4MemTotal, {});
	cr_assert(f.verdict == Verdict::warn);
	cr_assert(contains(f.summary, "'4G'"), "%s", f.summary.c_str());
	cr_assert(contains(f.fix, "at most 3793"), "%s", f.fix.c_str());
}

// ---------------------------------------------------------------- CPUs

Test(check_cpus, guide_line_matches_a_pi4)
{
	Finding f = check_cpus(fixture("guide.conf"), "pi2", kPi4);
	assert_sv_eq(f.check, "slurm.conf.cpus");
	cr_assert(f.verdict == Verdict::ok, "%s", f.summary.c_str());
	cr_assert(check_cpus(fixture("guide.conf"), "nope", kPi4).verdict == Verdict::skip);
	cr_assert(check_cpus(fixture("guide.conf"), "pi2", BoardCpus{}).verdict ==
		  Verdict::skip);
}

Test(check_cpus, more_than_the_board_drains)
{
	SlurmConf c = parse_slurm_conf("NodeName=pi1 CPUs=8 State=UNKNOWN\n", "f");
	Finding f = check_cpus(c, "pi1", kPi4);
	cr_assert(f.verdict == Verdict::warn);
	cr_assert(contains(f.summary, "\"Low socket*core*thread count\", \"Low CPUs\""), "%s",
		  f.summary.c_str());
	cr_assert(contains(f.fix, "NodeName=pi1 CPUs=4 State=UNKNOWN"), "%s", f.fix.c_str());
}

Test(check_cpus, fewer_leaves_cores_idle)
{
	// No CPU key at all: Slurm takes one CPU.
	SlurmConf c = parse_slurm_conf("NodeName=pi1 RealMemory=3000\n", "f");
	Finding f = check_cpus(c, "pi1", kPi4);
	cr_assert(f.verdict == Verdict::warn);
	cr_assert(contains(f.summary, "only 1 CPUs"), "%s", f.summary.c_str());
	cr_assert(contains(f.fix, "NodeName=pi1 RealMemory=3000 CPUs=4"), "%s", f.fix.c_str());
}

Test(check_cpus, layout_differs)
{
	SlurmConf c = parse_slurm_conf(
		"NodeName=pi1 CPUs=4 Sockets=2 CoresPerSocket=2 ThreadsPerCore=1\n", "f");
	Finding f = check_cpus(c, "pi1", kPi4);
	cr_assert(f.verdict == Verdict::warn);
	cr_assert(contains(f.summary, "layout differs"), "%s", f.summary.c_str());
	cr_assert(contains(f.fix, "NodeName=pi1 CPUs=4 Sockets=1 CoresPerSocket=4 "
				  "ThreadsPerCore=1"),
		  "%s", f.fix.c_str());
	// nodeconf's own line matches.
	SlurmConf n = parse_slurm_conf("NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 "
				       "CoresPerSocket=4 ThreadsPerCore=1 RealMemory=3629\n",
				       "f");
	cr_assert(check_cpus(n, "pi1", kPi4).verdict == Verdict::ok);
}

Test(check_cpus, from_defaults_and_bad_numbers)
{
	SlurmConf c = fixture("continued.conf");
	cr_assert(check_cpus(c, "pi03", kPi4).verdict == Verdict::ok);
	SlurmConf b = parse_slurm_conf("NodeName=pi1 CPUs=four\n", "f");
	Finding f = check_cpus(b, "pi1", kPi4);
	cr_assert(f.verdict == Verdict::warn);
	cr_assert(contains(f.summary, "'four'"), "%s", f.summary.c_str());
	cr_assert(contains(f.fix, "write CPUs as a number"), "%s", f.fix.c_str());
}

// ---------------------------------------------------------------- select memory

Test(check_select_memory, no_memory_option_ok)
{
	Finding f = check_select_memory(fixture("guide.conf"), false);
	assert_sv_eq(f.check, "slurm.conf.select_memory");
	cr_assert(f.verdict == Verdict::ok);
	cr_assert(check_select_memory(parse_slurm_conf("SelectTypeParameters=CR_Core\n", "f"),
				      false)
			  .verdict == Verdict::ok);
}

Test(check_select_memory, memory_with_cgroup_ok)
{
	cr_assert(check_select_memory(fixture("fixed.conf"), true).verdict == Verdict::ok);
}

Test(check_select_memory, task_cgroup_constrain_ram_fails)
{
	Finding f = check_select_memory(fixture("fixed.conf"), false, true);
	cr_assert(f.verdict == Verdict::fail);
	cr_assert(contains(f.summary, "failure enabling memory enforcement"), "%s",
		  f.summary.c_str());
	cr_assert(contains(f.fix, "see memory.cgroup"), "%s", f.fix.c_str());
	assert_sv_eq(f.evidence, "/etc/slurm/fixed.conf:5: 'SelectTypeParameters=CR_Core_Memory'");
	// cgroup.conf not known: a warning that says both outcomes.
	Finding u = check_select_memory(fixture("fixed.conf"), false);
	cr_assert(u.verdict == Verdict::warn);
	cr_assert(check_select_memory(fixture("fixed.conf"), false, false).verdict ==
		  Verdict::warn);
}

Test(check_select_memory, any_case_any_option_without_task_cgroup_warns)
{
	for (const char *opt : {"cr_core_memory", "CR_CPU_Memory", "CR_Socket_Memory",
				"CR_MEMORY", "CR_LLN,CR_Core_Memory"}) {
		SlurmConf c = parse_slurm_conf(std::string("SelectTypeParameters=") + opt +
						       "\nTaskPlugin=task/affinity\n",
					       "f");
		Finding f = check_select_memory(c, false, true);
		cr_assert(f.verdict == Verdict::warn, "%s", opt);
		cr_assert(contains(f.summary, "not enforced"), "%s", f.summary.c_str());
	}
	// Not a memory option: a prefix is not enough.
	SlurmConf c = parse_slurm_conf("SelectTypeParameters=CR_Core_Memoryx\n", "f");
	cr_assert(check_select_memory(c, false).verdict == Verdict::ok);
}
