#include "common/step_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/throttle.hpp"

namespace slurmpi {

namespace {

// One decimal, as the log line shows it (and the record stores it).
double tenth(double v) { return std::round(v * 10) / 10; }

// What a record holds (step_stats.hpp, parse_step_record).
constexpr std::int64_t kMaxSamples = 1 << 30;
constexpr double kMaxAbsC = std::numeric_limits<std::int32_t>::max() / 1000.0;

} // namespace

std::optional<int> StepStats::throttled_pct() const
{
	if (throttle_known_samples <= 0)
		return std::nullopt;
	return static_cast<int>(std::lround(100.0 * throttled_samples /
					    throttle_known_samples));
}

StepStats step_stats(const std::vector<RingSample> &samples, std::int64_t start,
		     std::int64_t end)
{
	StepStats st;
	st.start = start;
	st.end = end;
	double sum = 0;
	constexpr std::uint32_t uv_bits = kThrUnderVoltageNow | kThrUnderVoltageOccurred;
	for (const RingSample &s : samples) {
		if (s.time < start || s.time > end)
			continue;
		++st.samples;
		if (s.temp_mc != kRingNoTemp) {
			double c = s.temp_mc / 1000.0;
			++st.temp_samples;
			sum += c;
			st.max_c = st.max_c ? std::max(*st.max_c, c) : c;
		}
		if (s.throttled_known & kThrThrottledNow) {
			++st.throttle_known_samples;
			if (s.throttled & kThrThrottledNow)
				++st.throttled_samples;
		}
		if (s.throttled_known & uv_bits) {
			bool seen = (s.throttled & s.throttled_known & uv_bits) != 0;
			st.undervoltage = st.undervoltage.value_or(false) || seen;
		}
		if (s.cur_mhz > 0)
			st.min_mhz = st.min_mhz ? std::min(*st.min_mhz, int{s.cur_mhz})
						: int{s.cur_mhz};
	}
	if (st.temp_samples)
		st.mean_c = sum / st.temp_samples;
	return st;
}

std::string step_stats_text(const StepStats &s)
{
	if (s.samples == 0)
		return "no samples in the ring for the step's lifetime";
	char buf[64];
	std::string out;
	if (s.max_c) {
		std::snprintf(buf, sizeof buf, "max %.1fC mean %.1fC", *s.max_c,
			      *s.mean_c);
		out = buf;
	} else {
		out = "temperature unknown";
	}
	if (auto pct = s.throttled_pct())
		std::snprintf(buf, sizeof buf, ", throttled %d%% of %d samples", *pct,
			      s.samples);
	else
		std::snprintf(buf, sizeof buf, ", throttling unknown in %d samples",
			      s.samples);
	out += buf;
	if (!s.undervoltage)
		out += ", under-voltage unknown";
	else
		out += *s.undervoltage ? ", under-voltage seen" : ", no under-voltage";
	if (s.min_mhz)
		out += ", min " + std::to_string(*s.min_mhz) + " MHz";
	else
		out += ", clock unknown";
	return out;
}

void add_step_stats_fields(nlohmann::ordered_json &j, const StepStats &s)
{
	using nlohmann::ordered_json;
	j["start"] = s.start;
	j["end"] = s.end;
	j["samples"] = s.samples;
	j["max_c"] = s.max_c ? ordered_json(tenth(*s.max_c)) : ordered_json();
	j["mean_c"] = s.mean_c ? ordered_json(tenth(*s.mean_c)) : ordered_json();
	auto pct = s.throttled_pct();
	j["throttled_pct"] = pct ? ordered_json(*pct) : ordered_json();
	j["throttled_samples"] = s.throttled_samples;
	j["throttle_known_samples"] = s.throttle_known_samples;
	j["undervoltage"] = s.undervoltage ? ordered_json(*s.undervoltage)
					   : ordered_json();
	j["min_mhz"] = s.min_mhz ? ordered_json(*s.min_mhz) : ordered_json();
}

std::string step_stats_json(const StepStats &s, std::uint32_t job_id,
			    const std::string &step, const std::string &node)
{
	using nlohmann::ordered_json;
	ordered_json j;
	j["v"] = 1;
	j["job"] = job_id;
	j["step"] = step;
	j["node"] = node;
	add_step_stats_fields(j, s);
	// Node and step names come from Slurm; replace bad UTF-8 rather than
	// throw.
	return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string step_name(std::uint32_t step_id, std::uint32_t het_comp)
{
	std::string s;
	switch (step_id) {
	case 0xfffffffbu: s = "batch"; break;
	case 0xfffffffcu: s = "extern"; break;
	case 0xfffffffau: s = "interactive"; break;
	case 0xfffffffdu: s = "pending"; break;
	default: s = std::to_string(step_id);
	}
	if (het_comp != 0xfffffffeu)
		s += "+" + std::to_string(het_comp);
	return s;
}

namespace {

// Ours to write into: owned by this user, not writable by anyone else.
std::string check_owned(int fd, bool want_dir)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return errno_string(errno);
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return want_dir ? "not a directory" : "not a regular file";
	if (st.st_uid != geteuid())
		return "owned by uid " + std::to_string(st.st_uid) + ", not " +
		       std::to_string(geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return {};
}

std::string open_error(int err)
{
	return err == ELOOP ? "is a symbolic link; not followed" : errno_string(err);
}

// <dir>/slurm-pi opened without following a symlink; -1 and *err (ELOOP
// for a symlink) when it cannot be.
int open_records_dir(const std::string &sub, int *err)
{
	int dfd = open(sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		return dfd;
	*err = errno;
	struct stat st;
	// O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR.
	if (*err == ENOTDIR && lstat(sub.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
		*err = ELOOP;
	return -1;
}

} // namespace

std::string append_job_record(const std::string &dir, std::uint32_t job_id,
			      const std::string &line)
{
	std::string sub = dir + "/slurm-pi";
	if (mkdir(sub.c_str(), 0755) != 0 && errno != EEXIST)
		return sub + ": " + errno_string(errno);
	int e = 0;
	int dfd = open_records_dir(sub, &e);
	if (dfd < 0)
		return sub + ": " + open_error(e);
	if (std::string why = check_owned(dfd, true); !why.empty()) {
		close(dfd);
		return sub + ": " + why;
	}
	std::string name = "job_" + std::to_string(job_id) + ".json";
	std::string path = sub + "/" + name;
	int fd = openat(dfd, name.c_str(),
			O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	e = errno;
	close(dfd);
	if (fd < 0)
		return path + ": " + open_error(e);
	std::string why = check_owned(fd, false);
	std::string text = line + "\n";
	if (why.empty()) {
		ssize_t n = write(fd, text.data(), text.size());
		if (n < 0)
			why = errno_string(errno);
		else if (static_cast<std::size_t>(n) != text.size())
			why = "short write";
	}
	close(fd);
	return why.empty() ? why : path + ": " + why;
}

namespace {

// "job_<digits>.json", the per-job record's name.
bool is_job_record_name(std::string_view name)
{
	constexpr std::string_view pre = "job_", suf = ".json";
	if (name.size() <= pre.size() + suf.size() || !name.starts_with(pre) ||
	    !name.ends_with(suf))
		return false;
	std::string_view id = name.substr(pre.size(), name.size() - pre.size() - suf.size());
	return std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

int prune_job_records(const std::string &dir, std::int64_t now,
		      std::int64_t max_age, std::string *why)
{
	why->clear();
	std::string sub = dir + "/slurm-pi";
	int e = 0;
	int dfd = open_records_dir(sub, &e);
	if (dfd < 0) {
		if (e != ENOENT)
			*why = sub + ": " + open_error(e);
		return 0;
	}
	if (std::string bad = check_owned(dfd, true); !bad.empty()) {
		close(dfd);
		*why = sub + ": " + bad;
		return 0;
	}
	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : nullptr;
	if (!d) {
		*why = sub + ": " + errno_string(errno);
		if (lfd >= 0)
			close(lfd);
		close(dfd);
		return 0;
	}
	int removed = 0;
	while (struct dirent *e = readdir(d)) {
		if (!is_job_record_name(e->d_name))
			continue;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime >= now - max_age)
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			removed++;
		else if (errno != ENOENT && why->empty())
			*why = sub + "/" + e->d_name + ": " + errno_string(errno);
	}
	closedir(d);
	close(dfd);
	return removed;
}

namespace {

// A JSON number or null as optional<double>; false if neither.
bool opt_number(const nlohmann::json &j, const char *key, std::optional<double> *out)
{
	auto it = j.find(key);
	if (it == j.end())
		return false;
	if (it->is_null()) {
		out->reset();
		return true;
	}
	if (!it->is_number())
		return false;
	*out = it->get<double>();
	return true;
}

// A temperature the ring can hold (int32 millidegrees), or none: a larger
// one would not survive the writer's rounding (1e308 * 10 overflows) or the
// sum of a merge.
bool in_ring_range(const std::optional<double> &c)
{
	return !c || std::fabs(*c) <= kMaxAbsC;
}

bool integer(const nlohmann::json &j, const char *key, std::int64_t *out)
{
	auto it = j.find(key);
	if (it == j.end() || !it->is_number_integer())
		return false;
	*out = it->get<std::int64_t>();
	return true;
}

} // namespace

std::optional<StepRecord> parse_step_record(std::string_view line, std::string *why)
{
	using nlohmann::json;
	json j = json::parse(line.begin(), line.end(), nullptr, false);
	if (j.is_discarded() || !j.is_object()) {
		*why = "not a JSON object";
		return std::nullopt;
	}
	auto v = j.find("v");
	if (v == j.end() || !v->is_number_integer() || v->get<int>() != 1) {
		*why = "\"v\" is not 1";
		return std::nullopt;
	}
	StepRecord r;
	auto str = [&](const char *key, std::string *out) {
		auto it = j.find(key);
		if (it == j.end() || !it->is_string())
			return false;
		*out = it->get<std::string>();
		return true;
	};
	std::int64_t samples = 0, thr = 0, known = 0;
	std::optional<double> max_c, mean_c, mhz;
	const char *bad = nullptr;
	if (!str("step", &r.step))
		bad = "step";
	else if (!str("node", &r.node))
		bad = "node";
	else if (!integer(j, "start", &r.stats.start))
		bad = "start";
	else if (!integer(j, "end", &r.stats.end))
		bad = "end";
	else if (!integer(j, "samples", &samples) || samples < 0 || samples > kMaxSamples)
		bad = "samples";
	else if (!integer(j, "throttled_samples", &thr) || thr < 0 || thr > samples)
		bad = "throttled_samples";
	else if (!integer(j, "throttle_known_samples", &known) || known < thr ||
		 known > samples)
		bad = "throttle_known_samples";
	else if (!opt_number(j, "max_c", &max_c) || !in_ring_range(max_c))
		bad = "max_c";
	else if (!opt_number(j, "mean_c", &mean_c) || !in_ring_range(mean_c) ||
		 max_c.has_value() != mean_c.has_value())
		bad = "mean_c";
	else if (!opt_number(j, "min_mhz", &mhz) ||
		 (mhz && !(*mhz >= 1 && *mhz <= std::numeric_limits<int>::max())))
		bad = "min_mhz";
	if (!bad) {
		auto uv = j.find("undervoltage");
		if (uv == j.end() || !(uv->is_null() || uv->is_boolean()))
			bad = "undervoltage";
		else if (uv->is_boolean())
			r.stats.undervoltage = uv->get<bool>();
	}
	if (bad) {
		*why = std::string("field \"") + bad + "\" missing or wrong";
		return std::nullopt;
	}
	r.stats.samples = static_cast<int>(samples);
	r.stats.throttled_samples = static_cast<int>(thr);
	r.stats.throttle_known_samples = static_cast<int>(known);
	r.stats.max_c = max_c;
	r.stats.mean_c = mean_c;
	r.stats.temp_samples = max_c ? r.stats.samples : 0;
	if (mhz)
		r.stats.min_mhz = static_cast<int>(*mhz);
	return r;
}

NodeSummary merge_step_records(std::vector<StepRecord> records)
{
	// Earliest start first; of equal starts, the longest first, so that a
	// covering step comes before the steps inside it. Times are whole
	// seconds: the batch step and an srun step started and ended in the
	// same seconds have equal intervals, and then the batch, extern and
	// interactive steps come first, then the numbered ones in order.
	auto rank = [](const std::string &step) {
		static const char *const special[] = {"batch", "extern", "interactive", "pending"};
		for (long i = 0; i < 4; ++i)
			if (step.rfind(special[i], 0) == 0)
				return std::pair<long, std::string>(i - 4, step);
		char *end = nullptr;
		long n = std::strtol(step.c_str(), &end, 10);
		return std::pair<long, std::string>(end == step.c_str() ? 0 : n, step);
	};
	std::stable_sort(records.begin(), records.end(),
			 [&](const StepRecord &a, const StepRecord &b) {
				 if (a.stats.start != b.stats.start)
					 return a.stats.start < b.stats.start;
				 if (a.stats.end != b.stats.end)
					 return a.stats.end > b.stats.end;
				 return rank(a.step) < rank(b.step);
			 });
	NodeSummary out;
	StepStats &m = out.stats;
	std::vector<const StepStats *> kept;
	double temp_sum = 0;
	std::int64_t samples = 0, temp_samples = 0, throttled = 0, known = 0;
	for (const StepRecord &r : records) {
		out.steps.push_back(r.step);
		const StepStats &s = r.stats;
		bool inside = std::any_of(kept.begin(), kept.end(), [&](const StepStats *k) {
			return s.start >= k->start && s.end <= k->end;
		});
		if (inside)
			continue;
		if (kept.empty()) {
			m.start = s.start;
			m.end = s.end;
		}
		kept.push_back(&s);
		m.start = std::min(m.start, s.start);
		m.end = std::max(m.end, s.end);
		samples += s.samples;
		if (s.max_c && s.mean_c && s.temp_samples > 0) {
			m.max_c = m.max_c ? std::max(*m.max_c, *s.max_c) : *s.max_c;
			temp_sum += *s.mean_c * s.temp_samples;
			temp_samples += s.temp_samples;
		}
		throttled += s.throttled_samples;
		known += s.throttle_known_samples;
		if (s.undervoltage)
			m.undervoltage = m.undervoltage.value_or(false) || *s.undervoltage;
		if (s.min_mhz)
			m.min_mhz = m.min_mhz ? std::min(*m.min_mhz, *s.min_mhz) : *s.min_mhz;
	}
	if (temp_samples > 0)
		m.mean_c = temp_sum / static_cast<double>(temp_samples);
	// Counts beyond what a record holds (only records no ring gives add up
	// to that) are scaled down together, keeping their shares, so that the
	// summary is still one that parse_step_record() reads.
	std::int64_t most = std::max({samples, temp_samples, throttled, known});
	double scale = most > kMaxSamples ? static_cast<double>(kMaxSamples) /
						    static_cast<double>(most)
					  : 1.0;
	auto count = [scale](std::int64_t n) {
		return static_cast<int>(scale < 1.0 ? std::floor(static_cast<double>(n) * scale) : n);
	};
	m.samples = count(samples);
	m.temp_samples = count(temp_samples);
	m.throttled_samples = count(throttled);
	m.throttle_known_samples = count(known);
	return out;
}

std::string node_summary_text(const NodeSummary &s)
{
	std::string out = step_stats_text(s.stats);
	if (s.steps.empty())
		return out;
	out += s.steps.size() == 1 ? " (step " : " (steps ";
	for (std::size_t i = 0; i < s.steps.size(); ++i)
		out += (i ? ", " : "") + s.steps[i];
	return out + ")";
}

std::optional<std::vector<StepRecord>>
read_job_records(const std::string &dir, std::uint32_t job_id,
		 const std::string &node, int *bad, std::string *why)
{
	*bad = 0;
	std::string path = dir + "/slurm-pi/job_" + std::to_string(job_id) + ".json";
	std::vector<StepRecord> out;
	int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return out;
		*why = path + ": " + open_error(errno);
		return std::nullopt;
	}
	// The file is root's and grows one line per step: a cap keeps a
	// runaway file from taking the step's memory.
	constexpr std::size_t kMax = 4 << 20;
	std::string text;
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = path + ": " + errno_string(errno);
			close(fd);
			return std::nullopt;
		}
		if (n == 0)
			break;
		text.append(buf, static_cast<std::size_t>(n));
		if (text.size() > kMax) {
			*why = path + ": larger than " + std::to_string(kMax) + " bytes";
			close(fd);
			return std::nullopt;
		}
	}
	close(fd);
	std::size_t pos = 0;
	while (pos < text.size()) {
		std::size_t nl = text.find('\n', pos);
		std::string_view line(text.data() + pos,
				      (nl == std::string::npos ? text.size() : nl) - pos);
		pos = nl == std::string::npos ? text.size() : nl + 1;
		if (line.empty())
			continue;
		std::string ignored;
		auto r = parse_step_record(line, &ignored);
		if (!r) {
			++*bad;
			continue;
		}
		if (r->node == node)
			out.push_back(std::move(*r));
	}
	return out;
}

} // namespace slurmpi
