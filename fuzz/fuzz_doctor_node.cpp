// libFuzzer target: the text that slurm-pi doctor's node checks read
// (common/doctor/node_checks.hpp). The input is split at NUL into up to
// five pieces: cgroup.controllers, /proc/cgroups, /proc/cmdline,
// cmdline.txt and a Slurm version string; the first byte's low bits say
// which of the optional texts are absent.
// Properties: nothing throws; every finding's summary, evidence and fix
// is one line, ok and skip carry no fix, fail always does;
// cmdline_with_memory_cgroup() gives one line without
// cgroup_disable=memory, with cgroup_enable=memory and cgroup_memory=1,
// and is idempotent; a "memory" line is there whenever /proc/cgroups is
// read as on or off; an accepted Slurm version formats and parses back to
// the same number.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/doctor/node_checks.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi::doctor;

namespace {

std::vector<std::string> split_nul(std::string_view text, std::size_t max)
{
	std::vector<std::string> out;
	std::size_t start = 0;
	while (out.size() < max) {
		std::size_t end = text.find('\0', start);
		if (end == std::string_view::npos) {
			out.emplace_back(text.substr(start));
			break;
		}
		out.emplace_back(text.substr(start, end - start));
		start = end + 1;
	}
	out.resize(max);
	return out;
}

bool one_line(const std::string &s)
{
	return s.find('\n') == std::string::npos && s.find('\r') == std::string::npos;
}

void check_finding(const Finding &f)
{
	FUZZ_CHECK(one_line(f.summary), "summary: %s", f.summary.c_str());
	FUZZ_CHECK(one_line(f.evidence), "evidence: %s", f.evidence.c_str());
	FUZZ_CHECK(one_line(f.fix), "fix: %s", f.fix.c_str());
	FUZZ_CHECK(!f.summary.empty(), "%s: no summary", f.check.c_str());
	if (f.verdict == Verdict::ok || f.verdict == Verdict::skip)
		FUZZ_CHECK(f.fix.empty(), "%s: fix '%s' on %s", f.check.c_str(), f.fix.c_str(),
			   std::string(verdict_name(f.verdict)).c_str());
	if (f.verdict == Verdict::fail)
		FUZZ_CHECK(!f.fix.empty(), "%s: fail without a fix", f.check.c_str());
}

bool has(const std::vector<std::string> &ws, std::string_view w)
{
	for (const std::string &x : ws)
		if (x == w)
			return true;
	return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	if (size == 0)
		return 0;
	const unsigned flags = data[0];
	std::vector<std::string> p = split_nul(fuzz_text(data + 1, size - 1), 5);

	CgroupFacts c;
	if (!(flags & 1))
		c.controllers = p[0];
	if (!(flags & 2))
		c.proc_cgroups = p[1];
	c.proc_cmdline = p[2];
	c.boot_cmdline_path = (flags & 4) ? "" : "/boot/firmware/cmdline.txt";
	if (!(flags & 8))
		c.boot_cmdline = p[3];
	check_finding(check_memory_cgroup(c));

	if (controllers_have_memory(p[0]))
		FUZZ_CHECK(p[0].find("memory") != std::string::npos, "memory from nothing");
	if (proc_cgroups_memory_enabled(p[1]))
		FUZZ_CHECK(p[1].find("memory") != std::string::npos, "memory line from nothing");

	std::string line = cmdline_with_memory_cgroup(p[3]);
	FUZZ_CHECK(line.find('\n') == std::string::npos, "two lines: %s", line.c_str());
	std::vector<std::string> ws = cmdline_words(line);
	FUZZ_CHECK(!has(ws, "cgroup_disable=memory"), "kept: %s", line.c_str());
	FUZZ_CHECK(has(ws, "cgroup_enable=memory"), "no enable: %s", line.c_str());
	FUZZ_CHECK(has(ws, "cgroup_memory=1"), "no cgroup_memory=1: %s", line.c_str());
	FUZZ_CHECK(cmdline_with_memory_cgroup(line) == line, "not idempotent: %s", line.c_str());

	if (std::optional<std::uint32_t> v = parse_slurm_version(p[4])) {
		FUZZ_CHECK(*v <= 0xffffffu, "version %x", *v);
		std::optional<std::uint32_t> back = parse_slurm_version(format_slurm_version(*v));
		FUZZ_CHECK(back && *back == *v, "round trip of %x", *v);
	}
	PluginFile plug;
	plug.name = "task/pi";
	plug.source = "slurm.conf TaskPlugin";
	plug.path = "/usr/lib/aarch64-linux-gnu/slurm-wlm/task_pi.so";
	plug.exists = (flags & 16) != 0;
	plug.built_for = 0x160508;
	check_finding(check_plugins({plug}, p[4]));

	// Free text that reaches the evidence.
	check_finding(check_time_sync((flags & 32) != 0, p[2], p[4]));
	check_finding(check_munged(true, false, p[2]));
	check_finding(check_munge_key_hashes({{"pi1", p[0]}, {"pi2", p[1]}, {"pi3", p[1]}}));
	return 0;
}
