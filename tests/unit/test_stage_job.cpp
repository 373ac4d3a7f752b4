#include <criterion/criterion.h>

#include <optional>
#include <string>
#include <vector>

#include "common/stage/job.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;
using namespace slurmpi::stage;

namespace {

// Both sides named, as Criterion evaluates its arguments more than once.
#define assert_both_eq(actual, expected)                  \
	do {                                              \
		std::string a_(actual), e_(expected);     \
		cr_assert_str_eq(a_.c_str(), e_.c_str()); \
	} while (0)

JobEnd end(std::optional<long> exit_code, std::optional<long> derived_ec,
	   std::string state = "")
{
	return JobEnd{exit_code, derived_ec, std::move(state)};
}

std::optional<std::string> out_path(std::string_view spec, std::string_view workdir = "/home/ann/run",
				    std::uint32_t id = 42)
{
	return job_output_path(spec, workdir, id, "ann", "pi3");
}

void expect_path(std::string_view spec, const char *want,
		 std::string_view workdir = "/home/ann/run")
{
	std::optional<std::string> p = out_path(spec, workdir);
	std::string s(spec);
	cr_assert(p.has_value(), "'%s': nullopt", s.c_str());
	assert_sv_eq(*p, want);
}

void expect_no_path(std::string_view spec, std::string_view workdir = "/home/ann/run")
{
	std::optional<std::string> p = out_path(spec, workdir);
	std::string s(spec);
	cr_assert(!p.has_value(), "'%s': %s", s.c_str(), p ? p->c_str() : "");
}

void expect_refused(std::string_view text)
{
	std::optional<StageState> s = parse_state(text);
	std::string t(text);
	cr_assert(!s.has_value(), "accepted: '%s'", t.c_str());
}

} // namespace

// ---------------------------------------------------------------- failure_action

Test(failure_action, a_users_mistake_always_fails)
{
	for (StageOnFailure f : {StageOnFailure::fail, StageOnFailure::requeue,
				 StageOnFailure::drain})
		for (std::uint32_t restarts : {0u, 1u, 5u})
			cr_assert(failure_action(false, f, restarts) == FailureAction::fail,
				  "on-failure=%s, %u restarts", std::string(to_string(f)).c_str(),
				  restarts);
}

Test(failure_action, infrastructure_does_what_the_admin_chose)
{
	cr_assert(failure_action(true, StageOnFailure::fail, 0) == FailureAction::fail);
	cr_assert(failure_action(true, StageOnFailure::requeue, 0) == FailureAction::requeue);
	cr_assert(failure_action(true, StageOnFailure::drain, 0) ==
		  FailureAction::drain_requeue);
}

Test(failure_action, requeues_stop_at_the_cap)
{
	// Default cap 3: restarts 0..2 requeue, 3 and beyond fail.
	for (std::uint32_t r = 0; r < 3; r++) {
		cr_assert(failure_action(true, StageOnFailure::requeue, r) ==
			  FailureAction::requeue, "%u restarts", r);
		cr_assert(failure_action(true, StageOnFailure::drain, r) ==
			  FailureAction::drain_requeue, "%u restarts", r);
	}
	for (std::uint32_t r : {3u, 4u, 1000u}) {
		cr_assert(failure_action(true, StageOnFailure::requeue, r) ==
			  FailureAction::fail, "%u restarts", r);
		cr_assert(failure_action(true, StageOnFailure::drain, r) ==
			  FailureAction::fail, "%u restarts", r);
	}
	// An explicit cap.
	cr_assert(failure_action(true, StageOnFailure::requeue, 0, 0) == FailureAction::fail);
	cr_assert(failure_action(true, StageOnFailure::requeue, 0, 1) == FailureAction::requeue);
	cr_assert(failure_action(true, StageOnFailure::requeue, 1, 1) == FailureAction::fail);
	cr_assert(failure_action(true, StageOnFailure::drain, 9, 10) ==
		  FailureAction::drain_requeue);
	cr_assert(failure_action(true, StageOnFailure::drain, 10, 10) == FailureAction::fail);
	// "fail" is not affected by the count.
	cr_assert(failure_action(true, StageOnFailure::fail, 0, 100) == FailureAction::fail);
}

Test(failure_action, names)
{
	assert_sv_eq(to_string(FailureAction::fail), "fail");
	assert_sv_eq(to_string(FailureAction::requeue), "requeue");
	assert_sv_eq(to_string(FailureAction::drain_requeue), "drain");
}

// ---------------------------------------------------------------- stage_out_allowed

Test(stage_out_allowed, always_is_always)
{
	cr_assert(stage_out_allowed(StageOutWhen::always, end(0, 0, "COMPLETED")));
	cr_assert(stage_out_allowed(StageOutWhen::always, end(256, 256, "FAILED")));
	cr_assert(stage_out_allowed(StageOutWhen::always, end(0, 0, "TIMEOUT")));
	cr_assert(stage_out_allowed(StageOutWhen::always, end(std::nullopt, std::nullopt)));
}

Test(stage_out_allowed, success_needs_exit_code_zero)
{
	cr_assert(stage_out_allowed(StageOutWhen::success, end(0, 0, "COMPLETED")));
	cr_assert(stage_out_allowed(StageOutWhen::success, end(0, 0)));
	cr_assert(stage_out_allowed(StageOutWhen::success, end(0, std::nullopt)),
		  "no derived code: the exit code decides");
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(256, 0)));
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(256, 0, "COMPLETED")));
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(9, 0)), "killed by a signal");
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(256, 0, "FAILED")));
}

Test(stage_out_allowed, success_needs_derived_code_zero)
{
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(0, 256)));
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(0, 256, "COMPLETED")));
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(0, 9)));
}

Test(stage_out_allowed, a_failure_state_wins_over_exit_code_zero)
{
	for (const char *state : {"TIMEOUT", "CANCELLED", "FAILED", "NODE_FAIL",
				  "OUT_OF_MEMORY", "PREEMPTED"})
		cr_assert(!stage_out_allowed(StageOutWhen::success, end(0, 0, state)), "%s",
			  state);
}

Test(stage_out_allowed, no_codes_is_not_a_success)
{
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(std::nullopt, std::nullopt)));
	cr_assert(!stage_out_allowed(StageOutWhen::success,
				     end(std::nullopt, std::nullopt, "COMPLETED")));
	cr_assert(!stage_out_allowed(StageOutWhen::success, end(std::nullopt, 0)));
}

// ---------------------------------------------------------------- the state record

Test(state, formats_ok_and_failed)
{
	assert_sv_eq(format_state(StageState{true, {}}), "ok\n");
	assert_sv_eq(format_state(StageState{true, {"staged 3 files", "cache hit"}}),
		     "ok\nstaged 3 files\ncache hit\n");
	assert_sv_eq(format_state(StageState{false, {"no such file: /a/b"}}),
		     "failed\nno such file: /a/b\n");
	assert_sv_eq(format_state(StageState{false, {""}}), "failed\n\n");
}

Test(state, round_trip)
{
	std::vector<StageState> states = {
		{true, {}},
		{false, {}},
		{true, {"one"}},
		{false, {"why it failed", "", "  indented", "caf\xc3\xa9 \xe2\x9c\x93"}},
		{true, std::vector<std::string>(64, std::string(1024, 'x'))},
	};
	for (const StageState &s : states) {
		std::string text = format_state(s);
		std::optional<StageState> back = parse_state(text);
		cr_assert(back.has_value(), "refused: '%s'", text.c_str());
		cr_assert(*back == s, "differs: '%s'", text.c_str());
	}
}

Test(state, control_characters_are_replaced)
{
	StageState s{false, {"a\nb", "tab\there", std::string("nul\0x", 5), "del\x7f!",
			     "cr\r", "esc\x1b[31m"}};
	std::string text = format_state(s);
	assert_sv_eq(text, "failed\na b\ntab here\nnul x\ndel !\ncr \nesc [31m\n");
	std::optional<StageState> back = parse_state(text);
	cr_assert(back.has_value());
	cr_assert_eq(back->lines.size(), 6u);
	assert_sv_eq(back->lines[0], "a b");
}

Test(state, at_most_64_lines)
{
	StageState s{true, {}};
	for (int i = 0; i < 100; i++)
		s.lines.push_back("line " + std::to_string(i));
	std::optional<StageState> back = parse_state(format_state(s));
	cr_assert(back.has_value());
	cr_assert_eq(back->lines.size(), 64u);
	assert_sv_eq(back->lines.front(), "line 0");
	assert_sv_eq(back->lines.back(), "line 63");
}

Test(state, lines_cut_at_1024_bytes)
{
	StageState s{false, {std::string(1023, 'a'), std::string(1024, 'b'),
			     std::string(1025, 'c'), std::string(5000, 'd') + "\n"}};
	std::optional<StageState> back = parse_state(format_state(s));
	cr_assert(back.has_value());
	cr_assert_eq(back->lines.size(), 4u);
	cr_assert_eq(back->lines[0].size(), 1023u);
	cr_assert_eq(back->lines[1].size(), 1024u);
	cr_assert(back->lines[2] == std::string(1024, 'c'));
	cr_assert(back->lines[3] == std::string(1024, 'd'), "cut before the newline");
}

Test(state, parse_accepts_what_format_writes)
{
	std::optional<StageState> s = parse_state("ok\n");
	cr_assert(s.has_value());
	cr_assert(s->ok);
	cr_assert(s->lines.empty());
	s = parse_state("failed\nreason one\nreason two\n");
	cr_assert(s.has_value());
	cr_assert(!s->ok);
	cr_assert_eq(s->lines.size(), 2u);
	assert_sv_eq(s->lines[1], "reason two");
}

Test(state, parse_refuses_a_bad_first_line)
{
	expect_refused("");
	expect_refused("\n");
	expect_refused("OK\n");
	expect_refused("ok \n");
	expect_refused(" ok\n");
	expect_refused("okay\nline\n");
	expect_refused("fail\n");
	expect_refused("failed:\n");
	expect_refused("yes\nok\n");
}

Test(state, parse_refuses_a_missing_trailing_newline)
{
	expect_refused("ok");
	expect_refused("failed");
	expect_refused("ok\nline");
	expect_refused("failed\nfirst\nsecond");
}

Test(state, parse_refuses_control_characters)
{
	expect_refused("ok\r\n");
	expect_refused("ok\nwith\ttab\n");
	expect_refused("failed\nbell\a\n");
	expect_refused("failed\ndel\x7f\n");
	expect_refused(std::string_view("ok\nnul\0here\n", 12));
	expect_refused("ok\nesc\x1b[0m\n");
}

Test(state, parse_refuses_too_many_or_too_long_lines)
{
	std::string text = "ok\n";
	for (int i = 0; i < 64; i++)
		text += "x\n";
	cr_assert(parse_state(text).has_value(), "64 lines");
	text += "x\n";
	expect_refused(text);

	cr_assert(parse_state("ok\n" + std::string(1024, 'y') + "\n").has_value());
	expect_refused("ok\n" + std::string(1025, 'y') + "\n");
	expect_refused("failed\n" + std::string(100000, 'y') + "\n");
}

// ---------------------------------------------------------------- job_output_path

Test(job_output_path, default_in_the_work_dir)
{
	expect_path("", "/home/ann/run/slurm-42.out");
	expect_path("", "/home/ann/run/slurm-42.out", "/home/ann/run/");
	expect_path("", "/slurm-42.out", "/");
	std::optional<std::string> p = job_output_path("", "/w", 4294967295u, "ann", "pi3");
	cr_assert(p.has_value());
	assert_sv_eq(*p, "/w/slurm-4294967295.out");
}

Test(job_output_path, patterns)
{
	expect_path("/out/%j.log", "/out/42.log");
	expect_path("/out/%J.log", "/out/42.log");
	expect_path("/out/%u/%N-%j", "/out/ann/pi3-42");
	expect_path("/out/100%%-%j", "/out/100%-42");
	expect_path("/out/%%j", "/out/%j");
	expect_path("/out/plain", "/out/plain");
	expect_path("/%j%j%u", "/4242ann");
}

Test(job_output_path, relative_paths_in_the_work_dir)
{
	expect_path("out.txt", "/home/ann/run/out.txt");
	expect_path("logs/%j.out", "/home/ann/run/logs/42.out");
	expect_path("logs/%j.out", "/home/ann/run/logs/42.out", "/home/ann/run/");
	expect_path("%u.out", "/home/ann/run/ann.out");
}

Test(job_output_path, unknown_patterns_are_not_guessed)
{
	expect_no_path("/out/%x.out");
	expect_no_path("/out/%A_%a.out");
	expect_no_path("/out/%5j.out");
	expect_no_path("/out/%05j.out");
	expect_no_path("/out/%s");
	expect_no_path("/out/%t");
	expect_no_path("/out/%n");
	expect_no_path("/out/%");
	expect_no_path("%x");
}

Test(job_output_path, a_backslash_is_not_guessed)
{
	// Slurm expands nothing then and drops the backslashes: /out/\%j
	// is the file /out/%j, not /out/\42.
	expect_no_path("/out/\\%j");
	expect_no_path("/out/a\\b");
	expect_no_path("rel\\%j.out");
}

Test(job_output_path, relative_needs_a_work_dir)
{
	expect_no_path("out.txt", "");
	expect_no_path("", "");
	expect_no_path("out.txt", "relative/dir");
	expect_path("/abs/out.txt", "/abs/out.txt", "");
}

Test(job_output_path, no_file)
{
	expect_no_path("/dev/null");
	expect_no_path("null", "/dev");
	expect_no_path("null", "/dev/");
	cr_assert(!job_output_path("%u", "/w", 1, "", "pi3").has_value(),
		  "a pattern that expands to nothing");
}

// ---------------------------------------------------------------- names

Test(scratch_name, the_job_id)
{
	assert_sv_eq(scratch_name(42), "42");
	assert_sv_eq(scratch_name(0), "0");
	assert_sv_eq(scratch_name(4294967295u), "4294967295");
}
