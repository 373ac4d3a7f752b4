#include "common/stage/job.hpp"

#include "common/text.hpp"

namespace slurmpi::stage {

FailureAction failure_action(bool infrastructure, StageOnFailure on_failure,
			     std::uint32_t restart_count, std::uint32_t max_requeues)
{
	if (!infrastructure)
		return FailureAction::fail;
	switch (on_failure) {
	case StageOnFailure::fail:
		return FailureAction::fail;
	case StageOnFailure::requeue:
		return restart_count >= max_requeues ? FailureAction::fail
						     : FailureAction::requeue;
	case StageOnFailure::drain:
		// The node is drained either way; the job goes elsewhere
		// unless it has been round too often.
		return restart_count >= max_requeues ? FailureAction::fail
						     : FailureAction::drain_requeue;
	}
	return FailureAction::fail;
}

std::string_view to_string(FailureAction a)
{
	switch (a) {
	case FailureAction::fail: return "fail";
	case FailureAction::requeue: return "requeue";
	case FailureAction::drain_requeue: return "drain";
	}
	return "fail";
}

bool stage_out_allowed(StageOutWhen when, const JobEnd &end)
{
	if (when == StageOutWhen::always)
		return true;
	if (!end.state.empty() && end.state != "COMPLETED" && end.state != "COMPLETING" &&
	    end.state != "RUNNING")
		return false;
	if (!end.exit_code)
		return false;
	return *end.exit_code == 0 && end.derived_ec.value_or(0) == 0;
}

namespace {

constexpr std::size_t kStateMaxLines = 64;
constexpr std::size_t kStateMaxLine = 1024;

std::string clean_line(std::string_view line)
{
	std::string out(line.substr(0, kStateMaxLine));
	for (char &c : out)
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
			c = ' ';
	return out;
}

} // namespace

std::string format_state(const StageState &s)
{
	std::string out = s.ok ? "ok\n" : "failed\n";
	std::size_t n = 0;
	for (const auto &line : s.lines) {
		if (n++ == kStateMaxLines)
			break;
		out += clean_line(line);
		out += '\n';
	}
	return out;
}

std::optional<StageState> parse_state(std::string_view text)
{
	if (text.size() > (kStateMaxLines + 1) * (kStateMaxLine + 1) || text.empty() ||
	    text.back() != '\n')
		return std::nullopt;
	StageState s;
	bool first = true;
	while (!text.empty()) {
		auto nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text.remove_prefix(nl + 1);
		for (char c : line)
			if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
				return std::nullopt;
		if (first) {
			if (line == "ok")
				s.ok = true;
			else if (line == "failed")
				s.ok = false;
			else
				return std::nullopt;
			first = false;
			continue;
		}
		if (line.size() > kStateMaxLine || s.lines.size() == kStateMaxLines)
			return std::nullopt;
		s.lines.emplace_back(line);
	}
	return s;
}

std::optional<std::string> job_output_path(std::string_view spec, std::string_view workdir,
					   std::uint32_t job_id, std::string_view user,
					   std::string_view node)
{
	std::string id = std::to_string(job_id);
	std::string path;
	// slurmstepd takes a name with a backslash literally, backslashes
	// removed and no %-pattern expanded (remove_path_slashes() in
	// fname.c), and joins a relative one to the work dir without a '/':
	// not worth imitating, and wrong if expanded here.
	if (spec.find('\\') != std::string_view::npos)
		return std::nullopt;
	if (spec.empty()) {
		path = "slurm-" + id + ".out";
	} else {
		for (std::size_t i = 0; i < spec.size(); ++i) {
			char c = spec[i];
			if (c != '%') {
				path += c;
				continue;
			}
			if (++i == spec.size())
				return std::nullopt;
			switch (spec[i]) {
			case 'j':
			case 'J': path += id; break;
			case 'u': path += user; break;
			case 'N': path += node; break;
			case '%': path += '%'; break;
			default: return std::nullopt; // %x, %A, %5j, ...: not known here
			}
		}
	}
	if (path.empty())
		return std::nullopt;
	if (path[0] != '/') {
		if (workdir.empty() || workdir[0] != '/')
			return std::nullopt;
		std::string dir(workdir);
		if (dir.back() != '/')
			dir += '/';
		path = dir + path;
	}
	// After the join: "null" in the work dir /dev is /dev/null too.
	if (path == "/dev/null")
		return std::nullopt;
	for (char c : path)
		if (c == '\0')
			return std::nullopt;
	return path;
}

std::string scratch_name(std::uint32_t job_id) { return std::to_string(job_id); }

} // namespace slurmpi::stage
