#include <criterion/criterion.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/stage/child.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;
using namespace slurmpi::stage;

// The child drops to another user, which only root can: as anyone else
// these tests are skipped.
namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr gid_t kUsers = 100; // a supplementary group

UserCreds nobody() { return UserCreds{kNobody, kNogroup, {kNogroup, kUsers}}; }

void need_root()
{
	if (geteuid() != 0)
		cr_skip_test("needs root to change to another user");
}

ChildOptions options(int timeout_ms = 10000)
{
	ChildOptions o;
	o.timeout_ms = timeout_ms;
	return o;
}

void expect_lines(const std::vector<std::string> &got, const std::vector<std::string> &want)
{
	cr_assert_eq(got.size(), want.size(), "%zu lines, first '%s'", got.size(),
		     got.empty() ? "" : got[0].c_str());
	for (std::size_t i = 0; i < want.size(); i++)
		assert_sv_eq(got[i], want[i].c_str());
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Sleeps in slices until killed (sleep() could be cut short by a signal).
[[noreturn]] void sleep_forever()
{
	for (;;)
		sleep(60);
}

} // namespace

Test(child, lines_in_order_with_on_line_per_line)
{
	need_root();
	std::vector<std::string> seen;
	ChildOptions o = options();
	o.on_line = [&](std::string_view line) { seen.emplace_back(line); };
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			write_all(fd, "first\nsec");
			usleep(50 * 1000);
			write_all(fd, "ond\n\nthird\n");
			return 0;
		},
		o);
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert_eq(r.exit_code, 0);
	cr_assert(!r.timed_out && !r.stopped && !r.left_behind);
	expect_lines(r.lines, {"first", "second", "", "third"});
	expect_lines(seen, {"first", "second", "", "third"});
}

Test(child, many_lines_keep_their_order)
{
	need_root();
	std::size_t calls = 0;
	ChildOptions o = options();
	o.on_line = [&](std::string_view) { calls++; };
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			for (int i = 0; i < 5000; i++)
				if (!write_all(fd, "line " + std::to_string(i) + "\n"))
					return 2;
			return 0;
		},
		o);
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert_eq(r.lines.size(), 5000u);
	cr_assert_eq(calls, 5000u);
	for (int i = 0; i < 5000; i++)
		cr_assert(r.lines[i] == "line " + std::to_string(i), "line %d: %s", i,
			  r.lines[i].c_str());
}

Test(child, exit_code_is_passed_on)
{
	need_root();
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			write_all(fd, "about to fail\n");
			return 3;
		},
		options());
	cr_assert(!r.ok());
	cr_assert_eq(r.exit_code, 3);
	cr_assert(contains(r.error, "status 3"), "%s", r.error.c_str());
	cr_assert(!r.timed_out && !r.stopped);
	expect_lines(r.lines, {"about to fail"});
}

Test(child, runs_as_the_user)
{
	need_root();
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			gid_t groups[64];
			int n = getgroups(64, groups);
			std::sort(groups, groups + std::max(n, 0));
			std::string g = "groups";
			for (int i = 0; i < n; i++)
				g += " " + std::to_string(groups[i]);
			write_all(fd, "uid " + std::to_string(getuid()) + " " +
					      std::to_string(geteuid()) + "\n");
			write_all(fd, "gid " + std::to_string(getgid()) + " " +
					      std::to_string(getegid()) + "\n");
			write_all(fd, g + "\n");
			write_all(fd, setuid(0) == 0 ? "setuid(0) worked\n"
						     : "setuid(0) refused\n");
			write_all(fd, seteuid(0) == 0 ? "seteuid(0) worked\n"
						      : "seteuid(0) refused\n");
			write_all(fd, setgid(0) == 0 ? "setgid(0) worked\n"
						     : "setgid(0) refused\n");
			return 0;
		},
		options());
	cr_assert(r.ok(), "%s", r.error.c_str());
	expect_lines(r.lines, {"uid 65534 65534", "gid 65534 65534", "groups 100 65534",
			       "setuid(0) refused", "seteuid(0) refused", "setgid(0) refused"});
	cr_assert_eq(geteuid(), 0u, "the caller's credentials never change");
	cr_assert_eq(getegid(), 0u);
}

Test(child, a_file_only_root_may_write_is_refused)
{
	need_root();
	ScratchDir d("stage_child");
	std::string p = (d.path() / "roots").string();
	int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	chmod(d.path().c_str(), 0755);
	ChildOutcome r = run_as_user(
		nobody(),
		[&p](int out) {
			int f = open(p.c_str(), O_WRONLY);
			write_all(out, f < 0 ? "refused\n" : "opened\n");
			return 0;
		},
		options());
	cr_assert(r.ok(), "%s", r.error.c_str());
	expect_lines(r.lines, {"refused"});
}

Test(child, a_partial_last_line_is_kept)
{
	need_root();
	std::vector<std::string> seen;
	ChildOptions o = options();
	o.on_line = [&](std::string_view line) { seen.emplace_back(line); };
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			write_all(fd, "whole\nno newline");
			return 0;
		},
		o);
	cr_assert(r.ok(), "%s", r.error.c_str());
	expect_lines(r.lines, {"whole", "no newline"});
	expect_lines(seen, {"whole", "no newline"});
}

Test(child, a_body_that_throws_fails_with_a_line)
{
	need_root();
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) -> int {
			write_all(fd, "before\n");
			throw std::runtime_error("boom");
		},
		options());
	cr_assert(!r.ok());
	cr_assert_eq(r.exit_code, 1);
	cr_assert(!r.timed_out && !r.stopped);
	expect_lines(r.lines, {"before", "E internal error in the staging child"});
}

Test(child, a_body_that_throws_a_non_exception_fails_too)
{
	need_root();
	ChildOutcome r = run_as_user(
		nobody(), [](int) -> int { throw 7; }, options());
	cr_assert(!r.ok());
	cr_assert_eq(r.exit_code, 1);
	expect_lines(r.lines, {"E internal error in the staging child"});
}

Test(child, killed_at_the_deadline)
{
	need_root();
	auto start = std::chrono::steady_clock::now();
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) -> int {
			write_all(fd, "started\n");
			sleep_forever();
		},
		options(1000));
	double took = seconds_since(start);
	cr_assert(r.timed_out);
	cr_assert(!r.stopped);
	cr_assert(!r.ok());
	cr_assert_eq(r.exit_code, -1);
	cr_assert(contains(r.error, "did not finish"), "%s", r.error.c_str());
	expect_lines(r.lines, {"started"});
	cr_assert_geq(took, 0.9, "killed after %.2f s, before the deadline", took);
	cr_assert_lt(took, 20.0, "took %.2f s", took);
}

Test(child, should_stop_kills_it)
{
	need_root();
	int polls = 0;
	ChildOptions o = options(60000);
	o.should_stop = [&] { return ++polls >= 2; };
	auto start = std::chrono::steady_clock::now();
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) -> int {
			write_all(fd, "working\n");
			sleep_forever();
		},
		o);
	double took = seconds_since(start);
	cr_assert(r.stopped);
	cr_assert(!r.timed_out);
	cr_assert(!r.ok());
	cr_assert_eq(r.exit_code, -1);
	assert_sv_eq(r.error, "stopped");
	cr_assert_eq(polls, 2);
	expect_lines(r.lines, {"working"});
	cr_assert_lt(took, 30.0, "took %.2f s", took);
}

Test(child, should_stop_false_lets_it_finish)
{
	need_root();
	int polls = 0;
	ChildOptions o = options();
	o.should_stop = [&] { polls++; return false; };
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			sleep(2);
			write_all(fd, "done\n");
			return 0;
		},
		o);
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert(!r.stopped);
	cr_assert_geq(polls, 1);
	expect_lines(r.lines, {"done"});
}

Test(child, too_much_output_kills_it)
{
	need_root();
	ChildOptions o = options(60000);
	o.max_output = 1000;
	auto start = std::chrono::steady_clock::now();
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) -> int {
			std::string line(99, 'x');
			line += '\n';
			while (write_all(fd, line)) {
			}
			sleep_forever();
		},
		o);
	double took = seconds_since(start);
	cr_assert(!r.ok());
	cr_assert(!r.timed_out && !r.stopped);
	cr_assert_eq(r.exit_code, -1);
	cr_assert(contains(r.error, "more than 1000 bytes"), "%s", r.error.c_str());
	cr_assert_leq(r.lines.size(), 10u, "%zu lines kept", r.lines.size());
	cr_assert_lt(took, 30.0, "took %.2f s", took);
}

Test(child, output_up_to_the_limit_is_fine)
{
	need_root();
	ChildOptions o = options();
	o.max_output = 1000;
	ChildOutcome r = run_as_user(
		nobody(),
		[](int fd) {
			std::string line(99, 'x');
			line += '\n';
			for (int i = 0; i < 10; i++)
				write_all(fd, line);
			return 0;
		},
		o);
	cr_assert(r.ok(), "%s", r.error.c_str());
	cr_assert_eq(r.lines.size(), 10u);
}

Test(write_all, writes_everything_or_says_it_failed)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	std::string big(30000, 'z');
	cr_assert(write_all(p[1], big));
	close(p[1]);
	std::string got;
	char buf[4096];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		got.append(buf, static_cast<std::size_t>(n));
	close(p[0]);
	cr_assert(got == big, "%zu bytes read", got.size());
	cr_assert(write_all(p[1], ""), "nothing to write is no error");
	cr_assert(!write_all(p[1], "x"), "closed fd");
}
