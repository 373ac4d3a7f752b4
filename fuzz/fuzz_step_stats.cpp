// libFuzzer target: the per-job record of step statistics
// (common/step_stats.hpp), as read_job_records() reads it: the input is the
// file, one record a line; parse_step_record() on each line and
// merge_step_records() on what they give. The input's bytes are also read
// as ring samples, whose step_stats() is written by step_stats_json() and
// read back.
//
// Properties: a line is a record or an error with a reason, never a
// half-checked record (counts that do not add up, a mean without a
// maximum); what step_stats_json() writes, of step_stats() or of a record
// read, parse_step_record() reads back as the same values (temperatures to
// one decimal); read_job_records() finds the lines this target reads; the
// merge of any records keeps every step name and adds counts that still
// add up. The file lives under $SLURM_PI_FUZZ_TMP (fuzz/run.sh makes and
// removes it) or a fresh /tmp directory.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/step_stats.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

std::string g_dir;
constexpr std::uint32_t kJob = 42;

// `s` as step_stats_json() writes it and parse_step_record() reads it
// back: temperatures to one decimal, temp_samples the samples when a
// temperature is known.
StepStats as_written(StepStats s)
{
	if (s.max_c)
		s.max_c = std::round(*s.max_c * 10) / 10;
	if (s.mean_c)
		s.mean_c = std::round(*s.mean_c * 10) / 10;
	s.temp_samples = s.max_c ? s.samples : 0;
	return s;
}

bool same(const StepStats &a, const StepStats &b)
{
	return a.start == b.start && a.end == b.end && a.samples == b.samples &&
	       a.temp_samples == b.temp_samples && a.max_c == b.max_c &&
	       a.mean_c == b.mean_c && a.throttled_samples == b.throttled_samples &&
	       a.throttle_known_samples == b.throttle_known_samples &&
	       a.undervoltage == b.undervoltage && a.min_mhz == b.min_mhz;
}

bool same(const StepRecord &a, const StepRecord &b)
{
	return a.step == b.step && a.node == b.node && same(a.stats, b.stats);
}

// Counts that add up, and a temperature only with its mean.
void check_counts(const StepStats &s, const char *what)
{
	FUZZ_CHECK(s.samples >= 0 && s.throttled_samples >= 0 &&
			   s.throttled_samples <= s.throttle_known_samples &&
			   s.throttle_known_samples <= s.samples,
		   "%s: samples %d, throttled %d of %d", what, s.samples,
		   s.throttled_samples, s.throttle_known_samples);
	FUZZ_CHECK(s.temp_samples >= 0 && s.temp_samples <= s.samples,
		   "%s: %d temperatures in %d samples", what, s.temp_samples, s.samples);
	FUZZ_CHECK(s.max_c.has_value() == s.mean_c.has_value(),
		   "%s: a maximum without a mean, or the other way", what);
	FUZZ_CHECK(!s.min_mhz || *s.min_mhz > 0, "%s: min_mhz %d", what, *s.min_mhz);
	auto pct = s.throttled_pct();
	FUZZ_CHECK(!pct || (*pct >= 0 && *pct <= 100), "%s: throttled %d%%", what, *pct);
	step_stats_text(s);
}

// What step_stats_json() writes of `s` reads back as `s` as written.
void check_round_trip(const StepStats &s, const std::string &step, const std::string &node,
		      const char *what)
{
	std::string line = step_stats_json(s, kJob, step, node);
	std::string why;
	auto back = parse_step_record(line, &why);
	FUZZ_CHECK(back.has_value(), "%s, written, does not read back: %s: %s", what,
		   why.c_str(), line.c_str());
	FUZZ_CHECK(back->step == step && back->node == node, "%s: names changed", what);
	FUZZ_CHECK(same(back->stats, as_written(s)), "%s reads back changed: %s", what,
		   line.c_str());
}

std::optional<StepRecord> check_line(std::string_view line)
{
	std::string why;
	auto r = parse_step_record(line, &why);
	if (!r) {
		FUZZ_CHECK(!why.empty(), "no record, no reason");
		return std::nullopt;
	}
	check_counts(r->stats, "a record");
	FUZZ_CHECK(r->stats.temp_samples == (r->stats.max_c ? r->stats.samples : 0),
		   "temp_samples %d of %d samples", r->stats.temp_samples, r->stats.samples);
	check_round_trip(r->stats, r->step, r->node, "a record read");
	return r;
}

void check_merge(const std::vector<StepRecord> &records)
{
	NodeSummary m = merge_step_records(records);
	check_counts(m.stats, "the merge");
	FUZZ_CHECK(m.steps.size() == records.size(), "%zu records merged as %zu steps",
		   records.size(), m.steps.size());
	std::vector<std::string> want, got = m.steps;
	for (const StepRecord &r : records)
		want.push_back(r.step);
	std::sort(want.begin(), want.end());
	std::sort(got.begin(), got.end());
	FUZZ_CHECK(want == got, "the merge changed the step names");
	if (records.empty()) {
		FUZZ_CHECK(m.stats.samples == 0, "no records, %d samples", m.stats.samples);
	} else {
		std::int64_t start = records[0].stats.start, end = records[0].stats.end;
		for (const StepRecord &r : records) {
			start = std::min(start, r.stats.start);
			end = std::max(end, r.stats.end);
		}
		FUZZ_CHECK(m.stats.start == start && m.stats.end == end,
			   "the merge spans [%lld, %lld]",
			   static_cast<long long>(m.stats.start),
			   static_cast<long long>(m.stats.end));
	}
	FUZZ_CHECK(node_summary_text(m).starts_with(step_stats_text(m.stats)),
		   "node_summary_text");
}

// The input's bytes, 18 at a time, as ring samples: time (100 + byte),
// a flag byte (bit 0: no temperature), temperature, throttled, known bits
// and clock as the ring holds them.
void check_samples(const unsigned char *data, std::size_t size)
{
	constexpr std::size_t kBytes = 18;
	std::vector<RingSample> v;
	for (std::size_t off = 0; off + kBytes <= size && v.size() < 64; off += kBytes) {
		const unsigned char *p = data + off;
		RingSample s;
		s.time = 100 + p[0];
		std::memcpy(&s.temp_mc, p + 2, 4);
		if (p[1] & 1)
			s.temp_mc = kRingNoTemp;
		std::memcpy(&s.throttled, p + 6, 4);
		std::memcpy(&s.throttled_known, p + 10, 4);
		std::memcpy(&s.cur_mhz, p + 14, 4);
		v.push_back(s);
	}
	constexpr std::int64_t start = 150, end = 300;
	StepStats st = step_stats(v, start, end);
	std::size_t in = std::count_if(v.begin(), v.end(), [](const RingSample &s) {
		return s.time >= start && s.time <= end;
	});
	FUZZ_CHECK(st.samples == static_cast<int>(in), "%d samples of %zu", st.samples, in);
	FUZZ_CHECK(st.max_c.has_value() == (st.temp_samples > 0), "max_c of %d temperatures",
		   st.temp_samples);
	check_counts(st, "step_stats()");
	check_round_trip(st, "batch", "pi1", "step_stats()");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	if (const char *tmp = std::getenv("SLURM_PI_FUZZ_TMP"); tmp && *tmp) {
		g_dir = std::string(tmp) + "/spool";
	} else {
		char d[] = "/tmp/slurm-pi-fuzz-step_stats.XXXXXX";
		FUZZ_CHECK(mkdtemp(d) != nullptr, "mkdtemp");
		g_dir = d;
	}
	mkdir(g_dir.c_str(), 0755);
	mkdir((g_dir + "/slurm-pi").c_str(), 0755);
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	std::string_view text = fuzz_text(data, size);
	std::vector<StepRecord> all, pi1;
	int bad = 0;
	while (!text.empty()) {
		std::size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
		if (line.empty())
			continue;
		auto r = check_line(line);
		if (!r) {
			++bad;
			continue;
		}
		if (r->node == "pi1")
			pi1.push_back(*r);
		all.push_back(std::move(*r));
	}
	check_merge(all);

	// read_job_records() finds the same lines in the file.
	std::string path = g_dir + "/slurm-pi/job_" + std::to_string(kJob) + ".json";
	unlink(path.c_str());
	{
		std::ofstream out(path, std::ios::binary | std::ios::trunc);
		out.write(reinterpret_cast<const char *>(data),
			  static_cast<std::streamsize>(size));
		FUZZ_CHECK(out.good(), "cannot write %s", path.c_str());
	}
	int file_bad = -1;
	std::string why;
	auto read = read_job_records(g_dir, kJob, "pi1", &file_bad, &why);
	FUZZ_CHECK(read.has_value(), "read_job_records: %s", why.c_str());
	FUZZ_CHECK(file_bad == bad, "read_job_records: %d bad lines, not %d", file_bad, bad);
	FUZZ_CHECK(read->size() == pi1.size() &&
			   std::equal(read->begin(), read->end(), pi1.begin(),
				      [](const StepRecord &a, const StepRecord &b) {
					      return same(a, b);
				      }),
		   "read_job_records: %zu records of pi1, not %zu", read->size(), pi1.size());

	check_samples(data, size);
	return 0;
}
