// spank_pi_stage's hooks, one file per context (pyxis-style):
//   submit.cpp   sbatch, salloc, srun: options, checks, the job's request
//   prolog.cpp   slurmd's job prolog: stage-in
//   epilog.cpp   slurmd's job epilog: stage-out, cleanup
//   task.cpp     slurmstepd: SLURM_PI_SCRATCH, a failed stage-in fails
//                the step, a good one's summary in the job's output
// spank_pi_stage.cpp holds the plugin's symbols and options and catches
// everything: no exception reaches Slurm.
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include <optional>
#include <string>

namespace pistage {

// The options as given on the command line or in #SBATCH lines.
struct Options {
	std::optional<std::string> in, out, when;
};
Options &options();

int submit_post_opt(spank_t sp, int ac, char **av);
int job_prolog(spank_t sp, int ac, char **av);
int job_epilog(spank_t sp, int ac, char **av);
void task_user_init(spank_t sp, int ac, char **av);
int task_init_privileged(spank_t sp);
void task_init(spank_t sp);

} // namespace pistage
