// spank_pi_stage's decisions about one job on one node, pure: what a
// failure does, whether stage-out runs, what the node-local state record
// says, where the job's output file is. The plugin (plugins/spank_pi_stage)
// only gathers the inputs from Slurm and carries the answers out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stage/spec.hpp"

namespace slurmpi::stage {

// ---------------------------------------------------------------- failures

// What the prolog does about a stage-in that failed.
enum class FailureAction {
	fail,          // record it; every step on this node fails with the reason
	requeue,       // slurm_requeue the job (no hold); "fail" if Slurm refuses
	drain_requeue, // drain this node with the reason, then requeue
};

// A user's mistake always fails the job (never requeues, never drains). A
// failure of the node or the share does what the admin chose in
// on-failure=, but a job that was already requeued `max_requeues` times
// for staging (SLURM_JOB_RESTART_COUNT) fails instead of looping, and a
// drain still requeues the job so that it can run elsewhere.
FailureAction failure_action(bool infrastructure, StageOnFailure on_failure,
			     std::uint32_t restart_count, std::uint32_t max_requeues = 3);

std::string_view to_string(FailureAction a);

// ---------------------------------------------------------------- stage-out

// What the epilog knows about how the job ended.
struct JobEnd {
	// SLURM_JOB_EXIT_CODE and SLURM_JOB_DERIVED_EC (wait(2) statuses);
	// nullopt when the variable is missing or not a number.
	std::optional<long> exit_code;
	std::optional<long> derived_ec;
	// The job's state from slurmctld ("COMPLETED", "FAILED", "TIMEOUT",
	// "CANCELLED", ...), when the epilog could ask; "" if not.
	std::string state;
};

// Whether `when` lets this job's results out: always, or on success: a
// zero exit code, a zero derived code (no failed step) and a state that
// is not a failure. A timed-out or cancelled job can end with exit code 0
// (Slurm deallocates before it knows the script's status), so a state
// that says otherwise wins; with no state, the codes decide; with no
// codes either, it is not a success.
bool stage_out_allowed(StageOutWhen when, const JobEnd &end);

// ---------------------------------------------------------------- the state record

// What the prolog leaves for the job's steps and for the epilog, in a
// root-owned file on the node: whether stage-in worked, and the lines the
// user is shown (the reason of a failure, or the summary of a success).
struct StageState {
	bool ok = true;
	std::vector<std::string> lines;
	bool operator==(const StageState &) const = default;
};

// "ok\n<line>\n..." or "failed\n<line>\n...": lines without newlines or
// other control characters (replaced by ' '), at most 64 lines of at most
// 1024 bytes each (longer ones cut).
std::string format_state(const StageState &s);
// nullopt for anything that format_state() would not write.
std::optional<StageState> parse_state(std::string_view text);

// ---------------------------------------------------------------- the job's output file

// The job's stdout file on this node, from SLURM_JOB_STDOUT (as submitted,
// possibly with %-patterns) and SLURM_JOB_WORK_DIR: the default
// "slurm-<jobid>.out" in the work dir when none was given; %j, %J, %u,
// %N (this node) and %% expanded; a relative path taken in the work dir.
// nullopt when it cannot be known here (another pattern such as %x or %A,
// a zero-padded %5j, a backslash, which Slurm takes as "no patterns", no
// work dir for a relative path) or names no file.
std::optional<std::string> job_output_path(std::string_view stdout_spec,
					   std::string_view workdir, std::uint32_t job_id,
					   std::string_view user, std::string_view node);

// ---------------------------------------------------------------- names

// "42": a job's scratch directory name under the scratch base.
std::string scratch_name(std::uint32_t job_id);

} // namespace slurmpi::stage
