// task/pi's node agent in slurmd: one sampler thread that reads the Pi's
// sensors every PollInterval, publishes the telemetry record into the
// node's Extra (on change and as a heartbeat), and drains and resumes the
// node on critical when DrainOnCritical is on.
#pragma once

#include "common/pipeline.hpp"

namespace taskpi {

// From init() in slurmd. Starts the sampler so that it runs exactly once,
// in the slurmd daemon itself, whether or not slurmd daemonizes (22.05
// calls init() before it forks). Never throws.
void agent_init(const slurmpi::NodeFacts &facts) noexcept;

// From fini(): stops the sampler promptly. Never throws.
void agent_fini() noexcept;

} // namespace taskpi
