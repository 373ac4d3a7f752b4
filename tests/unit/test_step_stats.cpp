#include <criterion/criterion.h>

#include <nlohmann/json.hpp>

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
