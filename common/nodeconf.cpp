#include "common/nodeconf.hpp"

#include "common/text.hpp"

namespace slurmpi {

namespace {

std::string model_comment(const PiIdentity &id)
{
	std::string s = describe_board(id);
	return id.is_pi ? s : s + ": no model feature";
}

// RealMemory and how it was reached, or nullopt when MemTotal is unknown.
//
// Why a reserve at all: RealMemory is what Slurm hands out to jobs. At the
// full MemTotal a job may take the memory slurmd, munge, the OS and the page
// cache live in; on a 1-4 GB Pi that means the OOM killer or swapping to
// the SD card, not a slow job. It also keeps the node from being drained
// ("Low RealMemory") when MemTotal shrinks by a few MiB after a kernel or
// gpu_mem change. The floor keeps a big reserve from starving a small Pi.
std::optional<std::uint64_t> real_memory(const NodeConfInput &in, NodeConf &nc)
{
	if (!in.mem.total_mb) {
		nc.problems.push_back("RealMemory left out: " + in.mem.error);
		nc.complete = false;
		return std::nullopt;
	}
	const std::uint64_t total = *in.mem.total_mb;
	const std::uint64_t reserve =
		in.memory_reserve_mb > 0 ? static_cast<std::uint64_t>(in.memory_reserve_mb) : 0;
	const std::uint64_t floor = total * kRealMemoryFloorPercent / 100;
	const std::string from = "MemTotal " + std::to_string(total) + " MiB (" +
				 in.mem.source + ")";
	if (reserve >= total || total - reserve < floor) {
		nc.comments.push_back(
			"RealMemory: " + std::to_string(kRealMemoryFloorPercent) +
			"% of " + from + "; MemoryReserveMB " + std::to_string(reserve) +
			" would leave less");
		return floor;
	}
	nc.comments.push_back("RealMemory: " + from + " - MemoryReserveMB " +
			      std::to_string(reserve));
	return total - reserve;
}

void add_memory_feature(const NodeConfInput &in, NodeConf &nc,
			std::vector<std::string> &why)
{
	const Revision &rev = in.identity.revision;
	if (in.identity.is_pi && rev.valid && rev.mem_mb) {
		std::string f = memory_feature(rev.mem_mb);
		nc.features.push_back(f);
		why.push_back(f + " from Revision " + hex(rev.code, 4));
		return;
	}
	if (!in.mem.total_mb) {
		nc.problems.push_back("memory feature left out: memory size unknown");
		nc.complete = false;
		return;
	}
	std::uint64_t board = board_memory_mb(*in.mem.total_mb, in.identity.is_pi);
	std::string f = memory_feature(board);
	nc.features.push_back(f);
	why.push_back(f + " from MemTotal rounded up to " + std::to_string(board) +
		      " MiB");
}

} // namespace

std::string debian_arch(std::string_view machine)
{
	if (machine == "aarch64" || machine == "arm64")
		return "arm64";
	// Raspberry Pi OS's armhf is built for ARMv6 (Pi 1 and Zero run it),
	// unlike Debian's, so armv6l maps to armhf too. armv8l is a 32-bit
	// process on a 64-bit kernel.
	if (machine == "armv6l" || machine == "armv7l" || machine == "armv8l")
		return "armhf";
	if (machine == "x86_64")
		return "amd64";
	if (machine == "i386" || machine == "i486" || machine == "i586" ||
	    machine == "i686")
		return "i386";
	return "";
}

std::string build_debian_arch()
{
#if defined(__aarch64__)
	return "arm64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
	return "armhf";
#elif defined(__arm__)
	return "armel";
#elif defined(__x86_64__)
	return "amd64";
#elif defined(__i386__)
	return "i386";
#else
	return "";
#endif
}

std::string memory_feature(std::uint64_t mb)
{
	if (mb >= 1024 && mb % 1024 == 0)
		return "mem" + std::to_string(mb / 1024) + "g";
	return "mem" + std::to_string(mb) + "m";
}

std::uint64_t board_memory_mb(std::uint64_t memtotal_mb, bool is_pi)
{
	if (is_pi || memtotal_mb < 1024) {
		std::uint64_t p = 256;
		while (p < memtotal_mb)
			p *= 2;
		return p;
	}
	return (memtotal_mb + 1023) / 1024 * 1024;
}

std::string short_hostname(std::string_view name)
{
	return std::string(name.substr(0, name.find('.')));
}

Topology model_topology(const ModelInfo &m)
{
	Topology t;
	t.boards = 1;
	t.sockets = 1;
	t.cores_per_socket = m.cores;
	t.threads_per_core = 1;
	t.cores = m.cores;
	t.pus = m.cores;
	t.source = "the model table (" + std::string(m.key) + ": " +
		   std::to_string(m.cores) + " cores, no SMT)";
	return t;
}

NodeConf build_nodeconf(const NodeConfInput &in)
{
	NodeConf nc;
	const PiIdentity &id = in.identity;
	nc.comments.push_back(model_comment(id));
	// On a Pi, what detection found odd (device tree and Revision
	// disagreeing, an unknown board, ...) bears on the features; elsewhere
	// it is noise. An unknown board costs the model feature.
	if (id.is_pi)
		nc.problems.insert(nc.problems.end(), id.problems.begin(),
				   id.problems.end());
	if (id.is_pi && !id.model)
		nc.complete = false;

	const std::string name = short_hostname(in.hostname);
	if (name.empty())
		nc.problems.push_back("no NodeName: the host name is empty (" +
				      in.hostname_source + ")");
	if (!in.topology.topology)
		nc.problems.push_back("no CPU fields: " + in.topology.error);

	const Topology *t = in.topology.topology ? &*in.topology.topology : nullptr;
	if (t) {
		nc.comments.push_back("CPUs, Boards, SocketsPerBoard, CoresPerSocket, "
				      "ThreadsPerCore: " + t->source);
		// Not in the line (Slurm has no field for them), but what an
		// admin sizing jobs wants to know next.
		std::vector<std::string> caches;
		for (const CacheInfo &c : t->caches)
			caches.push_back(describe_cache(c));
		if (!caches.empty())
			nc.comments.push_back("caches: " + join(caches, "; "));
		for (const std::string &n : t->notes)
			nc.problems.push_back("topology: " + n);
		if (id.model && t->cores != id.model->cores)
			nc.problems.push_back(
				"the topology has " + std::to_string(t->cores) +
				" cores but a " + std::string(id.model->key) + " has " +
				std::to_string(id.model->cores) +
				" (maxcpus= on the kernel command line? cores offline?); "
				"the line follows the topology, as slurmd does");
	}
	nc.real_memory_mb = real_memory(in, nc);

	std::vector<std::string> why;
	if (id.is_pi && id.model) {
		nc.features.emplace_back(id.model->feature);
		why.push_back(std::string(id.model->feature) + " from " + id.reason);
	}
	if (!in.arch.empty()) {
		nc.features.push_back(in.arch);
		why.push_back(in.arch + " from " + in.arch_source);
	} else {
		nc.problems.push_back("architecture feature left out: architecture "
				      "unknown (" + in.arch_source + ")");
		nc.complete = false;
	}
	add_memory_feature(in, nc, why);
	if (!why.empty())
		nc.comments.push_back("Features: " + join(why, "; "));
	if (!name.empty())
		nc.comments.push_back("NodeName: " + name + " from " + in.hostname_source);

	if (name.empty() || !t) {
		nc.complete = false;
		return nc;
	}
	std::string line = "NodeName=" + name;
	line += " CPUs=" + std::to_string(t->pus);
	line += " Boards=" + std::to_string(t->boards);
	line += " SocketsPerBoard=" + std::to_string(t->sockets);
	line += " CoresPerSocket=" + std::to_string(t->cores_per_socket);
	line += " ThreadsPerCore=" + std::to_string(t->threads_per_core);
	if (nc.real_memory_mb)
		line += " RealMemory=" + std::to_string(*nc.real_memory_mb);
	if (!nc.features.empty())
		line += " Features=" + join(nc.features, ",");
	nc.line = std::move(line);
	return nc;
}

std::string format_nodeconf(const NodeConf &nc)
{
	std::string out;
	for (const std::string &c : nc.comments)
		out += "# " + c + "\n";
	for (const std::string &p : nc.problems)
		out += "# problem: " + p + "\n";
	if (!nc.line.empty())
		out += nc.line + "\n";
	return out;
}

} // namespace slurmpi
