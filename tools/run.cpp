#include "tools/run.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <ostream>
#include <sys/stat.h>

#include "common/config.hpp"
#include "common/fs.hpp"
#include "tools/cli.hpp"
#include "tools/doctor.hpp"
#include "tools/help.hpp"
#include "tools/nodeconf_cmd.hpp"
#include "tools/status.hpp"

namespace slurmpi::tool {

namespace {

// --root must name a directory; it is made absolute so messages and the
// node name (the directory's name) do not depend on how it was spelled.
std::string check_root(Options &o)
{
	if (o.root == "/")
		return "";
	struct stat st;
	if (::stat(o.root.c_str(), &st) != 0)
		return "--root: " + o.root + ": " + errno_string(errno);
	if (!S_ISDIR(st.st_mode))
		return "--root: " + o.root + ": not a directory";
	char buf[PATH_MAX];
	if (::realpath(o.root.c_str(), buf))
		o.root = buf;
	return "";
}

// The config, or the errors to print (then exit kExitConfig).
ConfigResult config_for(const Options &o, const char *slurm_conf)
{
	const std::string path = o.config ? *o.config : default_config_path(slurm_conf);
	ConfigResult c = load_config(path);
	// Without the file the defaults apply; but a file named on the
	// command line that is not there is a mistake, not a wish for them.
	if (o.config && c.file_missing)
		c.errors.push_back("--config: " + path + ": No such file or directory");
	return c;
}

} // namespace

int run_tool(std::span<const std::string> args, std::ostream &out,
	     std::ostream &err, const char *slurm_conf, const Terminal &term,
	     const NodeLoader &nodes)
{
	ParseResult p = parse_args(args);
	if (!p.ok()) {
		err << usage_message(p.error) << "\n"
		    << "Try 'slurm-pi --help' for more information.\n";
		return kExitUsage;
	}
	Options &o = p.options;
	if (o.help) {
		out << help_text(o.help_topic);
		return kExitOk;
	}
	if (o.version) {
		out << version_text();
		return kExitOk;
	}
	if (std::string e = check_root(o); !e.empty()) {
		err << "slurm-pi: " << e << "\n";
		return kExitUsage;
	}
	// doctor reports a broken slurm-pi.conf as a finding.
	if (o.command == Command::doctor)
		return run_doctor(o, slurm_conf, out, err, term, {}, nodes);
	ConfigResult c = config_for(o, slurm_conf);
	if (!c.ok()) {
		for (const std::string &e : c.errors)
			err << "slurm-pi: " << e << "\n";
		return kExitConfig;
	}
	switch (o.command) {
	case Command::nodeconf:
		return run_nodeconf(o, c.config, out, err);
	case Command::status:
		return run_status(o, c.config, out, err);
	case Command::nodes:
		if (nodes)
			return run_nodes(o, c.config, out, err, term, nodes);
		return run_nodes(o, c.config, out, err, term,
				 [slurm_conf] { return load_slurm_nodes(slurm_conf); });
	case Command::doctor:
	case Command::help:
	case Command::none:
		break;
	}
	// parse_args() lets no other case through.
	err << "slurm-pi: no command given\n";
	return kExitUsage;
}

} // namespace slurmpi::tool
