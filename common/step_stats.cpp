#include "common/step_stats.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/throttle.hpp"

namespace slurmpi {

namespace {

// One decimal, as the log line shows it (and the record stores it).
double tenth(double v) { return std::round(v * 10) / 10; }

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

std::string step_stats_json(const StepStats &s, std::uint32_t job_id,
			    const std::string &step, const std::string &node)
{
	using nlohmann::ordered_json;
	ordered_json j;
	j["v"] = 1;
	j["job"] = job_id;
	j["step"] = step;
	j["node"] = node;
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

} // namespace

std::string append_job_record(const std::string &dir, std::uint32_t job_id,
			      const std::string &line)
{
	std::string sub = dir + "/slurm-pi";
	if (mkdir(sub.c_str(), 0755) != 0 && errno != EEXIST)
		return sub + ": " + errno_string(errno);
	int dfd = open(sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		struct stat st;
		// O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR.
		if (e == ENOTDIR && lstat(sub.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
		return sub + ": " + open_error(e);
	}
	if (std::string why = check_owned(dfd, true); !why.empty()) {
		close(dfd);
		return sub + ": " + why;
	}
	std::string name = "job_" + std::to_string(job_id) + ".json";
	std::string path = sub + "/" + name;
	int fd = openat(dfd, name.c_str(),
			O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	int e = errno;
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

} // namespace slurmpi
