#include <criterion/criterion.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "common/config.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

#ifndef ETC_DIR
#error "build with -DETC_DIR='\"<srcdir>/etc\"'"
#endif

static ConfigResult parse(const std::string &text)
{
	return parse_config(text, "slurm-pi.conf");
}

// Exactly one error, equal to `want`.
static void expect_error(const std::string &text, const char *want)
{
	ConfigResult r = parse(text);
	cr_assert_eq(r.errors.size(), 1u, "%zu errors for: %s", r.errors.size(),
		     text.c_str());
	cr_assert_str_eq(r.errors[0].c_str(), want);
}

// ---- defaults and the shipped file

Test(config, empty_text_gives_the_documented_defaults)
{
	ConfigResult r = parse("");
	cr_assert(r.ok());
	const Config &c = r.config;
	cr_assert_eq(c.poll_interval, 10);
	cr_assert_eq(c.publish_interval, 120);
	cr_assert_eq(c.stale_after, 300);
	cr_assert_eq(c.warm_temp, 60.0);
	cr_assert_eq(c.hot_temp, 70.0);
	cr_assert_eq(c.critical_temp, 80.0);
	cr_assert_eq(c.hysteresis, 3.0);
	cr_assert(!c.drain_on_critical);
	cr_assert(c.default_thermal_policy == ThermalPolicy::balanced);
	cr_assert_eq(c.memory_reserve_mb, 256);
	cr_assert(c.gpio_chip.empty());
	cr_assert(c.led_line.empty());
	cr_assert(c.fan_line.empty());
	cr_assert(!c.gpio_enabled());
	cr_assert_eq(c.fan_on_temp, 65.0);
	cr_assert_eq(c.fan_off_temp, 55.0);
	cr_assert_eq(c.led_blink_ms, 500);
}

Test(config, default_text_parses_to_the_defaults)
{
	ConfigResult r = parse(default_config_text());
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	cr_assert(r.config == Config{});
}

Test(config, default_text_documents_every_key)
{
	std::string text = default_config_text();
	for (const char *line :
	     {"\nPollInterval=10\n", "\nPublishInterval=120\n", "\nStaleAfter=300\n",
	      "\nRingHours=4\n",
	      "\nWarmTemp=60\n", "\nHotTemp=70\n", "\nCriticalTemp=80\n",
	      "\nHysteresis=3\n", "\nDrainOnCritical=no\n",
	      "\nDefaultThermalPolicy=balanced\n", "\nMemoryReserveMB=256\n",
	      "\nGpioChip=\n", "\nLedLine=\n", "\nFanLine=\n", "\nFanOnTemp=65\n",
	      "\nFanOffTemp=55\n", "\nLedBlinkMs=500\n"}) {
		auto at = text.find(line);
		cr_assert(at != std::string::npos, "missing %s", line);
		// The line before each key is its comment.
		cr_assert(at > 0 && text.rfind("\n# ", at - 1) != std::string::npos);
	}
}

Test(config, shipped_example_parses_and_is_the_default_text)
{
	std::string path = ETC_DIR "/slurm-pi.conf";
	ConfigResult r = load_config(path);
	cr_assert(!r.file_missing, "%s not found", path.c_str());
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	cr_assert(r.config == Config{});
	// The example is generated from the key table; regenerate it when a key
	// changes (see default_config_text()).
	std::string shipped = slurp(path), generated = default_config_text();
	cr_assert_str_eq(shipped.c_str(), generated.c_str());
}

Test(config, ring_hours_parses_and_is_bounded)
{
	ConfigResult r = parse("RingHours=12");
	cr_assert(r.ok());
	cr_assert_eq(r.config.ring_hours, 12);
	expect_error("RingHours=0",
		     "slurm-pi.conf:1: RingHours: '0' is out of range 1..48 hours");
	expect_error("RingHours=49",
		     "slurm-pi.conf:1: RingHours: '49' is out of range 1..48 hours");
}

Test(config, default_thermal_limits_match_the_default_config)
{
	cr_assert(Config{}.thermal_limits() == ThermalLimits{});
}

Test(config, thermal_limits_follow_the_config)
{
	ConfigResult r = parse("WarmTemp=55\nHotTemp=65.5\nCriticalTemp=78\n"
			       "Hysteresis=2\nStaleAfter=200\n");
	cr_assert(r.ok());
	ThermalLimits l = r.config.thermal_limits();
	cr_assert_eq(l.warm, 55.0);
	cr_assert_eq(l.hot, 65.5);
	cr_assert_eq(l.critical, 78.0);
	cr_assert_eq(l.hysteresis, 2.0);
	cr_assert_eq(l.stale_after, 200);
}

// ---- syntax

Test(config, comments_blank_lines_and_whitespace)
{
	ConfigResult r = parse("# whole-line comment\n"
			       "\n"
			       "   \t\n"
			       "  PollInterval = 5   # trailing comment\n"
			       "PublishInterval\t=\t60#tight comment\n"
			       "   # indented comment\n"
			       "DrainOnCritical=yes\r\n"
			       "MemoryReserveMB=0");
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	cr_assert_eq(r.config.poll_interval, 5);
	cr_assert_eq(r.config.publish_interval, 60);
	cr_assert(r.config.drain_on_critical);
	cr_assert_eq(r.config.memory_reserve_mb, 0);
}

Test(config, keys_are_case_insensitive)
{
	ConfigResult r = parse("pollinterval=7\nPUBLISHINTERVAL=70\n"
			       "defaultTHERMALpolicy=strict\n");
	cr_assert(r.ok());
	cr_assert_eq(r.config.poll_interval, 7);
	cr_assert_eq(r.config.publish_interval, 70);
	cr_assert(r.config.default_thermal_policy == ThermalPolicy::strict);
}

Test(config, booleans)
{
	for (const char *yes : {"yes", "YES", "true", "True", "1"}) {
		ConfigResult r = parse(std::string("DrainOnCritical=") + yes);
		cr_assert(r.ok() && r.config.drain_on_critical, "%s", yes);
	}
	for (const char *no : {"no", "No", "false", "FALSE", "0"}) {
		ConfigResult r = parse(std::string("DrainOnCritical=") + no);
		cr_assert(r.ok() && !r.config.drain_on_critical, "%s", no);
	}
	expect_error("DrainOnCritical=maybe",
		     "slurm-pi.conf:1: DrainOnCritical: 'maybe' is not one of yes, "
		     "no, true, false, 1, 0");
}

Test(config, policy_uses_the_policy_names)
{
	ConfigResult r = parse("DefaultThermalPolicy=any");
	cr_assert(r.ok());
	cr_assert(r.config.default_thermal_policy == ThermalPolicy::any);
	expect_error("\nDefaultThermalPolicy=hot",
		     "slurm-pi.conf:2: DefaultThermalPolicy: 'hot' is not one of "
		     "strict, balanced, any");
}

Test(config, fractional_temperatures)
{
	ConfigResult r = parse("HotTemp=72.5\nHysteresis=1.5");
	cr_assert(r.ok());
	cr_assert_eq(r.config.hot_temp, 72.5);
	cr_assert_eq(r.config.hysteresis, 1.5);
}

// ---- errors

Test(config, unknown_key)
{
	expect_error("PollInterval=10\nFanCurve=50:30\n",
		     "slurm-pi.conf:2: unknown key 'FanCurve'");
}

Test(config, bad_numbers)
{
	expect_error("\n\n\n\n\n\nWarmTemp=hot",
		     "slurm-pi.conf:7: WarmTemp: 'hot' is not a number");
	expect_error("PollInterval=10s",
		     "slurm-pi.conf:1: PollInterval: '10s' is not a number");
	expect_error("PollInterval=2.5",
		     "slurm-pi.conf:1: PollInterval: '2.5' is not a whole number");
	expect_error("HotTemp=nan", "slurm-pi.conf:1: HotTemp: 'nan' is not a number");
	expect_error("HotTemp=72C", "slurm-pi.conf:1: HotTemp: '72C' is not a number");
	expect_error("MemoryReserveMB=+5",
		     "slurm-pi.conf:1: MemoryReserveMB: '+5' is not a number");
}

Test(config, values_in_messages_are_escaped)
{
	expect_error("WarmTemp=6\x1b[1m\r0",
		     "slurm-pi.conf:1: WarmTemp: '6\\x1b[1m\\r0' is not a number");
	expect_error("Fan\x01=1", "slurm-pi.conf:1: unknown key 'Fan\\x01'");
	expect_error("DefaultThermalPolicy=str\xc3\xad" "ct",
		     "slurm-pi.conf:1: DefaultThermalPolicy: 'str\\xc3\\xadct' is not "
		     "one of strict, balanced, any");
}

Test(config, out_of_range)
{
	expect_error("PollInterval=0",
		     "slurm-pi.conf:1: PollInterval: '0' is out of range 1..3600 seconds");
	expect_error("PollInterval=3601",
		     "slurm-pi.conf:1: PollInterval: '3601' is out of range 1..3600 seconds");
	expect_error("PollInterval=-1",
		     "slurm-pi.conf:1: PollInterval: '-1' is out of range 1..3600 seconds");
	expect_error("PollInterval=99999999999999999999999",
		     "slurm-pi.conf:1: PollInterval: '99999999999999999999999' is out "
		     "of range 1..3600 seconds");
	expect_error("MemoryReserveMB=65537",
		     "slurm-pi.conf:1: MemoryReserveMB: '65537' is out of range "
		     "0..65536 MB");
	expect_error("CriticalTemp=120",
		     "slurm-pi.conf:1: CriticalTemp: '120' is out of range 0..100 C");
	expect_error("Hysteresis=-1",
		     "slurm-pi.conf:1: Hysteresis: '-1' is out of range 0..20 C");
}

Test(config, duplicate_key_even_in_other_case)
{
	expect_error("PollInterval=10\n# x\npollinterval=20\n",
		     "slurm-pi.conf:3: PollInterval: duplicate key (first set on line 1)");
	ConfigResult r = parse("PollInterval=10\nPollInterval=20\n");
	cr_assert_eq(r.config.poll_interval, 10); // the first one stands
}

Test(config, missing_equals_empty_value_missing_key)
{
	expect_error("PollInterval 10",
		     "slurm-pi.conf:1: 'PollInterval 10' is not Key=Value");
	expect_error("PollInterval=", "slurm-pi.conf:1: PollInterval: empty value");
	expect_error("PollInterval=   # nothing",
		     "slurm-pi.conf:1: PollInterval: empty value");
	expect_error("=10", "slurm-pi.conf:1: missing key before '='");
}

Test(config, every_bad_line_is_reported)
{
	ConfigResult r = parse("Foo=1\nPollInterval=x\nHotTemp\n");
	cr_assert_eq(r.errors.size(), 3u);
	cr_assert(!r.ok());
}

Test(config, bad_value_keeps_the_default)
{
	ConfigResult r = parse("PollInterval=x\nWarmTemp=50");
	cr_assert_eq(r.config.poll_interval, 10);
	cr_assert_eq(r.config.warm_temp, 50.0);
}

// ---- cross-key checks

Test(config, intervals_must_nest)
{
	expect_error("PollInterval=30\nPublishInterval=20",
		     "slurm-pi.conf:2: PublishInterval (20) must be at least "
		     "PollInterval (30)");
	expect_error("StaleAfter=120",
		     "slurm-pi.conf:1: StaleAfter (120) must be greater than "
		     "PublishInterval (120)");
	cr_assert(parse("PollInterval=20\nPublishInterval=20\nStaleAfter=21").ok());
}

Test(config, temperatures_must_rise)
{
	expect_error("WarmTemp=70",
		     "slurm-pi.conf:1: WarmTemp (70) must be below HotTemp (70)");
	expect_error("HotTemp=85\nWarmTemp=50",
		     "slurm-pi.conf:1: HotTemp (85) must be below CriticalTemp (80)");
	ConfigResult ok = parse("WarmTemp=50\nHotTemp=65\nCriticalTemp=75");
	cr_assert(ok.ok());
}

Test(config, hysteresis_must_be_smaller_than_the_gaps)
{
	expect_error("CriticalTemp=85\nHysteresis=10",
		     "slurm-pi.conf:2: Hysteresis (10) must be smaller than the gap "
		     "from WarmTemp (60) to HotTemp (70)");
	cr_assert_eq(parse("Hysteresis=10").errors.size(), 2u); // both gaps
	expect_error("HotTemp=75\nHysteresis=8",
		     "slurm-pi.conf:2: Hysteresis (8) must be smaller than the gap "
		     "from HotTemp (75) to CriticalTemp (80)");
	cr_assert(parse("Hysteresis=0").ok());
}

Test(config, a_bad_value_does_not_cause_cross_key_errors)
{
	// HotTemp is bad: no "WarmTemp must be below HotTemp" on top.
	expect_error("WarmTemp=75\nHotTemp=x",
		     "slurm-pi.conf:2: HotTemp: 'x' is not a number");
}

// ---- files

Test(config, missing_file_means_defaults)
{
	ConfigResult r = load_config("/nonexistent/slurm-pi/slurm-pi.conf");
	cr_assert(r.ok());
	cr_assert(r.file_missing);
	cr_assert(r.config == Config{});
}

Test(config, unreadable_file_is_an_error)
{
	ConfigResult r = load_config("/");
	cr_assert_eq(r.errors.size(), 1u);
	cr_assert_str_eq(r.errors[0].c_str(), "/: Is a directory");
	cr_assert(!r.file_missing);
}

Test(config, file_errors_name_the_path_and_line)
{
	char tmpl[] = "/tmp/slurmpi-test-config-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert(fd >= 0);
	close(fd);
	std::ofstream(tmpl) << "PollInterval=5\nWarmTemp=hot\n";
	ConfigResult r = load_config(tmpl);
	unlink(tmpl);
	cr_assert_eq(r.errors.size(), 1u);
	std::string want = std::string(tmpl) + ":2: WarmTemp: 'hot' is not a number";
	cr_assert_str_eq(r.errors[0].c_str(), want.c_str());
	cr_assert_eq(r.config.poll_interval, 5);
}

Test(config, oversized_file_is_an_error)
{
	char tmpl[] = "/tmp/slurmpi-test-config-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert(fd >= 0);
	close(fd);
	std::ofstream(tmpl) << std::string(70 * 1024, '#');
	ConfigResult r = load_config(tmpl);
	unlink(tmpl);
	cr_assert_eq(r.errors.size(), 1u);
	std::string want = std::string(tmpl) + ": larger than 64 KiB";
	cr_assert_str_eq(r.errors[0].c_str(), want.c_str());
}

// ---- drain rules

Test(config, drain_rules_come_from_the_drain_keys)
{
	DrainRules d = parse("").config.drain_rules();
	cr_assert(!d.drain_on_critical);
	cr_assert_eq(d.grace, 30);
	cr_assert_eq(d.resume_after, 300);
	ConfigResult r = parse("DrainOnCritical=yes\nDrainGrace=0\nResumeAfter=5\n");
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	d = r.config.drain_rules();
	cr_assert(d.drain_on_critical);
	cr_assert_eq(d.grace, 0);
	cr_assert_eq(d.resume_after, 5);
}

Test(config, resume_after_zero_is_refused_by_name)
{
	ConfigResult r = parse("ResumeAfter=0\n");
	cr_assert_eq(r.errors.size(), 1);
	cr_assert(r.errors[0].find("slurm-pi.conf:1: ResumeAfter: '0' is out of range") == 0,
		  "%s", r.errors[0].c_str());
}

// ---- GPIO keys

Test(config, gpio_keys_are_read)
{
	ConfigResult r = parse("GpioChip=pinctrl-bcm2711\nLedLine=GPIO17\n"
			       "FanLine=18\nFanOnTemp=70\nFanOffTemp=62.5\n"
			       "LedBlinkMs=250\n");
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	const Config &c = r.config;
	assert_sv_eq(c.gpio_chip, "pinctrl-bcm2711");
	assert_sv_eq(c.led_line, "GPIO17");
	assert_sv_eq(c.fan_line, "18");
	cr_assert(c.gpio_enabled());
	GpioSettings g = c.gpio_settings();
	cr_assert_eq(g.fan_on_temp, 70.0);
	cr_assert_eq(g.fan_off_temp, 62.5);
	cr_assert_eq(g.led_blink_ms, 250);
}

Test(config, one_gpio_line_enables_gpio)
{
	cr_assert(parse("FanLine=GPIO18").config.gpio_enabled());
	cr_assert(parse("LedLine=4").config.gpio_enabled());
	cr_assert(!parse("GpioChip=pinctrl-rp1").config.gpio_enabled());
}

Test(config, empty_gpio_values_mean_off)
{
	ConfigResult r = parse("GpioChip=\nLedLine=\nFanLine=  # none\n");
	cr_assert(r.ok(), "%s", r.errors.empty() ? "" : r.errors[0].c_str());
	cr_assert(!r.config.gpio_enabled());
	// Other keys still refuse an empty value.
	expect_error("FanOnTemp=", "slurm-pi.conf:1: FanOnTemp: empty value");
}

Test(config, bad_gpio_lines_name_the_key)
{
	expect_error("LedLine=GPIO 17",
		     "slurm-pi.conf:1: LedLine: 'GPIO 17' has a space or a character "
		     "that is not printable ASCII (want a line name such as GPIO17 "
		     "or an offset such as 17)");
	expect_error("\nFanLine=1024",
		     "slurm-pi.conf:2: FanLine: '1024' is out of range 0..1023 for a "
		     "line offset");
	expect_error("FanLine=-4",
		     "slurm-pi.conf:1: FanLine: '-4' is not a line offset (0..1023) "
		     "nor a line name");
	expect_error("LedLine=A234567890123456789012345678901x",
		     "slurm-pi.conf:1: LedLine: 'A234567890123456789012345678901x' "
		     "is longer than 31 characters (want a line name such as GPIO17 "
		     "or an offset such as 17)");
	expect_error("GpioChip=pinctrl\x01",
		     "slurm-pi.conf:1: GpioChip: 'pinctrl\\x01' has a space or a "
		     "character that is not printable ASCII (want a chip label such "
		     "as pinctrl-bcm2711)");
}

Test(config, a_bad_gpio_line_keeps_gpio_off)
{
	ConfigResult r = parse("LedLine=GPIO 17");
	cr_assert(!r.ok());
	cr_assert(!r.config.gpio_enabled());
}

Test(config, fan_off_temp_must_be_below_fan_on_temp)
{
	expect_error("FanOnTemp=60\nFanOffTemp=60",
		     "slurm-pi.conf:2: FanOffTemp (60) must be below FanOnTemp (60)");
	expect_error("FanOffTemp=70",
		     "slurm-pi.conf:1: FanOffTemp (70) must be below FanOnTemp (65)");
	expect_error("FanOnTemp=50",
		     "slurm-pi.conf:1: FanOffTemp (55) must be below FanOnTemp (50)");
	cr_assert(parse("FanOnTemp=60\nFanOffTemp=59.9").ok());
}

Test(config, a_bad_fan_temp_gives_one_error)
{
	expect_error("FanOnTemp=hot\nFanOffTemp=70",
		     "slurm-pi.conf:1: FanOnTemp: 'hot' is not a number");
	expect_error("FanOffTemp=101",
		     "slurm-pi.conf:1: FanOffTemp: '101' is out of range 0..100 C");
}

Test(config, led_and_fan_must_be_different_lines)
{
	expect_error("LedLine=GPIO17\nFanLine=GPIO17",
		     "slurm-pi.conf:2: LedLine (GPIO17) and FanLine (GPIO17) must be "
		     "different lines");
	cr_assert(parse("LedLine=GPIO17\nFanLine=GPIO18").ok());
}

Test(config, led_blink_ms_range)
{
	expect_error("LedBlinkMs=99",
		     "slurm-pi.conf:1: LedBlinkMs: '99' is out of range 100..10000 ms");
	expect_error("LedBlinkMs=10001",
		     "slurm-pi.conf:1: LedBlinkMs: '10001' is out of range 100..10000 ms");
}
