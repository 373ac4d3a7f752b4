#include <criterion/criterion.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "common/gpio.hpp"
#include "common/gpio_policy.hpp"
#include "tests/unit/fake_gpio.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

// ---- line values (LedLine, FanLine)

Test(gpio_line, a_name)
{
	auto l = parse_gpio_line("GPIO17");
	cr_assert(l);
	assert_sv_eq(l->name, "GPIO17");
	cr_assert(!l->offset);
	assert_sv_eq(gpio_line_text(*l), "GPIO17");
}

Test(gpio_line, names_as_the_kernel_gives_them)
{
	for (const char *n : {"ID_SDA", "PWR-LED", "led.status", "g",
			      "2712_WAKE", "17a", "A234567890123456789012345678901"}) {
		auto l = parse_gpio_line(n);
		cr_assert(l && !l->offset, "%s", n);
		assert_sv_eq(l->name, n);
	}
}

Test(gpio_line, an_offset)
{
	auto l = parse_gpio_line("17");
	cr_assert(l && l->offset && *l->offset == 17u);
	cr_assert(l->name.empty());
	assert_sv_eq(gpio_line_text(*l), "offset 17");
	cr_assert(parse_gpio_line("0") && *parse_gpio_line("0")->offset == 0u);
	cr_assert(parse_gpio_line("1023"));
	cr_assert(*parse_gpio_line("0017")->offset == 17u);
}

static void expect_bad_line(const char *v, const char *why_has)
{
	std::string why;
	cr_assert(!parse_gpio_line(v, &why), "accepted %s", v);
	cr_assert(contains(why, why_has), "%s: %s", v, why.c_str());
}

Test(gpio_line, bad_values_say_why)
{
	expect_bad_line("", "empty");
	expect_bad_line("1024", "'1024' is out of range 0..1023 for a line offset");
	expect_bad_line("99999999999999999999999", "out of range");
	expect_bad_line("-1", "'-1' is not a line offset (0..1023) nor a line name");
	expect_bad_line("+17", "'+17' is not a line offset");
	expect_bad_line("GPIO 17",
			"'GPIO 17' has a space or a character that is not printable ASCII");
	expect_bad_line("GPIO\x01", "not printable ASCII");
	expect_bad_line("GP\xc3\xa9O", "not printable ASCII");
	expect_bad_line("A234567890123456789012345678901x",
			"is longer than 31 characters");
}

Test(gpio_chip, labels)
{
	cr_assert(check_gpio_chip_label("").empty());
	for (const char *l : {"pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835",
			      "gpio-brcmstb@107d508500", "gpio-sim.0-node0"})
		cr_assert(check_gpio_chip_label(l).empty(), "%s", l);
	cr_assert(contains(check_gpio_chip_label("pinctrl rp1"),
			   "'pinctrl rp1' has a space"));
	cr_assert(contains(check_gpio_chip_label("pinctrl rp1"),
			   "want a chip label such as pinctrl-bcm2711"));
}

Test(gpio_role, keys)
{
	assert_sv_eq(gpio_role_key(GpioRole::led), "LedLine");
	assert_sv_eq(gpio_role_key(GpioRole::fan), "FanLine");
}

// ---- LED rules

Test(led, off_when_idle_and_cool_or_warm)
{
	cr_assert(led_mode(Band::cool, false) == LedMode::off);
	cr_assert(led_mode(Band::warm, false) == LedMode::off);
}

Test(led, on_while_jobs_run_and_not_hot)
{
	cr_assert(led_mode(Band::cool, true) == LedMode::on);
	cr_assert(led_mode(Band::warm, true) == LedMode::on);
}

Test(led, blinks_when_hot_or_critical_with_or_without_jobs)
{
	for (bool jobs : {false, true}) {
		cr_assert(led_mode(Band::hot, jobs) == LedMode::blink);
		cr_assert(led_mode(Band::critical, jobs) == LedMode::blink);
	}
}

Test(led, unknown_band_counts_as_not_hot)
{
	cr_assert(led_mode(Band::unknown, false) == LedMode::off);
	cr_assert(led_mode(Band::unknown, true) == LedMode::on);
}

Test(led, mode_names)
{
	assert_sv_eq(led_mode_name(LedMode::off), "off");
	assert_sv_eq(led_mode_name(LedMode::on), "on");
	assert_sv_eq(led_mode_name(LedMode::blink), "blink");
}

Test(led, steady_levels_ignore_the_clock)
{
	for (std::int64_t t : {0, 1, 499, 500, 123456789})
		cr_assert(!led_level(LedMode::off, t, 500) &&
			  led_level(LedMode::on, t, 500));
}

Test(led, blink_is_on_for_the_first_half_period)
{
	cr_assert(led_level(LedMode::blink, 0, 500));
	cr_assert(led_level(LedMode::blink, 499, 500));
	cr_assert(!led_level(LedMode::blink, 500, 500));
	cr_assert(!led_level(LedMode::blink, 999, 500));
	cr_assert(led_level(LedMode::blink, 1000, 500));
}

Test(led, blink_with_odd_inputs)
{
	// Negative clocks keep the same pattern; a period below 1 counts as 1.
	cr_assert(!led_level(LedMode::blink, -1, 500));
	cr_assert(led_level(LedMode::blink, -501, 500));
	cr_assert(led_level(LedMode::blink, 0, 0));
	cr_assert(!led_level(LedMode::blink, 1, 0));
	cr_assert(!led_level(LedMode::blink, 1, -5));
}

Test(led, time_to_the_next_blink_edge)
{
	cr_assert_eq(ms_to_blink_edge(0, 500), 500);
	cr_assert_eq(ms_to_blink_edge(1, 500), 499);
	cr_assert_eq(ms_to_blink_edge(499, 500), 1);
	cr_assert_eq(ms_to_blink_edge(500, 500), 500);
	cr_assert_eq(ms_to_blink_edge(-1, 500), 1);
	cr_assert_eq(ms_to_blink_edge(7, 0), 1);
	// At the edge it points to, the level has changed.
	for (std::int64_t t : {0, 250, 499, 500, 742, 999}) {
		std::int64_t edge = t + ms_to_blink_edge(t, 500);
		cr_assert_neq(led_level(LedMode::blink, t, 500),
			      led_level(LedMode::blink, edge, 500), "t=%lld",
			      static_cast<long long>(t));
	}
}

// ---- fan rules

Test(fan, starts_on)
{
	FanHysteresis f(65, 55);
	cr_assert(f.on());
}

Test(fan, on_at_or_above_on_temp)
{
	FanHysteresis f(65, 55);
	f.update(40.0);
	cr_assert(!f.on());
	cr_assert(f.update(65.0));
	f.update(40.0);
	cr_assert(f.update(80.0));
}

Test(fan, off_below_off_temp)
{
	FanHysteresis f(65, 55);
	cr_assert(!f.update(54.9));
	FanHysteresis g(65, 55);
	cr_assert(g.update(55.0)); // at FanOffTemp: not below, stays on
}

Test(fan, keeps_its_state_between_the_thresholds)
{
	FanHysteresis f(65, 55);
	f.update(70.0);
	cr_assert(f.update(60.0));
	cr_assert(f.update(55.0));
	cr_assert(!f.update(50.0));
	cr_assert(!f.update(60.0));
	cr_assert(!f.update(64.9));
	cr_assert(f.update(65.0));
}

Test(fan, starting_between_thresholds_keeps_it_on)
{
	FanHysteresis f(65, 55);
	cr_assert(f.update(60.0));
}

Test(fan, unknown_temperature_turns_it_on)
{
	FanHysteresis f(65, 55);
	f.update(40.0);
	cr_assert(f.update(std::nullopt));
	f.update(40.0);
	cr_assert(f.update(std::numeric_limits<double>::quiet_NaN()));
	f.update(40.0);
	cr_assert(f.update(std::numeric_limits<double>::infinity()));
	f.update(40.0);
	cr_assert(f.update(-std::numeric_limits<double>::infinity()));
}

// ---- the driver on a fake

static GpioSettings settings()
{
	return GpioSettings{65, 55, 500};
}

Test(driver, first_poll_writes_both_lines)
{
	FakeGpio g(true, true);
	GpioDriver d(g, settings());
	d.poll(Band::cool, 40.0, false, 0);
	cr_assert_eq(g.writes.size(), 2u);
	cr_assert(!g.level(GpioRole::led));
	cr_assert(!g.level(GpioRole::fan));
	cr_assert(d.led() == LedMode::off && !d.fan_on());
}

Test(driver, writes_only_changes)
{
	FakeGpio g(true, true);
	GpioDriver d(g, settings());
	d.poll(Band::cool, 40.0, false, 0);
	d.poll(Band::cool, 41.0, false, 10000);
	d.poll(Band::warm, 60.0, false, 20000);
	cr_assert_eq(g.writes.size(), 2u);
	d.poll(Band::warm, 61.0, true, 30000);
	cr_assert_eq(g.writes.size(), 3u);
	cr_assert(g.level(GpioRole::led));
	d.poll(Band::hot, 70.0, true, 40000);
	cr_assert(g.level(GpioRole::fan));
	cr_assert(d.led() == LedMode::blink);
}

Test(driver, jobs_turn_the_led_on_and_off)
{
	FakeGpio g(true, false);
	GpioDriver d(g, settings());
	d.poll(Band::cool, 40.0, true, 0);
	cr_assert(g.level(GpioRole::led));
	d.poll(Band::cool, 40.0, false, 10000);
	cr_assert(!g.level(GpioRole::led));
}

Test(driver, tick_toggles_a_blinking_led_only)
{
	FakeGpio g(true, true);
	GpioDriver d(g, settings());
	d.poll(Band::cool, 40.0, false, 0);
	cr_assert(!d.blinking());
	d.tick(500);
	cr_assert_eq(g.writes.size(), 2u);

	d.poll(Band::critical, 81.0, false, 1000); // phase on
	cr_assert(d.blinking());
	cr_assert(g.level(GpioRole::led));
	std::size_t fan_writes = g.count(GpioRole::fan);
	d.tick(1500);
	cr_assert(!g.level(GpioRole::led));
	d.tick(1700); // same phase: no write
	d.tick(2000);
	cr_assert(g.level(GpioRole::led));
	cr_assert_eq(g.count(GpioRole::led), 4u); // off, on, off, on
	cr_assert_eq(g.count(GpioRole::fan), fan_writes);
}

Test(driver, not_blinking_without_an_led_line)
{
	FakeGpio g(false, true);
	GpioDriver d(g, settings());
	d.poll(Band::hot, 72.0, false, 0);
	cr_assert(d.led() == LedMode::blink);
	cr_assert(!d.blinking());
	cr_assert_eq(g.count(GpioRole::led), 0u);
	cr_assert(g.level(GpioRole::fan));
}

Test(driver, fan_follows_hysteresis)
{
	FakeGpio g(false, true);
	GpioDriver d(g, settings());
	d.poll(Band::warm, 60.0, false, 0);
	cr_assert(g.level(GpioRole::fan));
	d.poll(Band::cool, 50.0, false, 1);
	cr_assert(!g.level(GpioRole::fan));
	d.poll(Band::warm, 64.0, false, 2);
	cr_assert(!g.level(GpioRole::fan));
	d.poll(Band::warm, 66.0, false, 3);
	cr_assert(g.level(GpioRole::fan));
	d.poll(Band::unknown, std::nullopt, false, 4);
	cr_assert(g.level(GpioRole::fan));
}

Test(driver, failures_are_reported_and_retried)
{
	FakeGpio g(true, true);
	GpioDriver d(g, settings());
	g.fail(GpioRole::fan, true);
	d.poll(Band::cool, 40.0, true, 0);
	auto errs = d.take_errors();
	cr_assert_eq(errs.size(), 1u);
	assert_sv_eq(errs[0], "FanLine: fake failure");
	cr_assert(d.take_errors().empty());
	cr_assert(g.level(GpioRole::led));

	g.fail(GpioRole::fan, false);
	d.poll(Band::cool, 40.0, true, 10000); // same levels: the fan is retried
	cr_assert(d.take_errors().empty());
	cr_assert_eq(g.count(GpioRole::fan), 1u);
	cr_assert_eq(g.count(GpioRole::led), 1u);
}

Test(driver, shutdown_turns_the_led_off_and_the_fan_on)
{
	FakeGpio g(true, true);
	GpioDriver d(g, settings());
	d.poll(Band::hot, 50.0, true, 0);
	cr_assert(g.level(GpioRole::led) && !g.level(GpioRole::fan));
	d.shutdown();
	cr_assert(!g.level(GpioRole::led));
	cr_assert(g.level(GpioRole::fan));
	cr_assert(!d.blinking());
}

Test(driver, no_lines_no_writes)
{
	FakeGpio g(false, false);
	GpioDriver d(g, settings());
	d.poll(Band::critical, 90.0, true, 0);
	d.tick(500);
	d.shutdown();
	cr_assert(g.writes.empty());
	cr_assert(d.take_errors().empty());
}
