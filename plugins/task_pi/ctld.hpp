// task/pi's calls to slurmctld: read the node's Extra and drain state,
// write Extra, drain and resume. Thin wrappers over Slurm's API that return
// plain C++ values. On failure they say why in *why (Slurm's error text) and
// log nothing: the caller rate-limits, since slurmctld may be down a while.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/drain.hpp"

namespace taskpi {

struct NodeView {
	std::string extra;
	slurmpi::NodeDrainState drain;
};

// REQUEST_NODE_INFO_SINGLE (read locks only). nullopt when slurmctld
// cannot be reached or does not know the node.
std::optional<NodeView> load_node(const std::string &node, std::string *why);

// UPDATE_NODE with only Extra set.
bool update_extra(const std::string &node, const std::string &extra,
		  std::string *why);

// UPDATE_NODE State=DRAIN Reason=<reason>, or State=RESUME.
bool drain_node(const std::string &node, const std::string &reason,
		std::string *why);
bool resume_node(const std::string &node, std::string *why);

// A job as --thermal-report needs it: its AdminComment and its nodes.
struct JobView {
	std::string admin_comment;
	std::vector<std::string> nodes; // expanded, in Slurm's order
};

// REQUEST_JOB_INFO for one job id. nullopt when slurmctld cannot be
// reached or does not know the job.
std::optional<JobView> load_job(std::uint32_t job_id, std::string *why);

// UPDATE_JOB with only AdminComment set (root or SlurmUser only; refused
// once the job has finished).
bool update_admin_comment(std::uint32_t job_id, const std::string &text,
			  std::string *why);

} // namespace taskpi
