#include "common/libsensors_chips.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <sensors/error.h>
#include <sensors/sensors.h>

#include "common/fs.hpp"

namespace slurmpi {

namespace {

std::atomic<bool> g_live{false};

// Parse errors arrive through a global callback; the default prints to
// stderr, where a daemon's message would lose its context.
std::vector<std::string> *g_parse_errors = nullptr;
const char *g_config_name = nullptr;

void capture_parse_error(const char *err, const char *file, int line)
{
	if (!g_parse_errors)
		return;
	std::string msg = "libsensors: ";
	msg += file ? file : g_config_name;
	if (line > 0)
		msg += ":" + std::to_string(line);
	msg += ": ";
	msg += err ? err : "parse error";
	g_parse_errors->push_back(std::move(msg));
}

const char *kind_of(sensors_feature_type t)
{
	switch (t) {
	case SENSORS_FEATURE_TEMP: return "temp";
	case SENSORS_FEATURE_IN: return "in";
	case SENSORS_FEATURE_FAN: return "fan";
	default: return nullptr;
	}
}

sensors_subfeature_type input_of(sensors_feature_type t)
{
	switch (t) {
	case SENSORS_FEATURE_TEMP: return SENSORS_SUBFEATURE_TEMP_INPUT;
	case SENSORS_FEATURE_FAN: return SENSORS_SUBFEATURE_FAN_INPUT;
	default: return SENSORS_SUBFEATURE_IN_INPUT;
	}
}

std::optional<double> read_sub(const sensors_chip_name *chip,
			       const sensors_feature *f,
			       sensors_subfeature_type type,
			       const std::string &where,
			       std::vector<std::string> *problems)
{
	const sensors_subfeature *sub = sensors_get_subfeature(chip, f, type);
	if (!sub || !(sub->flags & SENSORS_MODE_R))
		return std::nullopt;
	double v = 0;
	int rc = sensors_get_value(chip, sub->number, &v);
	if (rc < 0) {
		if (problems)
			problems->push_back("libsensors: " + where + " " +
					    sub->name + ": " +
					    sensors_strerror(rc));
		return std::nullopt;
	}
	return v;
}

} // namespace

LibsensorsChips::LibsensorsChips()
{
	init(nullptr);
}

LibsensorsChips::LibsensorsChips(const std::string &config_path)
{
	init(&config_path);
}

void LibsensorsChips::init(const std::string *config_path)
{
	bool expected = false;
	if (!g_live.compare_exchange_strong(expected, true)) {
		error_ = "libsensors: already initialised by another "
			 "LibsensorsChips (it has one global state)";
		return;
	}
	owns_ = true;

	FILE *config = nullptr;
	if (config_path) {
		config = std::fopen(config_path->c_str(), "re");
		if (!config) {
			error_ = "libsensors: " + *config_path + ": " +
				 errno_string(errno);
			return;
		}
	}

	g_parse_errors = &config_problems_;
	g_config_name = config_path ? config_path->c_str() : "configuration";
	auto old_handler = sensors_parse_error_wfn;
	sensors_parse_error_wfn = capture_parse_error;
	int rc = sensors_init(config);
	sensors_parse_error_wfn = old_handler;
	g_parse_errors = nullptr;
	g_config_name = nullptr;
	if (config)
		std::fclose(config);

	if (rc != 0) {
		error_ = "libsensors: sensors_init failed: ";
		error_ += sensors_strerror(rc);
		return;
	}
	ok_ = true;
}

LibsensorsChips::~LibsensorsChips()
{
	if (ok_)
		sensors_cleanup();
	if (owns_)
		g_live.store(false);
}

std::vector<SensorChip>
LibsensorsChips::chips(std::vector<std::string> *problems) const
{
	std::vector<SensorChip> out;
	if (!ok_)
		return out;
	int nr = 0;
	while (const sensors_chip_name *cn =
		       sensors_get_detected_chips(nullptr, &nr)) {
		char name[256];
		if (sensors_snprintf_chip_name(name, sizeof(name), cn) < 0) {
			if (problems)
				problems->push_back("libsensors: a chip's name "
						    "cannot be printed");
			continue;
		}
		SensorChip chip;
		chip.name = name;
		int fnr = 0;
		while (const sensors_feature *f = sensors_get_features(cn, &fnr)) {
			const char *kind = kind_of(f->type);
			if (!kind)
				continue;
			SensorInput in;
			in.kind = kind;
			in.name = f->name;
			if (char *label = sensors_get_label(cn, f)) {
				in.label = label;
				std::free(label);
			} else {
				in.label = in.name;
			}
			in.input = read_sub(cn, f, input_of(f->type),
					    chip.name, problems);
			if (f->type == SENSORS_FEATURE_IN) {
				if (auto a = read_sub(cn, f,
						      SENSORS_SUBFEATURE_IN_LCRIT_ALARM,
						      chip.name, problems))
					in.lcrit_alarm = *a != 0.0;
			}
			chip.inputs.push_back(std::move(in));
		}
		out.push_back(std::move(chip));
	}
	return out;
}

} // namespace slurmpi
