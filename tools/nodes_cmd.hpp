// `slurm-pi nodes`: read the nodes from slurmctld (nodes_slurm.cpp, the only
// part that calls libslurm) and print them once, or redraw them until
// SIGINT/SIGTERM with --watch (nodes_cmd.cpp). The rows and their text and
// JSON are tools/nodes.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "tools/cli.hpp"
#include "tools/nodes.hpp"

namespace slurmpi::tool {

// What the terminal is: main() asks isatty(1) and $NO_COLOR.
struct Terminal {
	bool is_tty = false;   // stdout is a terminal
	bool no_color = false; // $NO_COLOR is set and not empty
};

struct NodeLoad {
	std::vector<NodeInput> nodes;
	// Empty on success; otherwise what went wrong, e.g. `cannot read the
	// nodes from slurmctld: Unable to contact slurm controller (connect
	// failure) (SLURM_CONF=/etc/slurm/slurm.conf; is slurmctld running?)`.
	std::string error;

	bool ok() const { return error.empty(); }
};

using NodeLoader = std::function<NodeLoad()>;

// Slurm's node state word as sinfo shows it, lower case: the base state
// (idle, allocated, mixed, down, future, unknown) unless a flag says
// more: drained/draining (DRAIN), fail/failing (FAIL), completing, maint,
// reboot, powered_down, powering_up, powering_down, reserved; "*" appended
// when the node does not respond. Pure (nodes_slurm.cpp).
std::string slurm_state_name(std::uint32_t node_state);

// Every node, from slurm_load_node(). `slurm_conf` is $SLURM_CONF (may be
// null), only for messages: libslurm reads it itself.
NodeLoad load_slurm_nodes(const char *slurm_conf);

// Load, make the rows with now and StaleAfter, print; with --watch,
// redraw every o.watch seconds until SIGINT or SIGTERM (then 0). Colour
// when stdout is a terminal, unless --no-color or $NO_COLOR. Returns the
// exit status: kExitRuntime when the nodes cannot be read (not with
// --watch: the error is shown and the next round tries again).
int run_nodes(const Options &o, const Config &c, std::ostream &out,
	      std::ostream &err, const Terminal &term, const NodeLoader &load);

} // namespace slurmpi::tool
