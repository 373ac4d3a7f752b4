// The thin libslurm side of `slurm-pi nodes`: node_info_t to NodeInput.
#include "tools/nodes_cmd.hpp"

#include <cerrno>
#include <cstdio>
#include <sys/stat.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "common/fs.hpp"

namespace slurmpi::tool {

std::string slurm_state_name(std::uint32_t s)
{
	const std::uint32_t base = s & NODE_STATE_BASE;
	const bool completing = s & NODE_STATE_COMPLETING;
	const bool busy = completing || base == NODE_STATE_ALLOCATED ||
			  base == NODE_STATE_MIXED;
	std::string name;
	if (s & NODE_STATE_MAINT)
		name = "maint";
	else if (s & (NODE_STATE_REBOOT_REQUESTED | NODE_STATE_REBOOT_ISSUED))
		name = "reboot";
	else if (s & NODE_STATE_FAIL)
		name = busy ? "failing" : "fail";
	else if (s & NODE_STATE_DRAIN)
		name = busy ? "draining" : "drained";
	else if (s & NODE_STATE_POWERED_DOWN)
		name = "powered_down";
	else if (s & NODE_STATE_POWERING_UP)
		name = "powering_up";
	else if (s & NODE_STATE_POWERING_DOWN)
		name = "powering_down";
	else if (completing && base != NODE_STATE_DOWN)
		name = "completing";
	else {
		switch (base) {
		case NODE_STATE_DOWN:
			name = "down";
			break;
		case NODE_STATE_IDLE:
			name = (s & NODE_STATE_RES) ? "reserved" : "idle";
			break;
		case NODE_STATE_ALLOCATED:
			name = "allocated";
			break;
		case NODE_STATE_MIXED:
			name = "mixed";
			break;
		case NODE_STATE_FUTURE:
			name = "future";
			break;
		default:
			name = "unknown";
			break;
		}
	}
	if (s & NODE_STATE_NO_RESPOND)
		name += "*";
	return name;
}

namespace {

std::string str(const char *p)
{
	return p ? std::string(p) : std::string();
}

} // namespace

NodeLoad load_slurm_nodes(const char *slurm_conf)
{
	NodeLoad load;
	static bool initialised = false;
	if (!initialised) {
		// libslurm retries a missing $SLURM_CONF for a minute and
		// then exits from inside slurm_init(): say it at once instead.
		struct stat st;
		if (slurm_conf && *slurm_conf && ::stat(slurm_conf, &st) != 0) {
			load.error = "SLURM_CONF=" + std::string(slurm_conf) + ": " +
				     errno_string(errno) +
				     " (the slurm.conf that names slurmctld)";
			return load;
		}
		// Without either, libslurm asks DNS for a configless
		// controller and exits if there is none; its message is
		// about DNS, so name the files first.
		if ((!slurm_conf || !*slurm_conf) &&
		    ::stat("/etc/slurm/slurm.conf", &st) != 0 &&
		    ::stat("/run/slurm/conf/slurm.conf", &st) != 0)
			std::fprintf(stderr, "slurm-pi nodes: SLURM_CONF is unset and "
					     "there is no /etc/slurm/slurm.conf: "
					     "looking for slurmctld in DNS (configless)\n");
		slurm_init(nullptr);
		initialised = true;
	}
	node_info_msg_t *msg = nullptr;
	// SHOW_MIXED: a node with some CPUs allocated shows as mixed, as
	// in sinfo. SHOW_ALL: nodes of hidden partitions too.
	if (slurm_load_node(0, &msg, SHOW_ALL | SHOW_MIXED) != SLURM_SUCCESS) {
		int e = errno;
		std::string where = slurm_conf && *slurm_conf
					    ? "SLURM_CONF=" + std::string(slurm_conf)
					    : std::string("SLURM_CONF unset: /etc/slurm/slurm.conf");
		load.error = "cannot read the nodes from slurmctld: " +
			     str(slurm_strerror(e)) + " (" + where +
			     "; is slurmctld running and reachable?)";
		return load;
	}
	if (!msg) {
		load.error = "slurmctld sent no node information";
		return load;
	}
	load.nodes.reserve(msg->record_count);
	for (std::uint32_t i = 0; i < msg->record_count; i++) {
		const node_info_t &n = msg->node_array[i];
		if (!n.name)
			continue; // a hidden node's empty slot
		load.nodes.push_back({str(n.name), slurm_state_name(n.node_state),
				      str(n.reason), str(n.extra)});
	}
	slurm_free_node_info_msg(msg);
	return load;
}

} // namespace slurmpi::tool
