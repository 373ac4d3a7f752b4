#include <criterion/criterion.h>

#include <cstdint>
#include <string>

#include "common/pipeline.hpp"
#include "common/throttle.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

static constexpr std::int64_t kT0 = 1795938000;

static Reading temp_reading(double t)
{
	Reading r;
	r.temp_c = t;
	r.throttled = 0;
	r.throttled_known = kThrAllBits;
	r.cur_mhz = 1500;
	r.max_mhz = 1800;
	return r;
}

static NodePipeline pipeline(std::int64_t publish_interval = 120)
{
	return NodePipeline(ThermalLimits{}, NodeFacts{"4B", 4096},
			    publish_interval);
}

Test(pipeline, flags_count_only_when_the_source_knows_them)
{
	Reading r;
	r.throttled = kThrThrottledNow | kThrUnderVoltageNow;
	r.throttled_known = kThrUnderVoltageNow; // hwmon rpi_volt
	cr_assert(flag_now(r, kThrUnderVoltageNow));
	cr_assert(!flag_now(r, kThrThrottledNow));
	ThermalSample s = thermal_sample(r, kT0);
	cr_assert(s.undervoltage_now);
	cr_assert(!s.throttled_now);
	cr_assert_eq(s.time, kT0);
	cr_assert(!s.temp_c);
}

Test(pipeline, record_carries_identity_clock_and_known_bits)
{
	Reading r = temp_reading(61.54);
	Telemetry t = make_record(r, Band::warm, NodeFacts{"4B", 4096}, kT0);
	cr_assert(t.band == Band::warm);
	cr_assert_eq(t.ts, kT0);
	cr_assert_float_eq(*t.temp_c, 61.54, 1e-9);
	cr_assert_eq(*t.throttled, 0u);
	cr_assert_eq(t.throttled_known, kThrAllBits);
	cr_assert_eq(*t.mhz, 1500);
	cr_assert_eq(*t.max_mhz, 1800);
	assert_sv_eq(*t.model, "4B");
	cr_assert_eq(*t.mem_mb, 4096);
	assert_sv_eq(encode_telemetry(t),
		     "{\"v\":1,\"t\":61.5,\"band\":\"warm\",\"thr\":\"0x0\","
		     "\"mhz\":1500,\"max_mhz\":1800,\"model\":\"4B\","
		     "\"mem\":4096,\"ts\":1795938000}");
}

Test(pipeline, rpi_volt_only_node_does_not_claim_other_flags_clear)
{
	Reading r;
	r.temp_c = 50;
	r.throttled = kThrThrottledNow; // a bit the source cannot know
	r.throttled_known = kThrUnderVoltageNow;
	Telemetry t = make_record(r, Band::cool, NodeFacts{}, kT0);
	cr_assert_eq(*t.throttled, 0u, "an unknown bit must not be published");
	cr_assert_eq(t.throttled_known, kThrUnderVoltageNow);
	std::string json = encode_telemetry(t);
	cr_assert(contains(json, "\"thr\":\"0x0\",\"thr_known\":\"0x1\""), "%s",
		  json.c_str());
	// And it reads back the same.
	TelemetryParse p = parse_extra("{\"pi\":" + json + "}");
	cr_assert(p.telemetry, "%s", p.reason.c_str());
	cr_assert_eq(p.telemetry->throttled_known, kThrUnderVoltageNow);
}

Test(pipeline, no_throttle_source_no_thr)
{
	Reading r;
	r.temp_c = 50;
	Telemetry t = make_record(r, Band::cool, NodeFacts{}, kT0);
	cr_assert(!t.throttled);
	cr_assert(!contains(encode_telemetry(t), "thr"));
}

Test(pipeline, first_sample_publishes_at_once)
{
	NodePipeline p = pipeline();
	auto s = p.update(temp_reading(45), kT0);
	cr_assert(s.band == Band::cool);
	cr_assert(s.publish == PublishReason::first);
}

Test(pipeline, steady_node_publishes_only_the_heartbeat)
{
	NodePipeline p = pipeline(120);
	auto s = p.update(temp_reading(45), kT0);
	p.published(s, kT0);
	int published = 0;
	for (std::int64_t t = kT0 + 1; t <= kT0 + 3600; t++) {
		// The temperature wanders within the band; the clock too.
		Reading r = temp_reading(45 + (t % 7) * 0.5);
		r.cur_mhz = 600 + (t % 2) * 900;
		s = p.update(r, t);
		if (s.publish != PublishReason::none) {
			cr_assert(s.publish == PublishReason::heartbeat, "at +%lld: %s",
				  static_cast<long long>(t - kT0),
				  std::string(publish_reason_name(s.publish)).c_str());
			p.published(s, t);
			published++;
		}
	}
	cr_assert_eq(published, 3600 / 120);
}

Test(pipeline, band_change_publishes_and_hysteresis_holds_it)
{
	NodePipeline p = pipeline();
	auto s = p.update(temp_reading(55), kT0);
	p.published(s, kT0);
	s = p.update(temp_reading(60.5), kT0 + 1);
	cr_assert(s.band == Band::warm);
	cr_assert(s.publish == PublishReason::band);
	p.published(s, kT0 + 1);
	// Back to 58.5 is inside the hysteresis: still warm, nothing to say.
	s = p.update(temp_reading(58.5), kT0 + 2);
	cr_assert(s.band == Band::warm);
	cr_assert(s.publish == PublishReason::none);
	s = p.update(temp_reading(56.5), kT0 + 3);
	cr_assert(s.band == Band::cool);
	cr_assert(s.publish == PublishReason::band);
}

Test(pipeline, a_now_flag_change_publishes_a_sticky_one_does_not)
{
	NodePipeline p = pipeline();
	auto s = p.update(temp_reading(45), kT0);
	p.published(s, kT0);
	Reading r = temp_reading(45);
	r.throttled = kThrUnderVoltageOccurred; // sticky only
	s = p.update(r, kT0 + 1);
	cr_assert(s.publish == PublishReason::none);
	r.throttled = kThrArmCappedNow; // now, and not critical
	s = p.update(r, kT0 + 2);
	cr_assert(s.band == Band::cool);
	cr_assert(s.publish == PublishReason::flags);
}

Test(pipeline, a_failed_publish_is_retried_next_poll)
{
	NodePipeline p = pipeline();
	auto s = p.update(temp_reading(45), kT0);
	p.published(s, kT0);
	s = p.update(temp_reading(82), kT0 + 1);
	cr_assert(s.publish == PublishReason::band);
	p.publish_failed();
	s = p.update(temp_reading(82), kT0 + 2);
	cr_assert(s.publish == PublishReason::retry);
	p.published(s, kT0 + 2);
	s = p.update(temp_reading(82), kT0 + 3);
	cr_assert(s.publish == PublishReason::none);
}

Test(pipeline, clock_stepping_back_does_not_silence_the_heartbeat)
{
	Publisher pub(120);
	Telemetry t;
	t.band = Band::cool;
	pub.published(t, kT0);
	cr_assert(pub.decide(t, kT0 + 60) == PublishReason::none);
	cr_assert(pub.decide(t, kT0 - 3600) == PublishReason::heartbeat);
}

Test(pipeline, sensor_loss_is_a_band_change_to_unknown)
{
	NodePipeline p = pipeline();
	auto s = p.update(temp_reading(45), kT0);
	p.published(s, kT0);
	s = p.update(Reading{}, kT0 + 1);
	cr_assert(s.band == Band::unknown);
	cr_assert(s.publish == PublishReason::band);
	cr_assert(!s.record.temp_c);
}

// ---- ProblemLog: one rate-limited line for sensor garbage

Test(pipeline, problems_log_on_change_and_rarely_otherwise)
{
	ProblemLog log(60, 3600);
	std::vector<std::string> none, bad{"/sys/x/temp: not a number: 'abc'"},
		worse{"/sys/x/temp: not a number: 'abd'"};
	cr_assert(!log.should_log(none, kT0), "nothing to say");
	cr_assert(log.should_log(bad, kT0));
	cr_assert(!log.should_log(bad, kT0 + 1));
	// Varying garbage: at most one line a minute.
	cr_assert(!log.should_log(worse, kT0 + 30));
	cr_assert(!log.should_log(bad, kT0 + 45));
	cr_assert(log.should_log(worse, kT0 + 60));
	// The same problem again only after an hour.
	cr_assert(!log.should_log(worse, kT0 + 3659));
	cr_assert(log.should_log(worse, kT0 + 3660));
	// Clean again: said once.
	cr_assert(log.should_log(none, kT0 + 3720));
	cr_assert(!log.should_log(none, kT0 + 7200));
}

Test(pipeline, problem_log_per_poll_garbage_stays_bounded)
{
	ProblemLog log(60, 3600);
	int lines = 0;
	for (std::int64_t t = 0; t < 3600; t++)
		lines += log.should_log({"garbage " + std::to_string(t)}, kT0 + t);
	cr_assert_eq(lines, 60, "one a minute, got %d", lines);
}

Test(pipeline, temperature_step_publishes_once_a_quarter_interval_passed)
{
	NodePipeline p = pipeline(120);
	auto s = p.update(temp_reading(45), kT0);
	p.published(s, kT0);
	// 45 -> 52 C: another step (40s -> 50s), still cool; too soon.
	s = p.update(temp_reading(52), kT0 + 10);
	cr_assert(s.band == Band::cool);
	cr_assert(s.publish == PublishReason::none);
	// A quarter of PublishInterval after the last publish.
	s = p.update(temp_reading(52), kT0 + 30);
	cr_assert(s.publish == PublishReason::temperature, "%s",
		  std::string(publish_reason_name(s.publish)).c_str());
	p.published(s, kT0 + 30);
	// Cooling back to 38 C (below 40) is another step too.
	s = p.update(temp_reading(38), kT0 + 60);
	cr_assert(s.publish == PublishReason::temperature);
}

Test(pipeline, temperature_wobbling_at_a_step_edge_does_not_publish)
{
	NodePipeline p = pipeline(120);
	auto s = p.update(temp_reading(49.5), kT0);
	p.published(s, kT0);
	for (std::int64_t t = kT0 + 1; t < kT0 + 120; t++) {
		s = p.update(temp_reading(t % 2 ? 51.0 : 49.5), t);
		cr_assert(s.publish == PublishReason::none, "at +%lld: %s",
			  static_cast<long long>(t - kT0),
			  std::string(publish_reason_name(s.publish)).c_str());
	}
}

Test(pipeline, a_sensor_jumping_steps_costs_at_most_four_per_interval)
{
	NodePipeline p = pipeline(120);
	auto s = p.update(temp_reading(35), kT0);
	p.published(s, kT0);
	int published = 0;
	for (std::int64_t t = kT0 + 1; t <= kT0 + 3600; t++) {
		s = p.update(temp_reading(t % 2 ? 55.0 : 35.0), t);
		cr_assert(s.band == Band::cool);
		if (s.publish != PublishReason::none) {
			cr_assert(s.publish == PublishReason::temperature);
			p.published(s, t);
			published++;
		}
	}
	// One per 30 s (a quarter of 120 s) at most; the heartbeat never comes
	// because each of these resets it.
	cr_assert(published <= 3600 / 30 && published >= 3600 / 32, "%d", published);
}

Test(pipeline, unknown_temperature_is_no_temperature_step)
{
	NodePipeline p = pipeline(120);
	Reading r = temp_reading(45);
	auto s = p.update(r, kT0);
	p.published(s, kT0);
	r.temp_c.reset();
	for (std::int64_t t = kT0 + 1; t < kT0 + 120; t++) {
		s = p.update(r, t);
		cr_assert(s.publish != PublishReason::temperature);
	}
}
