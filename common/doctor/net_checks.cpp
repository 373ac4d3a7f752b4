// names.self: see net_checks.hpp.
#include "common/doctor/net_checks.hpp"

#include "common/text.hpp"

namespace slurmpi::doctor {

namespace {

const NetIface *holder(const std::vector<NetIface> &ifaces, std::uint32_t addr)
{
	for (const auto &i : ifaces)
		for (const auto &a : i.addrs)
			if (a.addr == addr)
				return &i;
	return nullptr;
}

} // namespace

Finding check_name_self(std::string_view node, std::optional<std::uint32_t> addr,
			const std::vector<NetIface> &ifaces, std::optional<std::uint32_t> route_src,
			std::string_view controller)
{
	Finding f;
	f.check = "names.self";
	const std::string name = quoted(node);
	const std::string lan = route_src ? format_ipv4(*route_src) : std::string("<its LAN address>");
	const std::string hosts_fix = "in /etc/hosts on every node, give " + std::string(node) +
				      " its LAN address: '" + lan + " " + std::string(node) + "'";
	if (!addr) {
		f.verdict = Verdict::fail;
		f.summary = name + " does not resolve here: slurmctld and the other nodes find a node by "
				   "its name";
		f.fix = hosts_fix;
		return f;
	}
	const std::string a = format_ipv4(*addr);
	f.evidence = name + " -> " + a;
	if ((*addr >> 24) == 127) {
		f.verdict = Verdict::fail;
		f.summary = name + " resolves to " + a +
			    ", a loopback address (Debian's '127.0.1.1 <hostname>' line in "
			    "/etc/hosts): other machines cannot reach the node by that address";
		f.fix = "replace that line: " + hosts_fix;
		return f;
	}
	const NetIface *own = holder(ifaces, *addr);
	if (!own) {
		f.verdict = Verdict::fail;
		f.summary = name + " resolves to " + a + ", which no interface of this node has";
		f.fix = hosts_fix;
		return f;
	}
	if (route_src) {
		const NetIface *routed = holder(ifaces, *route_src);
		if (routed && routed->name != own->name) {
			f.verdict = Verdict::warn;
			f.summary = name + " resolves to " + a + " on " + quoted(own->name) +
				    ", but the route to the controller " + quoted(controller) +
				    " goes through " + quoted(routed->name) + " (" +
				    format_ipv4(*route_src) + ")";
			f.evidence += "; route to " + quoted(controller) + " from " +
				      format_ipv4(*route_src) + " on " + quoted(routed->name);
			f.fix = hosts_fix;
			return f;
		}
	}
	f.verdict = Verdict::ok;
	f.summary = name + " resolves to " + a + " on " + quoted(own->name) +
		    (route_src ? ", the interface of the route to the controller" : "");
	f.evidence.clear();
	return f;
}

} // namespace slurmpi::doctor
