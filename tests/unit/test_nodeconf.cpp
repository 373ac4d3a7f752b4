#include <criterion/criterion.h>

#include <cstdio>
#include <string>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/nodeconf.hpp"

using namespace slurmpi;

#ifndef FIXTURES_DIR
#error "build with -DFIXTURES_DIR='\"<srcdir>/tests/fixtures\"'"
#endif

static const std::string kFixtures = FIXTURES_DIR;

// What `slurm-pi nodeconf` would gather on the node whose tree is `tree`,
// with a synthetic CPU layout instead of hwloc's view of this machine.
static NodeConfInput input_for(const char *tree, const char *topology,
			       const char *arch)
{
	NodeConfInput in;
	in.hostname = "pi1.cluster.lan";
	in.hostname_source = "gethostname";
	in.identity = detect_pi(kFixtures + "/" + tree);
	in.topology = read_topology(TopologySource::synthetic(topology));
	cr_assert(in.topology.topology.has_value(), "%s", in.topology.error.c_str());
	in.mem = read_meminfo(kFixtures + "/" + tree);
	cr_assert(in.mem.total_mb.has_value(), "%s", in.mem.error.c_str());
	in.arch = arch;
	in.arch_source = "the slurm-pi build";
	return in;
}

static void expect_line(const NodeConf &nc, const char *want)
{
	cr_assert_str_eq(nc.line.c_str(), want);
}

static bool has_text(const std::vector<std::string> &lines, const std::string &part)
{
	for (const std::string &l : lines)
		if (l.find(part) != std::string::npos)
			return true;
	return false;
}

static const char *const kPiCores = "package:1 core:4 pu:1";

// ---- one line per model

Test(nodeconf, pi4b)
{
	NodeConf nc = build_nodeconf(input_for("pi4b", kPiCores, "arm64"));
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 RealMemory=3537 Features=pi4b,arm64,mem4g");
	cr_assert(nc.complete);
	cr_assert(nc.problems.empty());
	cr_assert_eq(*nc.real_memory_mb, 3537u);
}

Test(nodeconf, pi5)
{
	NodeConf nc = build_nodeconf(input_for("pi5", kPiCores, "arm64"));
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 RealMemory=7796 Features=pi5,arm64,mem8g");
	cr_assert(nc.complete);
}

Test(nodeconf, pi3bplus_on_32bit_userland)
{
	NodeConf nc = build_nodeconf(input_for("pi3bplus", kPiCores, "armhf"));
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 RealMemory=666 Features=pi3bplus,armhf,mem1g");
}

Test(nodeconf, zero2w)
{
	NodeConf nc = build_nodeconf(input_for("zero2w", kPiCores, "arm64"));
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 RealMemory=170 Features=pizero2w,arm64,mem512m");
}

Test(nodeconf, x86_is_valid_without_pi_feature_and_says_why)
{
	NodeConf nc = build_nodeconf(input_for("x86", kPiCores, "amd64"));
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 RealMemory=15665 Features=amd64,mem16g");
	cr_assert(nc.complete);
	cr_assert(nc.comments[0].starts_with("not a Raspberry Pi ("), "%s",
		  nc.comments[0].c_str());
	cr_assert(has_text(nc.comments, "mem16g from MemTotal rounded up to 16384 MiB"));
}

Test(nodeconf, smt_machine)
{
	NodeConf nc = build_nodeconf(input_for("x86", "package:2 core:8 pu:2", "amd64"));
	expect_line(nc, "NodeName=pi1 CPUs=32 Boards=1 SocketsPerBoard=2 CoresPerSocket=8 "
			"ThreadsPerCore=2 RealMemory=15665 Features=amd64,mem16g");
}

// ---- the whole output

Test(nodeconf, formatted_output_names_every_source)
{
	NodeConf nc = build_nodeconf(input_for("pi4b", kPiCores, "arm64"));
	std::string got = format_nodeconf(nc);
	const char *want =
		"# Raspberry Pi 4 Model B Rev 1.4 (pi4b, 4 GB, Revision c03114, serial 10000000a744c93f)\n"
		"# CPUs, Boards, SocketsPerBoard, CoresPerSocket, ThreadsPerCore: "
		"synthetic topology \"package:1 core:4 pu:1\"\n"
		"# RealMemory: MemTotal 3793 MiB (/proc/meminfo) - MemoryReserveMB 256\n"
		"# Features: pi4b from /sys/firmware/devicetree/base/compatible: "
		"raspberrypi,4-model-b; arm64 from the slurm-pi build; mem4g from "
		"Revision c03114\n"
		"# NodeName: pi1 from gethostname\n"
		"NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
		"ThreadsPerCore=1 RealMemory=3537 Features=pi4b,arm64,mem4g\n";
	cr_assert_str_eq(got.c_str(), want);
}

// ---- RealMemory and the reserve

Test(nodeconf, reserve_from_config)
{
	NodeConfInput in = input_for("pi4b", kPiCores, "arm64");
	in.memory_reserve_mb = 512;
	cr_assert_eq(*build_nodeconf(in).real_memory_mb, 3793u - 512u);
	in.memory_reserve_mb = 0;
	cr_assert_eq(*build_nodeconf(in).real_memory_mb, 3793u);
}

Test(nodeconf, reserve_never_goes_below_the_floor)
{
	NodeConfInput in = input_for("zero2w", kPiCores, "arm64");
	in.memory_reserve_mb = 400; // 426 - 400 = 26 < 25% of 426
	NodeConf nc = build_nodeconf(in);
	cr_assert_eq(*nc.real_memory_mb, 106u);
	cr_assert(has_text(nc.comments, "RealMemory: 25% of MemTotal 426 MiB"));
	cr_assert(nc.complete);
	in.memory_reserve_mb = 65536; // more than there is
	cr_assert_eq(*build_nodeconf(in).real_memory_mb, 106u);
}

Test(nodeconf, unknown_memory_leaves_realmemory_out)
{
	NodeConfInput in = input_for("pi4b", kPiCores, "arm64");
	in.mem = read_meminfo(kFixtures + "/broken/missing");
	NodeConf nc = build_nodeconf(in);
	// The Revision still tells the memory class.
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 Features=pi4b,arm64,mem4g");
	cr_assert(!nc.complete);
	cr_assert(!nc.real_memory_mb.has_value());
	cr_assert(has_text(nc.problems,
			   "RealMemory left out: /proc/meminfo: No such file or directory"));
}

Test(nodeconf, non_pi_without_memory_has_no_memory_feature)
{
	NodeConfInput in = input_for("x86", kPiCores, "amd64");
	in.mem = parse_meminfo("garbage", "/proc/meminfo");
	NodeConf nc = build_nodeconf(in);
	expect_line(nc, "NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4 "
			"ThreadsPerCore=1 Features=amd64");
	cr_assert(has_text(nc.problems, "memory feature left out"));
}

Test(nodeconf, pi_without_revision_rounds_memtotal_to_a_power_of_two)
{
	NodeConfInput in = input_for("pi4b", kPiCores, "arm64");
	in.identity = detect_pi(kFixtures + "/broken/model_no_revision");
	cr_assert(in.identity.is_pi);
	NodeConf nc = build_nodeconf(in);
	cr_assert(nc.line.ends_with("Features=pi4b,arm64,mem4g"), "%s", nc.line.c_str());
	cr_assert(has_text(nc.comments, "mem4g from MemTotal rounded up to 4096 MiB"));
}

// ---- missing pieces

Test(nodeconf, unknown_pi_board_has_no_model_feature_and_says_why)
{
	NodeConfInput in = input_for("pi5", kPiCores, "arm64");
	in.identity = detect_pi(kFixtures + "/broken/model_unknown_board");
	cr_assert(in.identity.is_pi);
	NodeConf nc = build_nodeconf(in);
	cr_assert(nc.line.ends_with(" RealMemory=7796 Features=arm64,mem8g"), "%s",
		  nc.line.c_str());
	cr_assert(!nc.complete);
	cr_assert(has_text(nc.problems, "Raspberry Pi model unknown"));
}

Test(nodeconf, no_topology_no_line)
{
	NodeConfInput in = input_for("pi4b", kPiCores, "arm64");
	in.topology = read_topology(TopologySource::synthetic("bogus:1"));
	NodeConf nc = build_nodeconf(in);
	cr_assert(nc.line.empty());
	cr_assert(!nc.complete);
	cr_assert(has_text(nc.problems, "no CPU fields: synthetic topology \"bogus:1\""));
	std::string out = format_nodeconf(nc);
	cr_assert(out.find("NodeName=") == std::string::npos);
	cr_assert(out.find("# problem: no CPU fields") != std::string::npos);
}

Test(nodeconf, empty_hostname_no_line)
{
	NodeConfInput in = input_for("pi4b", kPiCores, "arm64");
	in.hostname = "";
	NodeConf nc = build_nodeconf(in);
	cr_assert(nc.line.empty());
	cr_assert(has_text(nc.problems, "no NodeName: the host name is empty (gethostname)"));
}

Test(nodeconf, unknown_arch_is_left_out)
{
	NodeConfInput in = input_for("pi4b", kPiCores, "");
	in.arch_source = "no architecture found";
	NodeConf nc = build_nodeconf(in);
	cr_assert(nc.line.ends_with("Features=pi4b,mem4g"), "%s", nc.line.c_str());
	cr_assert(!nc.complete);
}

Test(nodeconf, fewer_cores_than_the_model_follows_the_topology_and_says_so)
{
	NodeConf nc = build_nodeconf(input_for("pi4b", "package:1 core:2 pu:1", "arm64"));
	cr_assert(nc.line.find(" CPUs=2 ") != std::string::npos, "%s", nc.line.c_str());
	cr_assert(has_text(nc.problems, "the topology has 2 cores but a 4B has 4"));
	cr_assert(nc.complete);
}

// ---- helpers

Test(nodeconf, debian_architectures)
{
	cr_assert(debian_arch("aarch64") == "arm64");
	cr_assert(debian_arch("armv7l") == "armhf");
	cr_assert(debian_arch("armv6l") == "armhf");
	cr_assert(debian_arch("armv8l") == "armhf");
	cr_assert(debian_arch("x86_64") == "amd64");
	cr_assert(debian_arch("i686") == "i386");
	cr_assert(debian_arch("riscv64") == "");
	cr_assert(debian_arch("") == "");
	cr_assert(!build_debian_arch().empty());
}

Test(nodeconf, memory_features)
{
	cr_assert(memory_feature(256) == "mem256m");
	cr_assert(memory_feature(512) == "mem512m");
	cr_assert(memory_feature(1024) == "mem1g");
	cr_assert(memory_feature(16384) == "mem16g");
	cr_assert(memory_feature(1536) == "mem1536m");
}

Test(nodeconf, board_memory_from_memtotal)
{
	cr_assert_eq(board_memory_mb(3793, true), 4096u);
	cr_assert_eq(board_memory_mb(8052, true), 8192u);
	cr_assert_eq(board_memory_mb(426, true), 512u);
	cr_assert_eq(board_memory_mb(190, true), 256u);
	cr_assert_eq(board_memory_mb(24105, false), 24576u);
	cr_assert_eq(board_memory_mb(15921, false), 16384u);
	cr_assert_eq(board_memory_mb(900, false), 1024u);
}

Test(nodeconf, short_hostnames)
{
	cr_assert(short_hostname("pi1.cluster.lan") == "pi1");
	cr_assert(short_hostname("pi1") == "pi1");
	cr_assert(short_hostname("") == "");
}

Test(nodeconf, model_table_topology)
{
	const ModelInfo *m = model_by_key("4B");
	cr_assert_not_null(m);
	Topology t = model_topology(*m);
	cr_assert_eq(t.sockets, 1u);
	cr_assert_eq(t.cores_per_socket, 4u);
	cr_assert_eq(t.threads_per_core, 1u);
	cr_assert_eq(t.pus, 4u);
	cr_assert_str_eq(t.source.c_str(), "the model table (4B: 4 cores, no SMT)");
}

// ---- against slurmd on this machine

// The CPU fields of `slurmd -C`, e.g. "CPUs=2 Boards=1 ... ThreadsPerCore=1".
static std::string slurmd_cpu_fields()
{
	FILE *p = popen("slurmd -C 2>/dev/null", "r");
	if (!p)
		return "";
	char buf[1024] = {};
	std::string first = fgets(buf, sizeof(buf), p) ? buf : "";
	pclose(p);
	auto from = first.find(" CPUs=");
	auto to = first.find(" RealMemory=");
	if (from == std::string::npos || to == std::string::npos)
		return "";
	return first.substr(from + 1, to - from - 1);
}

Test(nodeconf, cpu_fields_match_slurmd_on_this_machine)
{
	if (access("/usr/sbin/slurmd", X_OK) != 0)
		cr_skip_test("slurmd is not installed");
	std::string want = slurmd_cpu_fields();
	cr_assert(!want.empty(), "cannot read slurmd -C");
	NodeConfInput in = input_for("x86", kPiCores, "amd64");
	in.topology = read_topology();
	NodeConf nc = build_nodeconf(in);
	auto from = nc.line.find(" CPUs=");
	auto to = nc.line.find(" RealMemory=");
	std::string got = nc.line.substr(from + 1, to - from - 1);
	cr_assert_str_eq(got.c_str(), want.c_str());
}
