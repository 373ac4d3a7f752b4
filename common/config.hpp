// slurm-pi.conf: the one settings file of the plugins and the tool, found
// beside slurm.conf (get_extra_conf_path("slurm-pi.conf")).
//
// Slurm-style: one `Key=Value` per line, keys case-insensitive, `#` starts
// a comment (whole line or trailing), blank lines and whitespace around `=`
// ignored. Every key is optional; a missing file means all defaults. Keys,
// ranges, defaults and their documentation live in one table in config.cpp,
// which also writes the shipped example (default_config_text()).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/drain.hpp"
#include "common/placement.hpp"
#include "common/gpio_policy.hpp"
#include "common/policy.hpp"
#include "common/thermal.hpp"

namespace slurmpi {

inline constexpr std::string_view kConfigFileName = "slurm-pi.conf";

// Member initializers are the documented defaults.
struct Config {
	int poll_interval = 10;     // PollInterval, seconds
	int publish_interval = 120; // PublishInterval, seconds
	int stale_after = 300;      // StaleAfter, seconds
	int ring_hours = 4;         // RingHours, hours
	int job_record_days = 7;    // JobRecordDays, days
	double warm_temp = 60;      // WarmTemp, C
	double hot_temp = 70;       // HotTemp, C
	double critical_temp = 80;  // CriticalTemp, C
	double hysteresis = 3;      // Hysteresis, C
	bool drain_on_critical = false;                            // DrainOnCritical
	int drain_grace = 30;    // DrainGrace, seconds
	int resume_after = 300;  // ResumeAfter, seconds
	ThermalPolicy default_thermal_policy = ThermalPolicy::balanced; // DefaultThermalPolicy
	int warm_penalty = 2; // WarmPenalty
	int hot_penalty = 8;  // HotPenalty
	int memory_reserve_mb = 256; // MemoryReserveMB
	// GPIO (off unless LedLine or FanLine is set). Line values are checked
	// by parse_gpio_line() when parsed; "" = no such line.
	std::string gpio_chip;     // GpioChip, "" = try the Pi chip labels
	std::string led_line;      // LedLine
	std::string fan_line;      // FanLine
	double fan_on_temp = 65;   // FanOnTemp, C
	double fan_off_temp = 55;  // FanOffTemp, C
	int led_blink_ms = 500;    // LedBlinkMs

	ThermalLimits thermal_limits() const;
	DrainRules drain_rules() const;
	PlacementPenalties placement_penalties() const;
	GpioSettings gpio_settings() const;
	// Whether any GPIO line is configured.
	bool gpio_enabled() const { return !led_line.empty() || !fan_line.empty(); }
	bool operator==(const Config &) const = default;
};

struct ConfigResult {
	// With errors, keys that were fine hold their values and the others
	// their defaults; callers report the errors and do not run on it.
	Config config;
	// Each names the file, the line where there is one, and the key, e.g.
	// `slurm-pi.conf:7: WarmTemp: 'hot' is not a number`.
	std::vector<std::string> errors;
	// load_config() found no file (not an error: all defaults).
	bool file_missing = false;

	bool ok() const { return errors.empty(); }
};

// Parse the text of a config file; `name_for_messages` starts every error.
ConfigResult parse_config(std::string_view text,
			  std::string_view name_for_messages);

// Read and parse a file. A file that does not exist gives the defaults;
// one that cannot be read (permissions, a directory, too large) is an error.
ConfigResult load_config(const std::string &path);

// A complete config file: every key with its documentation and its default
// value. etc/slurm-pi.conf is exactly this text.
std::string default_config_text();

} // namespace slurmpi
