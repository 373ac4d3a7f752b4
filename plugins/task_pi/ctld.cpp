#include "plugins/task_pi/ctld.hpp"

extern "C" {
#include "config.h"

#include "src/common/slurm_xlator.h"
#include "slurm/slurm.h"
#include "slurm/slurm_errno.h"
}

#include <unistd.h>

#include <cerrno>

#include <cstdlib>

namespace taskpi {

namespace {

bool send_update(update_node_msg_t &msg, const std::string &node,
		 std::string *why)
{
	msg.node_names = const_cast<char *>(node.c_str());
	if (slurm_update_node(&msg) == SLURM_SUCCESS)
		return true;
	*why = slurm_strerror(errno);
	return false;
}

} // namespace

std::optional<NodeView> load_node(const std::string &node, std::string *why)
{
	node_info_msg_t *msg = nullptr;
	if (slurm_load_node_single(&msg, const_cast<char *>(node.c_str()),
				   SHOW_ALL) != SLURM_SUCCESS) {
		*why = slurm_strerror(errno);
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

std::optional<JobView> load_job(std::uint32_t job_id, std::string *why)
{
	job_info_msg_t *msg = nullptr;
	if (slurm_load_job(&msg, job_id, SHOW_ALL) != SLURM_SUCCESS) {
		*why = slurm_strerror(errno);
		return std::nullopt;
	}
	std::optional<JobView> view;
	for (uint32_t i = 0; msg && i < msg->record_count; ++i) {
		const slurm_job_info_t &j = msg->job_array[i];
		if (j.job_id != job_id)
			continue;
		view.emplace();
		view->admin_comment = j.admin_comment ? j.admin_comment : "";
		if (j.nodes && *j.nodes) {
			auto *hl = slurm_hostlist_create(j.nodes);
			char *h;
			while (hl && (h = slurm_hostlist_shift(hl))) {
				view->nodes.emplace_back(h);
				free(h);
			}
			if (hl)
				slurm_hostlist_destroy(hl);
		}
		break;
	}
	slurm_free_job_info_msg(msg);
	if (!view)
		*why = "slurmctld does not know this job";
	return view;
}

bool update_admin_comment(std::uint32_t job_id, const std::string &text,
			  std::string *why)
{
	job_desc_msg_t desc;
	slurm_init_job_desc_msg(&desc);
	desc.job_id = job_id;
	desc.admin_comment = const_cast<char *>(text.c_str());
	if (slurm_update_job(&desc) == SLURM_SUCCESS)
		return true;
	*why = slurm_strerror(errno);
	return false;
}

} // namespace taskpi
