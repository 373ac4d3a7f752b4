// Help and version texts of the `slurm-pi` command. slurm-pi(1)
// (tools/slurm-pi.1) says the same at more length; keep them in step.
#pragma once

#include <string_view>

#include "tools/cli.hpp"

namespace slurmpi::tool {

// --help of the whole command (Command::none) or of one command.
std::string_view help_text(Command topic);

// "slurm-pi 0.1.0\n".
std::string_view version_text();

} // namespace slurmpi::tool
