// The two children the prolog and epilog run as the job's user: the
// share's health check and a stage (common/stage/run.hpp), with their
// progress lines logged as they come. The child writes "P <progress>"
// lines and one "R <result as JSON>" line (or "H ok" for the check).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/stage/run.hpp"
#include "common/stage/spec.hpp"
#include "common/user_write.hpp"
#include "plugins/spank_pi_stage/node.hpp"

namespace pistage {

// A check for the children's should_stop: true once slurmctld says the
// job is over (scancel does not stop a prolog). Asks first after 3 s,
// then every 10 s.
std::function<bool()> job_gone(std::uint32_t job_id);

// "" when every root in `roots` answers (statfs and a directory read as
// the user) within the timeout; else what failed, naming the root.
// *stopped is set when the job ended meanwhile (job_gone).
std::string check_share(const slurmpi::UserCreds &who, const std::vector<std::string> &roots,
			int timeout_s, std::uint32_t job_id, bool *stopped);

enum class Direction { in, out };

struct StageRun {
	slurmpi::stage::RunResult result;
	// Set when the child itself failed (killed at the timeout, could not
	// become the user, no result): then `result` says nothing, and this is
	// always a failure of the node or the share.
	std::string child_error;
	bool ok() const { return child_error.empty() && result.ok(); }
	bool infrastructure() const;
	std::string message() const; // what failed, for the user and the log
};

// One stage of `items` for `job` on this node, as the user.
StageRun run_stage(Direction dir, const slurmpi::StageArgs &args, const JobInfo &job,
		   const slurmpi::UserCreds &who, const std::vector<slurmpi::StageItem> &items,
		   const std::string &scratch);

} // namespace pistage
