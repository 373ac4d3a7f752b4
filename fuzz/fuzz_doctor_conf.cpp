// libFuzzer target: slurm-pi doctor's slurm.conf side
// (common/doctor/slurm_conf.hpp, common/doctor/conf_checks.hpp). The input
// is a slurm.conf; its first line is also a host list.
// Properties: nothing throws; the reader stays within its bounds (entries,
// pairs, line length, errors) and gives keys of key characters, line
// numbers in order and one-line text; a line written back by
// format_entry() parses to the same pairs; an expanded host list stays
// within its maximum, holds plain names and expands to itself again; every
// check gives its id, one-line fields, no fix for ok and skip and one for
// warn and fail, and the partition and RealMemory fixes pass their own
// check.
#include <string>
#include <vector>

#include "common/doctor/conf_checks.hpp"
#include "common/doctor/slurm_conf.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi::doctor;

namespace {

bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

bool plain(std::string_view s)
{
	return s.find_first_of("\"#\\") == std::string_view::npos;
}

void check_finding(const Finding &f, std::string_view id)
{
	FUZZ_CHECK(f.check == id, "check id %s", f.check.c_str());
	for (const std::string *s : {&f.summary, &f.evidence, &f.fix})
		FUZZ_CHECK(s->find('\n') == std::string::npos, "two lines: %s", s->c_str());
	FUZZ_CHECK(!f.summary.empty(), "no summary");
	if (f.verdict == Verdict::ok || f.verdict == Verdict::skip)
		FUZZ_CHECK(f.fix.empty(), "fix for ok/skip: %s", f.fix.c_str());
	else
		FUZZ_CHECK(!f.fix.empty(), "no fix for %s: %s", f.check.c_str(),
			   f.summary.c_str());
}

void check_hostlist(std::string_view list, std::size_t max)
{
	auto names = expand_hostlist(list, max);
	if (!names)
		return;
	FUZZ_CHECK(!names->empty() && names->size() <= max, "%zu names", names->size());
	std::vector<std::string> joined;
	for (const std::string &n : *names) {
		FUZZ_CHECK(!n.empty() && n.find_first_of(",[] ") == std::string::npos,
			   "name %s", n.c_str());
		joined.push_back(n);
	}
	std::string again;
	for (const std::string &n : joined)
		again += (again.empty() ? "" : ",") + n;
	auto back = expand_hostlist(again, max);
	FUZZ_CHECK(back && *back == *names, "names do not expand to themselves");
}

void check_conf(std::string_view text, std::uint64_t memtotal, const BoardCpus &board,
		bool cgroup)
{
	SlurmConf c = parse_slurm_conf(text, "f.conf");
	FUZZ_CHECK(c.entries.size() <= kConfMaxEntries, "entries");
	FUZZ_CHECK(c.errors.size() <= kConfMaxErrors, "errors");
	FUZZ_CHECK(c.includes.size() <= kConfMaxIncludes, "includes");
	for (const std::string &e : c.errors)
		FUZZ_CHECK(e.starts_with("f.conf:"), "error %s", e.c_str());
	int last = 0;
	for (const ConfEntry &e : c.entries) {
		FUZZ_CHECK(e.line > last, "line %d after %d", e.line, last);
		last = e.line;
		FUZZ_CHECK(e.file == "f.conf", "file");
		FUZZ_CHECK(!e.text.empty() && e.text.size() <= kConfMaxLine &&
				   e.text.find('\n') == std::string::npos,
			   "text");
		FUZZ_CHECK(!e.kv.empty() && e.kv.size() <= kConfMaxPairs, "pairs");
		bool round = true;
		for (const auto &[k, v] : e.kv) {
			FUZZ_CHECK(!k.empty(), "empty key");
			for (char ch : k)
				FUZZ_CHECK(key_char(ch), "key %s", k.c_str());
			FUZZ_CHECK(v.find('\n') == std::string::npos, "newline in value");
			round = round && plain(v);
		}
		// "include" as a first key written back would read as an
		// Include line only with white space after it; format_entry
		// writes '=' right after the key.
		if (!round)
			continue;
		std::string line = format_entry(e.kv);
		SlurmConf again = parse_slurm_conf(line, "g");
		// The one error it may give again: more than one pair on a
		// line whose key takes one.
		bool clean = again.errors.empty() ||
			     (again.errors.size() == 1 &&
			      again.errors[0].find("takes one key=value") != std::string::npos);
		FUZZ_CHECK(clean && again.entries.size() == 1 &&
				   again.entries[0].kv == e.kv,
			   "written back differently: %s", line.c_str());
	}

	Finding p = check_partition(c);
	check_finding(p, "slurm.conf.partition");
	if (p.verdict == Verdict::fail && !p.fix.starts_with("add") && plain(p.fix) &&
	    !p.fix.starts_with("'"))
		FUZZ_CHECK(check_partition(parse_slurm_conf(p.fix, "g")).verdict == Verdict::ok,
			   "partition fix fails again: %s", p.fix.c_str());

	check_finding(check_select_memory(c, cgroup), "slurm.conf.select_memory");
	check_finding(check_select_memory(c, cgroup, true), "slurm.conf.select_memory");

	// The first node of the first NodeName line, and one that is not.
	std::vector<std::string> nodes{"pi1"};
	for (const ConfEntry *e : c.of_kind("NodeName")) {
		if (auto names = expand_hostlist(e->kv.front().second, 64)) {
			nodes.push_back(names->front());
			break;
		}
	}
	for (const std::string &n : nodes) {
		Finding r = check_real_memory(c, n, memtotal, memtotal / 2048);
		check_finding(r, "slurm.conf.realmemory");
		if (r.verdict == Verdict::fail && plain(r.fix) && !r.fix.starts_with("'")) {
			Finding again = check_real_memory(parse_slurm_conf(r.fix, "g"), n,
							  memtotal, std::nullopt);
			FUZZ_CHECK(again.verdict == Verdict::ok, "RealMemory fix fails again: %s",
				   r.fix.c_str());
		}
		check_finding(check_cpus(c, n, board), "slurm.conf.cpus");
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	if (size < 4)
		return 0;
	std::uint64_t memtotal = std::uint64_t(data[0]) << 14 | std::uint64_t(data[1]) << 6;
	BoardCpus board{static_cast<unsigned>(data[2] % 9), 1u + data[3] % 2,
			1u + (data[3] >> 1) % 4, 1u + (data[3] >> 3) % 2};
	std::string_view text = fuzz_text(data + 4, size - 4);
	try {
		std::string_view first = text.substr(0, text.find('\n'));
		check_hostlist(first, 64);
		check_hostlist(first, 4096);
		check_conf(text, memtotal, board, data[2] & 0x80);
	} catch (const std::exception &e) {
		FUZZ_CHECK(false, "exception: %s", e.what());
	}
	return 0;
}
