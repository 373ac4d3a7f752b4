// Command line of the `slurm-pi` command: what the words mean, without
// doing any of it, so the parsing is unit-tested (tests/unit/test_tool.cpp).
//
//   slurm-pi [OPTION...] COMMAND [OPTION...]
//
// Options may come before or after the command (`slurm-pi --root D status`
// and `slurm-pi status --root D` are the same); `--` ends them. Values go
// as `--root DIR` or `--root=DIR`.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi::tool {

// Documented in --help and slurm-pi(1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1; // e.g. status could read nothing
inline constexpr int kExitUsage = 2;   // unknown command or option, bad value
inline constexpr int kExitConfig = 3;  // slurm-pi.conf cannot be used

enum class Command { none, help, doctor, nodeconf, nodes, status };

// "help", "doctor", "nodeconf", "nodes", "status"; "" for none.
std::string_view command_name(Command c);
std::optional<Command> command_from_name(std::string_view name);

struct Options {
	Command command = Command::none;
	// --help/-h, or the help command: print help for `help_topic`
	// (Command::none = the whole command).
	bool help = false;
	Command help_topic = Command::none;
	bool version = false;
	std::string root = "/";               // --root
	std::optional<std::string> config;    // --config; else default_config_path()
	bool json = false;                    // status --json, nodes --json
	std::optional<std::string> topology;  // nodeconf --topology
	// nodes --watch[=SECONDS]: redraw every so many seconds.
	std::optional<int> watch;
	bool no_color = false;                // nodes and doctor --no-color
	// doctor: --all (every node in slurm.conf, through Slurm), --list,
	// --only/--skip (check ids or groups, comma-separated, as given;
	// checked against the list by the command), --slurm-conf FILE (the
	// slurm.conf to check instead of $SLURM_CONF's), and --node-report
	// (internal: one node's part of --all, as JSON).
	bool all = false;
	bool list = false;
	std::vector<std::string> only;
	std::vector<std::string> skip;
	std::optional<std::string> slurm_conf;
	bool node_report = false;
};

// nodes --watch without a value, and the largest value taken (a day).
inline constexpr int kWatchDefaultSeconds = 2;
inline constexpr int kWatchMaxSeconds = 86400;

struct ParseResult {
	Options options;
	// Empty when the arguments were fine; otherwise the message, naming
	// the offending word, e.g. `unknown option '--jsn'`, or
	// `nodes: --watch: 'abc' is not a number of seconds` when it belongs
	// to a command. The caller adds "slurm-pi: " (or, for a command's
	// message, "slurm-pi " so that it reads `slurm-pi nodes: ...`; see
	// usage_message()) and a hint to --help, and exits kExitUsage.
	std::string error;

	bool ok() const { return error.empty(); }
};

// `args` without the program name (argv[1..]).
ParseResult parse_args(std::span<const std::string> args);

// The line to print for a parse error: "slurm-pi nodes: --watch: ..." for
// a message that starts with a command's name and ": ", else
// "slurm-pi: <error>". No newline.
std::string usage_message(std::string_view error);

// The value of --watch=VALUE: whole seconds, 1..kWatchMaxSeconds.
// nullopt and a message naming the value, e.g.
// `'abc' is not a number of seconds`, otherwise.
std::optional<int> parse_watch_seconds(std::string_view value, std::string *error);

// Where slurm-pi.conf is when --config is not given: beside slurm.conf,
// as Slurm finds its other .conf files. `slurm_conf` is $SLURM_CONF (null
// or empty when unset): its directory; otherwise /etc/slurm.
std::string default_config_path(const char *slurm_conf);

// --topology SRC: a path (contains '/' or ends in ".xml") is an hwloc XML
// file, anything else an hwloc synthetic description such as
// "package:1 core:4 pu:1".
bool topology_arg_is_file(std::string_view arg);

} // namespace slurmpi::tool
