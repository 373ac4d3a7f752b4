// libFuzzer target: the sensor values as the Sampler reads them from sysfs
// (thermal zone, legacy get_throttled, rpi_volt, cpufreq, pwmfan), and
// parse_throttled_hex() on its own.
//
// The input is split at '|' into the files of a fake Pi tree (in that
// order: temp, get_throttled, in0_lcrit_alarm, scaling_cur_freq,
// cpuinfo_max_freq, scaling_max_freq, fan1_input, pwm1); a field that is
// missing leaves its file out. The tree lives under $SLURM_PI_FUZZ_TMP
// (fuzz/run.sh makes and removes it) or a fresh /tmp directory.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/sensors.hpp"
#include "common/throttle.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

std::string g_root;

const char *const kFiles[] = {
	"/sys/class/thermal/thermal_zone0/temp",
	"/sys/devices/platform/soc/soc:firmware/get_throttled",
	"/sys/class/hwmon/hwmon0/in0_lcrit_alarm",
	"/sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq",
	"/sys/devices/system/cpu/cpufreq/policy0/cpuinfo_max_freq",
	"/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq",
	"/sys/class/hwmon/hwmon1/fan1_input",
	"/sys/class/hwmon/hwmon1/pwm1",
};

void put(const std::string &path, std::string_view text)
{
	std::ofstream out(g_root + path, std::ios::binary | std::ios::trunc);
	out.write(text.data(), static_cast<std::streamsize>(text.size()));
	FUZZ_CHECK(out.good(), "cannot write %s", path.c_str());
}

void make_tree()
{
	namespace fs = std::filesystem;
	if (const char *tmp = std::getenv("SLURM_PI_FUZZ_TMP"); tmp && *tmp) {
		g_root = std::string(tmp) + "/sensors-tree";
	} else {
		char dir[] = "/tmp/slurm-pi-fuzz-sensors.XXXXXX";
		FUZZ_CHECK(mkdtemp(dir) != nullptr, "mkdtemp");
		g_root = dir;
	}
	for (const char *f : kFiles)
		fs::create_directories(fs::path(g_root + f).parent_path());
	put("/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
	put("/sys/class/hwmon/hwmon0/name", "rpi_volt\n");
	put("/sys/class/hwmon/hwmon1/name", "pwmfan\n");
}

template <typename T>
void in_range(const std::optional<T> &v, T lo, T hi, const char *what)
{
	FUZZ_CHECK(!v || (*v >= lo && *v <= hi), "%s out of range", what);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	make_tree();
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	std::string_view text = fuzz_text(data, size);

	std::string why;
	if (auto word = parse_throttled_hex(text, &why)) {
		std::string again = format_throttled(*word);
		auto back = parse_throttled_hex(again, &why);
		FUZZ_CHECK(back && *back == *word, "%s does not read back",
			   again.c_str());
	} else {
		FUZZ_CHECK(!why.empty(), "no word, no reason");
	}

	bool more = true;
	for (const char *f : kFiles) {
		if (!more) {
			unlink((g_root + f).c_str());
			continue;
		}
		std::size_t bar = text.find('|');
		put(f, text.substr(0, bar));
		more = bar != std::string_view::npos;
		if (more)
			text.remove_prefix(bar + 1);
	}

	Sampler s(g_root);
	Reading r = s.sample();
	in_range(r.temp_c, kTempMinMilliC / 1000.0, kTempMaxMilliC / 1000.0,
		 "temperature");
	in_range(r.cur_mhz, kMhzMin, kMhzMax, "cur_mhz");
	in_range(r.max_mhz, kMhzMin, kMhzMax, "max_mhz");
	in_range(r.policy_max_mhz, kMhzMin, kMhzMax, "policy_max_mhz");
	in_range(r.fan_rpm, 0, kFanRpmMax, "fan_rpm");
	in_range(r.fan_pwm, 0, kFanPwmMax, "fan_pwm");
	FUZZ_CHECK(r.throttled.has_value() == (r.throttle_source != ThrottleSource::none),
		   "throttle word and source disagree");
	if (r.throttle_source == ThrottleSource::hwmon_rpi_volt)
		FUZZ_CHECK((*r.throttled & ~kThrUnderVoltageNow) == 0 &&
				   r.throttled_known == kThrUnderVoltageNow,
			   "rpi_volt claims more than under-voltage");
	for (const std::string &p : r.problems)
		FUZZ_CHECK(!p.empty(), "empty problem line");
	return 0;
}
