#include "plugins/task_pi/ctld.hpp"

extern "C" {
#include "config.h"

#include "src/common/slurm_xlator.h"
#include "slurm/slurm.h"
#include "slurm/slurm_errno.h"
}

#include <unistd.h>

namespace taskpi {

namespace {

bool send_update(update_node_msg_t &msg, const std::string &node,
		 std::string *why)
{
	msg.node_names = const_cast<char *>(node.c_str());
	if (slurm_update_node(&msg) == SLURM_SUCCESS)
		return true;
	*why = slurm_strerror(slurm_get_errno());
	return false;
}

} // namespace

std::optional<NodeView> load_node(const std::string &node, std::string *why)
{
	node_info_msg_t *msg = nullptr;
	if (slurm_load_node_single(&msg, const_cast<char *>(node.c_str()),
				   SHOW_ALL) != SLURM_SUCCESS) {
		*why = slurm_strerror(slurm_get_errno());
		return std::nullopt;
	}
	std::optional<NodeView> view;
	if (msg && msg->record_count >= 1) {
		const node_info_t &n = msg->node_array[0];
		view.emplace();
		view->extra = n.extra ? n.extra : "";
		view->drain.drain = (n.node_state & NODE_STATE_DRAIN) != 0;
		view->drain.reason = n.reason ? n.reason : "";
	}
	slurm_free_node_info_msg(msg);
	if (!view)
		*why = "slurmctld does not know this node";
	return view;
}

bool update_extra(const std::string &node, const std::string &extra,
		  std::string *why)
{
	update_node_msg_t msg;
	slurm_init_update_node_msg(&msg);
	msg.extra = const_cast<char *>(extra.c_str());
	return send_update(msg, node, why);
}

bool drain_node(const std::string &node, const std::string &reason,
		std::string *why)
{
	update_node_msg_t msg;
	slurm_init_update_node_msg(&msg);
	msg.node_state = NODE_STATE_DRAIN;
	msg.reason = const_cast<char *>(reason.c_str());
	msg.reason_uid = getuid();
	return send_update(msg, node, why);
}

bool resume_node(const std::string &node, std::string *why)
{
	update_node_msg_t msg;
	slurm_init_update_node_msg(&msg);
	msg.node_state = NODE_RESUME;
	return send_update(msg, node, why);
}

} // namespace taskpi
