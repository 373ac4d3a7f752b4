#include "tools/nodeconf_cmd.hpp"

#include <ostream>

#include "common/fs.hpp"
#include "common/meminfo.hpp"
#include "common/board_detect.hpp"
#include "common/topology.hpp"
#include "tools/node_name.hpp"

namespace slurmpi::tool {

namespace {

TopologyResult gather_topology(const Options &o, const PiIdentity &id)
{
	if (o.topology) {
		TopologySource src = topology_arg_is_file(*o.topology)
			? TopologySource::xml(*o.topology)
			: TopologySource::synthetic(*o.topology);
		TopologyResult r = read_topology(src);
		if (!r.topology)
			r.error = "--topology: " + r.error;
		return r;
	}
	if (is_real_root(o.root)) {
		TopologyResult r = read_topology(TopologySource::machine());
		if (r.topology)
			r.topology->source = "hwloc, " + r.topology->source;
		return r;
	}
	TopologyResult r;
	if (id.is_pi && id.model) {
		r.topology = model_topology(*id.model);
		return r;
	}
	r.error = "--root " + o.root + ": hwloc cannot read a copied tree and it "
		  "is not a known Raspberry Pi; give the layout with --topology";
	return r;
}

void gather_arch(const Options &o, NodeConfInput &in)
{
	const std::string &machine = in.identity.arch;
	if (is_real_root(o.root)) {
		in.arch = build_debian_arch();
		if (!in.arch.empty()) {
			in.arch_source = "the slurm-pi build";
			if (!machine.empty() && debian_arch(machine) != in.arch)
				in.arch_source += " (userland; the kernel is " + machine + ")";
			return;
		}
	}
	in.arch = debian_arch(machine);
	in.arch_source = machine.empty()
		? std::string("no architecture found")
		: "kernel architecture " + machine +
			  (is_real_root(o.root) ? "" : " in the tree's /proc/cpuinfo");
}

} // namespace

NodeConfInput gather_nodeconf(const Options &o, const Config &c)
{
	NodeConfInput in;
	NodeName n = node_name(o.root);
	in.hostname = n.name;
	in.hostname_source = n.name.empty() ? n.error : n.source;
	in.identity = detect_pi(o.root);
	in.topology = gather_topology(o, in.identity);
	in.mem = read_meminfo(o.root);
	gather_arch(o, in);
	in.memory_reserve_mb = c.memory_reserve_mb;
	return in;
}

int run_nodeconf(const Options &o, const Config &c, std::ostream &out,
		 std::ostream &err)
{
	NodeConf nc = build_nodeconf(gather_nodeconf(o, c));
	out << format_nodeconf(nc);
	if (nc.line.empty()) {
		err << "slurm-pi nodeconf: no NodeName line";
		for (std::size_t i = 0; i < nc.problems.size(); i++)
			err << (i ? "; " : ": ") << nc.problems[i];
		err << "\n";
		return kExitRuntime;
	}
	return nc.complete ? kExitOk : kExitRuntime;
}

} // namespace slurmpi::tool
