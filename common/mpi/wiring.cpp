// spank_pi_mpi's decisions: see wiring.hpp.
#include "common/mpi/wiring.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>

#include "common/text.hpp"

namespace slurmpi {

std::string mpi_message(std::string_view where, std::string_view what)
{
	std::string m = "slurm-pi mpi: ";
	m.append(where);
	m += ": ";
	m.append(what);
	return m;
}

// ---------------------------------------------------------------- addresses

namespace {

// A decimal number without sign or leading zeros ("0" itself is fine), at
// most `max`.
std::optional<unsigned> parse_small(std::string_view s, unsigned max)
{
	if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0'))
		return std::nullopt;
	unsigned v = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return std::nullopt;
		v = v * 10 + static_cast<unsigned>(c - '0');
	}
	if (v > max)
		return std::nullopt;
	return v;
}

std::uint32_t mask_of(int prefix)
{
	return prefix <= 0 ? 0u : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1u);
}

} // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view s)
{
	std::uint32_t addr = 0;
	for (int i = 0; i < 4; i++) {
		auto dot = s.find('.');
		if ((i < 3) != (dot != std::string_view::npos))
			return std::nullopt;
		auto part = i < 3 ? s.substr(0, dot) : s;
		auto v = parse_small(part, 255);
		if (!v)
			return std::nullopt;
		addr = (addr << 8) | *v;
		if (i < 3)
			s.remove_prefix(dot + 1);
	}
	return addr;
}

std::string format_ipv4(std::uint32_t a)
{
	return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
	       std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view s)
{
	auto slash = s.find('/');
	if (slash == std::string_view::npos)
		return std::nullopt;
	auto addr = parse_ipv4(s.substr(0, slash));
	auto len = parse_small(s.substr(slash + 1), 32);
	if (!addr || !len)
		return std::nullopt;
	return Ipv4Prefix{*addr, static_cast<int>(*len)};
}

std::string format_ipv4_prefix(const Ipv4Prefix &p)
{
	return format_ipv4(p.addr) + "/" + std::to_string(p.prefix);
}

Ipv4Prefix network(const Ipv4Prefix &p)
{
	return {p.addr & mask_of(p.prefix), p.prefix};
}

bool in_network(std::uint32_t addr, const Ipv4Prefix &net)
{
	auto m = mask_of(net.prefix);
	return (addr & m) == (net.addr & m);
}

// ---------------------------------------------------------------- interface choice

std::optional<IfaceSpec> parse_iface_spec(std::string_view s, std::string *why)
{
	auto fail = [&](std::string w) -> std::optional<IfaceSpec> {
		if (why)
			*why = std::move(w);
		return std::nullopt;
	};
	IfaceSpec spec;
	if (s == "auto")
		return spec;
	if (s.empty())
		return fail("empty; give auto, an interface name such as eth0, or a network "
			    "such as 10.0.0.0/24");
	if (s.find('/') != std::string_view::npos) {
		auto p = parse_ipv4_prefix(s);
		if (!p)
			return fail(quoted(s) + " is not an IPv4 network (a.b.c.d/N, N from 0 to 32; "
						"IPv6 networks are not supported, name the interface "
						"instead)");
		spec.kind = IfaceSpec::Kind::Net;
		spec.net = network(*p);
		return spec;
	}
	if (parse_ipv4(s))
		return fail(quoted(s) + " is an address, not a network: write the network with "
					"its prefix length, e.g. " +
			    format_ipv4(*parse_ipv4(s) & 0xffffff00u) + "/24");
	if (s.size() > 15)
		return fail(quoted(s) + " is not an interface name (at most 15 characters)");
	if (s == "." || s == "..")
		return fail(quoted(s) + " is not an interface name");
	for (char c : s)
		if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
			return fail(quoted(s) +
				    " is not an interface name (letters, digits, '_', '.' and '-' "
				    "only)");
	spec.kind = IfaceSpec::Kind::Name;
	spec.name = std::string(s);
	return spec;
}

std::string format_iface_spec(const IfaceSpec &s)
{
	switch (s.kind) {
	case IfaceSpec::Kind::Name:
		return s.name;
	case IfaceSpec::Kind::Net:
		return format_ipv4_prefix(s.net);
	case IfaceSpec::Kind::Auto:
		break;
	}
	return "auto";
}

namespace {

// "eth0 10.0.0.5/24 up, wlan0 down, ..." for messages (loopback left out).
std::string describe(const std::vector<NetIface> &ifaces)
{
	std::vector<std::string> parts;
	for (const auto &i : ifaces) {
		if (i.loopback)
			continue;
		std::string p = quoted(i.name);
		for (const auto &a : i.addrs)
			p += " " + format_ipv4_prefix(a);
		p += i.up ? " up" : " down";
		parts.push_back(std::move(p));
	}
	return parts.empty() ? "none but loopback" : join(parts, ", ");
}

const NetIface *find_iface(const std::vector<NetIface> &ifaces, std::string_view name)
{
	for (const auto &i : ifaces)
		if (i.name == name)
			return &i;
	return nullptr;
}

} // namespace

IfaceChoice resolve_iface(const IfaceSpec &spec, const std::vector<NetIface> &ifaces,
			  std::optional<std::uint32_t> route_src, std::string_view controller,
			  std::string_view why_no_route, std::string_view node,
			  std::string_view source)
{
	IfaceChoice c;
	const std::string where(node);
	const std::string fix = " Name the cluster's interface or network with iface= in "
				"plugstack.conf, or for one job with --mpi-iface=NAME|CIDR.";
	switch (spec.kind) {
	case IfaceSpec::Kind::Auto: {
		if (!route_src) {
			c.error = mpi_message(where, "cannot find the interface to the slurmctld host " +
							     quoted(controller) + " (" +
							     std::string(why_no_route) + ")." + fix);
			return c;
		}
		// 127.0.0.0/8 is loopback whichever interface holds it.
		const bool loop_src = (*route_src >> 24) == 127;
		for (const auto &i : ifaces) {
			for (const auto &a : i.addrs) {
				if (a.addr != *route_src && !(loop_src && i.loopback))
					continue;
				if (i.loopback || loop_src) {
					c.error = mpi_message(
						where, "the slurmctld host " + quoted(controller) +
							       " resolves to a loopback address (" +
							       format_ipv4(*route_src) +
							       ") here, so the cluster network cannot "
							       "be found from it. Give it its LAN "
							       "address in /etc/hosts (Debian adds "
							       "'127.0.1.1 <hostname>')." +
							       fix);
					return c;
				}
				if (!i.up) {
					c.error = mpi_message(where, "interface " + quoted(i.name) +
									     " (the route to " +
									     quoted(controller) +
									     ") is down." + fix);
					return c;
				}
				c.iface = i.name;
				// A /32 (point-to-point) address names no network
				// the other nodes share: use the name.
				c.value = a.prefix >= 32 ? i.name : format_ipv4_prefix(network(a));
				return c;
			}
		}
		c.error = mpi_message(where, "no interface holds " + format_ipv4(*route_src) +
						     ", the address of the route to " +
						     quoted(controller) + " (interfaces: " +
						     describe(ifaces) + ")." + fix);
		return c;
	}
	case IfaceSpec::Kind::Name: {
		const NetIface *i = find_iface(ifaces, spec.name);
		std::string what;
		if (!i)
			what = "interface " + quoted(spec.name) + " (from " + std::string(source) +
			       ") does not exist on this node (interfaces: " + describe(ifaces) + ")";
		else if (!i->up)
			what = "interface " + quoted(spec.name) + " (from " + std::string(source) +
			       ") is down";
		else if (i->addrs.empty())
			what = "interface " + quoted(spec.name) + " (from " + std::string(source) +
			       ") has no IPv4 address";
		if (!what.empty()) {
			c.error = mpi_message(where, what + "; Open MPI could not reach the other "
							    "nodes through it. Bring it up on " +
							    where + ", or choose another interface.");
			return c;
		}
		c.iface = spec.name;
		c.value = spec.name;
		return c;
	}
	case IfaceSpec::Kind::Net: {
		const NetIface *down = nullptr;
		for (const auto &i : ifaces)
			for (const auto &a : i.addrs)
				if (in_network(a.addr, spec.net) && !i.loopback) {
					if (!i.up) {
						down = down ? down : &i;
						continue;
					}
					c.iface = i.name;
					c.value = format_ipv4_prefix(spec.net);
					return c;
				}
		std::string what = down ? "interface " + quoted(down->name) + " in network " +
						  format_ipv4_prefix(spec.net) + " (from " +
						  std::string(source) + ") is down"
					: "no interface is in network " +
						  format_ipv4_prefix(spec.net) + " (from " +
						  std::string(source) +
						  "; interfaces: " + describe(ifaces) + ")";
		c.error = mpi_message(where, what + "; Open MPI could not reach the other nodes. "
						    "Give " +
						     where +
						     " an address in that network, or choose "
						     "another one.");
		return c;
	}
	}
	c.error = mpi_message(where, "internal error: unknown interface kind");
	return c;
}

// ---------------------------------------------------------------- plugstack.conf

std::string default_btl(int openmpi)
{
	// Open MPI 5 renamed the shared-memory BTL from vader to sm.
	return openmpi >= 5 ? "self,sm,tcp" : "self,vader,tcp";
}

namespace {

// An MCA component list: names of [a-z0-9_], comma-separated, optionally
// led by '^' (an exclusion list).
bool component_list(std::string_view s)
{
	if (!s.empty() && s[0] == '^')
		s.remove_prefix(1);
	if (s.empty() || s.size() > 256)
		return false;
	bool item = false;
	for (char c : s) {
		if (c == ',') {
			if (!item)
				return false;
			item = false;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
			item = true;
		} else {
			return false;
		}
	}
	return item;
}

std::optional<bool> parse_bool_word(std::string_view s)
{
	if (s == "yes" || s == "on" || s == "1" || s == "true")
		return true;
	if (s == "no" || s == "off" || s == "0" || s == "false")
		return false;
	return std::nullopt;
}

} // namespace

MpiArgsResult parse_mpi_args(const std::vector<std::string> &args, std::string_view pmix_lib,
			     int openmpi)
{
	MpiArgsResult r;
	r.args.pmix_lib = std::string(pmix_lib);
	r.args.openmpi = openmpi;
	bool btl_given = false;
	std::set<std::string> seen;
	auto err = [&](const std::string &what) {
		r.errors.push_back(mpi_message("plugstack.conf", what));
	};
	for (const auto &arg : args) {
		auto eq = arg.find('=');
		if (eq == std::string::npos) {
			err("argument " + quoted(arg) +
			    " is not key=value (keys: iface, pml, btl, pmix-default, pmix-lib, "
			    "openmpi)");
			continue;
		}
		std::string key = arg.substr(0, eq);
		std::string_view val = std::string_view(arg).substr(eq + 1);
		if (!seen.insert(key).second) {
			err(quoted(key) + " is given twice");
			continue;
		}
		if (key == "iface") {
			std::string why;
			if (auto s = parse_iface_spec(val, &why))
				r.args.iface = *s;
			else
				err("iface=: " + why);
		} else if (key == "pml" || key == "btl") {
			std::string &slot = key == "pml" ? r.args.pml : r.args.btl;
			if (val == "default")
				slot.clear();
			else if (component_list(val))
				slot = std::string(val);
			else {
				err(key + "=: " + quoted(val) +
				    " is not a list of Open MPI components (e.g. " +
				    (key == "pml" ? std::string("ob1") : default_btl(openmpi)) +
				    ") or 'default' (Open MPI's own choice)");
				continue;
			}
			if (key == "btl")
				btl_given = true;
		} else if (key == "pmix-default") {
			if (auto b = parse_bool_word(val))
				r.args.pmix_default = *b;
			else
				err("pmix-default=: " + quoted(val) + " is not yes or no");
		} else if (key == "pmix-lib") {
			if (val.empty() || val[0] != '/' || val.size() > 4095 ||
			    std::any_of(val.begin(), val.end(), [](char c) {
				    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
			    }))
				err("pmix-lib=: " + quoted(val) + " is not an absolute path");
			else
				r.args.pmix_lib = std::string(val);
		} else if (key == "openmpi") {
			if (val == "4")
				r.args.openmpi = 4;
			else if (val == "5")
				r.args.openmpi = 5;
			else
				err("openmpi=: " + quoted(val) +
				    " is not a supported Open MPI major version (4 or 5)");
		} else {
			err("unknown argument " + quoted(key) +
			    " (keys: iface, pml, btl, pmix-default, pmix-lib, openmpi)");
		}
	}
	if (!btl_given)
		r.args.btl = default_btl(r.args.openmpi);
	return r;
}

std::vector<std::string> format_mpi_args(const MpiArgs &a)
{
	return {
		"iface=" + format_iface_spec(a.iface),
		"pml=" + (a.pml.empty() ? std::string("default") : a.pml),
		"btl=" + (a.btl.empty() ? std::string("default") : a.btl),
		std::string("pmix-default=") + (a.pmix_default ? "yes" : "no"),
		"pmix-lib=" + a.pmix_lib,
		"openmpi=" + std::to_string(a.openmpi),
	};
}

std::optional<bool> parse_wiring(std::string_view s, std::string *why)
{
	if (auto b = parse_bool_word(s))
		return b;
	if (why)
		*why = quoted(s) + " is not on or off";
	return std::nullopt;
}

// ---------------------------------------------------------------- environment

std::vector<EnvVar> parse_wired(std::string_view s)
{
	std::vector<EnvVar> out;
	while (!s.empty()) {
		auto sp = s.find(' ');
		auto item = s.substr(0, sp);
		s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
		auto eq = item.find('=');
		if (eq == 0 || eq == std::string_view::npos)
			continue;
		out.push_back({std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))});
		if (out.size() >= 16)
			break;
	}
	return out;
}

WiringPlan plan_wiring(const MpiArgs &a, const IfaceChoice &iface,
		       const std::function<std::optional<std::string>(std::string_view)> &current)
{
	WiringPlan plan;
	const auto wired = parse_wired(current(kWiredVar).value_or(""));
	auto ours = [&](std::string_view name, const std::string &value) {
		return std::any_of(wired.begin(), wired.end(), [&](const EnvVar &v) {
			return v.name == name && v.value == value;
		});
	};
	// The user's value of `name`: set, and not recorded as the plugin's.
	auto users = [&](std::string_view name) -> std::optional<std::string> {
		auto cur = current(name);
		if (cur && ours(name, *cur))
			return std::nullopt;
		return cur;
	};
	std::vector<EnvVar> record;
	auto want = [&](std::string name, std::string_view value,
			std::initializer_list<std::string_view> excludes = {},
			std::initializer_list<std::string_view> synonyms = {}) {
		// The record is space-separated: a value with a space or a
		// control character (none of the callers' can have one) is not
		// set at all.
		if (value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
			    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
		    }))
			return;
		for (auto ex : excludes)
			if (auto v = users(ex)) {
				plan.kept.push_back(std::string(ex) + "=" + *v + " (so not " + name +
						    ")");
				return;
			}
		if (auto cur = users(name)) {
			plan.kept.push_back(name + "=" + *cur);
			return;
		}
		for (auto syn : synonyms)
			if (auto v = users(syn)) {
				plan.kept.push_back(std::string(syn) + "=" + *v + " (so not " + name +
						    ")");
				return;
			}
		plan.set.push_back({name, std::string(value)});
		record.push_back({std::move(name), std::string(value)});
	};
	want("OMPI_MCA_btl_tcp_if_include", iface.value, {"OMPI_MCA_btl_tcp_if_exclude"});
	if (a.openmpi >= 5)
		// Open MPI 5: the OOB is PRRTE's, and gets the name (see
		// wiring.hpp: PRRTE 3.0.8 cannot match a network).
		want("PRTE_MCA_prte_if_include", iface.value.empty() ? "" : iface.iface,
		     {"PRTE_MCA_prte_if_exclude", "PRTE_MCA_oob_tcp_if_exclude",
		      "PRTE_MCA_oob_tcp_exclude"},
		     {"PRTE_MCA_oob_tcp_if_include", "PRTE_MCA_oob_tcp_include"});
	else
		want("OMPI_MCA_oob_tcp_if_include", iface.value, {"OMPI_MCA_oob_tcp_if_exclude"});
	want("OMPI_MCA_pml", a.pml);
	want("OMPI_MCA_btl", a.btl);
	std::string rec;
	for (const auto &v : record) {
		if (!rec.empty())
			rec += ' ';
		rec += v.name + "=" + v.value;
	}
	plan.set.push_back({std::string(kWiredVar), rec});
	return plan;
}

// ---------------------------------------------------------------- checks

std::string pmix_problem(std::string_view node, std::string_view plugin_path, bool plugin_exists,
			 std::string_view lib_path, bool lib_exists)
{
	const std::string where(node);
	if (!plugin_exists)
		return mpi_message(where, "srun --mpi=pmix cannot start here: Slurm's mpi/pmix "
					  "plugin " +
						  quoted(plugin_path, 256) +
						  " is missing. Install the package "
						  "slurm-wlm-basic-plugins on " +
						  where + ", or run with --mpi=none and mpirun.");
	if (!lib_exists)
		return mpi_message(where, "srun --mpi=pmix cannot start here: the PMIx library " +
						  quoted(lib_path, 256) +
						  " that Slurm's mpi/pmix loads is missing. Install "
						  "the package libpmix-dev on " +
						  where +
						  " (slurm-wlm does not depend on it), or run with "
						  "--mpi=none and mpirun.");
	return {};
}

namespace {

bool word_char(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

} // namespace

bool script_runs_mpirun(std::string_view script)
{
	static constexpr std::array<std::string_view, 4> launchers = {"mpirun", "mpiexec",
								      "orterun", "prterun"};
	while (!script.empty()) {
		auto nl = script.find('\n');
		auto line = script.substr(0, nl);
		script = nl == std::string_view::npos ? std::string_view{} : script.substr(nl + 1);
		if (auto hash = line.find('#'); hash != std::string_view::npos)
			line = line.substr(0, hash);
		for (auto w : launchers) {
			for (auto pos = line.find(w); pos != std::string_view::npos;
			     pos = line.find(w, pos + 1)) {
				bool start = pos == 0 || line[pos - 1] == '/' || !word_char(line[pos - 1]);
				auto end = pos + w.size();
				bool stop = end == line.size() || !word_char(line[end]);
				if (start && stop)
					return true;
			}
		}
	}
	return false;
}

std::string root_mpirun_message(std::string_view node, int openmpi)
{
	// Open MPI 5's mpirun is PRRTE's prterun, which says so; both honour
	// OMPI_ALLOW_RUN_AS_ROOT (checked with 4.1.4 and 5.0.7).
	const std::string refusal = openmpi >= 5 ? "prterun" : "mpirun";
	return mpi_message(
		node, "this job runs as root, and Open MPI's mpirun refuses to run as root "
		      "(\"" + refusal + " has detected an attempt to run as root\"). Submit it as a "
		      "regular user, e.g. `sudo -u pi sbatch job.sh`; the user needs the same "
		      "uid on every node. Only if you must, export OMPI_ALLOW_RUN_AS_ROOT=1 "
		      "and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the script.");
}

} // namespace slurmpi
