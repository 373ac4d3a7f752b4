// The heat emulation's model (tests/heat/heat_model): the published curves
// it was fitted to, the firmware's throttle rule, and the properties the
// cluster test and the thermal benchmark rely on.
#include <criterion/criterion.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "tests/heat/heat_model.hpp"

using namespace slurmpi::heat;

static Profile prof(const char *model, const char *cooling)
{
	std::string why;
	auto p = profile(model, cooling, &why);
	cr_assert(p.has_value(), "%s/%s: %s", model, cooling, why.c_str());
	return *p;
}

// Run n seconds at load u in 1 s ticks.
static void run(Node &n, double secs, double u)
{
	for (double t = 0; t < secs; t += 1)
		n.step(1, u);
}

static void near(double got, double want, double tol, const char *what)
{
	cr_assert(std::fabs(got - want) <= tol, "%s: %.1f C, want %.1f +- %.1f",
		  what, got, want, tol);
}

Test(heat_model, pi4_bare_fits_the_stress_curve)
{
	// The curve's own idle point, 47 C: ambient 47 - R P_idle.
	Profile p = prof("pi4b", "bare");
	Node n(p, 47.0 - p.r_k_per_w * p.p_idle_w);
	near(n.temp_c(), 47, 0.01, "idle");
	run(n, 60, 1);
	near(n.temp_c(), 65, 3, "1 min of stress");
	run(n, 120, 1);
	near(n.temp_c(), 69, 3, "3 min");
	run(n, 120, 1);
	near(n.temp_c(), 71, 3, "5 min");
	cr_assert_eq(n.throttled(), 0u, "a bare Pi 4 at this ambient never throttles");
	cr_assert_eq(n.clock_mhz(), 1800);
}

Test(heat_model, pi4_bare_fits_the_cool_down)
{
	Profile p = prof("pi4b", "bare");
	Node n(p, 47.0 - p.r_k_per_w * p.p_idle_w);
	run(n, 300, 1);
	const double from = n.temp_c();
	near(from, 71, 3, "start of cool-down");
	run(n, 30, 0);
	near(n.temp_c(), 60 + (from - 71), 3, "30 s idle");
	run(n, 30, 0);
	near(n.temp_c(), 56 + (from - 71), 3, "60 s idle");
	run(n, 60, 0);
	near(n.temp_c(), 52 + (from - 71), 3, "2 min idle");
}

Test(heat_model, pi5_bare_heats_to_throttling)
{
	Node n(prof("pi5", "bare"), 20);
	near(n.temp_c(), 40, 1, "idle at 20 C");
	run(n, 60, 1);
	near(n.temp_c(), 82, 3, "1 min of stress");
	// Measured: 86 C at 3 min. The model's throttling (a level every 3 s
	// while rising) holds it nearer 80 C than that run's firmware did.
	run(n, 120, 1);
	cr_assert(n.temp_c() >= 77 && n.temp_c() <= 88, "3 min: %.1f C", n.temp_c());
	cr_assert(n.throttled() & 0x20000u, "throttled by 3 min: 0x%x", n.throttled());
	cr_assert(n.clock_mhz() < 2400, "clock %d", n.clock_mhz());
	cr_assert(n.clock_mhz() >= 1500, "never below arm_freq_min: %d", n.clock_mhz());
}

Test(heat_model, pi5_active_cooler_fits_and_never_throttles)
{
	Node n(prof("pi5", "active"), 20);
	near(n.temp_c(), 40, 1, "idle at 20 C");
	cr_assert(!n.fan_on());
	run(n, 60, 1);
	near(n.temp_c(), 55, 4, "1 min of stress");
	cr_assert(n.fan_on());
	run(n, 120, 1);
	near(n.temp_c(), 60, 4, "3 min");
	run(n, 3600, 1);
	near(n.temp_c(), 61, 4, "an hour");
	cr_assert_eq(n.throttled(), 0u);
}

Test(heat_model, fan_hysteresis)
{
	Node n(prof("pi5", "active"), 20);
	while (n.temp_c() < 50)
		n.step(1, 1);
	cr_assert(n.fan_on(), "on at 50 C");
	while (n.temp_c() >= 45.5) {
		n.step(1, 0);
		cr_assert(n.fan_on(), "still on at %.1f C", n.temp_c());
	}
	while (n.temp_c() >= 45)
		n.step(1, 0);
	n.step(1, 0);
	cr_assert(!n.fan_on(), "off below 45 C");
}

Test(heat_model, closed_case_throttles_where_heatsink_does_not)
{
	Node c(prof("pi4b", "case"), 25), h(prof("pi4b", "heatsink"), 25),
		b(prof("pi4b", "bare"), 25);
	cr_assert(c.profile().r_k_per_w > b.profile().r_k_per_w);
	cr_assert(h.profile().r_k_per_w < b.profile().r_k_per_w);
	run(c, 3600, 1);
	run(h, 3600, 1);
	run(b, 3600, 1);
	cr_assert(c.throttled() & 0x20000u, "closed case: 0x%x", c.throttled());
	cr_assert_eq(h.throttled(), 0u, "heatsink at %.1f C", h.temp_c());
	cr_assert_eq(b.throttled(), 0u, "bare at %.1f C", b.temp_c());
	cr_assert(c.throttled_s() > 0);
	cr_assert_eq(h.throttled_s(), 0.0);
}

Test(heat_model, throttle_steps_down_from_80_and_recovers_below_78)
{
	Node n(prof("pi4b", "case"), 25);
	while (n.temp_c() < kThrottleFromC) {
		cr_assert_eq(n.throttled() & 0xfu, 0u, "at %.1f C", n.temp_c());
		cr_assert_eq(n.clock_mhz(), 1800);
		n.step(1, 1);
	}
	for (int i = 0; i < 60 && n.clock_mhz() == 1800; ++i)
		n.step(1, 1);
	cr_assert(n.clock_mhz() < 1800, "stepped down at %.1f C", n.temp_c());
	cr_assert(n.temp_c() >= kThrottleFromC - 1, "%.1f C", n.temp_c());
	cr_assert_eq(n.throttled() & 0xfu, 0xau, "0x2|0x8: 0x%x", n.throttled());
	cr_assert_eq(n.throttled() & 0xa0000u, 0xa0000u, "sticky: 0x%x", n.throttled());
	cr_assert_eq(n.reported_mhz(1), n.clock_mhz());
	cr_assert_eq(n.reported_mhz(0.25), n.clock_mhz(), "one busy core");
	// Throttling holds it below 85 C (the lower clock draws less power),
	// swinging between levels, throttled part of the time.
	const double before = n.throttled_s();
	double hottest = 0;
	for (int i = 0; i < 1800; ++i) {
		n.step(1, 1);
		hottest = std::max(hottest, n.temp_c());
	}
	cr_assert(hottest < kHardLimitC, "peaked at %.1f C", hottest);
	const double share = (n.throttled_s() - before) / 1800;
	cr_assert(share > 0.2 && share <= 1, "throttled %.0f%% of the time", share * 100);
	// Idle: it cools, steps back up, the now bits clear, sticky bits stay.
	run(n, 600, 0);
	cr_assert(n.temp_c() < kRecoverBelowC);
	cr_assert_eq(n.clock_mhz(), 1800);
	cr_assert_eq(n.throttled(), 0xa0000u, "0x%x", n.throttled());
	cr_assert_eq(n.reported_mhz(0), 600, "idle clock");
}

Test(heat_model, hard_limit_sets_throttled_and_lowest_clock)
{
	Profile p = prof("pi4b", "bare");
	p.r_k_per_w = 50;  // far too hot to hold below 85 C even at 600 MHz
	Node n(p, 25);
	run(n, 600, 1);
	cr_assert(n.temp_c() >= kHardLimitC, "%.1f C", n.temp_c());
	cr_assert_eq(n.clock_mhz(), 600);
	cr_assert_eq(n.throttled(), 0xe000eu, "0x%x", n.throttled());
}

Test(heat_model, pi3bplus_soft_limit)
{
	Node n(prof("pi3bplus", "bare"), 25);
	while (n.temp_c() < 60)
		n.step(1, 1);
	n.step(1, 1);
	cr_assert_eq(n.clock_mhz(), 1200);
	cr_assert(n.throttled() & 0x8u, "soft limit bit: 0x%x", n.throttled());
}

Test(heat_model, idle_stays_in_equilibrium)
{
	Node n(prof("pi4b", "case"), 25);
	const double t0 = n.temp_c();
	run(n, 3600, 0);
	near(n.temp_c(), t0, 0.01, "an idle hour");
	cr_assert_eq(n.throttled(), 0u);
}

Test(heat_model, tick_size_does_not_change_the_result)
{
	Node a(prof("pi4b", "bare"), 25), b(prof("pi4b", "bare"), 25);
	a.step(300, 0.5);
	for (int i = 0; i < 3000; ++i)
		b.step(0.1, 0.5);
	near(a.temp_c(), b.temp_c(), 0.05, "one 300 s step vs 3000 of 0.1 s");
}

Test(heat_model, power_follows_load_and_clock_squared)
{
	Profile p = prof("pi4b", "bare");
	cr_assert_float_eq(power_w(p, 0, 1800), 1.6, 1e-9);
	cr_assert_float_eq(power_w(p, 1, 1800), 5.0, 1e-9);
	cr_assert_float_eq(power_w(p, 0.5, 1800), 3.3, 1e-9);
	cr_assert_float_eq(power_w(p, 1, 900), 1.6 + 3.4 / 4, 1e-9);
	cr_assert_float_eq(power_w(p, 7, 1800), 5.0, 1e-9, "load clamped to 1");
}

Test(heat_model, unknown_names_say_why)
{
	std::string why;
	cr_assert(!profile("pi2", "bare", &why));
	cr_assert(why.find("pi2") != std::string::npos, "%s", why.c_str());
	cr_assert(!profile("pi4b", "oven", &why));
	cr_assert(why.find("case, bare, heatsink, active") != std::string::npos,
		  "%s", why.c_str());
	for (const char *m : {"pi5", "pi4b", "pi3bplus", "zero2w"})
		for (const char *c : {"case", "bare", "heatsink", "active"})
			cr_assert(profile(m, c, nullptr), "%s/%s", m, c);
}
