// slurm-pi doctor's selection and output: see report.hpp.
#include "common/doctor/report.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace slurmpi::doctor {

namespace {

// `id` is `sel` or inside group `sel` ("munge" holds "munge.key").
bool matches(std::string_view id, std::string_view sel)
{
	return id == sel || (id.size() > sel.size() && id.starts_with(sel) && id[sel.size()] == '.');
}

std::string group_of(std::string_view id)
{
	auto dot = id.rfind('.');
	return std::string(dot == std::string_view::npos ? id : id.substr(0, dot));
}

std::string upper(std::string_view s)
{
	std::string out(s);
	std::transform(out.begin(), out.end(), out.begin(),
		       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
	return out;
}

std::string paint(const std::string &text, Verdict v, bool on)
{
	if (!on)
		return text;
	const char *sgr = "";
	switch (v) {
	case Verdict::ok:
		sgr = "32";
		break;
	case Verdict::skip:
		sgr = "2";
		break;
	case Verdict::warn:
		sgr = "33";
		break;
	case Verdict::fail:
		sgr = "1;31";
		break;
	}
	return std::string("\033[") + sgr + "m" + text + "\033[0m";
}

std::string pad(std::string s, std::size_t width)
{
	if (s.size() < width)
		s.append(width - s.size(), ' ');
	return s;
}

std::array<int, 4> counts(std::span<const Finding> findings)
{
	std::array<int, 4> c{};
	for (const auto &f : findings)
		c[static_cast<std::size_t>(f.verdict)]++;
	return c;
}

} // namespace

bool selected(std::string_view id, std::span<const std::string> only,
	      std::span<const std::string> skip)
{
	for (const auto &s : skip)
		if (matches(id, s))
			return false;
	if (only.empty())
		return true;
	return std::any_of(only.begin(), only.end(), [&](const std::string &s) { return matches(id, s); });
}

std::string parse_selection(std::string_view value, std::span<const CheckInfo> known,
			    std::vector<std::string> *words)
{
	std::set<std::string> groups;
	for (const auto &c : known)
		for (std::string g = c.id; !g.empty(); g = g.find('.') == std::string::npos ? "" : group_of(g))
			groups.insert(g);
	words->clear();
	std::size_t start = 0;
	while (start <= value.size()) {
		auto comma = value.find(',', start);
		auto word = value.substr(start, comma == std::string_view::npos ? std::string_view::npos
										: comma - start);
		bool ok = !word.empty() && std::any_of(known.begin(), known.end(), [&](const CheckInfo &c) {
			return matches(c.id, word);
		});
		if (!ok) {
			std::vector<std::string> top;
			for (const auto &g : groups)
				if (g.find('.') == std::string::npos)
					top.push_back(g);
			return (word.empty() ? std::string("an empty name") : quoted(word)) +
			       " is not a check (groups: " + join(top, ", ") + "; see --list)";
		}
		words->emplace_back(word);
		if (comma == std::string_view::npos)
			break;
		start = comma + 1;
	}
	return "";
}

std::string format_text(std::span<const Finding> findings, bool color)
{
	const bool nodes = std::any_of(findings.begin(), findings.end(),
				       [](const Finding &f) { return !f.node.empty(); });
	std::size_t wnode = 4, wcheck = 5;
	for (const auto &f : findings) {
		wnode = std::max(wnode, f.node.size());
		wcheck = std::max(wcheck, f.check.size());
	}
	const std::size_t wresult = 6;
	std::string out;
	auto lead = [&](const std::string &node, const std::string &check) {
		return (nodes ? pad(node, wnode + 2) : std::string()) + pad(check, wcheck + 2);
	};
	out += lead("NODE", "CHECK") + pad("RESULT", wresult + 2) + "WHAT\n";
	const std::string indent(lead("", "").size() + wresult + 2, ' ');
	for (const auto &f : findings) {
		std::string name = f.verdict == Verdict::ok ? "ok" : upper(verdict_name(f.verdict));
		out += lead(f.node, f.check) + paint(pad(name, wresult), f.verdict, color) + "  " +
		       f.summary + "\n";
		if (f.verdict == Verdict::ok)
			continue;
		if (!f.evidence.empty())
			out += indent + "saw: " + f.evidence + "\n";
		if (!f.fix.empty())
			out += indent + "fix: " + f.fix + "\n";
	}
	auto c = counts(findings);
	Verdict w = worst({findings.begin(), findings.end()});
	out += "worst: " + paint(std::string(verdict_name(w)), w, color) + " (" +
	       std::to_string(c[3]) + " fail, " + std::to_string(c[2]) + " warn, " +
	       std::to_string(c[0]) + " ok, " + std::to_string(c[1]) + " skip)\n";
	return out;
}

std::string format_json(std::span<const Finding> findings)
{
	nlohmann::json j;
	j["worst"] = verdict_name(worst({findings.begin(), findings.end()}));
	auto c = counts(findings);
	j["counts"] = {{"ok", c[0]}, {"skip", c[1]}, {"warn", c[2]}, {"fail", c[3]}};
	j["findings"] = nlohmann::json::array();
	for (const auto &f : findings)
		j["findings"].push_back({{"check", f.check},
					 {"verdict", verdict_name(f.verdict)},
					 {"summary", f.summary},
					 {"evidence", f.evidence},
					 {"fix", f.fix},
					 {"node", f.node}});
	// Whatever bytes a file held: replaced, never a throw.
	return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string format_list(std::span<const CheckInfo> checks)
{
	std::size_t w = 0;
	for (const auto &c : checks)
		w = std::max(w, c.id.size());
	std::string out;
	for (const auto &c : checks)
		out += pad(c.id, w + 2) + c.description + "\n";
	return out;
}

} // namespace slurmpi::doctor
