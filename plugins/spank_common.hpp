// What the SPANK plugins' glue shares: small helpers with no Slurm calls.
#pragma once

#include <unistd.h>

#include <optional>
#include <string>

namespace slurmpi::spank {

// An option callback's value into its slot. -1 (Slurm then reports the
// option as bad) only when the copy cannot be made.
inline int store_option(std::optional<std::string> &slot, const char *optarg) noexcept
{
	try {
		slot = optarg ? optarg : "";
		return 0;
	} catch (...) {
		return -1;
	}
}

// The node's name for messages and records: `slurmd_nodename` (the job's
// SLURMD_NODENAME) when set, else the host name, else `fallback`.
inline std::string node_name(const std::string &slurmd_nodename,
			     const std::string &fallback = "this node")
{
	if (!slurmd_nodename.empty())
		return slurmd_nodename;
	char host[256] = {};
	if (::gethostname(host, sizeof host - 1) == 0 && host[0])
		return host;
	return fallback;
}

} // namespace slurmpi::spank
