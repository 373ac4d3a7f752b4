#include "tools/cli.hpp"

#include <array>

#include "common/config.hpp"
#include "common/text.hpp"

namespace slurmpi::tool {

namespace {

struct CommandName {
	Command command;
	std::string_view name;
};

constexpr std::array<CommandName, 5> kCommands = {{
	{Command::help, "help"},
	{Command::doctor, "doctor"},
	{Command::nodeconf, "nodeconf"},
	{Command::nodes, "nodes"},
	{Command::status, "status"},
}};

// Options that take a value, and where it goes.
struct ValueOption {
	std::string_view name;
	std::string_view what; // for "missing ..." messages
};

constexpr std::array<ValueOption, 6> kValueOptions = {{
	{"--root", "directory"},
	{"--config", "file"},
	{"--topology", "hwloc XML file or synthetic description"},
	{"--only", "list of checks"},
	{"--skip", "list of checks"},
	{"--slurm-conf", "file"},
}};

void store(Options &o, std::string_view name, std::string value)
{
	if (name == "--root")
		o.root = std::move(value);
	else if (name == "--config")
		o.config = std::move(value);
	else if (name == "--only")
		o.only.push_back(std::move(value));
	else if (name == "--skip")
		o.skip.push_back(std::move(value));
	else if (name == "--slurm-conf")
		o.slurm_conf = std::move(value);
	else
		o.topology = std::move(value);
}

// A positional word: the command, the help topic, or one too many.
std::string take_word(Options &o, std::string_view word)
{
	if (o.command == Command::none) {
		auto c = command_from_name(word);
		if (!c)
			return "unknown command " + quoted(word) +
			       " (commands: doctor, nodeconf, nodes, status, help)";
		o.command = *c;
		if (*c == Command::help)
			o.help = true;
		return "";
	}
	if (o.command == Command::help && o.help_topic == Command::none) {
		auto c = command_from_name(word);
		if (!c || *c == Command::help)
			return "help: unknown command " + quoted(word) +
			       " (commands: doctor, nodeconf, nodes, status)";
		o.help_topic = *c;
		return "";
	}
	return std::string(command_name(o.command)) + ": unexpected argument " +
	       quoted(word);
}

// Options that belong to one command only.
std::string check_command_options(const Options &o)
{
	if (o.help || o.version)
		return "";
	if (o.command == Command::none)
		return "no command given (commands: doctor, nodeconf, nodes, status, help)";
	const std::string cmd(command_name(o.command));
	if (o.json && o.command != Command::status && o.command != Command::nodes &&
	    o.command != Command::doctor)
		return cmd + ": unknown option '--json' (only status, nodes and doctor take it)";
	if (o.command != Command::doctor) {
		const char *doctor_only = o.all ? "--all"
					  : o.list ? "--list"
					  : !o.only.empty() ? "--only"
					  : !o.skip.empty() ? "--skip"
					  : o.slurm_conf ? "--slurm-conf"
					  : o.node_report ? "--node-report"
							  : nullptr;
		if (doctor_only)
			return cmd + ": unknown option '" + doctor_only + "' (only doctor takes it)";
	}
	if (o.watch && o.command != Command::nodes)
		return cmd + ": unknown option '--watch' (only nodes takes it)";
	if (o.no_color && o.command != Command::nodes && o.command != Command::doctor)
		return cmd + ": unknown option '--no-color' (only nodes and doctor take it)";
	if (o.watch && o.json)
		return cmd + ": --watch and --json cannot be used together";
	if (o.topology && o.command != Command::nodeconf)
		return std::string(command_name(o.command)) +
		       ": unknown option '--topology' (only nodeconf takes it)";
	return "";
}

} // namespace

std::string_view command_name(Command c)
{
	for (const CommandName &n : kCommands)
		if (n.command == c)
			return n.name;
	return "";
}

std::optional<Command> command_from_name(std::string_view name)
{
	for (const CommandName &n : kCommands)
		if (n.name == name)
			return n.command;
	return std::nullopt;
}

ParseResult parse_args(std::span<const std::string> args)
{
	ParseResult r;
	Options &o = r.options;
	bool options_done = false;
	for (std::size_t i = 0; i < args.size(); i++) {
		const std::string &arg = args[i];
		if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
			if (std::string e = take_word(o, arg); !e.empty()) {
				r.error = std::move(e);
				return r;
			}
			continue;
		}
		if (arg == "--") {
			options_done = true;
			continue;
		}
		std::string_view name = arg;
		std::optional<std::string> inline_value;
		if (auto eq = name.find('='); name.starts_with("--") && eq != name.npos) {
			inline_value = std::string(name.substr(eq + 1));
			name = name.substr(0, eq);
		}
		if (name == "--watch") {
			// The only option whose value is optional, so it is
			// given only after '=': `--watch 5` would be ambiguous.
			if (!inline_value) {
				o.watch = kWatchDefaultSeconds;
				continue;
			}
			std::string why;
			o.watch = parse_watch_seconds(*inline_value, &why);
			if (!o.watch) {
				r.error = std::string(command_name(o.command));
				r.error += (r.error.empty() ? "" : ": ");
				r.error += "--watch: " + why;
				return r;
			}
			continue;
		}
		bool flag = true;
		if (name == "--help" || name == "-h")
			o.help = true;
		else if (name == "--version")
			o.version = true;
		else if (name == "--json")
			o.json = true;
		else if (name == "--no-color")
			o.no_color = true;
		else if (name == "--all")
			o.all = true;
		else if (name == "--list")
			o.list = true;
		else if (name == "--node-report")
			o.node_report = true;
		else
			flag = false;
		if (flag) {
			if (inline_value) {
				r.error = std::string(name) + ": takes no value";
				return r;
			}
			continue;
		}
		const ValueOption *opt = nullptr;
		for (const ValueOption &v : kValueOptions)
			if (v.name == name)
				opt = &v;
		if (!opt) {
			r.error = "unknown option " + quoted(name);
			if (o.command != Command::none && o.command != Command::help)
				r.error = std::string(command_name(o.command)) +
					  ": " + r.error;
			return r;
		}
		std::string value;
		if (inline_value) {
			value = std::move(*inline_value);
		} else if (i + 1 < args.size()) {
			value = args[++i];
		} else {
			r.error = std::string(name) + ": missing " + std::string(opt->what);
			return r;
		}
		if (value.empty()) {
			r.error = std::string(name) + ": empty " + std::string(opt->what);
			return r;
		}
		store(o, name, std::move(value));
	}
	// `slurm-pi status --help` asks about status.
	if (o.help && o.command != Command::help && o.command != Command::none)
		o.help_topic = o.command;
	r.error = check_command_options(o);
	return r;
}

std::string usage_message(std::string_view error)
{
	for (const CommandName &n : kCommands) {
		if (error.size() > n.name.size() + 2 && error.starts_with(n.name) &&
		    error.substr(n.name.size(), 2) == ": ")
			return "slurm-pi " + std::string(error);
	}
	return "slurm-pi: " + std::string(error);
}

std::optional<int> parse_watch_seconds(std::string_view value, std::string *error)
{
	bool digits = !value.empty() && value.size() <= 9;
	for (char ch : value)
		digits = digits && ch >= '0' && ch <= '9';
	if (!digits) {
		*error = quoted(value) + " is not a number of seconds";
		return std::nullopt;
	}
	int n = 0;
	for (char ch : value)
		n = n * 10 + (ch - '0');
	if (n < 1 || n > kWatchMaxSeconds) {
		*error = quoted(value) + " is out of range (1 to " +
			 std::to_string(kWatchMaxSeconds) + " seconds)";
		return std::nullopt;
	}
	return n;
}

std::string default_config_path(const char *slurm_conf)
{
	if (slurm_conf && *slurm_conf) {
		std::string_view p = slurm_conf;
		auto slash = p.rfind('/');
		if (slash == std::string_view::npos)
			return std::string(kConfigFileName);
		if (slash == 0)
			return "/" + std::string(kConfigFileName);
		return std::string(p.substr(0, slash)) + "/" + std::string(kConfigFileName);
	}
	return "/etc/slurm/" + std::string(kConfigFileName);
}

bool topology_arg_is_file(std::string_view arg)
{
	return arg.find('/') != std::string_view::npos || arg.ends_with(".xml");
}

} // namespace slurmpi::tool
