// tools/command: running a program with a deadline, input and bounded
// output, without a shell.
#include <criterion/criterion.h>

#include <chrono>

#include "tools/command.hpp"

using slurmpi::tool::run_command;

Test(command, captures_stdout_stderr_and_status)
{
	auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, 5000);
	cr_assert_eq(r.status, 3);
	cr_assert(!r.ok());
	cr_assert(!r.timed_out && !r.not_found);
	cr_assert_str_eq(r.out.c_str(), "out\n");
	cr_assert_str_eq(r.err.c_str(), "err\n");
}

Test(command, feeds_input)
{
	auto r = run_command({"cat"}, 5000, "hello\nworld\n");
	cr_assert(r.ok());
	cr_assert_str_eq(r.out.c_str(), "hello\nworld\n");
}

Test(command, input_to_a_program_that_does_not_read_it)
{
	// 1 MiB to a program that exits at once: no SIGPIPE kills the caller.
	auto r = run_command({"true"}, 5000, std::string(1 << 20, 'x'));
	cr_assert(r.ok());
}

Test(command, no_shell_words_are_split_or_expanded)
{
	auto r = run_command({"printf", "%s|", "a b", "$HOME", "*"}, 5000);
	cr_assert(r.ok());
	cr_assert_str_eq(r.out.c_str(), "a b|$HOME|*|");
}

Test(command, deadline_kills_the_program_and_its_children)
{
	auto t0 = std::chrono::steady_clock::now();
	auto r = run_command({"sh", "-c", "sleep 30 & sleep 30"}, 300);
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
			  std::chrono::steady_clock::now() - t0)
			  .count();
	cr_assert(r.timed_out);
	cr_assert_eq(r.status, -1);
	// Not a timing test: only that it did not wait for the 30 s sleeps.
	cr_assert_lt(ms, 20000);
}

Test(command, missing_program)
{
	auto r = run_command({"/nonexistent/slurm-pi-test-prog"}, 5000);
	cr_assert(r.not_found);
	cr_assert(!r.ok());
	cr_assert(r.err.find("/nonexistent/slurm-pi-test-prog") != std::string::npos, "%s",
		  r.err.c_str());
	auto p = run_command({"slurm-pi-test-prog-not-in-path"}, 5000);
	cr_assert(p.not_found);
}

Test(command, output_is_bounded)
{
	auto r = run_command({"head", "-c", "100000", "/dev/zero"}, 5000, "", 1000);
	cr_assert(r.ok());
	cr_assert_eq(r.out.size(), 1000u);
}

Test(command, empty_argv)
{
	auto r = run_command({}, 1000);
	cr_assert(!r.ok());
	cr_assert(!r.err.empty());
}
