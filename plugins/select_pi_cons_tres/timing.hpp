// select/pi_cons_tres: what job_test costs, always on. For each call
// select_p_job_test records its whole time and the time spent inside
// cons_tres's own job_test; the difference is what slurm-pi adds (reading
// the nodes' telemetry, the policy, changing and restoring the bitmap and
// sched_weight). Kept per mode (RUN_NOW, WILL_RUN, TEST_ONLY).
//
// Cost: four reads of CLOCK_MONOTONIC (vDSO, no system call) and a few
// stores per call; no allocation, no I/O, no locks. The counters are
// written only from job_test, which slurmctld runs with the job write lock
// held, so writers never overlap; the relaxed atomics only make the
// unlocked reads in report() well defined.
//
// report() logs one line per mode that had calls, e.g.
//   select/pi_cons_tres: job_test RUN_NOW: 1000 calls, policy 1.20 us/call
//   (0.85% of cons_tres), cons_tres 141.00 us/call, policy max 9.10 us
// It is called where slurmctld holds none of its locks: select_p_state_save
// (every 5 minutes, at `scontrol reconfigure` and at shutdown) and fini.
#pragma once

#include <cstdint>

namespace piselect::timing {

// CLOCK_MONOTONIC in nanoseconds; 0 when the clock cannot be read (the
// call is then not counted).
std::uint64_t now_ns() noexcept;

// One job_test call in `mode` (SELECT_MODE_*): it ran from `start` to
// `end`, and cons_tres's job_test took `delegate_ns` of that.
void record(std::uint16_t mode, std::uint64_t start, std::uint64_t end,
	    std::uint64_t delegate_ns) noexcept;

// Log the totals since slurmctld started, when there are new calls since
// the last report. Call only where slurmctld holds none of its locks.
void report() noexcept;

} // namespace piselect::timing
