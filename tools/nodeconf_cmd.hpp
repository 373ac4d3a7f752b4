// `slurm-pi nodeconf`: read what the NodeName line needs and print it.
#pragma once

#include <iosfwd>

#include "common/config.hpp"
#include "common/nodeconf.hpp"
#include "tools/cli.hpp"

namespace slurmpi::tool {

// Everything build_nodeconf() needs, read from o.root (and o.topology).
// The CPU layout: --topology if given; this machine through hwloc for the
// real root; for a tree, the model table if it is a known Pi (hwloc cannot
// read a copied tree), else an error asking for --topology.
NodeConfInput gather_nodeconf(const Options &o, const Config &c);

// Print the comments and the line; returns the exit status (1 when there
// is no line or a value was left out).
int run_nodeconf(const Options &o, const Config &c, std::ostream &out,
		 std::ostream &err);

} // namespace slurmpi::tool
