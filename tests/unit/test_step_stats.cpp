#include <criterion/criterion.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/step_stats.hpp"
#include "common/throttle.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

RingSample at(std::int64_t t, double c, std::uint32_t thr = 0,
	      std::uint32_t known = kThrKnownMask, int mhz = 1500)
{
	RingSample s;
	s.time = t;
	s.temp_mc = static_cast<std::int32_t>(c * 1000);
	s.throttled = thr;
	s.throttled_known = known;
	s.cur_mhz = mhz;
	return s;
}

} // namespace

Test(step_stats, empty_window_has_no_samples_and_says_so)
{
	StepStats s = step_stats({}, 100, 200);
	cr_assert_eq(s.samples, 0);
	cr_assert_not(s.max_c);
	cr_assert_not(s.throttled_pct());
	assert_sv_eq(step_stats_text(s), "no samples in the ring for the step's lifetime");
}

Test(step_stats, samples_outside_the_window_are_ignored)
{
	std::vector<RingSample> v = {at(99, 90, 0x4), at(100, 50), at(150, 60),
				     at(200, 70), at(201, 95, 0x4, kThrKnownMask, 300)};
	StepStats s = step_stats(v, 100, 200);
	cr_assert_eq(s.samples, 3);
	cr_assert_float_eq(*s.max_c, 70.0, 1e-9);
	cr_assert_float_eq(*s.mean_c, 60.0, 1e-9);
	cr_assert_eq(*s.throttled_pct(), 0);
	cr_assert_eq(*s.min_mhz, 1500);
	cr_assert_eq(s.undervoltage, std::optional<bool>(false));
}

Test(step_stats, the_documented_log_line)
{
	std::vector<RingSample> v;
	for (int i = 0; i < 20; ++i)
		v.push_back(at(i, i < 7 ? 84.0 : 55.0, i < 7 ? 0x50005u : 0u,
			       kThrKnownMask, i < 7 ? 600 : 1500));
	StepStats s = step_stats(v, 0, 19);
	cr_assert_eq(s.samples, 20);
	cr_assert_eq(s.throttled_samples, 7);
	assert_sv_eq(step_stats_text(s),
		     "max 84.0C mean 65.2C, throttled 35% of 20 samples, "
		     "under-voltage seen, min 600 MHz");
}

Test(step_stats, unknown_throttle_bits_are_not_counted_as_throttled)
{
	// hwmon rpi_volt: only under-voltage now is known; the word's bit 2
	// (set here) means nothing.
	std::vector<RingSample> v = {at(1, 50, 0x4, kThrUnderVoltageNow),
				     at(2, 50, 0x4, kThrUnderVoltageNow)};
	StepStats s = step_stats(v, 0, 10);
	cr_assert_eq(s.throttled_samples, 0);
	cr_assert_eq(s.throttle_known_samples, 0);
	cr_assert_not(s.throttled_pct());
	cr_assert_eq(s.undervoltage, std::optional<bool>(false));
	cr_assert(contains(step_stats_text(s), "throttling unknown in 2 samples"));

	// A known sample among unknown ones: the fraction is over known ones.
	v.push_back(at(3, 50, 0x4, kThrKnownMask));
	s = step_stats(v, 0, 10);
	cr_assert_eq(*s.throttled_pct(), 100);
}

Test(step_stats, under_voltage_occurred_counts_as_seen)
{
	StepStats s = step_stats({at(1, 50, 0x10000)}, 0, 10);
	cr_assert_eq(s.undervoltage, std::optional<bool>(true));
	s = step_stats({at(1, 50, 0x1, 0)}, 0, 10);
	cr_assert_not(s.undervoltage);
	cr_assert(contains(step_stats_text(s), "under-voltage unknown"));
}

Test(step_stats, unknown_temperature_and_clock)
{
	RingSample r = at(1, 0, 0, kThrKnownMask, 0);
	r.temp_mc = kRingNoTemp;
	StepStats s = step_stats({r}, 0, 10);
	cr_assert_eq(s.samples, 1);
	cr_assert_not(s.max_c);
	cr_assert_not(s.mean_c);
	cr_assert_not(s.min_mhz);
	assert_sv_eq(step_stats_text(s),
		     "temperature unknown, throttled 0% of 1 samples, "
		     "no under-voltage, clock unknown");
}

Test(step_stats, samples_from_a_wrapped_ring_in_any_order)
{
	// What a wrapped ring gives, out of order: the window decides.
	std::vector<RingSample> v = {at(105, 61), at(106, 62), at(101, 80),
				     at(102, 40), at(103, 63), at(104, 64)};
	StepStats s = step_stats(v, 103, 106);
	cr_assert_eq(s.samples, 4);
	cr_assert_float_eq(*s.max_c, 64.0, 1e-9);
	cr_assert_float_eq(*s.mean_c, 62.5, 1e-9);
}

Test(step_stats, json_line_has_every_field)
{
	std::vector<RingSample> v = {at(10, 84.04, 0x50005, kThrKnownMask, 600),
				     at(11, 50, 0, kThrKnownMask, 1500)};
	StepStats s = step_stats(v, 10, 11);
	std::string line = step_stats_json(s, 42, "0", "pi3");
	cr_assert(line.find('\n') == std::string::npos);
	assert_sv_eq(line,
		     "{\"v\":1,\"job\":42,\"step\":\"0\",\"node\":\"pi3\",\"start\":10,"
		     "\"end\":11,\"samples\":2,\"max_c\":84.0,\"mean_c\":67.0,"
		     "\"throttled_pct\":50,\"throttled_samples\":1,"
		     "\"throttle_known_samples\":2,\"undervoltage\":true,\"min_mhz\":600}");
	auto empty = nlohmann::json::parse(step_stats_json(step_stats({}, 1, 2), 7, "batch", "pi1"));
	cr_assert(empty["max_c"].is_null());
	cr_assert(empty["throttled_pct"].is_null());
	cr_assert(empty["undervoltage"].is_null());
	cr_assert_eq(empty["samples"].get<int>(), 0);
}

Test(step_stats, step_names)
{
	assert_sv_eq(step_name(0, 0xfffffffeu), "0");
	assert_sv_eq(step_name(0xfffffffbu, 0xfffffffeu), "batch");
	assert_sv_eq(step_name(0xfffffffcu, 0xfffffffeu), "extern");
	assert_sv_eq(step_name(3, 1), "3+1");
}

Test(step_stats, job_record_is_appended_one_line_per_step_0644)
{
	ScratchDir d("slurmpi-test-step-stats");
	cr_assert(append_job_record(d.str(), 42, "{\"a\":1}").empty());
	cr_assert(append_job_record(d.str(), 42, "{\"a\":2}").empty());
	std::string path = d.str() + "/slurm-pi/job_42.json";
	assert_sv_eq(slurp(path), "{\"a\":1}\n{\"a\":2}\n");
	struct stat st;
	cr_assert_eq(stat(path.c_str(), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644u);
	cr_assert_eq(stat((d.str() + "/slurm-pi").c_str(), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755u);
}

Test(step_stats, job_record_never_follows_a_symlink)
{
	ScratchDir d("slurmpi-test-step-stats");
	std::string target = d.str() + "/target";
	{
		std::ofstream(target) << "keep";
	}
	cr_assert_eq(mkdir((d.str() + "/slurm-pi").c_str(), 0755), 0);
	cr_assert_eq(symlink(target.c_str(), (d.str() + "/slurm-pi/job_7.json").c_str()), 0);
	std::string err = append_job_record(d.str(), 7, "{}");
	cr_assert(contains(err, "job_7.json: is a symbolic link; not followed"), "%s",
		  err.c_str());
	assert_sv_eq(slurp(target), "keep");

	ScratchDir d2("slurmpi-test-step-stats");
	cr_assert_eq(symlink(d.str().c_str(), (d2.str() + "/slurm-pi").c_str()), 0);
	err = append_job_record(d2.str(), 8, "{}");
	cr_assert(contains(err, "/slurm-pi: is a symbolic link; not followed"), "%s",
		  err.c_str());
}

namespace {

StepRecord rec(const char *step, std::int64_t start, std::int64_t end, int samples,
	       std::optional<double> max_c, std::optional<double> mean_c, int thr,
	       int known, std::optional<bool> uv, std::optional<int> mhz)
{
	StepRecord r;
	r.step = step;
	r.node = "pi1";
	r.stats.start = start;
	r.stats.end = end;
	r.stats.samples = samples;
	r.stats.temp_samples = max_c ? samples : 0;
	r.stats.max_c = max_c;
	r.stats.mean_c = mean_c;
	r.stats.throttled_samples = thr;
	r.stats.throttle_known_samples = known;
	r.stats.undervoltage = uv;
	r.stats.min_mhz = mhz;
	return r;
}

} // namespace

Test(step_record, a_written_line_reads_back)
{
	std::vector<RingSample> v;
	for (int i = 0; i < 20; ++i)
		v.push_back(at(i, i < 7 ? 84.0 : 55.0, i < 7 ? 0x50005u : 0u,
			       kThrKnownMask, i < 7 ? 600 : 1500));
	StepStats s = step_stats(v, 0, 19);
	std::string why;
	auto r = parse_step_record(step_stats_json(s, 42, "batch", "pi3"), &why);
	cr_assert(r.has_value(), "%s", why.c_str());
	assert_sv_eq(r->step, "batch");
	assert_sv_eq(r->node, "pi3");
	cr_assert_eq(r->stats.samples, 20);
	cr_assert_eq(r->stats.temp_samples, 20);
	cr_assert_float_eq(*r->stats.max_c, 84.0, 1e-9);
	cr_assert_eq(*r->stats.throttled_pct(), 35);
	cr_assert_eq(r->stats.undervoltage, std::optional<bool>(true));
	cr_assert_eq(*r->stats.min_mhz, 600);
}

Test(step_record, nulls_read_back_as_unknown)
{
	std::string why;
	auto r = parse_step_record(
		R"({"v":1,"job":1,"step":"0","node":"pi1","start":5,"end":9,"samples":3,"max_c":null,"mean_c":null,"throttled_pct":null,"throttled_samples":0,"throttle_known_samples":0,"undervoltage":null,"min_mhz":null})",
		&why);
	cr_assert(r.has_value(), "%s", why.c_str());
	cr_assert_not(r->stats.max_c);
	cr_assert_eq(r->stats.temp_samples, 0);
	cr_assert_not(r->stats.undervoltage);
	cr_assert_not(r->stats.min_mhz);
	cr_assert_not(r->stats.throttled_pct());
}

Test(step_record, bad_lines_say_which_field)
{
	std::string why;
	cr_assert_not(parse_step_record("not json", &why));
	assert_sv_eq(why, "not a JSON object");
	cr_assert_not(parse_step_record(R"({"v":2})", &why));
	assert_sv_eq(why, "\"v\" is not 1");
	cr_assert_not(parse_step_record(
		R"({"v":1,"step":"0","node":"pi1","start":5,"end":9,"samples":3,"max_c":50,"mean_c":50,"throttled_samples":4,"throttle_known_samples":3,"undervoltage":null,"min_mhz":null})",
		&why));
	assert_sv_eq(why, "field \"throttled_samples\" missing or wrong");
	cr_assert_not(parse_step_record(
		R"({"v":1,"step":"0","node":"pi1","start":5,"end":9,"samples":3,"max_c":50,"mean_c":null,"throttled_samples":0,"throttle_known_samples":3,"undervoltage":null,"min_mhz":null})",
		&why));
	assert_sv_eq(why, "field \"mean_c\" missing or wrong");
	cr_assert_not(parse_step_record(
		R"({"v":1,"step":"0","node":"pi1","start":5,"end":9,"samples":3,"max_c":50,"mean_c":50,"throttled_samples":0,"throttle_known_samples":3,"undervoltage":"yes","min_mhz":null})",
		&why));
	assert_sv_eq(why, "field \"undervoltage\" missing or wrong");
}

// Found by fuzz/fuzz_step_stats.cpp: the reader refused a clock the writer
// writes (any the ring holds, here a corrupt ring's 2000000 MHz), and read
// a clock below 1 MHz as a record with a 0 MHz minimum, which the writer
// then wrote and the reader refused.
Test(step_record, every_clock_written_reads_back_none_below_1_mhz)
{
	StepStats s = step_stats({at(0, 50.0, 0, kThrKnownMask, 2000000)}, 0, 0);
	std::string why;
	auto r = parse_step_record(step_stats_json(s, 42, "0", "pi1"), &why);
	cr_assert(r.has_value(), "%s", why.c_str());
	cr_assert_eq(*r->stats.min_mhz, 2000000);
	const char *const bad[] = {"0.5", "0", "-600", "2147483648"};
	for (const char *mhz : bad) {
		std::string line = R"({"v":1,"step":"0","node":"pi1","start":5,"end":9,"samples":3,"max_c":null,"mean_c":null,"throttled_samples":0,"throttle_known_samples":0,"undervoltage":null,"min_mhz":)" +
				   std::string(mhz) + "}";
		why.clear();
		cr_assert_not(parse_step_record(line, &why), "min_mhz %s read", mhz);
		assert_sv_eq(why, "field \"min_mhz\" missing or wrong");
	}
}

// A temperature beyond what the ring holds (int32 millidegrees) was read,
// and written back as null beside its mean (1e308 * 10 overflows), which
// the reader then refused: a node's summary with it never read back from
// the AdminComment.
Test(step_record, temperatures_beyond_the_rings_range_are_refused)
{
	const char *const temps[][2] = {{"1e308", "50"}, {"50", "-1e308"}, {"2147483.7", "50"}};
	std::string why;
	for (const auto &t : temps) {
		std::string line = std::string(R"({"v":1,"step":"0","node":"pi1","start":1,"end":2,"samples":3,"max_c":)") +
				   t[0] + R"(,"mean_c":)" + t[1] +
				   R"(,"throttled_samples":0,"throttle_known_samples":0,"undervoltage":null,"min_mhz":null})";
		why.clear();
		cr_assert_not(parse_step_record(line, &why), "max_c %s mean_c %s read", t[0], t[1]);
		cr_assert(why == "field \"max_c\" missing or wrong" ||
				  why == "field \"mean_c\" missing or wrong",
			  "%s", why.c_str());
	}
	// The ring's extremes are written and read back.
	StepStats s = step_stats({at(0, 2147483.647), at(1, -2147483.647)}, 0, 1);
	auto r = parse_step_record(step_stats_json(s, 42, "0", "pi1"), &why);
	cr_assert(r.has_value(), "%s", why.c_str());
	cr_assert_float_eq(*r->stats.max_c, 2147483.6, 1e-9);
	cr_assert_float_eq(*r->stats.mean_c, 0.0, 1e-9);
}

Test(merge_steps, no_records_no_samples)
{
	NodeSummary m = merge_step_records({});
	cr_assert_eq(m.stats.samples, 0);
	cr_assert(m.steps.empty());
	assert_sv_eq(node_summary_text(m), "no samples in the ring for the step's lifetime");
}

Test(merge_steps, sequential_steps_add_up)
{
	// 10 samples at mean 50 (2 throttled), then 30 at mean 70 (6 throttled).
	NodeSummary m = merge_step_records(
		{rec("1", 200, 229, 30, 80.0, 70.0, 6, 30, false, 1200),
		 rec("0", 100, 109, 10, 60.0, 50.0, 2, 10, true, 600)});
	cr_assert_eq(m.stats.samples, 40);
	cr_assert_eq(m.stats.start, 100);
	cr_assert_eq(m.stats.end, 229);
	cr_assert_float_eq(*m.stats.max_c, 80.0, 1e-9);
	cr_assert_float_eq(*m.stats.mean_c, 65.0, 1e-9);
	cr_assert_eq(*m.stats.throttled_pct(), 20);
	cr_assert_eq(m.stats.undervoltage, std::optional<bool>(true));
	cr_assert_eq(*m.stats.min_mhz, 600);
	cr_assert_eq(m.steps.size(), 2u);
	assert_sv_eq(node_summary_text(m),
		     "max 80.0C mean 65.0C, throttled 20% of 40 samples, under-voltage seen, "
		     "min 600 MHz (steps 0, 1)");
}

Test(merge_steps, a_step_inside_another_adds_only_its_name)
{
	// The batch step spans the job; srun step 0 ran inside it.
	NodeSummary m = merge_step_records(
		{rec("0", 110, 120, 11, 70.0, 65.0, 5, 11, true, 600),
		 rec("batch", 100, 130, 31, 70.0, 55.0, 5, 31, true, 600)});
	cr_assert_eq(m.stats.samples, 31);
	cr_assert_float_eq(*m.stats.mean_c, 55.0, 1e-9);
	cr_assert_eq(m.stats.throttled_samples, 5);
	assert_sv_eq(node_summary_text(m),
		     "max 70.0C mean 55.0C, throttled 16% of 31 samples, under-voltage seen, "
		     "min 600 MHz (steps batch, 0)");
}

Test(merge_steps, unknowns_stay_unknown_and_known_parts_count)
{
	NodeSummary m = merge_step_records(
		{rec("0", 100, 109, 10, std::nullopt, std::nullopt, 0, 0, std::nullopt,
		     std::nullopt),
		 rec("1", 200, 209, 10, 50.0, 50.0, 0, 0, std::nullopt, 1500)});
	cr_assert_eq(m.stats.samples, 20);
	cr_assert_eq(m.stats.temp_samples, 10);
	cr_assert_float_eq(*m.stats.mean_c, 50.0, 1e-9);
	cr_assert_not(m.stats.throttled_pct());
	cr_assert_not(m.stats.undervoltage);
	assert_sv_eq(node_summary_text(m),
		     "max 50.0C mean 50.0C, throttling unknown in 20 samples, under-voltage "
		     "unknown, min 1500 MHz (steps 0, 1)");
}

// Records the reader accepts (up to 2^30 samples each) summed past INT_MAX
// (undefined behaviour), and a sum past 2^30 made a summary the reader of
// the AdminComment refused. Beyond 2^30 the counts are scaled down
// together, keeping the shares.
Test(merge_steps, counts_beyond_what_a_record_holds_are_scaled_down)
{
	const int most = 1 << 30;
	NodeSummary m = merge_step_records(
		{rec("0", 100, 109, most, 50.0, 50.0, most, most, false, 600),
		 rec("1", 200, 209, most, 70.0, 70.0, 0, most, false, 600),
		 rec("2", 300, 309, most, 60.0, 60.0, 0, 0, false, 600),
		 rec("3", 400, 409, most, std::nullopt, std::nullopt, 0, 0, false, 600)});
	cr_assert_leq(m.stats.samples, most);
	cr_assert_geq(m.stats.samples, most - 1);
	cr_assert_eq(*m.stats.throttled_pct(), 50);
	cr_assert_eq(m.stats.temp_samples, m.stats.samples / 4 * 3);
	cr_assert_float_eq(*m.stats.mean_c, 60.0, 1e-9);
	std::string why;
	auto r = parse_step_record(step_stats_json(m.stats, 42, "batch", "pi1"), &why);
	cr_assert(r.has_value(), "%s", why.c_str());
}

Test(merge_steps, job_records_of_one_node_are_read_back)
{
	ScratchDir dir("step_stats");
	StepStats s = step_stats({at(10, 50.0)}, 10, 10);
	cr_assert_str_empty(append_job_record(dir.path(), 7, step_stats_json(s, 7, "0", "pi1")).c_str());
	cr_assert_str_empty(append_job_record(dir.path(), 7, step_stats_json(s, 7, "0", "pi2")).c_str());
	cr_assert_str_empty(append_job_record(dir.path(), 7, "garbage").c_str());
	cr_assert_str_empty(append_job_record(dir.path(), 7, step_stats_json(s, 7, "batch", "pi1")).c_str());
	int bad = 0;
	std::string why;
	auto r = read_job_records(dir.path(), 7, "pi1", &bad, &why);
	cr_assert(r.has_value(), "%s", why.c_str());
	cr_assert_eq(r->size(), 2u);
	cr_assert_eq(bad, 1);
	auto none = read_job_records(dir.path(), 8, "pi1", &bad, &why);
	cr_assert(none.has_value());
	cr_assert(none->empty());
}

Test(merge_steps, equal_intervals_count_once_batch_first_then_by_number)
{
	// Whole seconds: the batch step and srun steps 0 and 10 of a short job
	// started and ended in the same seconds (written in this order).
	NodeSummary m = merge_step_records(
		{rec("10", 100, 103, 4, 55.0, 55.0, 4, 4, true, 600),
		 rec("0", 100, 103, 4, 55.0, 55.0, 4, 4, true, 600),
		 rec("batch", 100, 103, 4, 55.0, 55.0, 4, 4, true, 600)});
	cr_assert_eq(m.stats.samples, 4);
	cr_assert_eq(m.steps.size(), 3u);
	assert_sv_eq(m.steps[0], "batch");
	assert_sv_eq(m.steps[1], "0");
	assert_sv_eq(m.steps[2], "10");
}

// Set a file's mtime to `t` (seconds).
static void set_mtime(const std::string &path, std::int64_t t)
{
	struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
	cr_assert_eq(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0,
		     "%s", path.c_str());
}

Test(step_stats, old_job_records_are_pruned_new_ones_and_others_kept)
{
	ScratchDir d("slurmpi-test-step-stats");
	const std::int64_t now = 1795938000, day = 86400;
	cr_assert(append_job_record(d.str(), 41, "{}").empty());
	cr_assert(append_job_record(d.str(), 42, "{}").empty());
	cr_assert(append_job_record(d.str(), 43, "{}").empty());
	std::string sub = d.str() + "/slurm-pi/";
	set_mtime(sub + "job_41.json", now - 8 * day);
	set_mtime(sub + "job_42.json", now - 6 * day);
	set_mtime(sub + "job_43.json", now - 30 * day);
	// Not records: another file, a record-like name with a non-digit, a
	// symlink and a directory with a record's name, all old.
	{
		std::ofstream(sub + "notes.txt") << "admin";
		std::ofstream(sub + "job_4x.json") << "x";
	}
	set_mtime(sub + "notes.txt", now - 30 * day);
	set_mtime(sub + "job_4x.json", now - 30 * day);
	cr_assert_eq(symlink((sub + "notes.txt").c_str(), (sub + "job_50.json").c_str()), 0);
	set_mtime(sub + "job_50.json", now - 30 * day);
	cr_assert_eq(mkdir((sub + "job_51.json").c_str(), 0755), 0);
	set_mtime(sub + "job_51.json", now - 30 * day);

	std::string why;
	cr_assert_eq(prune_job_records(d.str(), now, 7 * day, &why), 2);
	cr_assert_str_empty(why.c_str());
	struct stat st;
	cr_assert_neq(lstat((sub + "job_41.json").c_str(), &st), 0);
	cr_assert_neq(lstat((sub + "job_43.json").c_str(), &st), 0);
	cr_assert_eq(lstat((sub + "job_42.json").c_str(), &st), 0);
	cr_assert_eq(lstat((sub + "notes.txt").c_str(), &st), 0);
	cr_assert_eq(lstat((sub + "job_4x.json").c_str(), &st), 0);
	cr_assert_eq(lstat((sub + "job_50.json").c_str(), &st), 0);
	cr_assert_eq(lstat((sub + "job_51.json").c_str(), &st), 0);
	// Nothing more to do the second time.
	cr_assert_eq(prune_job_records(d.str(), now, 7 * day, &why), 0);
}

Test(step_stats, pruning_a_missing_or_symlinked_directory_does_nothing)
{
	ScratchDir d("slurmpi-test-step-stats");
	std::string why = "x";
	cr_assert_eq(prune_job_records(d.str(), 1795938000, 86400, &why), 0);
	cr_assert_str_empty(why.c_str(), "no slurm-pi/ yet is not an error");

	ScratchDir elsewhere("slurmpi-test-step-stats");
	cr_assert(append_job_record(elsewhere.str(), 9, "{}").empty());
	set_mtime(elsewhere.str() + "/slurm-pi/job_9.json", 1);
	cr_assert_eq(symlink((elsewhere.str() + "/slurm-pi").c_str(), (d.str() + "/slurm-pi").c_str()), 0);
	cr_assert_eq(prune_job_records(d.str(), 1795938000, 86400, &why), 0);
	cr_assert(contains(why, "/slurm-pi: is a symbolic link; not followed"), "%s", why.c_str());
	struct stat st;
	cr_assert_eq(stat((elsewhere.str() + "/slurm-pi/job_9.json").c_str(), &st), 0);
}
