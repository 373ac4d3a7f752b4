// slurm-pi doctor: names.self, whether this node's own name leads the
// other nodes to it. Pure: the tool gathers the facts (common/mpi/net.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/doctor/finding.hpp"
#include "common/mpi/wiring.hpp"

namespace slurmpi::doctor {

// `node` resolved here to `addr` (nullopt: it does not resolve). FAIL when
// it does not resolve, resolves to loopback (Debian's "127.0.1.1
// <hostname>" line: slurmctld and the other nodes then cannot reach the
// node by the name slurmd gives), or to an address no interface here has;
// WARN when the address is on another interface than the one that carries
// the route to `controller` (`route_src`, nullopt when not known); OK
// otherwise. The fix names the address to use: the one on the route to
// the controller, when known.
Finding check_name_self(std::string_view node, std::optional<std::uint32_t> addr,
			const std::vector<NetIface> &ifaces, std::optional<std::uint32_t> route_src,
			std::string_view controller);

} // namespace slurmpi::doctor
