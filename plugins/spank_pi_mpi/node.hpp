// spank_pi_mpi: the node's facts, gathered for common/mpi/wiring.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mpi/wiring.hpp"

namespace pimpi {

// The node's interfaces with their IPv4 addresses (getifaddrs: the
// network namespace this process runs in, unlike /sys/class/net).
std::vector<slurmpi::NetIface> interfaces(std::string *why);

// slurmctld's host as slurm.conf names it (SlurmctldHost's address, else
// its name): "" when this process has no Slurm config.
std::string controller_host();

// The local IPv4 address the kernel would send from to reach `host`
// (a UDP socket connected to it: no packet is sent). nullopt and `why`
// when the name does not resolve or no route exists.
std::optional<std::uint32_t> route_source(const std::string &host, std::string *why);

// Slurm's mpi/pmix plugin file in PluginDir (the first directory that
// has it), or the path where it was looked for first.
std::string pmix_plugin_path(bool *exists);

// slurm.conf's MpiDefault ("" if unknown).
std::string mpi_default();

// Whether `path` names an existing file (following symbolic links).
bool file_exists(const std::string &path);

} // namespace pimpi
