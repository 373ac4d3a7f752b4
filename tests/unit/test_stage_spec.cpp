#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "common/stage/spec.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

StagePlaces places()
{
	StagePlaces p;
	p.roots = {"/home/shared", "/srv/data"};
	p.scratch = "/var/tmp/slurm-pi/42";
	p.workdir = "/home/shared/run1";
	return p;
}

// The only error of a list that must fail with exactly one.
std::string only_error(const StageList &l)
{
	cr_assert(!l.ok(), "accepted");
	cr_assert_eq(l.errors.size(), 1u, "%zu errors, first: %s", l.errors.size(),
		     l.errors[0].c_str());
	return l.errors[0];
}

std::string only_error(const StageArgsResult &r)
{
	cr_assert(!r.ok(), "accepted");
	cr_assert_eq(r.errors.size(), 1u, "%zu errors, first: %s", r.errors.size(),
		     r.errors[0].c_str());
	return r.errors[0];
}

std::string in_error(std::string_view value)
{
	return only_error(parse_stage_in(value, places()));
}

std::string out_error(std::string_view value)
{
	return only_error(parse_stage_out(value, places()));
}

void expect_items(const StageList &l, const std::vector<StageItem> &want)
{
	cr_assert(l.ok(), "refused: %s", l.errors.empty() ? "" : l.errors[0].c_str());
	cr_assert_eq(l.items.size(), want.size(), "%zu items", l.items.size());
	for (std::size_t i = 0; i < want.size(); i++) {
		assert_sv_eq(l.items[i].src, want[i].src.c_str());
		assert_sv_eq(l.items[i].dst, want[i].dst.c_str());
	}
}

std::string many(std::size_t n)
{
	std::string v;
	for (std::size_t i = 0; i < n; i++) {
		if (i)
			v += ',';
		v += "/home/shared/f" + std::to_string(i);
	}
	return v;
}

} // namespace

// ---------------------------------------------------------------- lexical

Test(lexical, normalises_slashes_dots_and_dotdot)
{
	assert_sv_eq(*lexical_normal("/home//shared/./a/../b/"), "/home/shared/b");
	assert_sv_eq(*lexical_normal("/"), "/");
	assert_sv_eq(*lexical_normal("//"), "/");
	assert_sv_eq(*lexical_normal("a/./b/"), "a/b");
	assert_sv_eq(*lexical_normal("a/.."), ".");
	assert_sv_eq(*lexical_normal("."), ".");
	assert_sv_eq(*lexical_normal(""), ".");
}

Test(lexical, refuses_dotdot_above_the_start)
{
	for (const char *p : {"/..", "/../x", "/a/../..", "..", "../x", "a/../../b"})
		cr_assert(!lexical_normal(p).has_value(), "normalised '%s'", p);
}

Test(lexical, within_compares_whole_components)
{
	cr_assert(lexically_within("/home/shared/x", "/home/shared"));
	cr_assert(lexically_within("/home/shared", "/home/shared"));
	cr_assert(!lexically_within("/home/shared2", "/home/shared"));
	cr_assert(!lexically_within("/home/shared2/x", "/home/shared"));
	cr_assert(!lexically_within("/home", "/home/shared"));
	cr_assert(lexically_within("/x", "/"));
	cr_assert(lexically_within("data/x", "data"));
	cr_assert(!lexically_within("database", "data"));
	cr_assert(lexically_within("a", "."));
	cr_assert(!lexically_within("/a", "."));
}

Test(lexical, last_component_and_scratch_path)
{
	assert_sv_eq(last_component("/home/shared/data"), "data");
	assert_sv_eq(last_component("data"), "data");
	assert_sv_eq(last_component("/"), "");
	assert_sv_eq(last_component("."), "");
	assert_sv_eq(scratch_path("/var/tmp/slurm-pi/42", "data/x"), "/var/tmp/slurm-pi/42/data/x");
	assert_sv_eq(scratch_path("/var/tmp/slurm-pi/42", "."), "/var/tmp/slurm-pi/42");
}

// ---------------------------------------------------------------- --stage-in

Test(stage_in, source_alone_is_copied_under_its_own_name)
{
	expect_items(parse_stage_in("/home/shared/data/,/srv/data/in.dat", places()),
		     {{"/home/shared/data", "data"}, {"/srv/data/in.dat", "in.dat"}});
}

Test(stage_in, a_root_itself_may_be_staged)
{
	expect_items(parse_stage_in("/srv/data", places()), {{"/srv/data", "data"}});
}

Test(stage_in, relative_destination_is_in_scratch)
{
	expect_items(parse_stage_in("/home/shared/in.dat:input/a.dat", places()),
		     {{"/home/shared/in.dat", "input/a.dat"}});
}

Test(stage_in, absolute_destination_inside_scratch_becomes_relative)
{
	expect_items(parse_stage_in("/home/shared/in.dat:/var/tmp/slurm-pi/42//x/", places()),
		     {{"/home/shared/in.dat", "x"}});
}

Test(stage_in, absolute_destination_outside_scratch_is_refused)
{
	assert_sv_eq(in_error("/home/shared/x:/tmp/y"),
		     "slurm-pi stage: --stage-in: '/home/shared/x:/tmp/y': the destination "
		     "is not in the job's scratch directory (/var/tmp/slurm-pi/42)");
	// A sibling whose name starts like scratch is not in it.
	in_error("/home/shared/x:/var/tmp/slurm-pi/420/y");
}

Test(stage_in, empty_destination)
{
	assert_sv_eq(in_error("/home/shared/x:"),
		     "slurm-pi stage: --stage-in: '/home/shared/x:': empty destination");
}

Test(stage_in, empty_source)
{
	assert_sv_eq(in_error(":x"), "slurm-pi stage: --stage-in: ':x': empty source");
}

Test(stage_in, empty_value)
{
	assert_sv_eq(in_error(""), "slurm-pi stage: --stage-in: an empty value stages nothing");
}

Test(stage_in, empty_items)
{
	assert_sv_eq(in_error("/home/shared/a,,/home/shared/b"),
		     "slurm-pi stage: --stage-in: '/home/shared/a,,/home/shared/b': item 2 is empty");
	assert_sv_eq(in_error("/home/shared/a,"),
		     "slurm-pi stage: --stage-in: '/home/shared/a,': item 2 is empty");
	in_error(",/home/shared/a");
}

Test(stage_in, relative_source_is_refused)
{
	assert_sv_eq(in_error("data/x"),
		     "slurm-pi stage: --stage-in: 'data/x': the source must be an absolute "
		     "path in an allowed root (/home/shared, /srv/data)");
}

Test(stage_in, source_outside_the_roots_is_refused)
{
	assert_sv_eq(in_error("/etc/shadow"),
		     "slurm-pi stage: --stage-in: '/etc/shadow': the source is not in an "
		     "allowed root (/home/shared, /srv/data)");
}

Test(stage_in, a_root_is_not_a_string_prefix)
{
	assert_sv_eq(in_error("/home/shared2/x"),
		     "slurm-pi stage: --stage-in: '/home/shared2/x': the source is not in an "
		     "allowed root (/home/shared, /srv/data)");
}

Test(stage_in, dotdot_out_of_a_root_is_refused_naming_where_it_leads)
{
	assert_sv_eq(in_error("/home/shared/../etc/passwd"),
		     "slurm-pi stage: --stage-in: '/home/shared/../etc/passwd': the source, "
		     "'/home/etc/passwd', is not in an allowed root (/home/shared, /srv/data)");
}

Test(stage_in, dotdot_that_stays_in_the_root_is_resolved)
{
	expect_items(parse_stage_in("/home/shared/a/../b/./c", places()),
		     {{"/home/shared/b/c", "c"}});
}

Test(stage_in, dotdot_above_the_file_system_root)
{
	assert_sv_eq(in_error("/../home/shared/x"),
		     "slurm-pi stage: --stage-in: '/../home/shared/x': '..' in the source "
		     "goes above '/'");
}

Test(stage_in, destination_dotdot_leaving_scratch)
{
	assert_sv_eq(in_error("/home/shared/x:a/../../y"),
		     "slurm-pi stage: --stage-in: '/home/shared/x:a/../../y': '..' in the "
		     "destination goes above the scratch directory");
}

Test(stage_in, destination_cannot_be_scratch_itself)
{
	assert_sv_eq(in_error("/home/shared/x:."),
		     "slurm-pi stage: --stage-in: '/home/shared/x:.': the destination is the "
		     "scratch directory itself; name a file or directory in it");
	in_error("/home/shared/x:/var/tmp/slurm-pi/42/");
	in_error("/home/shared/x:a/..");
}

Test(stage_in, control_characters_are_refused)
{
	assert_sv_eq(in_error("/home/shared/a\nb"),
		     "slurm-pi stage: --stage-in: '/home/shared/a\\nb': a path may not hold "
		     "control characters");
	in_error("/home/shared/a\x7f");
	in_error("/home/shared/x:a\tb");
}

Test(stage_in, nul_is_refused)
{
	std::string v("/home/shared/a\0b", 16);
	assert_sv_eq(in_error(v),
		     "slurm-pi stage: --stage-in: '/home/shared/a\\x00b': a path may not hold "
		     "control characters");
}

Test(stage_in, backslash_escapes_comma_colon_and_backslash)
{
	expect_items(parse_stage_in("/home/shared/a\\,b\\:c\\\\d:x\\:y", places()),
		     {{"/home/shared/a,b:c\\d", "x:y"}});
}

Test(stage_in, other_escapes_are_refused)
{
	assert_sv_eq(in_error("/home/shared/a\\qb"),
		     "slurm-pi stage: --stage-in: '/home/shared/a\\\\qb': a backslash must "
		     "come before ',', ':' or another backslash");
	in_error("/home/shared/a\\");
}

Test(stage_in, more_than_one_colon)
{
	assert_sv_eq(in_error("/home/shared/a:b:c"),
		     "slurm-pi stage: --stage-in: '/home/shared/a:b:c': more than one ':' "
		     "(a ':' in a path is written '\\\\:')");
}

Test(stage_in, equal_destinations_are_refused)
{
	StageList l = parse_stage_in("/home/shared/a/data,/home/shared/b/data", places());
	assert_sv_eq(only_error(l),
		     "slurm-pi stage: --stage-in: '/home/shared/b/data': the destination "
		     "'data' is also the destination of '/home/shared/a/data'");
	// The good item is kept, for callers that want to know.
	expect_items(StageList{l.items, {}}, {{"/home/shared/a/data", "data"}});
}

Test(stage_in, nested_destinations_are_refused)
{
	assert_sv_eq(in_error("/home/shared/a/data,/home/shared/c:data/x"),
		     "slurm-pi stage: --stage-in: '/home/shared/c:data/x': the destination "
		     "'data/x' is inside 'data', the destination of '/home/shared/a/data'");
	assert_sv_eq(in_error("/home/shared/c:data/x,/home/shared/a/data"),
		     "slurm-pi stage: --stage-in: '/home/shared/a/data': the destination "
		     "'data' holds 'data/x', the destination of '/home/shared/c:data/x'");
}

Test(stage_in, same_source_to_two_places_is_fine)
{
	expect_items(parse_stage_in("/home/shared/a:x,/home/shared/a:y", places()),
		     {{"/home/shared/a", "x"}, {"/home/shared/a", "y"}});
}

Test(stage_in, at_most_64_items)
{
	cr_assert(parse_stage_in(many(kStageMaxItems), places()).ok());
	assert_sv_eq(in_error(many(kStageMaxItems + 1)),
		     "slurm-pi stage: --stage-in: 65 items; at most 64 (a directory is one item)");
}

Test(stage_in, paths_longer_than_path_max_are_refused)
{
	std::string longpath = "/home/shared";
	while (longpath.size() <= kStagePathMax)
		longpath += "/abcdefgh";
	std::string e = in_error(longpath);
	cr_assert(e.ends_with("...: the source is longer than 4095 bytes"), "%s", e.c_str());
	e = in_error("/home/shared/x:" + longpath.substr(1));
	cr_assert(e.ends_with("...: the destination is longer than 4095 bytes"), "%s", e.c_str());
}

Test(stage_in, names_longer_than_name_max_are_refused)
{
	std::string e = in_error("/home/shared/" + std::string(256, 'a'));
	cr_assert(e.ends_with("...: the source has a name longer than 255 bytes"), "%s", e.c_str());
	cr_assert(parse_stage_in("/home/shared/" + std::string(255, 'a'), places()).ok());
}

Test(stage_in, destination_too_long_once_in_scratch)
{
	// Short enough alone, too long under /var/tmp/slurm-pi/42/.
	std::string rel;
	while (rel.size() < kStagePathMax - 10)
		rel += "abcdefgh/";
	rel.resize(kStagePathMax - 10);
	std::string e = in_error("/home/shared/x:" + rel);
	cr_assert(e.ends_with("...: in the scratch directory, the destination would be "
			      "longer than 4095 bytes"), "%s", e.c_str());
}

Test(stage_in, no_roots_configured)
{
	StagePlaces p = places();
	p.roots.clear();
	assert_sv_eq(only_error(parse_stage_in("/home/shared/x", p)),
		     "slurm-pi stage: --stage-in: staging is not available: no shared roots "
		     "are configured (roots= in plugstack.conf)");
}

Test(stage_in, messages_name_the_environment_variable_it_came_from)
{
	assert_sv_eq(only_error(parse_stage_in("/etc/shadow", places(), "SLURM_PI_STAGE_IN")),
		     "slurm-pi stage: SLURM_PI_STAGE_IN: '/etc/shadow': the source is not in "
		     "an allowed root (/home/shared, /srv/data)");
}

Test(stage_in, every_bad_item_is_reported_and_good_ones_kept)
{
	StageList l = parse_stage_in("/etc/a,/home/shared/ok,x", places());
	cr_assert_eq(l.errors.size(), 2u);
	cr_assert(contains(l.errors[0], "'/etc/a'"));
	cr_assert(contains(l.errors[1], "'x'"));
	cr_assert_eq(l.items.size(), 1u);
	assert_sv_eq(l.items[0].src, "/home/shared/ok");
}

// ---------------------------------------------------------------- --stage-out

Test(stage_out, relative_source_to_a_destination_on_the_share)
{
	expect_items(parse_stage_out("results/:/home/shared/run1//results", places()),
		     {{"results", "/home/shared/run1/results"}});
}

Test(stage_out, absolute_source_inside_scratch_becomes_relative)
{
	expect_items(parse_stage_out("/var/tmp/slurm-pi/42/out/log.txt:/srv/data/log.txt", places()),
		     {{"out/log.txt", "/srv/data/log.txt"}});
}

Test(stage_out, source_outside_scratch_is_refused)
{
	assert_sv_eq(out_error("/home/shared/x:/home/shared/y"),
		     "slurm-pi stage: --stage-out: '/home/shared/x:/home/shared/y': the source "
		     "is not in the job's scratch directory (/var/tmp/slurm-pi/42)");
}

Test(stage_out, source_dotdot_leaving_scratch)
{
	assert_sv_eq(out_error("../x:/home/shared/x"),
		     "slurm-pi stage: --stage-out: '../x:/home/shared/x': '..' in the source "
		     "goes above the scratch directory");
}

Test(stage_out, without_destination_goes_to_the_working_directory)
{
	expect_items(parse_stage_out("out/log.txt,results", places()),
		     {{"out/log.txt", "/home/shared/run1/log.txt"},
		      {"results", "/home/shared/run1/results"}});
}

Test(stage_out, without_destination_needs_a_known_working_directory)
{
	StagePlaces p = places();
	p.workdir.clear();
	assert_sv_eq(only_error(parse_stage_out("results", p)),
		     "slurm-pi stage: --stage-out: 'results': no destination given, and the "
		     "job's working directory is not known; write SRC:DST");
}

Test(stage_out, without_destination_needs_a_working_directory_on_the_share)
{
	StagePlaces p = places();
	p.workdir = "/root";
	assert_sv_eq(only_error(parse_stage_out("results", p)),
		     "slurm-pi stage: --stage-out: 'results': no destination given, and the "
		     "job's working directory, '/root', is not in an allowed root "
		     "(/home/shared, /srv/data); write SRC:DST");
}

Test(stage_out, relative_destination_is_refused)
{
	assert_sv_eq(out_error("results:out"),
		     "slurm-pi stage: --stage-out: 'results:out': the destination must be an "
		     "absolute path in an allowed root (/home/shared, /srv/data)");
}

Test(stage_out, destination_outside_the_roots_is_refused)
{
	assert_sv_eq(out_error("results:/etc/cron.d/x"),
		     "slurm-pi stage: --stage-out: 'results:/etc/cron.d/x': the destination "
		     "is not in an allowed root (/home/shared, /srv/data)");
	out_error("results:/home/shared/../../etc/x");
}

Test(stage_out, destination_cannot_be_a_root_itself)
{
	assert_sv_eq(out_error("results:/home/shared/"),
		     "slurm-pi stage: --stage-out: 'results:/home/shared/': the destination is "
		     "the shared root /home/shared itself; name a file or directory in it");
}

Test(stage_out, whole_scratch_needs_a_destination)
{
	assert_sv_eq(out_error("."),
		     "slurm-pi stage: --stage-out: '.': the whole scratch directory needs a "
		     "destination; write .:DST");
	expect_items(parse_stage_out(".:/home/shared/run1/all", places()),
		     {{".", "/home/shared/run1/all"}});
}

Test(stage_out, equal_destinations_are_refused)
{
	assert_sv_eq(out_error("a/out:/home/shared/r/out,b/out:/home/shared/r/out"),
		     "slurm-pi stage: --stage-out: 'b/out:/home/shared/r/out': the destination "
		     "'/home/shared/r/out' is also the destination of 'a/out:/home/shared/r/out'");
	// Two defaults with the same name collide too.
	out_error("a/out,b/out");
}

Test(stage_out, nested_destinations_are_refused)
{
	assert_sv_eq(out_error("a:/home/shared/r,b:/home/shared/r/b"),
		     "slurm-pi stage: --stage-out: 'b:/home/shared/r/b': the destination "
		     "'/home/shared/r/b' is inside '/home/shared/r', the destination of "
		     "'a:/home/shared/r'");
}

// ---------------------------------------------------------------- multi-node

Test(stage_out_destination, one_node_writes_to_the_destination_itself)
{
	StageItem it{"out", "/home/shared/r/out"};
	StagePath p = stage_out_destination(it, "pi1", 1);
	cr_assert(p.ok());
	assert_sv_eq(p.path, "/home/shared/r/out");
}

Test(stage_out_destination, more_nodes_write_to_one_directory_each)
{
	StageItem it{"out", "/home/shared/r/out"};
	StagePath a = stage_out_destination(it, "pi1", 2);
	StagePath b = stage_out_destination(it, "pi2", 2);
	cr_assert(a.ok() && b.ok());
	assert_sv_eq(a.path, "/home/shared/r/out/pi1");
	assert_sv_eq(b.path, "/home/shared/r/out/pi2");
}

Test(stage_out_destination, node_names_that_are_not_one_component)
{
	StageItem it{"out", "/home/shared/r/out"};
	StagePath p = stage_out_destination(it, "a/b", 2);
	cr_assert(!p.ok());
	assert_sv_eq(p.error, "slurm-pi stage: --stage-out: node name 'a/b' cannot be a "
			      "directory name");
	for (std::string_view bad : {"", ".", "..", "pi\n1"})
		cr_assert(!stage_out_destination(it, bad, 2).ok());
	cr_assert(!stage_out_destination(it, std::string(256, 'n'), 2).ok());
}

Test(stage_out_destination, too_long_with_the_node_name)
{
	std::string dst = "/home/shared";
	while (dst.size() < kStagePathMax - 2)
		dst += "/x";
	dst.resize(kStagePathMax - 2);
	StagePath p = stage_out_destination({"out", dst}, "pi12", 2);
	cr_assert(!p.ok());
	cr_assert(p.error.ends_with(": on node 'pi12' the destination would be longer than "
				    "4095 bytes"), "%s", p.error.c_str());
}

// ---------------------------------------------------------------- format

Test(format, escapes_comma_colon_and_backslash)
{
	assert_sv_eq(escape_stage_path("a,b:c\\d"), "a\\,b\\:c\\\\d");
}

Test(format, stage_in_lists_parse_back_to_the_same_items)
{
	StageList l = parse_stage_in("/home/shared/a\\,b,/srv/data/x:/var/tmp/slurm-pi/42/y/z",
				     places());
	cr_assert(l.ok());
	std::string text = format_stage_list(l.items);
	assert_sv_eq(text, "/home/shared/a\\,b:a\\,b,/srv/data/x:y/z");
	StageList again = parse_stage_in(text, places());
	cr_assert(again.ok());
	cr_assert(again.items == l.items);
}

Test(format, stage_out_lists_parse_back_to_the_same_items)
{
	StageList l = parse_stage_out("out/a\\:b,.:/srv/data/all,log", places());
	cr_assert(l.ok());
	std::string text = format_stage_list(l.items);
	assert_sv_eq(text, "out/a\\:b:/home/shared/run1/a\\:b,.:/srv/data/all,"
			   "log:/home/shared/run1/log");
	StageList again = parse_stage_out(text, places());
	cr_assert(again.ok());
	cr_assert(again.items == l.items);
}

// ---------------------------------------------------------------- --stage-out-when

Test(stage_out_when, always_and_success)
{
	cr_assert(parse_stage_out_when("always") == StageOutWhen::always);
	cr_assert(parse_stage_out_when("success") == StageOutWhen::success);
	for (auto w : {StageOutWhen::always, StageOutWhen::success})
		cr_assert(parse_stage_out_when(to_string(w)) == w);
}

Test(stage_out_when, other_spellings_are_refused)
{
	for (const char *bad : {"", "Always", "ALWAYS", "ok", "success ", "fail"})
		cr_assert(!parse_stage_out_when(bad).has_value(), "accepted '%s'", bad);
	assert_sv_eq(stage_out_when_error("maybe"), "'maybe' is not one of always, success");
	assert_sv_eq(stage_out_when_error(""), "an empty value is not one of always, success");
}

// ---------------------------------------------------------------- options and environment

Test(stage_env, names_of_options_and_variables)
{
	assert_sv_eq(stage_option_name(StageOption::stage_in), "--stage-in");
	assert_sv_eq(stage_option_name(StageOption::stage_out), "--stage-out");
	assert_sv_eq(stage_option_name(StageOption::stage_out_when), "--stage-out-when");
	assert_sv_eq(stage_env_name(StageOption::stage_in), "SLURM_PI_STAGE_IN");
	assert_sv_eq(stage_env_name(StageOption::stage_out), "SLURM_PI_STAGE_OUT");
	assert_sv_eq(stage_env_name(StageOption::stage_out_when), "SLURM_PI_STAGE_OUT_WHEN");
}

Test(stage_env, the_option_wins_over_the_environment)
{
	StageValue v = choose_stage_value(StageOption::stage_in, "/home/shared/a",
					  "/home/shared/b");
	cr_assert(v.source == StageValueSource::option);
	assert_sv_eq(v.value, "/home/shared/a");
	assert_sv_eq(v.name, "--stage-in");
}

Test(stage_env, the_environment_applies_without_the_option)
{
	StageValue v = choose_stage_value(StageOption::stage_out_when, std::nullopt, "success");
	cr_assert(v.source == StageValueSource::environment);
	assert_sv_eq(v.value, "success");
	assert_sv_eq(v.name, "SLURM_PI_STAGE_OUT_WHEN");
}

Test(stage_env, an_empty_variable_is_unset)
{
	StageValue v = choose_stage_value(StageOption::stage_out, std::nullopt, "");
	cr_assert(v.source == StageValueSource::none);
	assert_sv_eq(v.name, "");
	cr_assert(choose_stage_value(StageOption::stage_out, std::nullopt, std::nullopt).source ==
		  StageValueSource::none);
}

Test(stage_env, an_empty_option_is_given_and_then_refused)
{
	StageValue v = choose_stage_value(StageOption::stage_in, "", "/home/shared/b");
	cr_assert(v.source == StageValueSource::option);
	assert_sv_eq(only_error(parse_stage_in(v.value, places(), v.name)),
		     "slurm-pi stage: --stage-in: an empty value stages nothing");
}

// ---------------------------------------------------------------- plugstack.conf

Test(stage_args, defaults_without_arguments)
{
	StageArgsResult r = parse_stage_args({});
	cr_assert(r.ok());
	cr_assert(r.args == StageArgs{});
	cr_assert(r.args.roots.empty());
	assert_sv_eq(r.args.scratch, "/var/tmp/slurm-pi");
	cr_assert_eq(r.args.max_size, 0u);
	cr_assert_eq(r.args.copy_timeout, 1800);
	cr_assert(r.args.cache);
	cr_assert_eq(r.args.cache_size, std::uint64_t(1) << 30);
	cr_assert(r.args.health_check);
	cr_assert_eq(r.args.health_timeout, 10);
	cr_assert(r.args.on_failure == StageOnFailure::fail);
}

Test(stage_args, every_key)
{
	StageArgsResult r = parse_stage_args(
		{"roots=/home/shared:/srv//data/", "scratch=/scratch//slurm-pi/",
		 "max-size=10G", "copy-timeout=600", "cache=no", "cache-size=512m",
		 "health-check=no", "health-timeout=5", "on-failure=drain"});
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	cr_assert_eq(r.args.roots.size(), 2u);
	assert_sv_eq(r.args.roots[0], "/home/shared");
	assert_sv_eq(r.args.roots[1], "/srv/data");
	assert_sv_eq(r.args.scratch, "/scratch/slurm-pi");
	cr_assert_eq(r.args.max_size, std::uint64_t(10) << 30);
	cr_assert_eq(r.args.copy_timeout, 600);
	cr_assert(!r.args.cache);
	cr_assert_eq(r.args.cache_size, std::uint64_t(512) << 20);
	cr_assert(!r.args.health_check);
	cr_assert_eq(r.args.health_timeout, 5);
	cr_assert(r.args.on_failure == StageOnFailure::drain);
}

Test(stage_args, unknown_argument_is_named)
{
	assert_sv_eq(only_error(parse_stage_args({"roots=/home/shared", "foo=1"})),
		     "slurm-pi stage: plugstack.conf: unknown argument 'foo=1' (known: roots, "
		     "scratch, max-size, copy-timeout, cache, cache-size, health-check, "
		     "health-timeout, on-failure)");
	only_error(parse_stage_args({"Roots=/home/shared"}));
	only_error(parse_stage_args({"verbose"}));
}

Test(stage_args, a_known_key_needs_a_value)
{
	assert_sv_eq(only_error(parse_stage_args({"cache"})),
		     "slurm-pi stage: plugstack.conf: 'cache' is not key=value (cache=...)");
}

Test(stage_args, a_key_given_twice)
{
	assert_sv_eq(only_error(parse_stage_args({"max-size=1G", "max-size=2G"})),
		     "slurm-pi stage: plugstack.conf: max-size: given twice");
}

Test(stage_args, roots_must_be_clean_absolute_paths)
{
	assert_sv_eq(only_error(parse_stage_args({"roots=home/shared"})),
		     "slurm-pi stage: plugstack.conf: roots: 'home/shared' is not an absolute path");
	assert_sv_eq(only_error(parse_stage_args({"roots=/srv/../etc"})),
		     "slurm-pi stage: plugstack.conf: roots: '/srv/../etc': '.' and '..' are "
		     "not allowed here");
	assert_sv_eq(only_error(parse_stage_args({"roots=/a::/b"})),
		     "slurm-pi stage: plugstack.conf: roots: '/a::/b': an empty path (roots are "
		     "separated by ':')");
	only_error(parse_stage_args({"roots="}));
	only_error(parse_stage_args({"roots=/a\n"}));
}

Test(stage_args, the_file_system_root_is_not_a_root)
{
	assert_sv_eq(only_error(parse_stage_args({"roots=/home/shared://"})),
		     "slurm-pi stage: plugstack.conf: roots: '//' would take in the whole "
		     "file system");
	only_error(parse_stage_args({"scratch=/"}));
}

Test(stage_args, scratch_must_not_be_on_the_share)
{
	assert_sv_eq(only_error(parse_stage_args({"roots=/home/shared", "scratch=/home/shared/tmp"})),
		     "slurm-pi stage: plugstack.conf: scratch: '/home/shared/tmp' is in the "
		     "shared root /home/shared; scratch must be on the node's own disk");
	assert_sv_eq(only_error(parse_stage_args({"roots=/var/tmp/slurm-pi/share"})),
		     "slurm-pi stage: plugstack.conf: scratch: '/var/tmp/slurm-pi' holds the "
		     "shared root /var/tmp/slurm-pi/share; scratch must be on the node's own disk");
	cr_assert(parse_stage_args({"roots=/home/shared", "scratch=/home/shared2"}).ok());
}

Test(stage_args, sizes_take_binary_suffixes)
{
	cr_assert(parse_stage_size("4096") == std::optional<std::uint64_t>(4096));
	cr_assert(parse_stage_size("10K") == std::optional<std::uint64_t>(10240));
	cr_assert(parse_stage_size("10k") == std::optional<std::uint64_t>(10240));
	cr_assert(parse_stage_size("2g") == std::optional<std::uint64_t>(std::uint64_t(2) << 30));
	cr_assert(parse_stage_size("1T") == std::optional<std::uint64_t>(std::uint64_t(1) << 40));
	cr_assert(parse_stage_size("16777215T").has_value());
	for (const char *bad : {"", "K", "1.5G", " 1G", "1G ", "-1", "+1", "1KB", "1P",
				"16777216T", "18446744073709551616"})
		cr_assert(!parse_stage_size(bad).has_value(), "accepted '%s'", bad);
}

Test(stage_args, sizes_are_written_with_the_largest_exact_suffix)
{
	assert_sv_eq(format_stage_size(0), "0");
	assert_sv_eq(format_stage_size(std::uint64_t(1) << 30), "1G");
	assert_sv_eq(format_stage_size(1536), "1536");
	assert_sv_eq(format_stage_size(std::uint64_t(3) << 40), "3T");
	assert_sv_eq(format_stage_size(std::uint64_t(1536) << 20), "1536M");
}

Test(stage_args, bad_sizes_say_what_a_size_is)
{
	assert_sv_eq(only_error(parse_stage_args({"max-size=10X"})),
		     "slurm-pi stage: plugstack.conf: max-size: '10X' is not a size (bytes, or "
		     "a whole number with K, M, G or T, powers of 1024)");
	assert_sv_eq(only_error(parse_stage_args({"max-size=99999999999999999999"})),
		     "slurm-pi stage: plugstack.conf: max-size: '99999999999999999999' is too large");
	assert_sv_eq(only_error(parse_stage_args({"cache-size=0"})),
		     "slurm-pi stage: plugstack.conf: cache-size: '0' must be more than 0 "
		     "(cache=no turns the cache off)");
	cr_assert(parse_stage_args({"max-size=0"}).ok());
}

Test(stage_args, timeouts_are_whole_seconds_in_range)
{
	assert_sv_eq(only_error(parse_stage_args({"copy-timeout=0"})),
		     "slurm-pi stage: plugstack.conf: copy-timeout: '0' is out of range "
		     "1..604800 s");
	assert_sv_eq(only_error(parse_stage_args({"health-timeout=3601"})),
		     "slurm-pi stage: plugstack.conf: health-timeout: '3601' is out of range "
		     "1..3600 s");
	assert_sv_eq(only_error(parse_stage_args({"copy-timeout=1.5"})),
		     "slurm-pi stage: plugstack.conf: copy-timeout: '1.5' is not a whole number "
		     "of seconds");
	only_error(parse_stage_args({"copy-timeout=-5"}));
	only_error(parse_stage_args({"copy-timeout=99999999999999999999"}));
	cr_assert(parse_stage_args({"copy-timeout=604800", "health-timeout=1"}).ok());
}

Test(stage_args, switches_are_yes_or_no)
{
	assert_sv_eq(only_error(parse_stage_args({"cache=on"})),
		     "slurm-pi stage: plugstack.conf: cache: 'on' is not one of yes, no");
	assert_sv_eq(only_error(parse_stage_args({"health-check="})),
		     "slurm-pi stage: plugstack.conf: health-check: an empty value is not one "
		     "of yes, no");
}

Test(stage_args, on_failure_choices)
{
	assert_sv_eq(only_error(parse_stage_args({"on-failure=reboot"})),
		     "slurm-pi stage: plugstack.conf: on-failure: 'reboot' is not one of fail, "
		     "requeue, drain");
	for (auto f : {StageOnFailure::fail, StageOnFailure::requeue, StageOnFailure::drain})
		cr_assert(parse_stage_on_failure(to_string(f)) == f);
}

Test(stage_args, every_bad_argument_is_reported)
{
	StageArgsResult r = parse_stage_args({"cache=on", "foo", "max-size=1G", "on-failure=x"});
	cr_assert_eq(r.errors.size(), 3u);
	cr_assert_eq(r.args.max_size, std::uint64_t(1) << 30);
}

Test(stage_args, formatted_arguments_parse_back_to_the_same)
{
	StageArgs a;
	a.roots = {"/home/shared", "/srv/data"};
	a.scratch = "/scratch";
	a.max_size = 1536;
	a.copy_timeout = 60;
	a.cache = false;
	a.cache_size = std::uint64_t(3) << 30;
	a.health_check = false;
	a.health_timeout = 2;
	a.on_failure = StageOnFailure::requeue;
	std::vector<std::string> words = format_stage_args(a);
	assert_sv_eq(words[0], "roots=/home/shared:/srv/data");
	assert_sv_eq(words[2], "max-size=1536");
	StageArgsResult r = parse_stage_args(words);
	cr_assert(r.ok());
	cr_assert(r.args == a);
	StageArgsResult d = parse_stage_args(format_stage_args(StageArgs{}));
	cr_assert(d.ok() && d.args == StageArgs{});
}

Test(stage_args, places_for_the_checks)
{
	StageArgsResult r = parse_stage_args({"roots=/home/shared", "scratch=/scratch"});
	StagePlaces p = stage_places(r.args, "/home/shared/run1");
	cr_assert_eq(p.roots.size(), 1u);
	assert_sv_eq(p.scratch, "/scratch");
	assert_sv_eq(p.workdir, "/home/shared/run1");
	cr_assert(parse_stage_out("out", p).ok());
}

Test(path_component, node_names_that_can_name_a_file)
{
	cr_assert(is_path_component("pi1"));
	cr_assert(is_path_component("node-07.cluster"));
	cr_assert(is_path_component(std::string(kStageNameMax, 'a')));
	cr_assert_not(is_path_component(""));
	cr_assert_not(is_path_component("."));
	cr_assert_not(is_path_component(".."));
	cr_assert_not(is_path_component("../etc"));
	cr_assert_not(is_path_component("a/b"));
	cr_assert_not(is_path_component("pi\n1"));
	cr_assert_not(is_path_component(std::string("pi\0" "1", 4)));
	cr_assert_not(is_path_component(std::string(kStageNameMax + 1, 'a')));
}
