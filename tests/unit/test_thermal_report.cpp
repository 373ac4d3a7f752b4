#include <criterion/criterion.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/thermal_report.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

NodeSummary summary(std::vector<std::string> steps, double max_c = 70.0,
		    double mean_c = 55.0, int samples = 30, int thr = 3,
		    std::optional<bool> uv = true, int mhz = 600)
{
	NodeSummary s;
	s.steps = std::move(steps);
	s.stats.start = 100;
	s.stats.end = 100 + samples - 1;
	s.stats.samples = samples;
	s.stats.temp_samples = samples;
	s.stats.max_c = max_c;
	s.stats.mean_c = mean_c;
	s.stats.throttled_samples = thr;
	s.stats.throttle_known_samples = samples;
	s.stats.undervoltage = uv;
	s.stats.min_mhz = mhz;
	return s;
}

} // namespace

Test(admin_comment, an_empty_comment_gets_our_key)
{
	CommentMerge m = merge_admin_comment("", "pi1", summary({"batch", "0"}));
	cr_assert(m.ok, "%s", m.reason.c_str());
	assert_sv_eq(m.text,
		     R"({"pi_thermal":{"v":1,"nodes":{"pi1":{"steps":["batch","0"],"start":100,"end":129,"samples":30,"max_c":70.0,"mean_c":55.0,"throttled_pct":10,"throttled_samples":3,"throttle_known_samples":30,"undervoltage":true,"min_mhz":600}}}})");
}

Test(admin_comment, other_nodes_and_the_sites_keys_are_kept)
{
	CommentMerge a = merge_admin_comment(R"({"site":"ticket 12"})", "pi1", summary({"0"}));
	cr_assert(a.ok);
	CommentMerge b = merge_admin_comment(a.text, "pi2", summary({"0"}, 80.0));
	cr_assert(b.ok);
	auto j = nlohmann::json::parse(b.text);
	assert_sv_eq(j["site"].get<std::string>(), "ticket 12");
	cr_assert(j["pi_thermal"]["nodes"].contains("pi1"));
	cr_assert_float_eq(j["pi_thermal"]["nodes"]["pi2"]["max_c"].get<double>(), 80.0, 1e-9);
	CommentRead r = read_admin_comment(b.text);
	cr_assert_eq(r.nodes.size(), 2u);
	cr_assert(r.problems.empty());
}

Test(admin_comment, an_entry_with_more_steps_is_not_replaced_by_fewer)
{
	CommentMerge a = merge_admin_comment("", "pi1", summary({"0", "1"}, 90.0));
	CommentMerge b = merge_admin_comment(a.text, "pi1", summary({"0"}, 50.0));
	cr_assert(b.ok);
	cr_assert_float_eq(*read_admin_comment(b.text).nodes["pi1"].stats.max_c, 90.0, 1e-9);
	CommentMerge c = merge_admin_comment(a.text, "pi1", summary({"0", "1", "2"}, 60.0));
	cr_assert_float_eq(*read_admin_comment(c.text).nodes["pi1"].stats.max_c, 60.0, 1e-9);
	cr_assert(admin_comment_has(c.text, "pi1", summary({"0", "1"})));
	cr_assert_not(admin_comment_has(a.text, "pi1", summary({"0", "1", "2"})));
	cr_assert_not(admin_comment_has(a.text, "pi2", summary({"0"})));
}

Test(admin_comment, an_admins_text_is_never_overwritten)
{
	CommentMerge m = merge_admin_comment("check fan on pi3", "pi1", summary({"0"}));
	cr_assert_not(m.ok);
	assert_sv_eq(m.reason,
		     "AdminComment is not a JSON object ('check fan on pi3'); left as it is");
	CommentMerge k = merge_admin_comment(R"({"pi_thermal":"mine"})", "pi1", summary({"0"}));
	cr_assert_not(k.ok);
	assert_sv_eq(k.reason, "AdminComment's \"pi_thermal\" is not slurm-pi's; left as it is");
	CommentRead r = read_admin_comment("check fan on pi3");
	cr_assert(r.nodes.empty());
	cr_assert_eq(r.problems.size(), 1u);
}

Test(admin_comment, a_bad_entry_is_a_problem_not_a_crash)
{
	CommentRead r = read_admin_comment(
		R"({"pi_thermal":{"v":1,"nodes":{"pi1":{"steps":["0"]},"pi2":7}}})");
	cr_assert(r.nodes.empty());
	cr_assert_eq(r.problems.size(), 2u);
	assert_sv_eq(r.problems[1], "entry of node 'pi2': not an object");
}

// nlohmann copies and writes JSON recursively, so an admin's AdminComment
// nesting 200000 levels deep overflowed the stack of slurmstepd at the end
// of a --thermal-report step. Beyond kAdminCommentMaxDepth it is refused,
// before it is parsed, and read as a problem.
Test(admin_comment, deep_nesting_is_refused_not_a_crash)
{
	const std::string open(200000, '['), close(200000, ']');
	std::string deep = R"({"site":)" + open + close + "}";
	CommentMerge m = merge_admin_comment(deep, "pi1", summary({"0"}));
	cr_assert_not(m.ok);
	assert_sv_eq(m.reason, "AdminComment nests 200001 levels deep, over the limit of "
			       "32; left as it is");
	CommentRead r = read_admin_comment(deep);
	cr_assert(r.nodes.empty());
	cr_assert_eq(r.problems.size(), 1u);
	cr_assert_not(admin_comment_has(deep, "pi1", summary({"0"})));
	std::string entry = R"({"pi_thermal":{"v":1,"nodes":{"pi2":{"steps":["0"],"x":)" +
			    open + close + "}}}}";
	r = read_admin_comment(entry);
	cr_assert(r.nodes.empty());
	cr_assert_eq(r.problems.size(), 1u);
	cr_assert_not(merge_admin_comment(entry, "pi1", summary({"0"})).ok);

	std::string limit = R"({"site":)" + std::string(31, '[') + std::string(31, ']') + "}";
	m = merge_admin_comment(limit, "pi1", summary({"0"}));
	cr_assert(m.ok, "%s", m.reason.c_str());
	cr_assert(admin_comment_has(m.text, "pi1", summary({"0"})));
}

Test(report, one_line_per_node_unknown_said_so)
{
	std::map<std::string, NodeSummary> nodes;
	nodes["pi1"] = summary({"batch", "0"});
	nodes["pi9"] = summary({"3"}, 45.0, 45.0, 10, 0, false, 1500);
	std::string t = report_text(42, {"pi1", "pi2"}, nodes);
	assert_sv_eq(t,
		     "slurm-pi thermal report for job 42 (3 nodes):\n"
		     "pi1: max 70.0C mean 55.0C, throttled 10% of 30 samples, under-voltage seen, min 600 MHz (steps batch, 0)\n"
		     "pi2: unknown: no summary from this node (no job step ran there, or it did not reach slurmctld)\n"
		     "pi9: max 45.0C mean 45.0C, throttled 0% of 10 samples, no under-voltage, min 1500 MHz (step 3)\n");
}

// A fake slurmctld: one AdminComment, a clock that only sleeps move, and a
// rival node whose stale write lands just after our first write.
struct FakeCtld {
	std::string text;
	std::int64_t now = 0;
	int reads = 0, writes = 0;
	bool fail_reads = false;
	std::function<void(FakeCtld &)> after_write;
	JobComment comment()
	{
		JobComment c;
		c.read = [this](std::string *why) -> std::optional<std::string> {
			++reads;
			now += 2;
			if (fail_reads) {
				*why = "Unable to contact slurm controller (connect failure)";
				return std::nullopt;
			}
			return text;
		};
		c.write = [this](const std::string &t, std::string *) {
			++writes;
			now += 3;
			text = t;
			if (after_write)
				after_write(*this);
			return true;
		};
		c.sleep_ms = [this](int ms) { now += ms; };
		c.now_ms = [this] { return now; };
		c.random = [](int below) { return below / 2; };
		return c;
	}
};

Test(publish, writes_once_and_checks)
{
	FakeCtld f;
	PublishResult r = publish_summary(f.comment(), "pi1", summary({"0"}), 200, 5000);
	cr_assert(r.ok, "%s", r.error.c_str());
	cr_assert_eq(r.writes, 1);
	cr_assert_eq(f.reads, 2);
	cr_assert(admin_comment_has(f.text, "pi1", summary({"0"})));
}

Test(publish, an_entry_lost_to_a_stale_write_is_written_again)
{
	FakeCtld f;
	// pi2 read the empty comment before our write and writes after it.
	std::string stale = merge_admin_comment("", "pi2", summary({"0"})).text;
	f.after_write = [stale](FakeCtld &c) {
		if (c.writes == 1)
			c.text = stale;
	};
	PublishResult r = publish_summary(f.comment(), "pi1", summary({"0"}), 200, 5000);
	cr_assert(r.ok, "%s", r.error.c_str());
	cr_assert_eq(r.writes, 2);
	CommentRead got = read_admin_comment(f.text);
	cr_assert_eq(got.nodes.size(), 2u, "%s", f.text.c_str());
}

Test(publish, settles_for_twice_the_slowest_read_to_write)
{
	FakeCtld f;
	JobComment c = f.comment();
	auto write = c.write;
	c.write = [&f, write](const std::string &t, std::string *why) {
		f.now += 400; // a slow slurmctld
		return write(t, why);
	};
	std::int64_t slept_before = 0;
	auto sleep = c.sleep_ms;
	c.sleep_ms = [&](int ms) {
		slept_before = std::max<std::int64_t>(slept_before, ms);
		sleep(ms);
	};
	PublishResult r = publish_summary(c, "pi1", summary({"0"}), 200, 5000);
	cr_assert(r.ok);
	cr_assert_geq(slept_before, 2 * 405);
}

Test(publish, gives_up_when_always_overwritten)
{
	FakeCtld f;
	f.after_write = [](FakeCtld &c) { c.text = ""; };
	PublishResult r = publish_summary(f.comment(), "pi1", summary({"0"}), 200, 2000);
	cr_assert_not(r.ok);
	cr_assert(contains(r.error, "gave up"), "%s", r.error.c_str());
	cr_assert_lt(f.now, 2000 + 3000);
}

Test(publish, stops_at_once_when_slurmctld_cannot_be_asked)
{
	FakeCtld f;
	f.fail_reads = true;
	PublishResult r = publish_summary(f.comment(), "pi1", summary({"0"}), 200, 5000);
	cr_assert_not(r.ok);
	cr_assert_eq(f.reads, 1);
	assert_sv_eq(r.error, "reading the job's AdminComment: Unable to contact slurm "
			      "controller (connect failure)");
}

Test(publish, never_overwrites_an_admins_text)
{
	FakeCtld f;
	f.text = "do not touch";
	PublishResult r = publish_summary(f.comment(), "pi1", summary({"0"}), 200, 5000);
	cr_assert_not(r.ok);
	cr_assert_eq(f.writes, 0);
	assert_sv_eq(f.text, "do not touch");
}

Test(admin_comment, unknowns_round_trip_as_null)
{
	NodeSummary s;
	s.steps = {"0"};
	s.stats.start = 5;
	s.stats.end = 9;
	s.stats.samples = 5;
	assert_sv_eq(node_summary_json(s),
		     R"({"steps":["0"],"start":5,"end":9,"samples":5,"max_c":null,"mean_c":null,"throttled_pct":null,"throttled_samples":0,"throttle_known_samples":0,"undervoltage":null,"min_mhz":null})");
	CommentMerge m = merge_admin_comment("", "pi4", s);
	CommentRead r = read_admin_comment(m.text);
	cr_assert_eq(r.nodes.count("pi4"), 1u);
	assert_sv_eq(node_summary_text(r.nodes["pi4"]),
		     "temperature unknown, throttling unknown in 5 samples, under-voltage "
		     "unknown, clock unknown (step 0)");
}
