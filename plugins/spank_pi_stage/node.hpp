// spank_pi_stage on the node (slurmstepd as root): what the prolog, the
// epilog and the task hooks share. The decisions are in common/stage/;
// this file converts Slurm's view of the job and does the root-side I/O:
// the scratch base, a job's scratch directory, the state record, and the
// calls to slurmctld that requeue a job or drain a node.
//
// On the node, under the scratch base (scratch= in plugstack.conf):
//   <base>/             root-owned, not writable by group or others
//   <base>/<jobid>/     the job's scratch, owned by the user, mode 0700
//   <base>/.cache/      the stage-in cache (common/stage/cache.hpp)
// and, apart from the scratch disk (so that a broken one can still be
// reported), the state record (common/stage/job.hpp) of each job:
//   /run/slurm-pi/stage/<node>.<jobid>   root-owned, mode 0600
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/stage/fd.hpp"
#include "common/stage/job.hpp"
#include "common/stage/spec.hpp"
#include "common/user_write.hpp"

namespace pistage {

// The log prefix of every line: "slurm-pi stage: job 42: ...".
#define PI_STAGE "slurm-pi stage"

// What the job asked for, as the submit side recorded it in the job's
// spank environment (the prolog and epilog see it as SPANK_PI_STAGE_*).
// User-controlled text: parsed and checked again on the node.
struct Request {
	std::string in, out, when;
	bool any() const { return !in.empty() || !out.empty(); }
};
// The names passed to spank_job_control_setenv (without SPANK_).
inline constexpr const char *kJobEnvIn = "PI_STAGE_IN";
inline constexpr const char *kJobEnvOut = "PI_STAGE_OUT";
inline constexpr const char *kJobEnvWhen = "PI_STAGE_OUT_WHEN";
// The prolog's and epilog's process environment.
Request request_from_env();

// The plugstack.conf arguments, parsed; errors are logged (once per
// process) and nullopt returned.
std::optional<slurmpi::StageArgs> node_args(int ac, char **av);

struct JobInfo {
	std::uint32_t id = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	std::string user;      // SLURM_JOB_USER
	std::string node;      // SLURMD_NODENAME
	std::uint32_t nnodes = 1;
	std::uint32_t restart_count = 0;
	std::string workdir;   // SLURM_JOB_WORK_DIR
};
// From spank items (id, uid, gid) and the job_script environment.
std::optional<JobInfo> job_info(spank_t sp, std::string *why);
// The user's identity with the supplementary groups from this node's NSS.
std::optional<slurmpi::UserCreds> user_creds(const JobInfo &job, std::string *why);

// The scratch base, opened (created if missing, with its parent present)
// and checked: a directory, not a symbolic link, owned by root, not
// writable by group or others. `why` names what is wrong.
std::optional<slurmpi::stage::UniqueFd> open_base(const std::string &base, std::string *why);

// <base>/<jobid>: removed if left from an earlier run of the job, then
// made mode 0700 and owned by the user. "" or what failed.
std::string make_scratch(int base_fd, const std::string &base, const JobInfo &job);
std::string scratch_path(const std::string &base, std::uint32_t job_id);

inline constexpr const char *kStateDir = "/run/slurm-pi/stage";
// The state record of the job on this node. write_state returns "" or
// what failed; read_state nullopt when there is none (or it is not one:
// logged).
std::string write_state(const std::string &node, std::uint32_t job_id,
			const slurmpi::stage::StageState &s);
std::optional<slurmpi::stage::StageState> read_state(const std::string &node,
						     std::uint32_t job_id);
void remove_state(const std::string &node, std::uint32_t job_id);

// Removes the job's scratch directory (never following a symbolic link).
// Logs what could not be removed.
void remove_scratch(int base_fd, const std::string &base, std::uint32_t job_id);

// slurmctld calls, as root. "" or Slurm's error text.
std::string requeue_job(std::uint32_t job_id);
std::string drain_node(const std::string &node, const std::string &reason);
// The job's state name ("RUNNING", "CANCELLED", ...), "" if unknown.
std::string job_state(std::uint32_t job_id);

} // namespace pistage
