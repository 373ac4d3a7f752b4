// slurm-pi doctor: the slurm.conf checks. Pure functions of a parsed
// slurm.conf (common/doctor/slurm_conf.hpp) and facts the tool gathered
// (MemTotal, the board's CPU layout, whether the memory cgroup is on).
// An Include'd file is the caller's: parse it and append its entries in
// place, as Slurm reads it in place.
//
// Check ids:
//   slurm.conf.partition      a real partition exists
//   slurm.conf.realmemory     this node's RealMemory fits what slurmd reports
//   slurm.conf.cpus           this node's CPU layout matches the board's
//   slurm.conf.select_memory  memory as a consumable resource needs the
//                             memory cgroup
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/doctor/finding.hpp"
#include "common/doctor/slurm_conf.hpp"

namespace slurmpi::doctor {

// The NodeName line that names `node`, with the NodeName=DEFAULT lines
// before it applied as Slurm applies them: a key on the line wins, else the
// key of the defaults gathered so far, where a later DEFAULT line's keys
// replace an earlier one's (read_config.c:663-684 and 711-797,
// parse_config.c s_p_hashtbl_merge). The first line whose NodeName host
// list (expand_hostlist) holds `node`; DEFAULT lines after it do not count.
struct NodeLine {
	const ConfEntry *entry = nullptr;
	// The defaults in force at that line.
	std::vector<std::pair<std::string, std::string>> defaults;
	// The line's own value, else the default's.
	std::optional<std::string> get(std::string_view key) const;
};
std::optional<NodeLine> find_node(const SlurmConf &conf, std::string_view node);

// The CPU layout of this board, as `slurm-pi nodeconf` writes it.
struct BoardCpus {
	unsigned cpus = 0;
	unsigned sockets = 0;
	unsigned cores_per_socket = 0;
	unsigned threads_per_core = 0;
};

// slurm.conf.partition: FAIL when the only partitions are
// PartitionName=DEFAULT (any case) or there is no partition at all.
Finding check_partition(const SlurmConf &conf);

// slurm.conf.realmemory: FAIL when `node`'s RealMemory is more than slurmd
// reports (MemTotal / 1024, in MB). The fix suggests `suggested_mb` (from
// NodeConf::real_memory_mb) when given and not above what slurmd reports,
// else what slurmd reports. SKIP without a NodeName line for `node` or
// without a MemTotal (0).
Finding check_real_memory(const SlurmConf &conf, std::string_view node,
			  std::uint64_t memtotal_kib,
			  std::optional<std::uint64_t> suggested_mb);

// slurm.conf.cpus: WARN when `node`'s CPUs, or its Sockets x CoresPerSocket
// x ThreadsPerCore as Slurm works them out, differ from the board's, or a
// layout key that is given differs. SKIP without a NodeName line or
// without a board layout (cpus 0).
Finding check_cpus(const SlurmConf &conf, std::string_view node, const BoardCpus &board);

// slurm.conf.select_memory: SelectTypeParameters with a memory option
// (CR_Core_Memory, CR_CPU_Memory, CR_Socket_Memory, CR_Memory) and no memory
// cgroup. FAIL when task/cgroup is in TaskPlugin and cgroup.conf has
// ConstrainRAMSpace=yes (`constrain_ram_space`): every job step fails to
// start. WARN otherwise (--mem is only counted, not enforced; or, with
// task/cgroup and cgroup.conf not known, it may fail).
Finding check_select_memory(const SlurmConf &conf, bool memory_cgroup,
			    std::optional<bool> constrain_ram_space = std::nullopt);

} // namespace slurmpi::doctor
