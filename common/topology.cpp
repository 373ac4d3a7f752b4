#include "common/topology.hpp"

#include "common/fs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <hwloc.h>

namespace slurmpi {

namespace {

// Owns one hwloc topology for the length of a read_topology() call.
class HwlocTopology {
public:
	HwlocTopology() { ok_ = hwloc_topology_init(&t_) == 0; }
	~HwlocTopology()
	{
		if (ok_)
			hwloc_topology_destroy(t_);
	}
	HwlocTopology(const HwlocTopology &) = delete;
	HwlocTopology &operator=(const HwlocTopology &) = delete;

	bool ok() const { return ok_; }
	hwloc_topology_t get() const { return t_; }

private:
	hwloc_topology_t t_{};
	bool ok_ = false;
};

unsigned count_type(hwloc_topology_t t, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(t, type);
	// -1 means the type sits at several depths, which hwloc never does for
	// packages, cores or PUs; count it as none rather than wrap around.
	return n > 0 ? static_cast<unsigned>(n) : 0;
}

unsigned cores_inside(hwloc_topology_t t, hwloc_obj_t obj)
{
	if (!obj->cpuset)
		return 0;
	int n = hwloc_get_nbobjs_inside_cpuset_by_type(t, obj->cpuset,
						       HWLOC_OBJ_CORE);
	return n > 0 ? static_cast<unsigned>(n) : 0;
}

// Packages that hold at least one core, as slurmd counts sockets (a
// package without cores, such as a memory-only one, is no socket).
unsigned count_sockets(hwloc_topology_t t, std::vector<std::string> &notes)
{
	unsigned with_cores = 0;
	hwloc_obj_t pkg = nullptr;
	while ((pkg = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, pkg)))
		if (cores_inside(t, pkg) > 0)
			with_cores++;
	if (with_cores)
		return with_cores;
	unsigned any = count_type(t, HWLOC_OBJ_PACKAGE);
	if (any)
		return any;
	notes.emplace_back("hwloc reports no package; counted as one socket, "
			   "as slurmd does");
	return 1;
}

const char *cache_type_name(hwloc_obj_cache_type_t type)
{
	switch (type) {
	case HWLOC_OBJ_CACHE_DATA:
		return "data";
	case HWLOC_OBJ_CACHE_INSTRUCTION:
		return "instruction";
	case HWLOC_OBJ_CACHE_UNIFIED:
		break;
	}
	return "unified";
}

// One entry per cache depth (hwloc puts each level and kind of cache at its
// own depth), described by its first object: caches of one level are alike
// on every machine slurm-pi targets.
std::vector<CacheInfo> read_caches(hwloc_topology_t t)
{
	std::vector<CacheInfo> caches;
	int depths = hwloc_topology_get_depth(t);
	for (int d = 0; d < depths; d++) {
		hwloc_obj_t obj = hwloc_get_obj_by_depth(t, d, 0);
		if (!obj || !hwloc_obj_type_is_cache(obj->type) || !obj->attr)
			continue;
		CacheInfo c;
		c.level = obj->attr->cache.depth;
		c.type = cache_type_name(obj->attr->cache.type);
		c.size_bytes = obj->attr->cache.size;
		int n = hwloc_get_nbobjs_by_depth(t, d);
		c.count = n > 0 ? static_cast<unsigned>(n) : 0;
		c.cores_sharing = cores_inside(t, obj);
		caches.push_back(std::move(c));
	}
	// hwloc lists the outermost cache first; people read L1 first.
	auto order = [](const CacheInfo &a, const CacheInfo &b) {
		if (a.level != b.level)
			return a.level < b.level;
		return a.type < b.type; // data, instruction, unified
	};
	std::stable_sort(caches.begin(), caches.end(), order);
	return caches;
}

// Where to read from; "" on success, else the reason.
std::string configure(hwloc_topology_t t, const TopologySource &src)
{
	switch (src.kind) {
	case TopologySource::Kind::machine:
		// slurmd -C counts CPUs its cgroup or cpuset does not allow
		// too (HWLOC_TOPOLOGY_FLAG_WHOLE_SYSTEM, renamed in hwloc 2):
		// run from a restricted shell, we must still see the node.
		if (hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED))
			return "cannot set flags: " + errno_string(errno);
		return "";
	case TopologySource::Kind::xml: {
		// hwloc only says "load failed" for a missing file; open it
		// ourselves first to say why.
		FileRead probe = read_small_file(src.arg, 1);
		if (!probe.ok)
			return probe.error;
		if (probe.data.empty())
			return "file is empty";
		// hwloc parses the file here; its errno (EINVAL) says no more.
		if (hwloc_topology_set_xml(t, src.arg.c_str()))
			return "not an hwloc XML topology";
		return "";
	}
	case TopologySource::Kind::synthetic:
		if (src.arg.empty())
			return "empty description";
		if (hwloc_topology_set_synthetic(t, src.arg.c_str()))
			return "not a valid hwloc synthetic description";
		return "";
	}
	return "unknown source";
}

} // namespace

std::string describe_source(const TopologySource &src)
{
	switch (src.kind) {
	case TopologySource::Kind::machine:
		return "this machine";
	case TopologySource::Kind::xml:
		return "hwloc XML " + src.arg;
	case TopologySource::Kind::synthetic:
		return "synthetic topology \"" + src.arg + "\"";
	}
	return "unknown source";
}

TopologyResult read_topology(const TopologySource &src)
{
	TopologyResult r;
	const std::string where = describe_source(src);
	HwlocTopology topo;
	if (!topo.ok()) {
		r.error = where + ": hwloc_topology_init failed: " + errno_string(errno);
		return r;
	}
	hwloc_topology_t t = topo.get();
	if (std::string why = configure(t, src); !why.empty()) {
		r.error = where + ": " + why;
		return r;
	}
	// Instruction caches are filtered out by default in hwloc 2; keep them
	// so the cache list matches lscpu.
	hwloc_topology_set_icache_types_filter(t, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(t)) {
		// An hwloc without libxml2 (Debian's armhf build) parses the
		// XML here rather than in hwloc_topology_set_xml.
		r.error = where + (src.kind == TopologySource::Kind::xml
					   ? std::string(": not an hwloc XML topology")
					   : ": cannot load: " + errno_string(errno));
		return r;
	}

	Topology out;
	out.source = where;
	unsigned pus = count_type(t, HWLOC_OBJ_PU);
	if (pus == 0) {
		r.error = where + ": hwloc found no processing units";
		return r;
	}
	unsigned cores = count_type(t, HWLOC_OBJ_CORE);
	if (cores == 0) {
		// Some kernels export no core ids; slurmd then counts one core.
		out.notes.emplace_back("hwloc reports no cores; counted as one, "
				       "as slurmd does");
		cores = 1;
	}
	unsigned sockets = count_sockets(t, out.notes);
	// Uneven shapes (some cores offline, mixed SMT) cannot be written as
	// S x C x T; slurmd divides anyway and so do we, so the proposal still
	// matches what the node reports, but say so.
	if (pus % cores)
		out.notes.push_back(std::to_string(pus) + " PUs do not divide evenly over " +
				    std::to_string(cores) + " cores");
	if (cores % sockets)
		out.notes.push_back(std::to_string(cores) +
				    " cores do not divide evenly over " +
				    std::to_string(sockets) + " sockets");
	out.pus = pus;
	out.sockets = sockets;
	out.threads_per_core = std::max(1u, pus / cores);
	out.cores_per_socket = std::max(1u, cores / sockets);
	out.cores = out.sockets * out.cores_per_socket;
	out.caches = read_caches(t);
	r.topology = std::move(out);
	return r;
}

std::string format_size(std::uint64_t bytes)
{
	static constexpr const char *kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	std::uint64_t div = 1;
	while (u + 1 < std::size(kUnits) && bytes >= div * 1024) {
		div *= 1024;
		u++;
	}
	if (bytes % div == 0)
		return std::to_string(bytes / div) + " " + kUnits[u];
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.1f %s",
		      static_cast<double>(bytes) / static_cast<double>(div), kUnits[u]);
	return buf;
}

std::string cache_name(const CacheInfo &c)
{
	std::string n = "L" + std::to_string(c.level);
	if (c.type == "data")
		n += "d";
	else if (c.type == "instruction")
		n += "i";
	return n;
}

std::string describe_cache(const CacheInfo &c)
{
	std::string s = cache_name(c) + " ";
	s += c.size_bytes ? format_size(c.size_bytes) : std::string("size unknown");
	s += " x" + std::to_string(c.count);
	if (c.cores_sharing == 1)
		s += ", one per core";
	else if (c.cores_sharing > 1)
		s += ", shared by " + std::to_string(c.cores_sharing) + " cores";
	return s;
}

} // namespace slurmpi
