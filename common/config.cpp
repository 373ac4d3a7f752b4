#include "common/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <variant>

#include "common/fs.hpp"
#include "common/gpio.hpp"
#include "common/text.hpp"

namespace slurmpi {

namespace {

// ---- The key table: the one place a new key is added (plus its Config
// member). Order here is the order of the shipped example.

struct IntKey {
	int Config::*field;
	int min, max;
	std::string_view unit;
};
struct NumKey {
	double Config::*field;
	double min, max;
	std::string_view unit;
};
struct BoolKey {
	bool Config::*field;
};
struct PolicyKey {
	ThermalPolicy Config::*field;
};
// Free text checked by `check` ("" if fine, else why not); an empty value
// is allowed and means "none".
struct StringKey {
	std::string Config::*field;
	std::string (*check)(std::string_view);
	std::string_view allowed; // for the example's comments
};
using Target = std::variant<IntKey, NumKey, BoolKey, PolicyKey, StringKey>;

std::string check_line(std::string_view v)
{
	std::string why;
	return parse_gpio_line(v, &why) ? std::string() : why;
}

struct KeySpec {
	std::string_view name;
	Target target;
	std::string_view doc; // comment lines for the example, '\n'-separated
};

const KeySpec kKeys[] = {
	{"PollInterval", IntKey{&Config::poll_interval, 1, 3600, "seconds"},
	 "Seconds between two sensor samples taken by task/pi's sampler thread\n"
	 "in slurmd."},
	{"PublishInterval",
	 IntKey{&Config::publish_interval, 1, 86400, "seconds"},
	 "Seconds between telemetry updates of the node's Extra field while\n"
	 "nothing changes. task/pi publishes at once when the band changes or a\n"
	 "throttle flag that is \"now\" changes, and when slurmd starts; when\n"
	 "the temperature moves by 2 C or more into another 10 C step (below\n"
	 "40, 40s, 50s, 60 and up: the order within a band) once a quarter of\n"
	 "PublishInterval has passed since the last update. This heartbeat lets\n"
	 "the controller tell a quiet node from a dead one. At least\n"
	 "PollInterval."},
	{"StaleAfter", IntKey{&Config::stale_after, 1, 86400, "seconds"},
	 "Seconds after which a node's telemetry is stale: its band is then\n"
	 "\"unknown\" and it is scheduled as if slurm-pi were not there (fail\n"
	 "open). Must exceed PublishInterval, or healthy nodes would go stale\n"
	 "between heartbeats. Read by select/pi_cons_tres (slurmctld) and\n"
	 "`slurm-pi nodes`."},
	{"RingHours", IntKey{&Config::ring_hours, 1, 48, "hours"},
	 "Hours of samples task/pi keeps on each node in a small memory-mapped\n"
	 "ring, <SlurmdSpoolDir>/slurm-pi.ring, from which slurmstepd computes\n"
	 "each step's thermal accounting (max/mean temperature, time throttled,\n"
	 "under-voltage, minimum clock). One 40-byte slot per PollInterval,\n"
	 "at most 17280 slots: 4 h at 10 s is 1440 slots, 57664 bytes. A step\n"
	 "that runs longer is accounted for its last RingHours."},
	{"JobRecordDays", IntKey{&Config::job_record_days, 1, 3650, "days"},
	 "Days task/pi keeps each job's thermal record on a node,\n"
	 "<SlurmdSpoolDir>/slurm-pi/job_<jobid>.json (one line per step: what\n"
	 "--thermal-report prints). A record goes once this long has passed\n"
	 "since its last step ended; slurmd checks at start and once an hour."},
	{"WarmTemp", NumKey{&Config::warm_temp, 0, 100, "C"},
	 "Degrees C from which a node is \"warm\": busy, still at full speed on\n"
	 "most models (60 C is the default soft limit of a Pi 3B+/3A+, where its\n"
	 "clock drops a little).\n"
	 "Bands must rise: WarmTemp < HotTemp < CriticalTemp."},
	{"HotTemp", NumKey{&Config::hot_temp, 0, 100, "C"},
	 "Degrees C from which a node is \"hot\": 10 C before the firmware starts\n"
	 "throttling, so strict jobs avoid it and balanced jobs put it behind\n"
	 "cooler nodes while there is still headroom."},
	{"CriticalTemp", NumKey{&Config::critical_temp, 0, 100, "C"},
	 "Degrees C from which a node is \"critical\". The firmware throttles the\n"
	 "ARM cores progressively from 80 C and caps every model at 85 C, so a\n"
	 "node at 80 C is already slowed down. A node is also critical whenever\n"
	 "the firmware reports throttling or under-voltage now."},
	{"Hysteresis", NumKey{&Config::hysteresis, 0, 20, "C"},
	 "Degrees C a node must fall below a band's threshold before it leaves\n"
	 "the band, so a node hovering at a threshold does not flap. Must be\n"
	 "smaller than the gaps between WarmTemp, HotTemp and CriticalTemp."},
	{"DrainOnCritical", BoolKey{&Config::drain_on_critical},
	 "Drain a node once it has been critical for DrainGrace seconds (task/pi\n"
	 "in slurmd). slurm-pi resumes only the nodes it drained itself (reason\n"
	 "starting \"slurm-pi:\", after ResumeAfter), never an admin's drain, nor\n"
	 "a node whose reason an admin changed. An admin who resumes a node that\n"
	 "is still critical is not overruled until its next critical spell."},
	{"DrainGrace", IntKey{&Config::drain_grace, 0, 3600, "seconds"},
	 "Seconds a node must stay critical before DrainOnCritical drains it,\n"
	 "so a brief spike does not take a node out. The drain reason says\n"
	 "why: \"slurm-pi: under-voltage\", \"slurm-pi: throttled at 84.2C\" or\n"
	 "\"slurm-pi: 81.5C, CriticalTemp is 80.0C\"."},
	{"ResumeAfter", IntKey{&Config::resume_after, 1, 86400, "seconds"},
	 "Seconds a node drained by slurm-pi must stay known and not critical\n"
	 "before slurm-pi resumes it. A node whose reason an admin changed (a\n"
	 "drain of their own) is left alone."},
	{"DefaultThermalPolicy",
	 PolicyKey{&Config::default_thermal_policy},
	 "Thermal policy of jobs that do not choose one with --thermal:\n"
	 "strict (never on hot or critical nodes), balanced (prefer cooler\n"
	 "nodes), any (ignore telemetry).\n"
	 "Read by select/pi_cons_tres in slurmctld (restart or reconfigure\n"
	 "slurmctld after a change). strict leaves out hot and critical nodes,\n"
	 "balanced critical ones (and puts warm and hot nodes behind cooler\n"
	 "ones), any leaves out none (faster models first, the band only breaks\n"
	 "ties). A node the job names (--nodelist) is never left out; stale or\n"
	 "missing telemetry never leaves a node out. Admin Weight stays first."},
	{"WarmPenalty", IntKey{&Config::warm_penalty, 0, 30, "steps"},
	 "How far behind cool nodes of the same Weight select/pi_cons_tres puts\n"
	 "a warm node (strict and balanced jobs). 0 = no preference; 1 step\n"
	 "outweighs any difference in model speed."},
	{"HotPenalty", IntKey{&Config::hot_penalty, 0, 30, "steps"},
	 "The same for a hot node (balanced jobs; strict jobs leave hot nodes\n"
	 "out). Should exceed WarmPenalty."},
	{"MemoryReserveMB",
	 IntKey{&Config::memory_reserve_mb, 0, 65536, "MB"},
	 "Megabytes of memory `slurm-pi nodeconf` keeps back for the OS when it\n"
	 "proposes a node's RealMemory."},
	{"GpioChip",
	 StringKey{&Config::gpio_chip, check_gpio_chip_label,
		   "A chip label as `gpiodetect` shows it in [brackets], or empty"},
	 "GPIO is off unless LedLine or FanLine is set; then task/pi in slurmd\n"
	 "drives those lines through libgpiod (consumer \"slurm-pi\") once per\n"
	 "PollInterval. GpioChip is the label of the chip that has them:\n"
	 "pinctrl-rp1 on a Pi 5, pinctrl-bcm2711 on a Pi 4/400/CM4. Empty tries\n"
	 "pinctrl-rp1, pinctrl-bcm2711, then pinctrl-bcm2835 (Pi 3, Zero 2 W)\n"
	 "and takes the first that exists. If the chip or a line cannot be\n"
	 "opened, slurmd logs one error naming it and runs without GPIO."},
	{"LedLine",
	 StringKey{&Config::led_line, check_line,
		   "A line name (e.g. GPIO17), an offset 0..1023, or empty"},
	 "Line of a status LED, by name as `gpioinfo` shows it (e.g. GPIO17) or\n"
	 "by offset on the chip (e.g. 17); empty means no LED. The LED blinks\n"
	 "while the node's band is hot or critical; otherwise it is on while\n"
	 "job steps run on the node (slurmstepd sockets in SlurmdSpoolDir,\n"
	 "counted once per PollInterval) and off when none do. It is off when\n"
	 "slurmd stops."},
	{"FanLine",
	 StringKey{&Config::fan_line, check_line,
		   "A line name (e.g. GPIO18), an offset 0..1023, or empty"},
	 "Line of a fan switch (high = fan on), by name or offset as LedLine;\n"
	 "empty means no fan control. Must not be the LedLine. The fan is on\n"
	 "from the start, turns off below FanOffTemp and on again at FanOnTemp,\n"
	 "checked once per PollInterval. When the temperature cannot be read\n"
	 "the fan is on, and it is left on when slurmd stops (fail safe)."},
	{"FanOnTemp", NumKey{&Config::fan_on_temp, 0, 100, "C"},
	 "Degrees C at or above which FanLine turns the fan on."},
	{"FanOffTemp", NumKey{&Config::fan_off_temp, 0, 100, "C"},
	 "Degrees C below which FanLine turns the fan off. Must be below\n"
	 "FanOnTemp; between the two the fan stays as it is."},
	{"LedBlinkMs", IntKey{&Config::led_blink_ms, 100, 10000, "ms"},
	 "Milliseconds the LED is on, then off, while it blinks. Between two\n"
	 "samples slurmd's sampler thread wakes this often to toggle it, only\n"
	 "while the LED blinks."},
};

constexpr std::size_t kKeyCount = std::size(kKeys);

template <class... F> struct overloaded : F... {
	using F::operator()...;
};
template <class... F> overloaded(F...) -> overloaded<F...>;

// ---- Values

std::string num_text(double v)
{
	char buf[32];
	auto r = std::to_chars(buf, buf + sizeof(buf), v);
	return std::string(buf, r.ptr);
}

std::string range_text(double min, double max, std::string_view unit)
{
	return num_text(min) + ".." + num_text(max) + " " + std::string(unit);
}

char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b)
{
	if (a.size() != b.size())
		return false;
	for (std::size_t i = 0; i < a.size(); ++i)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

std::optional<bool> parse_bool(std::string_view v)
{
	for (auto yes : {"yes", "true", "1"})
		if (iequals(v, yes))
			return true;
	for (auto no : {"no", "false", "0"})
		if (iequals(v, no))
			return false;
	return std::nullopt;
}

std::optional<double> parse_number(std::string_view v)
{
	double d = 0;
	auto r = std::from_chars(v.data(), v.data() + v.size(), d);
	if (r.ec != std::errc() || r.ptr != v.data() + v.size() || !std::isfinite(d))
		return std::nullopt;
	return d;
}

// Store `value` through `t`; "" on success, else why not (without the key).
std::string apply(const Target &t, std::string_view value, Config &c)
{
	return std::visit(
		overloaded{
			[&](const IntKey &k) -> std::string {
				long long n = 0;
				auto r = std::from_chars(value.data(),
							 value.data() + value.size(), n);
				bool whole = r.ptr == value.data() + value.size();
				if (r.ec == std::errc::invalid_argument || !whole)
					return quoted(value) + (parse_number(value)
						? " is not a whole number"
						: " is not a number");
				if (r.ec != std::errc() || n < k.min || n > k.max)
					return quoted(value) + " is out of range " +
					       range_text(k.min, k.max, k.unit);
				c.*k.field = static_cast<int>(n);
				return {};
			},
			[&](const NumKey &k) -> std::string {
				auto d = parse_number(value);
				if (!d)
					return quoted(value) + " is not a number";
				if (*d < k.min || *d > k.max)
					return quoted(value) + " is out of range " +
					       range_text(k.min, k.max, k.unit);
				c.*k.field = *d;
				return {};
			},
			[&](const BoolKey &k) -> std::string {
				auto b = parse_bool(value);
				if (!b)
					return quoted(value) +
					       " is not one of yes, no, true, false, 1, 0";
				c.*k.field = *b;
				return {};
			},
			[&](const PolicyKey &k) -> std::string {
				auto p = parse_thermal_policy(value);
				if (!p)
					return thermal_policy_error(value);
				c.*k.field = *p;
				return {};
			},
			[&](const StringKey &k) -> std::string {
				std::string why = value.empty() ? std::string()
								: k.check(value);
				if (why.empty())
					c.*k.field = std::string(value);
				return why;
			},
		},
		t);
}

// The value of a key in `c`, as it would be written in the file.
std::string value_text(const Target &t, const Config &c)
{
	return std::visit(
		overloaded{
			[&](const IntKey &k) { return std::to_string(c.*k.field); },
			[&](const NumKey &k) { return num_text(c.*k.field); },
			[&](const BoolKey &k) {
				return std::string(c.*k.field ? "yes" : "no");
			},
			[&](const PolicyKey &k) {
				return std::string(to_string(c.*k.field));
			},
			[&](const StringKey &k) { return c.*k.field; },
		},
		t);
}

// What a key accepts, for the example's comments.
std::string allowed_text(const Target &t)
{
	return std::visit(
		overloaded{
			[](const IntKey &k) {
				return "Range " + range_text(k.min, k.max, k.unit);
			},
			[](const NumKey &k) {
				return "Range " + range_text(k.min, k.max, k.unit);
			},
			[](const BoolKey &) {
				return std::string("Values yes, no (or true, false, 1, 0)");
			},
			[](const PolicyKey &) {
				return std::string("Values strict, balanced, any");
			},
			[](const StringKey &k) { return std::string(k.allowed); },
		},
		t);
}

std::optional<std::size_t> find_key(std::string_view name)
{
	for (std::size_t i = 0; i < kKeyCount; ++i)
		if (iequals(kKeys[i].name, name))
			return i;
	return std::nullopt;
}

std::size_t key_index(std::string_view name)
{
	return *find_key(name); // only called with names from kKeys
}

std::string_view trim(std::string_view s)
{
	auto b = s.find_first_not_of(" \t\r");
	if (b == std::string_view::npos)
		return {};
	auto e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}

// ---- Parsing

class Parser {
public:
	explicit Parser(std::string_view name) : name_(name) {}

	void line(std::string_view raw, int n);
	void cross_checks();
	ConfigResult result() { return std::move(res_); }

private:
	void error(int line, std::string_view what);
	// A key whose value was fine (or never set, so its default): the only
	// ones cross-checks may use, so one bad value gives one error.
	bool usable(std::size_t k) const { return !bad_[k]; }
	void require(bool ok, std::initializer_list<std::string_view> keys,
		     const std::string &what);
	std::string show(std::string_view key) const;

	std::string_view name_;
	ConfigResult res_;
	std::array<int, kKeyCount> set_on_{}; // line number, 0 = not set
	std::array<bool, kKeyCount> bad_{};
};

void Parser::error(int line, std::string_view what)
{
	std::string e(name_);
	if (line > 0)
		e += ":" + std::to_string(line);
	e += ": ";
	e += what;
	res_.errors.push_back(std::move(e));
}

void Parser::line(std::string_view raw, int n)
{
	std::string_view s = raw.substr(0, raw.find('#'));
	s = trim(s);
	if (s.empty())
		return;
	auto eq = s.find('=');
	if (eq == std::string_view::npos) {
		error(n, quoted(s) + " is not Key=Value");
		return;
	}
	std::string_view key = trim(s.substr(0, eq));
	std::string_view value = trim(s.substr(eq + 1));
	if (key.empty()) {
		error(n, "missing key before '='");
		return;
	}
	auto k = find_key(key);
	if (!k) {
		error(n, "unknown key " + quoted(key));
		return;
	}
	const std::string name(kKeys[*k].name);
	if (set_on_[*k]) {
		error(n, name + ": duplicate key (first set on line " +
				 std::to_string(set_on_[*k]) + ")");
		return;
	}
	set_on_[*k] = n;
	const Target &t = kKeys[*k].target;
	std::string why = value.empty() && !std::holds_alternative<StringKey>(t)
		? std::string("empty value")
		: apply(t, value, res_.config);
	if (!why.empty()) {
		bad_[*k] = true;
		error(n, name + ": " + why);
	}
}

std::string Parser::show(std::string_view key) const
{
	return std::string(key) + " (" +
	       value_text(kKeys[key_index(key)].target, res_.config) + ")";
}

void Parser::require(bool ok, std::initializer_list<std::string_view> keys,
		     const std::string &what)
{
	if (ok)
		return;
	// Point at the last line involved, where the admin most likely erred.
	int line = 0;
	for (auto k : keys)
		line = std::max(line, set_on_[key_index(k)]);
	error(line, what);
}

void Parser::cross_checks()
{
	const Config &c = res_.config;
	auto ok = [&](std::initializer_list<std::string_view> keys) {
		for (auto k : keys)
			if (!usable(key_index(k)))
				return false;
		return true;
	};

	if (ok({"PollInterval", "PublishInterval"}))
		require(c.publish_interval >= c.poll_interval,
			{"PollInterval", "PublishInterval"},
			show("PublishInterval") + " must be at least " +
				show("PollInterval"));
	if (ok({"PublishInterval", "StaleAfter"}))
		require(c.stale_after > c.publish_interval,
			{"PublishInterval", "StaleAfter"},
			show("StaleAfter") + " must be greater than " +
				show("PublishInterval"));

	bool warm_hot = ok({"WarmTemp", "HotTemp"});
	if (warm_hot) {
		warm_hot = c.warm_temp < c.hot_temp;
		require(warm_hot, {"WarmTemp", "HotTemp"},
			show("WarmTemp") + " must be below " + show("HotTemp"));
	}
	bool hot_crit = ok({"HotTemp", "CriticalTemp"});
	if (hot_crit) {
		hot_crit = c.hot_temp < c.critical_temp;
		require(hot_crit, {"HotTemp", "CriticalTemp"},
			show("HotTemp") + " must be below " + show("CriticalTemp"));
	}
	if (warm_hot && usable(key_index("Hysteresis")))
		require(c.hysteresis < c.hot_temp - c.warm_temp,
			{"WarmTemp", "HotTemp", "Hysteresis"},
			show("Hysteresis") + " must be smaller than the gap from " +
				show("WarmTemp") + " to " + show("HotTemp"));
	if (hot_crit && usable(key_index("Hysteresis")))
		require(c.hysteresis < c.critical_temp - c.hot_temp,
			{"HotTemp", "CriticalTemp", "Hysteresis"},
			show("Hysteresis") + " must be smaller than the gap from " +
				show("HotTemp") + " to " + show("CriticalTemp"));

	if (ok({"FanOnTemp", "FanOffTemp"}))
		require(c.fan_off_temp < c.fan_on_temp, {"FanOnTemp", "FanOffTemp"},
			show("FanOffTemp") + " must be below " + show("FanOnTemp"));
	if (ok({"LedLine", "FanLine"}) && !c.led_line.empty())
		require(c.led_line != c.fan_line, {"LedLine", "FanLine"},
			show("LedLine") + " and " + show("FanLine") +
				" must be different lines");
}

} // namespace

ThermalLimits Config::thermal_limits() const
{
	ThermalLimits l;
	l.warm = warm_temp;
	l.hot = hot_temp;
	l.critical = critical_temp;
	l.hysteresis = hysteresis;
	l.stale_after = stale_after;
	return l;
}

PlacementPenalties Config::placement_penalties() const
{
	return PlacementPenalties{warm_penalty, hot_penalty};
}

DrainRules Config::drain_rules() const
{
	return DrainRules{drain_on_critical, drain_grace, resume_after};
}

GpioSettings Config::gpio_settings() const
{
	return GpioSettings{fan_on_temp, fan_off_temp, led_blink_ms};
}

ConfigResult parse_config(std::string_view text,
			  std::string_view name_for_messages)
{
	Parser p(name_for_messages);
	int n = 0;
	while (!text.empty()) {
		auto nl = text.find('\n');
		p.line(text.substr(0, nl), ++n);
		text.remove_prefix(nl == std::string_view::npos ? text.size()
								 : nl + 1);
	}
	p.cross_checks();
	return p.result();
}

ConfigResult load_config(const std::string &path)
{
	// Far above any real config; a bigger file is something else.
	constexpr std::size_t max_size = 64 * 1024;
	FileRead r = read_small_file(path, max_size + 1);
	if (!r.ok && r.err == ENOENT) {
		ConfigResult res;
		res.file_missing = true;
		return res;
	}
	if (!r.ok || r.data.size() > max_size) {
		ConfigResult res;
		res.errors.push_back(path + ": " +
				     (r.ok ? std::string("larger than 64 KiB")
					   : r.error));
		return res;
	}
	return parse_config(r.data, path);
}

std::string default_config_text()
{
	std::string out =
		"# slurm-pi.conf: settings of the slurm-pi plugins and tool.\n"
		"#\n"
		"# Lives beside slurm.conf (e.g. /etc/slurm/slurm-pi.conf).\n"
		"# One Key=Value per line; keys are case-insensitive; '#' starts a\n"
		"# comment. A missing file or key means the default, and every value\n"
		"# below is the default.\n"
		"#\n"
		"# task/pi reads this file when slurmd starts: restart slurmd after a\n"
		"# change. A file with errors is not half-used: task/pi logs each\n"
		"# error and runs on the defaults (DrainOnCritical=no).\n";
	const Config defaults;
	for (const KeySpec &k : kKeys) {
		out += "\n";
		std::string_view doc = k.doc;
		while (!doc.empty()) {
			auto nl = doc.find('\n');
			out += "# ";
			out += doc.substr(0, nl);
			out += "\n";
			doc.remove_prefix(nl == std::string_view::npos ? doc.size()
									: nl + 1);
		}
		std::string value = value_text(k.target, defaults);
		out += "# Default " + (value.empty() ? "empty" : value) + ". " +
		       allowed_text(k.target) + ".\n";
		out += std::string(k.name) + "=" + value + "\n";
	}
	return out;
}

} // namespace slurmpi
