// Text and JSON forms of a StatusReport.
#include "tools/status.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/text.hpp"
#include "common/throttle.hpp"

namespace slurmpi::tool {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::uint32_t kAllBits = 0xffffffffu;

// Thresholds as written in slurm-pi.conf: 60, 72.5.
std::string short_number(double v)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%g", v);
	return buf;
}

std::string number(double v, int decimals)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return buf;
}

std::string source_words(ThrottleSource s)
{
	switch (s) {
	case ThrottleSource::mailbox:
		return "firmware mailbox";
	case ThrottleSource::hwmon_rpi_volt:
		return "hwmon rpi_volt";
	case ThrottleSource::legacy_sysfs:
		return "legacy sysfs get_throttled";
	case ThrottleSource::none:
		break;
	}
	return "none";
}

// Words for the bits the source can tell.
std::vector<std::string> known_words(const Reading &x)
{
	if (!x.throttled)
		return {};
	return throttle_words(*x.throttled & x.throttled_known);
}

std::string band_line(const StatusReport &r)
{
	const ThermalLimits &l = r.limits;
	std::string s(band_name(r.band));
	s += " (" + std::string(band_cause_name(r.cause)) + "; warm at " +
	     short_number(l.warm) + " C, hot at " + short_number(l.hot) +
	     " C, critical at " + short_number(l.critical) + " C, hysteresis " +
	     short_number(l.hysteresis) + " C)";
	return s;
}

std::string throttle_line(const Reading &x)
{
	if (!x.throttled)
		return "unknown";
	std::string src = " (" + source_words(x.throttle_source) + ")";
	if (x.throttled_known == kAllBits)
		return format_throttled(*x.throttled) + ": " +
		       describe_throttled(*x.throttled) + src;
	std::vector<std::string> words = known_words(x);
	std::string s;
	for (const std::string &w : words)
		s += (s.empty() ? "" : ", ") + w;
	if (s.empty())
		s = "no under-voltage";
	return s + src + "; the other flags are unknown";
}

std::string clock_line(const StatusReport &r)
{
	const Reading &x = r.reading;
	std::string s = x.cur_mhz ? std::to_string(*x.cur_mhz) + " MHz" : "unknown";
	if (x.max_mhz)
		s += ", max " + std::to_string(*x.max_mhz) + " MHz";
	if (x.policy_max_mhz && x.max_mhz && *x.policy_max_mhz < *x.max_mhz)
		s += ", capped at " + std::to_string(*x.policy_max_mhz) +
		     " MHz by the cpufreq policy";
	if (r.identity.max_mhz && x.max_mhz &&
	    static_cast<unsigned>(*x.max_mhz) != r.identity.max_mhz)
		s += " (stock maximum of this board: " +
		     std::to_string(r.identity.max_mhz) + " MHz)";
	return s;
}

std::string fan_line(const StatusReport &r)
{
	const Reading &x = r.reading;
	if (!x.fan_rpm && !x.fan_pwm) {
		if (r.identity.model && r.identity.model->key == "5")
			return "none found (no hwmon named pwmfan)";
		return "none";
	}
	std::string s = x.fan_rpm ? std::to_string(*x.fan_rpm) + " rpm" : "speed unknown";
	if (x.fan_pwm)
		s += ", PWM " + std::to_string(*x.fan_pwm) + "/255 (" +
		     std::to_string((*x.fan_pwm * 100 + 127) / 255) + "%)";
	return s;
}

std::string input_words(const SensorInput &in)
{
	std::string s = in.label;
	if (in.input) {
		if (in.kind == "temp")
			s += " " + number(*in.input, 1) + " C";
		else if (in.kind == "fan")
			s += " " + number(*in.input, 0) + " rpm";
		else
			s += " " + number(*in.input, 2) + " V";
	}
	if (in.lcrit_alarm)
		s += std::string(" alarm ") + (*in.lcrit_alarm ? "ON" : "off");
	return s;
}

// "label: value" lines; continuation lines of a list line up under the
// first value.
void field(std::string &out, std::string_view label, const std::string &value)
{
	std::string l(label);
	l += ":";
	l.resize(14, ' ');
	out += l + value + "\n";
}

void list_field(std::string &out, std::string_view label,
		const std::vector<std::string> &values, std::string_view none)
{
	if (values.empty()) {
		field(out, label, std::string(none));
		return;
	}
	field(out, label, values[0]);
	for (std::size_t i = 1; i < values.size(); i++)
		out += std::string(14, ' ') + values[i] + "\n";
}

template <class T> Json opt(const std::optional<T> &v)
{
	return v ? Json(*v) : Json(nullptr);
}

Json model_json(const PiIdentity &id)
{
	Json m;
	m["is_pi"] = id.is_pi;
	m["reason"] = id.reason;
	m["name"] = id.dt_model.empty() ? Json(nullptr) : Json(id.dt_model);
	m["key"] = id.model ? Json(std::string(id.model->key)) : Json(nullptr);
	m["feature"] = id.model ? Json(std::string(id.model->feature)) : Json(nullptr);
	m["revision"] = id.revision.valid ? Json(hex(id.revision.code, 4)) : Json(nullptr);
	m["mem_mb"] = id.revision.valid && id.revision.mem_mb
			      ? Json(id.revision.mem_mb) : Json(nullptr);
	m["serial"] = id.serial.empty() ? Json(nullptr) : Json(id.serial);
	m["arch"] = id.arch.empty() ? Json(nullptr) : Json(id.arch);
	return m;
}

Json chips_json(const std::optional<std::vector<SensorChip>> &chips)
{
	if (!chips)
		return nullptr;
	Json list = Json::array();
	for (const SensorChip &c : *chips) {
		Json inputs = Json::array();
		for (const SensorInput &in : c.inputs)
			inputs.push_back({{"kind", in.kind},
					  {"name", in.name},
					  {"label", in.label},
					  {"input", opt(in.input)},
					  {"lcrit_alarm", opt(in.lcrit_alarm)}});
		list.push_back({{"name", c.name}, {"inputs", std::move(inputs)}});
	}
	return list;
}

} // namespace

std::string format_status_text(const StatusReport &r)
{
	const Reading &x = r.reading;
	std::string out;
	field(out, "node", r.node.empty() ? "unknown" : r.node);
	field(out, "model", describe_board(r.identity));
	field(out, "temperature", x.temp_c ? number(*x.temp_c, 1) + " C" : "unknown");
	field(out, "band", band_line(r));
	field(out, "throttled", throttle_line(x));
	field(out, "clock", clock_line(r));
	field(out, "fan", fan_line(r));
	if (r.chips) {
		std::vector<std::string> chips;
		for (const SensorChip &c : *r.chips) {
			std::string s = c.name + ":";
			for (std::size_t i = 0; i < c.inputs.size(); i++)
				s += (i ? ", " : " ") + input_words(c.inputs[i]);
			chips.push_back(std::move(s));
		}
		list_field(out, "chips", chips, "none");
	} else {
		field(out, "chips", r.chips_note);
	}
	list_field(out, "sources", x.sources, "none");
	list_field(out, "problems", all_problems(r), "none");
	return out;
}

std::string format_status_json(const StatusReport &r)
{
	const Reading &x = r.reading;
	const ThermalLimits &l = r.limits;
	Json j;
	j["node"] = r.node.empty() ? Json(nullptr) : Json(r.node);
	j["model"] = model_json(r.identity);
	j["temp_c"] = opt(x.temp_c);
	j["band"] = std::string(band_name(r.band));
	j["band_cause"] = std::string(band_cause_name(r.cause));
	j["limits"] = {{"warm", l.warm},
		       {"hot", l.hot},
		       {"critical", l.critical},
		       {"hysteresis", l.hysteresis}};
	j["throttled"] = x.throttled ? Json(format_throttled(*x.throttled)) : Json(nullptr);
	j["throttle_source"] = x.throttled
		? Json(throttle_source_name(x.throttle_source)) : Json(nullptr);
	j["throttle_known"] = x.throttled
		? Json(format_throttled(x.throttled_known)) : Json(nullptr);
	j["throttle_flags"] = x.throttled ? Json(known_words(x)) : Json(nullptr);
	j["mhz"] = opt(x.cur_mhz);
	j["max_mhz"] = opt(x.max_mhz);
	j["policy_max_mhz"] = opt(x.policy_max_mhz);
	j["board_max_mhz"] = r.identity.max_mhz ? Json(r.identity.max_mhz) : Json(nullptr);
	j["fan_rpm"] = opt(x.fan_rpm);
	j["fan_pwm"] = opt(x.fan_pwm);
	j["chips"] = chips_json(r.chips);
	j["sources"] = x.sources;
	j["problems"] = all_problems(r);
	// Values come from files and may hold any bytes: replace invalid
	// UTF-8 instead of throwing.
	return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} // namespace slurmpi::tool
