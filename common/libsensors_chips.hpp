// Sensor chips as libsensors sees them: the names `sensors` prints, such as
// cpu_thermal-virtual-0, rpi_volt-isa-0000 and, on a Pi 5,
// rp1_adc-isa-0000 and pwmfan-isa-0000.
//
// libsensors always reads the real /sys/class/hwmon: it has no root
// parameter, so unlike every other reader in common/ it cannot be pointed
// at a fixture tree. It also reads values through stdio. That keeps it off
// the sampling path (Sampler reads the same files itself); this is for
// listing everything a node has, e.g. in `slurm-pi status`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace slurmpi {

struct SensorInput {
	std::string kind;  // "temp", "in" or "fan"
	std::string name;  // feature name, e.g. "temp1", "in0"
	std::string label; // from sensors.conf, else the name
	// libsensors units: degrees C, volts, RPM. Empty if the chip has no
	// *_input for it (rpi_volt's in0 has only an alarm) or it failed.
	std::optional<double> input;
	// "in" features only: inN_lcrit_alarm, rpi_volt's one attribute.
	std::optional<bool> lcrit_alarm;
};

struct SensorChip {
	std::string name;
	std::vector<SensorInput> inputs;
};

// libsensors keeps one global state, so at most one LibsensorsChips may be
// alive at a time; a second one reports that as its error.
class LibsensorsChips {
public:
	// sensors_init(NULL): /etc/sensors3.conf and /etc/sensors.d.
	LibsensorsChips();
	// The given configuration file instead (tests use a broken one).
	explicit LibsensorsChips(const std::string &config_path);
	~LibsensorsChips();
	LibsensorsChips(const LibsensorsChips &) = delete;
	LibsensorsChips &operator=(const LibsensorsChips &) = delete;

	bool ok() const { return ok_; }
	// Why initialisation failed, starting with "libsensors: ".
	const std::string &error() const { return error_; }
	// Configuration lines libsensors could not parse. It skips them and
	// initialises anyway, so these do not make ok() false.
	const std::vector<std::string> &config_problems() const
	{
		return config_problems_;
	}

	// Every detected chip with its temp/in/fan features. Values that cannot
	// be read are left empty and described in *problems (may be null).
	// Empty when !ok().
	std::vector<SensorChip> chips(std::vector<std::string> *problems) const;

private:
	void init(const std::string *config_path);

	bool ok_ = false;
	bool owns_ = false;
	std::string error_;
	std::vector<std::string> config_problems_;
};

} // namespace slurmpi
