// One pass over the Pi's sensors: CPU temperature, throttle word, ARM
// clock, fan. Paths are found by what they are (thermal zone `type`,
// hwmon `name`), never by number, because the numbers vary between models,
// kernels and boots.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fs.hpp"
#include "common/vcio.hpp"

namespace slurmpi {

// Tried in this order: the mailbox (fresh, full word, needs root), then
// the legacy sysfs file (full word, cached from rpi_volt's 2 s poll; gone
// from current kernels), then rpi_volt (under-voltage only).
enum class ThrottleSource {
	none,
	mailbox,        // firmware mailbox, full word
	hwmon_rpi_volt, // in0_lcrit_alarm, under-voltage only
	legacy_sysfs,   // soc:firmware/get_throttled, full word
};

// "none", "mailbox", "hwmon", "legacy".
const char *throttle_source_name(ThrottleSource s);

struct Reading {
	std::optional<double> temp_c;

	std::optional<std::uint32_t> throttled;
	ThrottleSource throttle_source = ThrottleSource::none;
	// The bits of `throttled` that the source can tell: all of them for the
	// mailbox and legacy sysfs, only kThrUnderVoltageNow for hwmon
	// rpi_volt (its alarm is mapped to bit 0; the other bits are then
	// unknown, not clear). 0 when `throttled` is empty.
	std::uint32_t throttled_known = 0;

	std::optional<int> cur_mhz;        // policy0 scaling_cur_freq
	std::optional<int> max_mhz;        // policy0 cpuinfo_max_freq
	std::optional<int> policy_max_mhz; // policy0 scaling_max_freq

	std::optional<int> fan_rpm; // pwmfan fan1_input
	std::optional<int> fan_pwm; // pwmfan pwm1, 0-255

	// What the values came from: machine paths (without the root) or
	// "mailbox".
	std::vector<std::string> sources;
	// One line per thing that was wrong, starting with the path:
	// `/sys/class/thermal/thermal_zone0/temp: not a number: "abc"`.
	std::vector<std::string> problems;
};

// Plausibility limits; values outside are rejected with a reason.
inline constexpr long kTempMinMilliC = -40000;
inline constexpr long kTempMaxMilliC = 150000;
inline constexpr int kMhzMin = 1;
inline constexpr int kMhzMax = 10000;
inline constexpr int kFanRpmMax = 30000;
inline constexpr int kFanPwmMax = 255;

// After this many samples with something not found, look again (a module
// such as pwm-fan may load after slurmd starts).
inline constexpr int kRediscoverEvery = 16;

// Not thread-safe: one sampler per sampling thread.
class Sampler {
public:
	// `root`: "" or "/" for the machine, a fixture tree in tests.
	// `mailbox` (may be null) is asked first for the throttle word; it
	// must outlive the sampler.
	explicit Sampler(std::string_view root = "", Mailbox *mailbox = nullptr);

	// One pass. Does not fork, use stdio or throw (beyond std::bad_alloc).
	Reading sample();

	// Forget what discovery found; the next sample() looks again.
	void rediscover();

	// What discovery found (machine paths such as
	// /sys/class/thermal/thermal_zone3), empty if not found or not
	// discovered yet.
	const std::string &thermal_zone_dir() const { return found_.zone.path; }
	const std::string &rpi_volt_dir() const { return found_.rpi_volt.path; }
	const std::string &pwmfan_dir() const { return found_.pwmfan.path; }

private:
	struct Dir {
		std::string path; // empty: not found
		std::string why;  // why not found
	};
	struct Found {
		Dir zone;     // thermal zone of type cpu-thermal
		Dir rpi_volt; // hwmon named rpi_volt
		Dir pwmfan;   // hwmon named pwmfan
	};
	struct Text {
		std::string path;  // machine path, for sources and problems
		std::string value; // trimmed, not empty
	};

	void discover();
	static std::optional<Text> text_of(std::string path, const FileRead &f,
					   Reading &r);
	std::optional<Text> read_plain(std::string path, Reading &r);
	std::optional<Text> read_found(Dir Found::*dir,
				       std::string_view leaf, Reading &r,
				       bool report_missing);
	void sample_temp(Reading &r);
	void sample_throttle(Reading &r);
	void sample_cpufreq(Reading &r);
	void sample_fan(Reading &r);

	std::string root_;
	Mailbox *mailbox_;
	Found found_;
	bool discovered_ = false;
	bool rediscovered_this_pass_ = false;
	int samples_since_discovery_ = 0;
};

} // namespace slurmpi
