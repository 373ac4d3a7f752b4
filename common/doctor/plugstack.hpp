// plugstack.conf as Slurm 22.05 reads it (src/common/plugstack.c,
// _plugin_stack_parse_line(), :298-333): per line, '#' and all after it
// are a comment (there is no escape); words are separated by spaces,
// tabs or newlines; the first word is `required`, `optional` or
// `include` (exact, lower case: `_plugin_stack_line_type()`, :282), then
// the plugin's path and its arguments, or the include's glob pattern. A
// relative plugin path is looked up in PluginDir; a relative include
// pattern is relative to the including file's directory
// (`_spank_conf_include()`, :587). Pure: the caller reads the files and
// expands the patterns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slurmpi::doctor {

struct PlugstackEntry {
	std::string file;
	int line = 0;
	bool required = false;
	std::string plugin; // as written: a path or a bare file name
	std::vector<std::string> args;
};

struct PlugstackInclude {
	std::string file;
	int line = 0;
	std::string pattern; // made absolute against `file`'s directory
};

struct Plugstack {
	std::vector<PlugstackEntry> plugins;
	std::vector<PlugstackInclude> includes;
	// "FILE:LINE: ..." for what Slurm refuses (an unknown first word, a
	// line without a plugin or pattern); Slurm then fails the stack.
	std::vector<std::string> errors;
};

// At most `max_lines` lines are read (the rest is an error).
Plugstack parse_plugstack(std::string_view text, std::string_view file,
			  std::size_t max_lines = 10000);

// Where Slurm finds `plugin`: itself when absolute; otherwise each
// PluginDir directory (a ':'-separated list) joined with it, in order.
std::vector<std::string> plugin_candidates(std::string_view plugin, std::string_view plugin_dir);

} // namespace slurmpi::doctor
