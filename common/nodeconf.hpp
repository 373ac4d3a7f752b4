// The slurm.conf NodeName line for one node, like `slurmd -C` prints it but
// Pi-aware: RealMemory keeps a reserve back and Features name the model,
// the architecture and the memory size, e.g.
//
//   NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4
//   ThreadsPerCore=1 RealMemory=3629 Features=pi4b,arm64,mem4g
//
// build_nodeconf() is a pure function of what was read (NodeConfInput), so
// it is tested without hardware; `slurm-pi nodeconf` does the reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/meminfo.hpp"
#include "common/board_detect.hpp"
#include "common/topology.hpp"

namespace slurmpi {

// RealMemory never drops below this fraction of MemTotal, whatever
// MemoryReserveMB says (it allows up to 64 GB): a reserve meant for big
// boards would otherwise leave a 512 MB Zero 2 W no memory to give a job.
// The default reserve stays above it on every supported board.
inline constexpr unsigned kRealMemoryFloorPercent = 25;

struct NodeConfInput {
	std::string hostname;        // may be fully qualified; cut at the first '.'
	std::string hostname_source; // "gethostname", "/etc/hostname", ...
	TopologyResult topology;     // CPU fields; the line needs it
	MemInfo mem;                 // RealMemory; left out when unknown
	PiIdentity identity;         // model feature, memory size from Revision
	std::string arch;            // Debian name (arm64, armhf, amd64); "" unknown
	std::string arch_source;     // "the slurm-pi build", "cpuinfo", ...
	int memory_reserve_mb = 256; // Config::memory_reserve_mb
};

struct NodeConf {
	// The NodeName line, "" when it cannot be built (no hostname or no
	// topology: see problems).
	std::string line;
	// Where each value came from, one sentence each, without "# ".
	std::vector<std::string> comments;
	// What is missing or odd (a value left out, hwloc disagreeing with the
	// model); the line may still be there.
	std::vector<std::string> problems;
	std::optional<std::uint64_t> real_memory_mb;
	std::vector<std::string> features;
	// False when a value was left out (RealMemory, a feature) or there is
	// no line; notes about odd but complete values keep it true.
	bool complete = true;
};

NodeConf build_nodeconf(const NodeConfInput &in);

// comments and problems as "# " lines, then the line (if any), each ending
// in '\n'.
std::string format_nodeconf(const NodeConf &nc);

// uname machine -> Debian architecture: aarch64 -> arm64; armv6l, armv7l,
// armv8l -> armhf; x86_64 -> amd64; i386..i686 -> i386; "" otherwise.
std::string debian_arch(std::string_view machine);

// The Debian architecture slurm-pi itself was built for, "" if unknown.
// It names the userland, which is what a job's binaries need: a 32-bit
// Raspberry Pi OS can run a 64-bit kernel (arm_64bit=1), and then uname
// says aarch64 on an armhf system.
std::string build_debian_arch();

// "mem4g", "mem512m": the memory class feature for a size in MiB.
std::string memory_feature(std::uint64_t mb);

// The board size behind a MemTotal (which is below it: kernel, firmware
// and GPU memory are taken off). Pi boards come in powers of two, so a Pi
// rounds up to the next one (3885 -> 4096); other machines round up to a
// whole GiB (24105 -> 24576), below 1 GiB to a power of two.
std::uint64_t board_memory_mb(std::uint64_t memtotal_mb, bool is_pi);

// The short host name: up to the first '.'.
std::string short_hostname(std::string_view name);

// The CPU layout of a Pi model from the model table (one package, `cores`
// cores, no SMT), for a copied tree that hwloc cannot read.
Topology model_topology(const ModelInfo &m);

} // namespace slurmpi
