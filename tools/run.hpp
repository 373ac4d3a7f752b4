// The whole `slurm-pi` command behind main(), with its streams and
// environment passed in so tests run it in-process.
#pragma once

#include <iosfwd>
#include <span>
#include <string>

#include "tools/nodes_cmd.hpp"

namespace slurmpi::tool {

// `args` without the program name; `slurm_conf` is $SLURM_CONF (may be
// null); `term` says whether `out` is a terminal (colours, redraw);
// `nodes` reads the nodes for `slurm-pi nodes` (empty: from slurmctld).
// Returns the exit status (kExit* in tools/cli.hpp).
int run_tool(std::span<const std::string> args, std::ostream &out,
	     std::ostream &err, const char *slurm_conf,
	     const Terminal &term = {}, const NodeLoader &nodes = {});

} // namespace slurmpi::tool
