#include <criterion/criterion.h>

#include <string>

#include "common/meminfo.hpp"

using namespace slurmpi;

#ifndef FIXTURES_DIR
#error "build with -DFIXTURES_DIR='\"<srcdir>/tests/fixtures\"'"
#endif

static const std::string kFixtures = FIXTURES_DIR;

static void expect_tree(const char *tree, std::uint64_t kb, std::uint64_t mb)
{
	MemInfo m = read_meminfo(kFixtures + "/" + tree);
	cr_assert(m.total_kb.has_value(), "%s: %s", tree, m.error.c_str());
	cr_assert_eq(*m.total_kb, kb, "%s", tree);
	cr_assert_eq(*m.total_mb, mb, "%s", tree);
	cr_assert_str_eq(m.source.c_str(), "/proc/meminfo");
	cr_assert(m.error.empty());
}

// ---- fixture trees (MemTotal is below the board's RAM: kernel, firmware
// and GPU memory are not in it)

Test(meminfo, pi4b_4gb) { expect_tree("pi4b", 3884356, 3793); }
Test(meminfo, pi5_8gb) { expect_tree("pi5", 8245420, 8052); }
Test(meminfo, pi3bplus_1gb) { expect_tree("pi3bplus", 944584, 922); }
Test(meminfo, zero2w_512mb) { expect_tree("zero2w", 436656, 426); }
Test(meminfo, x86_16gb) { expect_tree("x86", 16303276, 15921); }

Test(meminfo, this_machine)
{
	MemInfo m = read_meminfo("");
	cr_assert(m.total_mb.has_value(), "%s", m.error.c_str());
	cr_assert_gt(*m.total_mb, 0u);
	MemInfo slash = read_meminfo("/");
	cr_assert(slash.total_kb == m.total_kb);
}

Test(meminfo, missing_file_names_it)
{
	MemInfo m = read_meminfo(kFixtures + "/broken/missing");
	cr_assert(!m.total_kb.has_value());
	cr_assert(!m.total_mb.has_value());
	cr_assert_str_eq(m.error.c_str(), "/proc/meminfo: No such file or directory");
	cr_assert(m.source.empty());
}

// ---- text

static MemInfo parse(const std::string &text)
{
	return parse_meminfo(text, "/proc/meminfo");
}

static void expect_error(const std::string &text, const char *want)
{
	MemInfo m = parse(text);
	cr_assert(!m.total_kb.has_value(), "parsed: %s", text.c_str());
	cr_assert_str_eq(m.error.c_str(), want);
}

Test(meminfo, memtotal_anywhere_with_tabs_and_without_newline)
{
	MemInfo m = parse("MemFree:  100 kB\nMemTotal:\t 2097152 kB");
	cr_assert(m.total_mb.has_value(), "%s", m.error.c_str());
	cr_assert_eq(*m.total_mb, 2048u);
}

Test(meminfo, rounds_down_like_slurmd)
{
	MemInfo m = parse("MemTotal:        1049599 kB\n");
	cr_assert_eq(*m.total_mb, 1024u);
}

Test(meminfo, empty_file)
{
	expect_error("", "/proc/meminfo: file is empty");
	expect_error("\n \n", "/proc/meminfo: file is empty");
}

Test(meminfo, no_memtotal_line)
{
	expect_error("MemFree:  100 kB\nSwapTotal: 0 kB\n",
		     "/proc/meminfo: no MemTotal line");
	// Only at the start of a line, and only the exact key.
	expect_error("XMemTotal: 3884356 kB\n", "/proc/meminfo: no MemTotal line");
	expect_error("MemTotals: 3884356 kB\n", "/proc/meminfo: no MemTotal line");
}

Test(meminfo, garbage_value)
{
	expect_error("MemTotal: abc kB\n",
		     "/proc/meminfo: MemTotal: not a number: 'abc kB'");
	expect_error("MemTotal:\n", "/proc/meminfo: MemTotal: not a number: ''");
	expect_error("MemTotal: -5 kB\n",
		     "/proc/meminfo: MemTotal: not a number: '-5 kB'");
}

Test(meminfo, truncated_or_wrong_unit)
{
	expect_error("MemTotal:        38843",
		     "/proc/meminfo: MemTotal: expected a value in kB, got '38843'");
	expect_error("MemTotal: 3884 MB\n",
		     "/proc/meminfo: MemTotal: expected a value in kB, got '3884 MB'");
	expect_error("MemTotal: 3884356 kB extra\n",
		     "/proc/meminfo: MemTotal: expected a value in kB, got '3884356 kB extra'");
}

Test(meminfo, out_of_range)
{
	expect_error("MemTotal: 1024 kB\n",
		     "/proc/meminfo: MemTotal: 1024 kB is out of range (16384-68719476736 kB)");
	expect_error("MemTotal: 0 kB\n",
		     "/proc/meminfo: MemTotal: 0 kB is out of range (16384-68719476736 kB)");
	expect_error("MemTotal: 99999999999999999999999 kB\n",
		     "/proc/meminfo: MemTotal: out of range: '99999999999999999999999 kB'");
}

Test(meminfo, path_for_messages_starts_errors)
{
	MemInfo m = parse_meminfo("junk", "/srv/pi3/proc/meminfo");
	cr_assert_str_eq(m.error.c_str(), "/srv/pi3/proc/meminfo: no MemTotal line");
}
