// select/pi_cons_tres's thermal part: in job_test, read each candidate
// node's telemetry (parsed once per change of its Extra), apply the job's
// policy with common/placement, leave out excluded nodes and set the low
// byte of each candidate's sched_weight, delegate to cons_tres, then put
// every sched_weight back. Any failure here falls back to plain cons_tres.
#pragma once

#include "pi_slurm_ctld.h"

namespace piselect {

// Read slurm-pi.conf beside slurm.conf (init and reconfigure). Never throws;
// a file with errors is logged and the defaults are used.
void load_config() noexcept;

// The job_test of cons_tres, with thermal placement around it in RUN_NOW
// and WILL_RUN (not TEST_ONLY: that asks whether the job can ever run).
// `delegate(arg)` runs cons_tres's job_test.
int job_test(job_record_t *job_ptr, bitstr_t *bitmap, uint16_t mode,
	     int (*delegate)(void *), void *arg) noexcept;

} // namespace piselect
