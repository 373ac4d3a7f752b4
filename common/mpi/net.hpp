// The node's network facts, read from the kernel: its interfaces and the
// route to a host. I/O, shared by spank_pi_mpi (which interface Open MPI
// uses) and slurm-pi doctor (names.self); the decisions are wiring.hpp's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mpi/wiring.hpp"

namespace slurmpi {

// The node's interfaces with their IPv4 addresses (getifaddrs: the
// network namespace this process runs in, unlike /sys/class/net).
std::vector<NetIface> interfaces(std::string *why);

// The local IPv4 address the kernel would send from to reach `host`
// (a UDP socket connected to it: no packet is sent). nullopt and `why`
// when the name does not resolve or no route exists.
std::optional<std::uint32_t> route_source(const std::string &host, std::string *why);

} // namespace slurmpi
