// plugstack.conf's reader for slurm-pi doctor: see plugstack.hpp.
#include "common/doctor/plugstack.hpp"

#include "common/text.hpp"

namespace slurmpi::doctor {

namespace {

std::vector<std::string_view> words(std::string_view line)
{
	std::vector<std::string_view> out;
	std::size_t i = 0;
	while (i < line.size()) {
		while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
			i++;
		std::size_t start = i;
		while (i < line.size() && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i > start)
			out.push_back(line.substr(start, i - start));
	}
	return out;
}

std::string dir_of(std::string_view file)
{
	auto slash = file.rfind('/');
	if (slash == std::string_view::npos)
		return ".";
	return slash == 0 ? "/" : std::string(file.substr(0, slash));
}

} // namespace

Plugstack parse_plugstack(std::string_view text, std::string_view file, std::size_t max_lines)
{
	Plugstack p;
	int lineno = 0;
	const std::string where(file);
	while (!text.empty()) {
		if (static_cast<std::size_t>(lineno) >= max_lines) {
			p.errors.push_back(where + ": more than " + std::to_string(max_lines) +
					   " lines; the rest was not read");
			break;
		}
		auto nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
		lineno++;
		if (auto hash = line.find('#'); hash != std::string_view::npos)
			line = line.substr(0, hash);
		if (!line.empty() && line.back() == '\r')
			line.remove_suffix(1);
		auto w = words(line);
		if (w.empty())
			continue;
		const std::string at = where + ":" + std::to_string(lineno) + ": ";
		if (w[0] == "include") {
			if (w.size() < 2) {
				p.errors.push_back(at + "include without a pattern");
				continue;
			}
			std::string pattern(w[1]);
			if (pattern[0] != '/')
				pattern = dir_of(file) + "/" + pattern;
			p.includes.push_back({where, lineno, pattern});
		} else if (w[0] == "required" || w[0] == "optional") {
			if (w.size() < 2) {
				p.errors.push_back(at + std::string(w[0]) + " without a plugin");
				continue;
			}
			PlugstackEntry e{where, lineno, w[0] == "required", std::string(w[1]), {}};
			for (std::size_t i = 2; i < w.size(); i++)
				e.args.emplace_back(w[i]);
			p.plugins.push_back(std::move(e));
		} else {
			p.errors.push_back(at + quoted(w[0]) +
					   " is not required, optional or include (Slurm then "
					   "loads no plugin of the stack)");
		}
	}
	return p;
}

std::vector<std::string> plugin_candidates(std::string_view plugin, std::string_view plugin_dir)
{
	if (!plugin.empty() && plugin[0] == '/')
		return {std::string(plugin)};
	std::vector<std::string> out;
	std::size_t start = 0;
	while (start <= plugin_dir.size()) {
		auto colon = plugin_dir.find(':', start);
		auto dir = plugin_dir.substr(start, colon == std::string_view::npos ? std::string_view::npos
										    : colon - start);
		if (!dir.empty())
			out.push_back(std::string(dir) + "/" + std::string(plugin));
		if (colon == std::string_view::npos)
			break;
		start = colon + 1;
	}
	return out;
}

} // namespace slurmpi::doctor
