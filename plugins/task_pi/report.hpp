// --thermal-report in slurmstepd (task/pi, at each step's end, as root).
#pragma once

#include <cstdint>
#include <string>

#include "common/user_write.hpp"

namespace taskpi {

// What the report needs of the step (from stepd_step_rec_t).
struct ReportStep {
	std::uint32_t job_id = 0;
	std::string id;        // "42.batch", for log lines
	std::string node;      // this node
	std::string spool;     // SlurmdSpoolDir
	bool batch = false;    // the batch step: write the report
	slurmpi::UserCreds user;
	std::string output;    // the batch step's stdout file
};

// Whether a step's SLURM_PI_THERMAL_REPORT asks for the report ("yes":
// spank_pi_thermal sets it from --thermal-report; a user may too).
bool report_wanted(const char *value);

// After the step's record was appended to <spool>/slurm-pi/job_<id>.json:
// merges this node's records of the job, puts the node's summary into the
// job's AdminComment (common/thermal_report: publish_summary) and, at the
// end of the batch step, appends the report of every node to the job's
// output file as the job's user. Bounded (a few seconds of slurmctld
// calls, five for the write); logs what failed and never throws.
void thermal_report(const ReportStep &step) noexcept;

} // namespace taskpi
