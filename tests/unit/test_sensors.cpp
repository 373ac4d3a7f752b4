#include <criterion/criterion.h>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sensors.hpp"
#include "common/text.hpp"
#include "common/throttle.hpp"
#include "tests/unit/fake_mailbox.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

const std::string kFixtures = FIXTURES_DIR;
const std::string kPolicy = "/sys/devices/system/cpu/cpufreq/policy0";
const std::string kLegacy =
	"/sys/devices/platform/soc/soc:firmware/get_throttled";

bool has(const std::vector<std::string> &v, const std::string &s)
{
	return std::find(v.begin(), v.end(), s) != v.end();
}

// cr_assert message listing what the reading said.
std::string dump(const Reading &r)
{
	std::string out = "sources:";
	for (const auto &s : r.sources)
		out += " [" + s + "]";
	out += " problems:";
	for (const auto &p : r.problems)
		out += " [" + p + "]";
	return out;
}

void expect_problem(const Reading &r, const std::string &p)
{
	cr_assert(has(r.problems, p), "missing problem [%s]; %s", p.c_str(),
		  dump(r).c_str());
}

// A scratch root removed at the end of the test.
class TmpTree {
public:
	const std::string &root() const { return dir_.str(); }
	std::string at(const std::string &p) const { return root() + p; }

	void mkdirs(const std::string &p) const
	{
		std::string full = at(p);
		for (std::size_t i = root().size() + 1; i <= full.size(); i++) {
			if (i == full.size() || full[i] == '/')
				mkdir(full.substr(0, i).c_str(), 0755);
		}
	}
	void put(const std::string &p, const std::string &text) const
	{
		mkdirs(p.substr(0, p.rfind('/')));
		int fd = open(at(p).c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
		cr_assert_geq(fd, 0, "cannot create %s", at(p).c_str());
		cr_assert_eq(write(fd, text.data(), text.size()),
			     (ssize_t)text.size());
		close(fd);
	}
	void move(const std::string &from, const std::string &to) const
	{
		cr_assert_eq(rename(at(from).c_str(), at(to).c_str()), 0);
	}
	void remove_tree(const std::string &p) const
	{
		std::error_code ec;
		std::filesystem::remove_all(at(p), ec);
	}

	// A healthy Pi 4 with the rpi_volt hwmon at `hwmon`.
	void pi(const std::string &hwmon = "hwmon0") const
	{
		put("/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
		put("/sys/class/thermal/thermal_zone0/temp", "45277\n");
		put("/sys/class/hwmon/" + hwmon + "/name", "rpi_volt\n");
		put("/sys/class/hwmon/" + hwmon + "/in0_lcrit_alarm", "0\n");
		put(kPolicy + "/scaling_cur_freq", "600000\n");
		put(kPolicy + "/cpuinfo_max_freq", "1500000\n");
		put(kPolicy + "/scaling_max_freq", "1500000\n");
	}
	void fan(const std::string &hwmon, const std::string &rpm,
		 const std::string &pwm) const
	{
		put("/sys/class/hwmon/" + hwmon + "/name", "pwmfan\n");
		put("/sys/class/hwmon/" + hwmon + "/fan1_input", rpm + "\n");
		put("/sys/class/hwmon/" + hwmon + "/pwm1", pwm + "\n");
	}

private:
	ScratchDir dir_{"slurmpi-sensors"};
};

Reading sample_tree(const std::string &tree, Mailbox *mb = nullptr)
{
	Sampler s(kFixtures + "/" + tree, mb);
	return s.sample();
}

void expect_hwmon_clear(const Reading &r, const std::string &hwmon_dir)
{
	cr_assert(r.throttled.has_value(), "%s", dump(r).c_str());
	cr_assert_eq(*r.throttled, 0u);
	cr_assert_eq(r.throttle_source, ThrottleSource::hwmon_rpi_volt);
	cr_assert_eq(r.throttled_known, kThrUnderVoltageNow);
	cr_assert(has(r.sources, hwmon_dir + "/in0_lcrit_alarm"), "%s",
		  dump(r).c_str());
	cr_assert(!has(r.sources, kLegacy), "legacy read although hwmon worked");
}

// Trees of kernels that still have soc:firmware/get_throttled: the full
// word comes from there, and rpi_volt is not needed.
void expect_legacy_clear(const Reading &r)
{
	cr_assert(r.throttled.has_value(), "%s", dump(r).c_str());
	cr_assert_eq(*r.throttled, 0u);
	cr_assert_eq(r.throttle_source, ThrottleSource::legacy_sysfs);
	cr_assert_eq(r.throttled_known, 0xffffffffu);
	cr_assert(has(r.sources, kLegacy), "%s", dump(r).c_str());
	cr_assert(!has(r.sources, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm"),
		  "rpi_volt read although legacy worked");
}

} // namespace

// ---- the model trees --------------------------------------------------

Test(sensors, pi3bplus_tree)
{
	Reading r = sample_tree("pi3bplus");
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert(r.temp_c.has_value());
	cr_assert_float_eq(*r.temp_c, 51.540, 1e-9);
	expect_legacy_clear(r);
	cr_assert_eq(r.cur_mhz.value_or(-1), 600);
	cr_assert_eq(r.max_mhz.value_or(-1), 1400);
	cr_assert_eq(r.policy_max_mhz.value_or(-1), 1400);
	cr_assert(!r.fan_rpm.has_value() && !r.fan_pwm.has_value());
	cr_assert(has(r.sources, "/sys/class/thermal/thermal_zone0/temp"));
	cr_assert(has(r.sources, kPolicy + "/scaling_cur_freq"));
	cr_assert(has(r.sources, kPolicy + "/cpuinfo_max_freq"));
	cr_assert(has(r.sources, kPolicy + "/scaling_max_freq"));
	cr_assert_eq(r.sources.size(), 5u, "%s", dump(r).c_str());
}

Test(sensors, pi4b_tree)
{
	Reading r = sample_tree("pi4b");
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_float_eq(r.temp_c.value_or(-1000), 45.277, 1e-9);
	expect_legacy_clear(r);
	cr_assert_eq(r.cur_mhz.value_or(-1), 600);
	// Rev 1.4 boards run 1800 MHz with arm_boost (the bookworm default).
	cr_assert_eq(r.max_mhz.value_or(-1), 1800);
	cr_assert_eq(r.policy_max_mhz.value_or(-1), 1800);
	cr_assert(!r.fan_rpm.has_value());
}

Test(sensors, zero2w_tree)
{
	Reading r = sample_tree("zero2w");
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_float_eq(r.temp_c.value_or(-1000), 41.856, 1e-9);
	expect_legacy_clear(r);
	cr_assert_eq(r.max_mhz.value_or(-1), 1000);
	cr_assert_eq(r.cur_mhz.value_or(-1), 600);
}

Test(sensors, pi5_tree_has_fan)
{
	Sampler s(kFixtures + "/pi5");
	Reading r = s.sample();
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_float_eq(r.temp_c.value_or(-1000), 52.650, 1e-9);
	expect_hwmon_clear(r, "/sys/class/hwmon/hwmon0");
	cr_assert_eq(r.cur_mhz.value_or(-1), 1500);
	cr_assert_eq(r.max_mhz.value_or(-1), 2400);
	cr_assert_eq(r.policy_max_mhz.value_or(-1), 2400);
	cr_assert_eq(r.fan_rpm.value_or(-1), 2941);
	cr_assert_eq(r.fan_pwm.value_or(-1), 75);
	cr_assert_str_eq(s.pwmfan_dir().c_str(), "/sys/class/hwmon/hwmon2");
	cr_assert(has(r.sources, "/sys/class/hwmon/hwmon2/fan1_input"));
	cr_assert(has(r.sources, "/sys/class/hwmon/hwmon2/pwm1"));
}

Test(sensors, root_spelled_with_trailing_slash)
{
	Reading r = sample_tree("pi4b/");
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert(r.temp_c.has_value());
}

// ---- discovery by type and name --------------------------------------

Test(sensors, cpu_zone_found_by_type_not_number)
{
	Sampler s(kFixtures + "/broken/zone3");
	Reading r = s.sample();
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_str_eq(s.thermal_zone_dir().c_str(),
			 "/sys/class/thermal/thermal_zone3");
	cr_assert_float_eq(r.temp_c.value_or(-1000), 48.312, 1e-9);
	cr_assert(has(r.sources, "/sys/class/thermal/thermal_zone3/temp"));
	// hwmon numbers differ from the Pi trees.
	cr_assert_str_eq(s.rpi_volt_dir().c_str(), "/sys/class/hwmon/hwmon7");
	cr_assert_str_eq(s.pwmfan_dir().c_str(), "/sys/class/hwmon/hwmon3");
	cr_assert_eq(r.throttled.value_or(99), kThrUnderVoltageNow);
	cr_assert_eq(r.throttle_source, ThrottleSource::hwmon_rpi_volt);
	cr_assert_eq(r.fan_rpm.value_or(-1), 5200);
	cr_assert_eq(r.fan_pwm.value_or(-1), 250);
	cr_assert_eq(r.cur_mhz.value_or(-1), 1800);
}

Test(sensors, no_cpu_zone_and_no_hwmon)
{
	TmpTree t;
	t.put("/sys/class/thermal/thermal_zone0/type", "acpitz\n");
	t.put("/sys/class/thermal/thermal_zone0/temp", "30000\n");
	t.put(kPolicy + "/scaling_cur_freq", "800000\n");
	t.put(kPolicy + "/cpuinfo_max_freq", "3000000\n");
	t.put(kPolicy + "/scaling_max_freq", "3000000\n");
	Sampler s(t.root());
	Reading r = s.sample();
	cr_assert(!r.temp_c.has_value());
	cr_assert(!r.throttled.has_value());
	cr_assert_eq(r.throttle_source, ThrottleSource::none);
	cr_assert_eq(r.throttled_known, 0u);
	expect_problem(r, "/sys/class/thermal: no thermal zone of type "
			  "cpu-thermal");
	expect_problem(r, "/sys/class/hwmon: cannot list: No such file or "
			  "directory");
	expect_problem(r, kLegacy + ": No such file or directory");
	cr_assert_eq(r.problems.size(), 3u, "%s", dump(r).c_str());
	cr_assert_eq(r.cur_mhz.value_or(-1), 800);
	cr_assert_eq(r.max_mhz.value_or(-1), 3000);
}

Test(sensors, empty_root_directory)
{
	TmpTree t;
	Reading r = Sampler(t.root()).sample();
	cr_assert(!r.temp_c && !r.throttled && !r.cur_mhz && !r.max_mhz &&
		  !r.policy_max_mhz && !r.fan_rpm && !r.fan_pwm);
	cr_assert(r.sources.empty());
	expect_problem(r, "/sys/class/thermal: cannot list: No such file or "
			  "directory");
	expect_problem(r, kPolicy + "/scaling_cur_freq: No such file or "
				    "directory");
	cr_assert_eq(r.problems.size(), 6u, "%s", dump(r).c_str());
}

Test(sensors, hwmon_without_name_is_skipped)
{
	Reading r = sample_tree("broken/missing");
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: No such file "
			  "or directory");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: No such "
			  "file or directory");
	expect_problem(r, kLegacy + ": No such file or directory");
	expect_problem(r, kPolicy + "/scaling_cur_freq: No such file or "
				    "directory");
	expect_problem(r, kPolicy + "/cpuinfo_max_freq: No such file or "
				    "directory");
	expect_problem(r, kPolicy + "/scaling_max_freq: No such file or "
				    "directory");
	expect_problem(r, "/sys/class/hwmon/hwmon1/fan1_input: No such file "
			  "or directory");
	expect_problem(r, "/sys/class/hwmon/hwmon1/pwm1: No such file or "
			  "directory");
	cr_assert_eq(r.problems.size(), 8u, "%s", dump(r).c_str());
	cr_assert(r.sources.empty(), "%s", dump(r).c_str());
	cr_assert(!r.temp_c && !r.throttled && !r.cur_mhz && !r.fan_rpm &&
		  !r.fan_pwm);
}

// ---- bad values -------------------------------------------------------

Test(sensors, garbage_values)
{
	Reading r = sample_tree("broken/garbage");
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: not a "
			  "number: 'abc'");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: not a "
			  "number: 'yes'");
	expect_problem(r, kLegacy + ": not a hex number: 'zz'");
	expect_problem(r, kPolicy + "/scaling_cur_freq: not a number: "
				    "'fast'");
	expect_problem(r, kPolicy + "/cpuinfo_max_freq: not a number: "
				    "'1.5GHz'");
	expect_problem(r, kPolicy + "/scaling_max_freq: not a number: "
				    "'1500000 kHz'");
	expect_problem(r, "/sys/class/hwmon/hwmon1/fan1_input: not a number: "
			  "'spinning'");
	expect_problem(r, "/sys/class/hwmon/hwmon1/pwm1: not a number: "
			  "'0x4b'");
	cr_assert_eq(r.problems.size(), 8u, "%s", dump(r).c_str());
	cr_assert(r.sources.empty(), "%s", dump(r).c_str());
	cr_assert(!r.temp_c && !r.throttled && !r.cur_mhz && !r.max_mhz &&
		  !r.policy_max_mhz && !r.fan_rpm && !r.fan_pwm);
	cr_assert_eq(r.throttle_source, ThrottleSource::none);
}

Test(sensors, empty_values)
{
	Reading r = sample_tree("broken/empty");
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: empty");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: empty");
	expect_problem(r, kLegacy + ": empty");
	expect_problem(r, kPolicy + "/scaling_cur_freq: empty");
	expect_problem(r, kPolicy + "/cpuinfo_max_freq: empty");
	expect_problem(r, kPolicy + "/scaling_max_freq: empty");
	expect_problem(r, "/sys/class/hwmon/hwmon1/fan1_input: empty");
	expect_problem(r, "/sys/class/hwmon/hwmon1/pwm1: empty");
	cr_assert_eq(r.problems.size(), 8u, "%s", dump(r).c_str());
	cr_assert(r.sources.empty());
}

Test(sensors, truncated_values)
{
	Reading r = sample_tree("broken/truncated");
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: not a "
			  "number: '-'");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: not a "
			  "number: '-'");
	expect_problem(r, kLegacy + ": not a hex number: '0x'");
	expect_problem(r, kPolicy + "/scaling_cur_freq: not a number: '-'");
	expect_problem(r, "/sys/class/hwmon/hwmon1/pwm1: not a number: "
			  "'-'");
	cr_assert_eq(r.problems.size(), 8u, "%s", dump(r).c_str());
	cr_assert(r.sources.empty());
}

Test(sensors, out_of_range_values)
{
	Reading r = sample_tree("broken/out_of_range");
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: out of "
			  "range: 200000 (expected -40000..150000 "
			  "millidegrees C)");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: out of "
			  "range: 2 (expected 0..1)");
	expect_problem(r, kLegacy + ": too long for a 32-bit word: "
				    "'123456789'");
	expect_problem(r, kPolicy + "/scaling_cur_freq: out of range: 0 "
				    "(expected 1000..10000000 kHz)");
	expect_problem(r, kPolicy + "/cpuinfo_max_freq: out of range: "
				    "99999999 (expected 1000..10000000 kHz)");
	expect_problem(r, kPolicy + "/scaling_max_freq: out of range: "
				    "-1500000 (expected 1000..10000000 kHz)");
	expect_problem(r, "/sys/class/hwmon/hwmon1/fan1_input: out of range: "
			  "99999 (expected 0..30000 rpm)");
	expect_problem(r, "/sys/class/hwmon/hwmon1/pwm1: out of range: 256 "
			  "(expected 0..255)");
	cr_assert_eq(r.problems.size(), 8u, "%s", dump(r).c_str());
	cr_assert(r.sources.empty());
	cr_assert(!r.temp_c && !r.throttled && !r.cur_mhz && !r.fan_pwm);
}

Test(sensors, temperature_limits)
{
	struct Case {
		const char *text;
		bool ok;
		double c;
	} cases[] = {
		{"-40000", true, -40.0}, {"150000", true, 150.0},
		{"-5250", true, -5.25},  {"0", true, 0.0},
		{"-40001", false, 0},    {"150001", false, 0},
		{"99999999999999999999999", false, 0},
		{"45.5", false, 0},      {"+45000", false, 0},
	};
	for (const Case &c : cases) {
		TmpTree t;
		t.pi();
		t.put("/sys/class/thermal/thermal_zone0/temp",
		      std::string(c.text) + "\n");
		Reading r = Sampler(t.root()).sample();
		cr_assert_eq(r.temp_c.has_value(), c.ok, "%s: %s", c.text,
			     dump(r).c_str());
		if (c.ok)
			cr_assert_float_eq(*r.temp_c, c.c, 1e-9, "%s", c.text);
		else
			cr_assert_eq(r.problems.size(), 1u, "%s: %s", c.text,
				     dump(r).c_str());
	}
	TmpTree t;
	t.pi();
	t.put("/sys/class/thermal/thermal_zone0/temp",
	      "99999999999999999999999\n");
	Reading r = Sampler(t.root()).sample();
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: number too "
			  "large: '99999999999999999999999'");
}

Test(sensors, mhz_rounding_and_limits)
{
	TmpTree t;
	t.pi();
	t.put(kPolicy + "/scaling_cur_freq", "1499999\n");
	t.put(kPolicy + "/cpuinfo_max_freq", "10000000\n");
	t.put(kPolicy + "/scaling_max_freq", "1000\n");
	Reading r = Sampler(t.root()).sample();
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_eq(r.cur_mhz.value_or(-1), 1500);
	cr_assert_eq(r.max_mhz.value_or(-1), 10000);
	cr_assert_eq(r.policy_max_mhz.value_or(-1), 1);

	t.put(kPolicy + "/scaling_max_freq", "999\n");
	r = Sampler(t.root()).sample();
	cr_assert(!r.policy_max_mhz.has_value());
	expect_problem(r, kPolicy + "/scaling_max_freq: out of range: 999 "
				    "(expected 1000..10000000 kHz)");
}

Test(sensors, long_garbage_is_cut_in_the_message)
{
	TmpTree t;
	t.pi();
	t.put("/sys/class/thermal/thermal_zone0/temp", std::string(100, 'x'));
	Reading r = Sampler(t.root()).sample();
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: not a "
			  "number: '" + std::string(slurmpi::kQuotedMax, 'x') + "'...");
}

Test(sensors, control_characters_are_escaped_in_the_message)
{
	TmpTree t;
	t.pi();
	t.put("/sys/class/thermal/thermal_zone0/temp", "45\x1b[2J\rerror: x\n");
	Reading r = Sampler(t.root()).sample();
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: not a "
			  "number: '45\\x1b[2J\\rerror: x'");
}

// ---- files that cannot be read --------------------------------------

Test(sensors, directory_where_a_file_should_be)
{
	TmpTree t;
	t.pi();
	unlink(t.at("/sys/class/thermal/thermal_zone0/temp").c_str());
	t.mkdirs("/sys/class/thermal/thermal_zone0/temp");
	unlink(t.at(kPolicy + "/scaling_cur_freq").c_str());
	t.mkdirs(kPolicy + "/scaling_cur_freq");
	t.mkdirs(kLegacy);
	unlink(t.at("/sys/class/hwmon/hwmon0/in0_lcrit_alarm").c_str());
	t.mkdirs("/sys/class/hwmon/hwmon0/in0_lcrit_alarm");
	Reading r = Sampler(t.root()).sample();
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: Is a "
			  "directory");
	expect_problem(r, kPolicy + "/scaling_cur_freq: Is a directory");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: Is a "
			  "directory");
	expect_problem(r, kLegacy + ": Is a directory");
	cr_assert_eq(r.problems.size(), 4u, "%s", dump(r).c_str());
	cr_assert(!r.temp_c && !r.throttled && !r.cur_mhz);
	cr_assert_eq(r.max_mhz.value_or(-1), 1500);
}

Test(sensors, dangling_symlinks)
{
	TmpTree t;
	t.pi();
	t.fan("hwmon1", "3000", "100");
	std::string temp = t.at("/sys/class/thermal/thermal_zone0/temp");
	unlink(temp.c_str());
	cr_assert_eq(symlink("/nonexistent/temp", temp.c_str()), 0);
	std::string alarm = t.at("/sys/class/hwmon/hwmon0/in0_lcrit_alarm");
	unlink(alarm.c_str());
	cr_assert_eq(symlink("/nonexistent/alarm", alarm.c_str()), 0);
	std::string pwm = t.at("/sys/class/hwmon/hwmon1/pwm1");
	unlink(pwm.c_str());
	cr_assert_eq(symlink("../nonexistent", pwm.c_str()), 0);

	Sampler s(t.root());
	Reading r = s.sample();
	expect_problem(r, "/sys/class/thermal/thermal_zone0/temp: No such file "
			  "or directory");
	expect_problem(r, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm: No such "
			  "file or directory");
	expect_problem(r, "/sys/class/hwmon/hwmon1/pwm1: No such file or "
			  "directory");
	expect_problem(r, kLegacy + ": No such file or directory");
	cr_assert_eq(r.problems.size(), 4u, "%s", dump(r).c_str());
	cr_assert_eq(r.fan_rpm.value_or(-1), 3000);
	// Rediscovery found the same places again.
	cr_assert_str_eq(s.rpi_volt_dir().c_str(), "/sys/class/hwmon/hwmon0");
	cr_assert_str_eq(s.pwmfan_dir().c_str(), "/sys/class/hwmon/hwmon1");
}

Test(sensors, dangling_hwmon_entry_is_skipped)
{
	TmpTree t;
	t.pi("hwmon2");
	t.mkdirs("/sys/class/hwmon");
	cr_assert_eq(symlink("../../devices/gone/hwmon0",
			     t.at("/sys/class/hwmon/hwmon0").c_str()), 0);
	Sampler s(t.root());
	Reading r = s.sample();
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_str_eq(s.rpi_volt_dir().c_str(), "/sys/class/hwmon/hwmon2");
}

// ---- throttle source precedence ---------------------------------------

Test(sensors, mailbox_first)
{
	test::FakeMailbox mb;
	mb.value = 0x50005;
	Reading r = sample_tree("pi4b", &mb);
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_eq(mb.calls, 1);
	cr_assert_eq(r.throttled.value_or(0), 0x50005u);
	cr_assert_eq(r.throttle_source, ThrottleSource::mailbox);
	cr_assert_eq(r.throttled_known, 0xffffffffu);
	cr_assert(has(r.sources, "mailbox"));
	cr_assert(!has(r.sources, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm"));
	cr_assert(!has(r.sources, kLegacy));
	cr_assert_str_eq(throttle_source_name(r.throttle_source), "mailbox");
}

Test(sensors, legacy_when_mailbox_fails)
{
	test::FakeMailbox mb;
	mb.error = "/dev/vcio: Permission denied";
	TmpTree t;
	t.pi();
	t.put("/sys/class/hwmon/hwmon0/in0_lcrit_alarm", "1\n");
	t.put(kLegacy, "50005\n");
	Reading r = Sampler(t.root(), &mb).sample();
	cr_assert_eq(r.throttled.value_or(99), 0x50005u);
	cr_assert_eq(r.throttle_source, ThrottleSource::legacy_sysfs);
	cr_assert_eq(r.throttled_known, 0xffffffffu);
	expect_problem(r, "/dev/vcio: Permission denied");
	cr_assert_eq(r.problems.size(), 1u, "%s", dump(r).c_str());
	cr_assert(!has(r.sources, "/sys/class/hwmon/hwmon0/in0_lcrit_alarm"),
		  "%s", dump(r).c_str());
	cr_assert(!has(r.sources, "mailbox"));
}

Test(sensors, hwmon_when_no_legacy_file)
{
	// Current kernels: no get_throttled; its absence is not a problem
	// while rpi_volt answers.
	test::FakeMailbox mb;
	mb.error = "/dev/vcio: Permission denied";
	TmpTree t;
	t.pi();
	t.put("/sys/class/hwmon/hwmon0/in0_lcrit_alarm", "1\n");
	Reading r = Sampler(t.root(), &mb).sample();
	cr_assert_eq(r.throttled.value_or(99), kThrUnderVoltageNow);
	cr_assert(undervoltage_now(*r.throttled));
	cr_assert_eq(r.throttle_source, ThrottleSource::hwmon_rpi_volt);
	cr_assert_eq(r.throttled_known, kThrUnderVoltageNow);
	expect_problem(r, "/dev/vcio: Permission denied");
	cr_assert_eq(r.problems.size(), 1u, "%s", dump(r).c_str());
	cr_assert(!has(r.sources, kLegacy), "%s", dump(r).c_str());
	cr_assert_str_eq(throttle_source_name(r.throttle_source), "hwmon");
}

Test(sensors, legacy_when_no_rpi_volt)
{
	Reading r = sample_tree("broken/legacy_only");
	cr_assert_eq(r.throttled.value_or(0), 0x50005u);
	cr_assert_eq(r.throttle_source, ThrottleSource::legacy_sysfs);
	cr_assert_eq(r.throttled_known, 0xffffffffu);
	cr_assert(has(r.sources, kLegacy));
	// rpi_volt is not needed when the legacy word is there.
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert_str_eq(throttle_source_name(r.throttle_source), "legacy");
	cr_assert_float_eq(r.temp_c.value_or(-1000), 61.224, 1e-9);
}

Test(sensors, hwmon_when_legacy_is_garbage)
{
	TmpTree t;
	t.pi();
	t.put("/sys/class/hwmon/hwmon0/in0_lcrit_alarm", "0\n");
	t.put(kLegacy, "zz\n");
	test::FakeMailbox mb;
	Reading r = Sampler(t.root(), &mb).sample();
	cr_assert_eq(r.throttled.value_or(99), 0u);
	cr_assert_eq(r.throttle_source, ThrottleSource::hwmon_rpi_volt);
	expect_problem(r, "fake mailbox: no value");
	expect_problem(r, kLegacy + ": not a hex number: 'zz'");
	cr_assert_eq(r.problems.size(), 2u, "%s", dump(r).c_str());
}

Test(sensors, no_throttle_source_at_all)
{
	TmpTree t;
	t.pi();
	t.remove_tree("/sys/class/hwmon");
	test::FakeMailbox mb;
	mb.error = "";
	Reading r = Sampler(t.root(), &mb).sample();
	cr_assert(!r.throttled.has_value());
	cr_assert_eq(r.throttle_source, ThrottleSource::none);
	cr_assert_str_eq(throttle_source_name(r.throttle_source), "none");
	expect_problem(r, "mailbox: failed");
	expect_problem(r, kLegacy + ": No such file or directory");
}

// ---- rediscovery --------------------------------------------------------

Test(sensors, renumbered_hwmon_and_zone_are_found_again)
{
	TmpTree t;
	t.pi();
	t.fan("hwmon1", "2000", "75");
	Sampler s(t.root());
	Reading r = s.sample();
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());

	// A module reload gives new numbers.
	t.move("/sys/class/hwmon/hwmon0", "/sys/class/hwmon/hwmon4");
	t.move("/sys/class/hwmon/hwmon1", "/sys/class/hwmon/hwmon5");
	t.move("/sys/class/thermal/thermal_zone0",
	       "/sys/class/thermal/thermal_zone2");
	r = s.sample();
	cr_assert(r.problems.empty(), "%s", dump(r).c_str());
	cr_assert(has(r.sources, "/sys/class/hwmon/hwmon4/in0_lcrit_alarm"));
	cr_assert(has(r.sources, "/sys/class/hwmon/hwmon5/fan1_input"));
	cr_assert(has(r.sources, "/sys/class/thermal/thermal_zone2/temp"));
	cr_assert_eq(r.fan_pwm.value_or(-1), 75);
	cr_assert_str_eq(s.thermal_zone_dir().c_str(),
			 "/sys/class/thermal/thermal_zone2");
}

Test(sensors, fan_that_goes_away_is_reported_once_then_dropped)
{
	TmpTree t;
	t.pi();
	t.fan("hwmon1", "2000", "75");
	Sampler s(t.root());
	cr_assert(s.sample().fan_rpm.has_value());
	t.remove_tree("/sys/class/hwmon/hwmon1");
	Reading r = s.sample();
	cr_assert(!r.fan_rpm.has_value());
	expect_problem(r, "/sys/class/hwmon/hwmon1/fan1_input: No such file or "
			  "directory");
	cr_assert_str_eq(s.pwmfan_dir().c_str(), "");
	r = s.sample();
	cr_assert(r.problems.empty(), "no fan is normal: %s", dump(r).c_str());
}

Test(sensors, late_sensor_is_found_after_a_while)
{
	TmpTree t;
	t.pi();
	Sampler s(t.root());
	cr_assert(!s.sample().fan_rpm.has_value());
	t.fan("hwmon3", "1500", "50");
	// Cached discovery: not seen on the very next pass...
	cr_assert(!s.sample().fan_rpm.has_value());
	// ...but within kRediscoverEvery passes.
	bool seen = false;
	for (int i = 0; i < kRediscoverEvery && !seen; i++)
		seen = s.sample().fan_rpm.has_value();
	cr_assert(seen);

	t.put("/sys/class/hwmon/hwmon3/fan1_input", "1600\n");
	s.rediscover();
	cr_assert_eq(s.sample().fan_rpm.value_or(-1), 1600);
}

Test(sensors, discovery_is_cached)
{
	TmpTree t;
	t.pi();
	Sampler s(t.root());
	cr_assert(s.sample().temp_c.has_value());
	// Types are only looked at on discovery, not while the cached path
	// keeps working.
	t.put("/sys/class/thermal/thermal_zone0/type", "gpu-thermal\n");
	t.put("/sys/class/thermal/thermal_zone1/type", "cpu-thermal\n");
	t.put("/sys/class/thermal/thermal_zone1/temp", "70000\n");
	Reading r = s.sample();
	cr_assert_float_eq(r.temp_c.value_or(-1000), 45.277, 1e-9);
	s.rediscover();
	r = s.sample();
	cr_assert_float_eq(r.temp_c.value_or(-1000), 70.0, 1e-9);
}

// ---- the real machine ---------------------------------------------------

Test(sensors, real_root_does_not_crash)
{
	for (const char *root : {"", "/"}) {
		Sampler s(root);
		for (int i = 0; i < 3; i++) {
			Reading r = s.sample();
			for (const std::string &p : r.problems)
				cr_assert(!p.empty() && p[0] == '/', "%s",
					  p.c_str());
			if (r.temp_c)
				cr_assert(*r.temp_c >= -40 && *r.temp_c <= 150);
		}
	}
}
