#include "common/sensors.hpp"

#include <cerrno>
#include <charconv>

#include "common/fs.hpp"
#include "common/text.hpp"
#include "common/throttle.hpp"

namespace slurmpi {

namespace {

const char kThermalDir[] = "/sys/class/thermal";
const char kHwmonDir[] = "/sys/class/hwmon";
const char kPolicyDir[] = "/sys/devices/system/cpu/cpufreq/policy0";
// Deprecated since 4.19, removed from current kernels: a fallback only.
const char kLegacyThrottled[] =
	"/sys/devices/platform/soc/soc:firmware/get_throttled";

// The device behind a cached path went away or was renumbered.
bool vanished(int err)
{
	return err == ENOENT || err == ENODEV || err == ENXIO;
}

void problem(Reading &r, const std::string &path, std::string_view what)
{
	std::string line = path;
	line += ": ";
	line += what;
	r.problems.push_back(std::move(line));
}

// A whole decimal integer with an optional '-'.
std::optional<long long> parse_int(const std::string &path,
				   std::string_view text, Reading &r)
{
	long long v = 0;
	const char *end = text.data() + text.size();
	auto res = std::from_chars(text.data(), end, v);
	if (res.ec == std::errc::result_out_of_range) {
		problem(r, path, "number too large: " + quoted(text));
		return std::nullopt;
	}
	if (res.ec != std::errc() || res.ptr != end) {
		problem(r, path, "not a number: " + quoted(text));
		return std::nullopt;
	}
	return v;
}

std::optional<long long> parse_in_range(const std::string &path,
					std::string_view text, long long lo,
					long long hi, std::string_view unit,
					Reading &r)
{
	auto v = parse_int(path, text, r);
	if (!v)
		return std::nullopt;
	if (*v < lo || *v > hi) {
		std::string why = "out of range: ";
		why += text;
		why += " (expected ";
		why += std::to_string(lo);
		why += "..";
		why += std::to_string(hi);
		if (!unit.empty()) {
			why += ' ';
			why += unit;
		}
		why += ')';
		problem(r, path, why);
		return std::nullopt;
	}
	return v;
}

// cpufreq speaks kHz; the plausible range is 1..10000 MHz.
std::optional<int> khz_to_mhz(const std::string &path, std::string_view text,
			      Reading &r)
{
	auto v = parse_in_range(path, text, 1000LL * kMhzMin,
				1000LL * kMhzMax, "kHz", r);
	if (!v)
		return std::nullopt;
	return static_cast<int>((*v + 500) / 1000);
}

} // namespace

const char *throttle_source_name(ThrottleSource s)
{
	switch (s) {
	case ThrottleSource::mailbox: return "mailbox";
	case ThrottleSource::hwmon_rpi_volt: return "hwmon";
	case ThrottleSource::legacy_sysfs: return "legacy";
	case ThrottleSource::none: break;
	}
	return "none";
}

Sampler::Sampler(std::string_view root, Mailbox *mailbox)
	: root_(root), mailbox_(mailbox)
{
}

void Sampler::rediscover()
{
	discovered_ = false;
	found_ = Found{};
}

void Sampler::discover()
{
	found_ = Found{};
	discovered_ = true;
	samples_since_discovery_ = 0;

	// Zone 0 is not always the CPU: other drivers may register first.
	if (auto zones = list_dir(join_root(root_, kThermalDir))) {
		for (const std::string &name : *zones) {
			if (!name.starts_with("thermal_zone"))
				continue;
			std::string dir = std::string(kThermalDir) + "/" + name;
			FileRead t = read_under(root_, dir + "/type");
			if (t.ok && trim_value(t.data) == "cpu-thermal") {
				found_.zone.path = std::move(dir);
				break;
			}
		}
		if (found_.zone.path.empty())
			found_.zone.why = std::string(kThermalDir) +
				": no thermal zone of type cpu-thermal";
	} else {
		found_.zone.why = std::string(kThermalDir) +
			": cannot list: " + errno_string(errno);
	}

	if (auto mons = list_dir(join_root(root_, kHwmonDir))) {
		for (const std::string &name : *mons) {
			if (!name.starts_with("hwmon"))
				continue;
			std::string dir = std::string(kHwmonDir) + "/" + name;
			FileRead n = read_under(root_, dir + "/name");
			if (!n.ok)
				continue;
			std::string_view chip = trim_value(n.data);
			if (chip == "rpi_volt" && found_.rpi_volt.path.empty())
				found_.rpi_volt.path = dir;
			else if (chip == "pwmfan" && found_.pwmfan.path.empty())
				found_.pwmfan.path = dir;
		}
		if (found_.rpi_volt.path.empty())
			found_.rpi_volt.why = std::string(kHwmonDir) +
				": no hwmon named rpi_volt";
		if (found_.pwmfan.path.empty())
			found_.pwmfan.why = std::string(kHwmonDir) +
				": no hwmon named pwmfan";
	} else {
		std::string why = std::string(kHwmonDir) + ": cannot list: " +
			errno_string(errno);
		found_.rpi_volt.why = why;
		found_.pwmfan.why = why;
	}
}

// The trimmed value of a read, or a problem naming the file.
std::optional<Sampler::Text> Sampler::text_of(std::string path,
					      const FileRead &f, Reading &r)
{
	if (!f.ok) {
		problem(r, path, f.error);
		return std::nullopt;
	}
	std::string_view v = trim_value(f.data);
	if (v.empty()) {
		problem(r, path, "empty");
		return std::nullopt;
	}
	return Text{std::move(path), std::string(v)};
}

std::optional<Sampler::Text> Sampler::read_plain(std::string path,
						 Reading &r)
{
	FileRead f = read_under(root_, path);
	return text_of(std::move(path), f, r);
}

std::optional<Sampler::Text> Sampler::read_found(Dir Found::*dir,
						 std::string_view leaf,
						 Reading &r, bool report_missing)
{
	if ((found_.*dir).path.empty()) {
		if (report_missing)
			r.problems.push_back((found_.*dir).why);
		return std::nullopt;
	}
	std::string path = (found_.*dir).path + "/";
	path += leaf;
	FileRead f = read_under(root_, path);
	if (!f.ok && vanished(f.err) && !rediscovered_this_pass_) {
		rediscovered_this_pass_ = true;
		discover();
		if (!(found_.*dir).path.empty()) {
			path = (found_.*dir).path + "/";
			path += leaf;
			f = read_under(root_, path);
		}
	}
	return text_of(std::move(path), f, r);
}

Reading Sampler::sample()
{
	rediscovered_this_pass_ = false;
	if (!discovered_) {
		discover();
	} else if (found_.zone.path.empty() || found_.rpi_volt.path.empty() ||
		   found_.pwmfan.path.empty()) {
		if (++samples_since_discovery_ >= kRediscoverEvery)
			discover();
	}
	Reading r;
	sample_temp(r);
	sample_throttle(r);
	sample_cpufreq(r);
	sample_fan(r);
	return r;
}

void Sampler::sample_temp(Reading &r)
{
	auto t = read_found(&Found::zone, "temp", r, true);
	if (!t)
		return;
	auto v = parse_in_range(t->path, t->value, kTempMinMilliC,
				kTempMaxMilliC, "millidegrees C", r);
	if (!v)
		return;
	r.temp_c = static_cast<double>(*v) / 1000.0;
	r.sources.push_back(std::move(t->path));
}

void Sampler::sample_throttle(Reading &r)
{
	if (mailbox_) {
		std::string why;
		if (auto v = mailbox_->get_throttled(&why)) {
			r.throttled = *v;
			r.throttle_source = ThrottleSource::mailbox;
			r.throttled_known = 0xffffffffu;
			r.sources.push_back("mailbox");
			return;
		}
		r.problems.push_back(why.empty() ? "mailbox: failed" : why);
	}

	// The legacy file holds the whole word, and it is as fresh as rpi_volt:
	// the firmware driver caches the GET_THROTTLED answer of rpi_volt's own
	// ~2 s poll. So where the kernel still has it, it beats rpi_volt's one
	// bit. Current kernels removed it: its absence is only worth a problem
	// when nothing else answers either.
	FileRead legacy = read_under(root_, kLegacyThrottled);
	bool legacy_missing = !legacy.ok && legacy.err == ENOENT;
	if (!legacy_missing) {
		if (auto t = text_of(kLegacyThrottled, legacy, r)) {
			std::string why;
			if (auto word = parse_throttled_hex(t->value, &why)) {
				r.throttled = *word;
				r.throttle_source = ThrottleSource::legacy_sysfs;
				r.throttled_known = 0xffffffffu;
				r.sources.push_back(std::move(t->path));
				return;
			}
			problem(r, t->path, why);
		}
	}

	// The driver reports the sticky under-voltage bit it saw on its last
	// ~2 s poll (and clears it), i.e. "under-voltage lately": the closest
	// thing to bit 0 it can tell.
	if (auto t = read_found(&Found::rpi_volt, "in0_lcrit_alarm", r, true)) {
		if (auto v = parse_in_range(t->path, t->value, 0, 1, "",
					    r)) {
			r.throttled = *v ? kThrUnderVoltageNow : 0u;
			r.throttle_source = ThrottleSource::hwmon_rpi_volt;
			r.throttled_known = kThrUnderVoltageNow;
			r.sources.push_back(std::move(t->path));
			return;
		}
	}
	if (legacy_missing)
		problem(r, kLegacyThrottled, legacy.error);
}

void Sampler::sample_cpufreq(Reading &r)
{
	struct Item {
		const char *leaf;
		std::optional<int> Reading::*field;
	};
	static const Item items[] = {
		{"scaling_cur_freq", &Reading::cur_mhz},
		{"cpuinfo_max_freq", &Reading::max_mhz},
		{"scaling_max_freq", &Reading::policy_max_mhz},
	};
	for (const Item &it : items) {
		std::string path = std::string(kPolicyDir) + "/" + it.leaf;
		auto t = read_plain(std::move(path), r);
		if (!t)
			continue;
		if (auto mhz = khz_to_mhz(t->path, t->value, r)) {
			r.*it.field = *mhz;
			r.sources.push_back(std::move(t->path));
		}
	}
}

void Sampler::sample_fan(Reading &r)
{
	// No pwmfan is normal (only a Pi 5 with a fan has one): not a problem.
	if (found_.pwmfan.path.empty())
		return;
	if (auto t = read_found(&Found::pwmfan, "fan1_input", r, false)) {
		if (auto v = parse_in_range(t->path, t->value, 0, kFanRpmMax,
					    "rpm", r)) {
			r.fan_rpm = static_cast<int>(*v);
			r.sources.push_back(std::move(t->path));
		}
	}
	if (auto t = read_found(&Found::pwmfan, "pwm1", r, false)) {
		if (auto v = parse_in_range(t->path, t->value, 0, kFanPwmMax,
					    "", r)) {
			r.fan_pwm = static_cast<int>(*v);
			r.sources.push_back(std::move(t->path));
		}
	}
}

} // namespace slurmpi
