#include <criterion/criterion.h>

#include <cstdlib>
#include <fstream>
#include <hwloc.h>
#include <string>
#include <unistd.h>

#include "common/topology.hpp"

using namespace slurmpi;

// Pi 4: 4x Cortex-A72 (32 KiB L1d, 48 KiB L1i each), one shared 1 MiB L2.
static const char *const kPi4 =
	"package:1 l2:1(size=1MiB) core:4 l1d:1(size=32KiB) l1i:1(size=48KiB) pu:1";
// Pi 5: 4x Cortex-A76 (64 KiB L1d and L1i), 512 KiB L2 per core, shared
// 2 MiB L3.
static const char *const kPi5 =
	"package:1 l3:1(size=2MiB) l2:4(size=512KiB) core:1 l1d:1(size=64KiB) "
	"l1i:1(size=64KiB) pu:1";

static Topology synthetic(const char *desc)
{
	TopologyResult r = read_topology(TopologySource::synthetic(desc));
	cr_assert(r.topology.has_value(), "%s: %s", desc, r.error.c_str());
	cr_assert(r.error.empty());
	return *r.topology;
}

static void expect_shape(const Topology &t, unsigned sockets, unsigned cores,
			 unsigned threads, unsigned pus)
{
	cr_assert_eq(t.boards, 1u);
	cr_assert_eq(t.sockets, sockets);
	cr_assert_eq(t.cores_per_socket, cores);
	cr_assert_eq(t.threads_per_core, threads);
	cr_assert_eq(t.cores, sockets * cores);
	cr_assert_eq(t.pus, pus);
}

static std::string tmp_file(const std::string &content)
{
	char tmpl[] = "/tmp/slurmpi-test-topology-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert(fd >= 0);
	close(fd);
	std::ofstream(tmpl) << content;
	return tmpl;
}

// ---- shapes

Test(topology, old_pi_kernel_without_caches)
{
	Topology t = synthetic("package:1 core:4 pu:1");
	expect_shape(t, 1, 4, 1, 4);
	cr_assert(t.caches.empty());
	cr_assert(t.notes.empty());
	cr_assert_str_eq(t.source.c_str(), "synthetic topology \"package:1 core:4 pu:1\"");
}

Test(topology, pi4_has_one_l2_shared_by_all_cores)
{
	Topology t = synthetic(kPi4);
	expect_shape(t, 1, 4, 1, 4);
	cr_assert_eq(t.caches.size(), 3u);
	const CacheInfo &l1d = t.caches[0], &l1i = t.caches[1], &l2 = t.caches[2];
	cr_assert_eq(l1d.level, 1u);
	cr_assert_str_eq(l1d.type.c_str(), "data");
	cr_assert_eq(l1d.size_bytes, 32u * 1024);
	cr_assert_eq(l1d.count, 4u);
	cr_assert_eq(l1d.cores_sharing, 1u);
	cr_assert_str_eq(l1i.type.c_str(), "instruction");
	cr_assert_eq(l1i.size_bytes, 48u * 1024);
	cr_assert_eq(l2.level, 2u);
	cr_assert_str_eq(l2.type.c_str(), "unified");
	cr_assert_eq(l2.size_bytes, 1024u * 1024);
	cr_assert_eq(l2.count, 1u);
	cr_assert_eq(l2.cores_sharing, 4u);
}

Test(topology, pi5_has_l2_per_core_and_shared_l3)
{
	Topology t = synthetic(kPi5);
	expect_shape(t, 1, 4, 1, 4);
	cr_assert_eq(t.caches.size(), 4u);
	const CacheInfo &l2 = t.caches[2], &l3 = t.caches[3];
	cr_assert_eq(l2.level, 2u);
	cr_assert_eq(l2.size_bytes, 512u * 1024);
	cr_assert_eq(l2.count, 4u);
	cr_assert_eq(l2.cores_sharing, 1u);
	cr_assert_eq(l3.level, 3u);
	cr_assert_eq(l3.size_bytes, 2u * 1024 * 1024);
	cr_assert_eq(l3.count, 1u);
	cr_assert_eq(l3.cores_sharing, 4u);
}

Test(topology, single_core_pi_zero)
{
	expect_shape(synthetic("package:1 core:1 pu:1"), 1, 1, 1, 1);
}

Test(topology, smt_and_several_sockets_count_as_slurmd_does)
{
	expect_shape(synthetic("package:2 core:8 pu:2"), 2, 8, 2, 32);
}

Test(topology, no_package_counts_as_one_socket_with_a_note)
{
	Topology t = synthetic("core:4 pu:1");
	expect_shape(t, 1, 4, 1, 4);
	cr_assert_eq(t.notes.size(), 1u);
	cr_assert(t.notes[0].find("no package") != std::string::npos);
}

// ---- this machine

Test(topology, this_machine_loads)
{
	TopologyResult r = read_topology();
	cr_assert(r.topology.has_value(), "%s", r.error.c_str());
	const Topology &t = *r.topology;
	cr_assert_geq(t.pus, 1u);
	cr_assert_geq(t.cores, 1u);
	cr_assert_geq(t.pus, t.cores);
	cr_assert_str_eq(t.source.c_str(), "this machine");
	// hwloc counts CPUs the cgroup does not allow too (as slurmd -C),
	// so at least the ones we may run on.
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	cr_assert_geq(static_cast<long>(t.pus), online > 0 ? online : 1);
}

// ---- XML

Test(topology, xml_written_by_hwloc_reads_back)
{
	hwloc_topology_t h;
	cr_assert_eq(hwloc_topology_init(&h), 0);
	cr_assert_eq(hwloc_topology_set_synthetic(h, kPi5), 0);
	// hwloc drops instruction caches unless asked to keep them.
	hwloc_topology_set_icache_types_filter(h, HWLOC_TYPE_FILTER_KEEP_ALL);
	cr_assert_eq(hwloc_topology_load(h), 0);
	std::string path = tmp_file("");
	cr_assert_eq(hwloc_topology_export_xml(h, path.c_str(), 0), 0);
	hwloc_topology_destroy(h);

	TopologyResult r = read_topology(TopologySource::xml(path));
	cr_assert(r.topology.has_value(), "%s", r.error.c_str());
	expect_shape(*r.topology, 1, 4, 1, 4);
	cr_assert_eq(r.topology->caches.size(), 4u);
	std::string want = "hwloc XML " + path;
	cr_assert_str_eq(r.topology->source.c_str(), want.c_str());
	unlink(path.c_str());
}

// ---- errors: a reason, never a crash

static void expect_error(const TopologySource &src, const std::string &want)
{
	TopologyResult r = read_topology(src);
	cr_assert(!r.topology.has_value());
	cr_assert_str_eq(r.error.c_str(), want.c_str());
}

Test(topology, missing_xml_says_so)
{
	expect_error(TopologySource::xml("/nonexistent/slurm-pi/node.xml"),
		     "hwloc XML /nonexistent/slurm-pi/node.xml: No such file or directory");
}

Test(topology, empty_xml_says_so)
{
	std::string path = tmp_file("");
	expect_error(TopologySource::xml(path), "hwloc XML " + path + ": file is empty");
	unlink(path.c_str());
}

Test(topology, garbage_xml_says_so)
{
	std::string path = tmp_file("this is not <xml\n");
	expect_error(TopologySource::xml(path),
		     "hwloc XML " + path + ": not an hwloc XML topology");
	unlink(path.c_str());
}

Test(topology, directory_as_xml_says_so)
{
	expect_error(TopologySource::xml("/tmp"), "hwloc XML /tmp: Is a directory");
}

Test(topology, bad_synthetic_description_says_so)
{
	expect_error(TopologySource::synthetic("bogus:3"),
		     "synthetic topology \"bogus:3\": not a valid hwloc synthetic description");
	expect_error(TopologySource::synthetic("package:x core:4"),
		     "synthetic topology \"package:x core:4\": not a valid hwloc synthetic description");
	expect_error(TopologySource::synthetic(""),
		     "synthetic topology \"\": empty description");
}

// ---- words

Test(topology, sizes_in_binary_units)
{
	cr_assert(format_size(0) == "0 B");
	cr_assert(format_size(1000) == "1000 B");
	cr_assert(format_size(1024) == "1 KiB");
	cr_assert(format_size(1536) == "1.5 KiB");
	cr_assert(format_size(512 * 1024) == "512 KiB");
	cr_assert(format_size(1024 * 1024) == "1 MiB");
	cr_assert(format_size(std::uint64_t{2} << 30) == "2 GiB");
}

Test(topology, caches_in_words)
{
	Topology pi4 = synthetic(kPi4);
	std::vector<std::string> got;
	for (const CacheInfo &c : pi4.caches)
		got.push_back(describe_cache(c));
	cr_assert(got[0] == "L1d 32 KiB x4, one per core", "%s", got[0].c_str());
	cr_assert(got[1] == "L1i 48 KiB x4, one per core", "%s", got[1].c_str());
	cr_assert(got[2] == "L2 1 MiB x1, shared by 4 cores", "%s", got[2].c_str());

	CacheInfo unknown{3, "unified", 0, 1, 4};
	cr_assert(describe_cache(unknown) == "L3 size unknown x1, shared by 4 cores");
}

Test(topology, sources_in_words)
{
	cr_assert(describe_source(TopologySource::machine()) == "this machine");
	cr_assert(describe_source(TopologySource::xml("/a.xml")) == "hwloc XML /a.xml");
	cr_assert(describe_source(TopologySource::synthetic("pu:2")) ==
		  "synthetic topology \"pu:2\"");
}
