// CPU topology as Slurm counts it (boards, sockets, cores, threads, PUs)
// and the caches, read with hwloc.
//
// The counting follows what `slurmd -C` does with hwloc, so the NodeName
// line `slurm-pi nodeconf` proposes agrees with the node's own report (a
// disagreement makes slurmctld drain the node): sockets are the packages
// that hold cores, threads per core = PUs / cores, cores per socket =
// cores / sockets, one board. A Raspberry Pi is one package of four cores
// without SMT; Pi 4: one 1 MiB L2 shared by the four A72 cores; Pi 5: a
// 512 KiB L2 per A76 core and one shared 2 MiB L3. Older Pi kernels export
// no cache information, so an empty cache list is normal, not an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace slurmpi {

// Where the topology comes from.
struct TopologySource {
	enum class Kind {
		machine,   // this machine, as slurmd sees it
		xml,       // an hwloc XML file (`lstopo node.xml` on the node)
		synthetic, // an hwloc synthetic description (tests)
	};
	Kind kind = Kind::machine;
	std::string arg; // the XML path or the synthetic description

	static TopologySource machine() { return {}; }
	static TopologySource xml(std::string path)
	{
		return {Kind::xml, std::move(path)};
	}
	static TopologySource synthetic(std::string description)
	{
		return {Kind::synthetic, std::move(description)};
	}
};

// "this machine", "hwloc XML <path>", "synthetic topology \"<desc>\"".
std::string describe_source(const TopologySource &src);

struct CacheInfo {
	unsigned level = 0;         // 1, 2, 3, ...
	std::string type;           // "data", "instruction" or "unified"
	std::uint64_t size_bytes = 0; // 0 when hwloc does not know it
	unsigned count = 0;         // how many such caches the machine has
	unsigned cores_sharing = 0; // cores under one of them
};

struct Topology {
	unsigned boards = 1;
	unsigned sockets = 0;
	unsigned cores_per_socket = 0;
	unsigned threads_per_core = 0;
	unsigned cores = 0; // sockets * cores_per_socket
	unsigned pus = 0;   // Slurm's CPUs
	// Innermost first: L1d, L1i, L2, L3 (hwloc's depth order reversed).
	std::vector<CacheInfo> caches;
	std::string source; // describe_source() of where it came from
	// Oddities slurmd would log and count past (PUs that do not divide
	// evenly over the cores, no package), one sentence each.
	std::vector<std::string> notes;
};

struct TopologyResult {
	std::optional<Topology> topology;
	// Why there is none, starting with the source, e.g.
	// `hwloc XML /tmp/x.xml: cannot load: No such file or directory`.
	std::string error;
};

// Load and count. Never throws (beyond std::bad_alloc) and never aborts on
// a bad description or file: the error says what was wrong.
TopologyResult read_topology(const TopologySource &src = {});

// "1 MiB", "512 KiB", "48 KiB", "2 GiB", "1000 B": binary units, exact
// when the size is a whole number of the unit, else one decimal.
std::string format_size(std::uint64_t bytes);

// "L1d", "L1i", "L2": the names lscpu and lstopo use.
std::string cache_name(const CacheInfo &c);

// "L2 1 MiB x1, shared by 4 cores", "L1d 64 KiB x4, one per core".
std::string describe_cache(const CacheInfo &c);

} // namespace slurmpi
