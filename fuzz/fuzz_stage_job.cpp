// libFuzzer target: spank_pi_stage's state record and output path
// (common/stage/job.hpp). The first byte chooses (even: state, odd: path;
// its upper bits pick the job id):
//   state  parse_state() of the rest; and format_state() of the rest split
//          into lines at '\n' (the first line's first byte even: ok)
//   path   job_output_path() of the rest split at '\n' into the output
//          spec, the work dir, the user and the node
// Properties: nothing throws; parse_state() accepts exactly what
// format_state() writes (an accepted text comes back byte for byte, and
// within the limits of 64 lines of 1024 bytes without control
// characters), and what format_state() writes is accepted and parses to
// the lines cut and cleaned; a path is absolute, never /dev/null, without
// a NUL byte, and a spec without '%' or '\' is taken as it is (in the
// work dir when relative).
#include <cstdint>
#include <string>
#include <vector>

#include "common/stage/job.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi::stage;

namespace {

std::vector<std::string_view> split(std::string_view text, char sep)
{
	std::vector<std::string_view> out;
	std::size_t start = 0;
	for (;;) {
		std::size_t end = text.find(sep, start);
		if (end == std::string_view::npos) {
			out.push_back(text.substr(start));
			return out;
		}
		out.push_back(text.substr(start, end - start));
		start = end + 1;
	}
}

bool has_control(std::string_view s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c == 0x7f)
			return true;
	return false;
}

void check_state(std::string_view text)
{
	if (std::optional<StageState> s = parse_state(text)) {
		FUZZ_CHECK(s->lines.size() <= 64, "%zu lines", s->lines.size());
		for (const std::string &l : s->lines)
			FUZZ_CHECK(l.size() <= 1024 && !has_control(l), "line of %zu bytes",
				   l.size());
		std::string again = format_state(*s);
		FUZZ_CHECK(again == text, "accepted a text format_state() does not write");
	}

	StageState in;
	std::vector<std::string_view> parts = split(text, '\n');
	in.ok = text.empty() || (static_cast<unsigned char>(text[0]) % 2) == 0;
	for (std::string_view p : parts)
		in.lines.emplace_back(p);
	std::string formatted = format_state(in);
	std::optional<StageState> out = parse_state(formatted);
	FUZZ_CHECK(out.has_value(), "format_state() wrote what parse_state() refuses");
	FUZZ_CHECK(out->ok == in.ok, "ok changed");
	std::size_t n = in.lines.size() < 64 ? in.lines.size() : 64;
	FUZZ_CHECK(out->lines.size() == n, "%zu lines of %zu", out->lines.size(),
		   in.lines.size());
	for (std::size_t i = 0; i < n; i++) {
		std::string_view want = std::string_view(in.lines[i]).substr(0, 1024);
		const std::string &got = out->lines[i];
		FUZZ_CHECK(got.size() == want.size(), "line %zu: %zu bytes", i, got.size());
		for (std::size_t j = 0; j < want.size(); j++) {
			unsigned char c = static_cast<unsigned char>(want[j]);
			char expect = (c < 0x20 || c == 0x7f) ? ' ' : want[j];
			FUZZ_CHECK(got[j] == expect, "line %zu byte %zu", i, j);
		}
	}
}

void check_path(std::string_view text, std::uint32_t job_id)
{
	std::vector<std::string_view> f = split(text, '\n');
	f.resize(4);
	std::string_view spec = f[0], workdir = f[1], user = f[2], node = f[3];
	std::optional<std::string> p = job_output_path(spec, workdir, job_id, user, node);
	if (p) {
		FUZZ_CHECK(p->starts_with('/'), "relative: %s", p->c_str());
		FUZZ_CHECK(*p != "/dev/null", "/dev/null");
		FUZZ_CHECK(p->find('\0') == std::string::npos, "NUL byte in %s", p->c_str());
	}
	if (spec.find('\\') != std::string_view::npos)
		FUZZ_CHECK(!p, "a backslash expanded: %s", p->c_str());
	if (spec.empty() || spec == "/dev/null" || spec.find('%') != std::string_view::npos ||
	    spec.find('\\') != std::string_view::npos ||
	    spec.find('\0') != std::string_view::npos)
		return;
	std::string want;
	if (!spec.starts_with('/')) {
		if (!workdir.starts_with('/')) {
			FUZZ_CHECK(!p, "relative without a work dir: %s", p->c_str());
			return;
		}
		want = std::string(workdir);
		if (!want.ends_with('/'))
			want += '/';
	}
	want += spec;
	if (want.find('\0') != std::string::npos)
		return;
	if (want == "/dev/null") {
		FUZZ_CHECK(!p, "/dev/null in the work dir");
		return;
	}
	FUZZ_CHECK(p && *p == want, "literal spec: got %s", p ? p->c_str() : "nothing");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	if (size == 0)
		return 0;
	std::string_view text = fuzz_text(data + 1, size - 1);
	static constexpr std::uint32_t kIds[] = {42, 0, 4294967295u, 7};
	try {
		if (data[0] % 2 == 0)
			check_state(text);
		else
			check_path(text, kIds[(data[0] >> 1) % 4]);
	} catch (const std::exception &e) {
		FUZZ_CHECK(false, "exception: %s", e.what());
	}
	return 0;
}
