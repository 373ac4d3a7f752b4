// spank_pi_mpi: the node's facts, gathered for common/mpi/wiring.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mpi/net.hpp"
#include "common/mpi/wiring.hpp"

namespace pimpi {

// interfaces() and route_source() are common/mpi/net.hpp's.
using slurmpi::interfaces;
using slurmpi::route_source;

// slurmctld's host as slurm.conf names it (SlurmctldHost's address, else
// its name): "" when this process has no Slurm config.
std::string controller_host();

// Slurm's mpi/pmix plugin file in PluginDir (the first directory that
// has it), or the path where it was looked for first.
std::string pmix_plugin_path(bool *exists);

// slurm.conf's MpiDefault: "none" when it is none or unset (24.11 keeps
// those as NULL), "" when slurm.conf is not loaded here.
std::string mpi_default();

// Whether `path` names an existing file (following symbolic links).
bool file_exists(const std::string &path);

} // namespace pimpi
