#include <criterion/criterion.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/mpi/wiring.hpp"
#include "common/text.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

namespace {

std::uint32_t ip(std::string_view s)
{
	auto a = parse_ipv4(s);
	cr_assert(a.has_value(), "test address %.*s", static_cast<int>(s.size()), s.data());
	return *a;
}

Ipv4Prefix pfx(std::string_view s)
{
	auto p = parse_ipv4_prefix(s);
	cr_assert(p.has_value(), "test prefix %.*s", static_cast<int>(s.size()), s.data());
	return *p;
}

NetIface iface(std::string name, bool up, std::vector<std::string_view> addrs,
	       bool loopback = false)
{
	NetIface i;
	i.name = std::move(name);
	i.up = up;
	i.loopback = loopback;
	for (auto a : addrs)
		i.addrs.push_back(pfx(a));
	return i;
}

// A Pi with its cluster network on eth0, Docker, and a Wi-Fi link.
std::vector<NetIface> pi_ifaces()
{
	return {
		iface("lo", true, {"127.0.0.1/8"}, true),
		iface("eth0", true, {"10.11.0.2/24"}),
		iface("docker0", true, {"172.17.0.1/16"}),
		iface("wlan0", true, {"192.168.50.2/24"}),
	};
}

IfaceSpec spec_of(std::string_view s)
{
	std::string why;
	auto sp = parse_iface_spec(s, &why);
	cr_assert(sp.has_value(), "spec %.*s refused: %s", static_cast<int>(s.size()), s.data(),
		  why.c_str());
	return *sp;
}

IfaceChoice resolve(std::string_view spec, const std::vector<NetIface> &ifs,
		    std::optional<std::uint32_t> route_src = std::nullopt,
		    std::string_view why_no_route = "")
{
	return resolve_iface(spec_of(spec), ifs, route_src, "ctl1", why_no_route, "pi3",
			     "--mpi-iface");
}

std::string iface_why(std::string_view s)
{
	std::string why = "untouched";
	auto sp = parse_iface_spec(s, &why);
	cr_assert(!sp.has_value(), "accepted %.*s", static_cast<int>(s.size()), s.data());
	cr_assert(why != "untouched" && !why.empty(), "why not filled for %.*s",
		  static_cast<int>(s.size()), s.data());
	return why;
}

MpiArgsResult args_of(std::vector<std::string> args, int openmpi = 4)
{
	return parse_mpi_args(args, "/usr/lib/pmix/libpmix.so", openmpi);
}

// The only error of arguments that must fail with exactly one; checks the
// prefix.
std::string only_error(const MpiArgsResult &r)
{
	cr_assert(!r.ok(), "accepted");
	cr_assert_eq(r.errors.size(), 1u, "%zu errors, first: %s", r.errors.size(),
		     r.errors[0].c_str());
	cr_assert(r.errors[0].starts_with("slurm-pi mpi: plugstack.conf: "), "prefix: %s",
		  r.errors[0].c_str());
	return r.errors[0];
}

std::string arg_error(std::vector<std::string> args, int openmpi = 4)
{
	return only_error(args_of(std::move(args), openmpi));
}

void expect_ok(const MpiArgsResult &r)
{
	cr_assert(r.ok(), "refused: %s", r.errors.empty() ? "" : r.errors[0].c_str());
}

// A step's environment.
struct Env {
	std::map<std::string, std::string, std::less<>> vars;
	std::function<std::optional<std::string>(std::string_view)> fn() const
	{
		return [this](std::string_view name) -> std::optional<std::string> {
			auto it = vars.find(name);
			if (it == vars.end())
				return std::nullopt;
			return it->second;
		};
	}
};

MpiArgs default_args(int openmpi = 4)
{
	auto r = args_of({}, openmpi);
	expect_ok(r);
	return r.args;
}

// What resolve_iface() chose: the value for *_if_include and the interface.
IfaceChoice chose(std::string value, std::string iface)
{
	IfaceChoice c;
	c.value = std::move(value);
	c.iface = std::move(iface);
	return c;
}

const EnvVar *find_set(const WiringPlan &p, std::string_view name)
{
	for (const auto &v : p.set)
		if (v.name == name)
			return &v;
	return nullptr;
}

bool in_kept(const WiringPlan &p, std::string_view needle)
{
	for (const auto &k : p.kept)
		if (contains(k, needle))
			return true;
	return false;
}

void expect_set(const WiringPlan &p, std::string_view name, std::string_view value)
{
	const EnvVar *v = find_set(p, name);
	cr_assert_not_null(v, "%.*s not set", static_cast<int>(name.size()), name.data());
	assert_sv_eq(v->value, std::string(value).c_str());
}

const std::string &wired(const WiringPlan &p)
{
	cr_assert(!p.set.empty());
	cr_assert_str_eq(p.set.back().name.c_str(), "SLURM_PI_MPI_WIRED");
	return p.set.back().value;
}

} // namespace

// ---------------------------------------------------------------- addresses

Test(ipv4, parses_and_formats)
{
	cr_assert_eq(ip("10.11.0.2"), 0x0a0b0002u);
	cr_assert_eq(ip("0.0.0.0"), 0u);
	cr_assert_eq(ip("255.255.255.255"), 0xffffffffu);
	assert_sv_eq(format_ipv4(0x0a0b0002u), "10.11.0.2");
	for (auto s : {"10.11.0.2", "0.0.0.0", "255.255.255.255", "192.168.50.2", "1.20.100.0"})
		assert_sv_eq(format_ipv4(ip(s)), s);
}

Test(ipv4, refuses_malformed_addresses)
{
	for (auto s : {"1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", " 1.2.3.4",
		       "1.2.3.4 ", "", "1..2.3", "1.2.3.", ".1.2.3", "a.b.c.d", "1.2.3.-4",
		       "+1.2.3.4", "1000.2.3.4", "1.2.3.4/24"})
		cr_assert(!parse_ipv4(s).has_value(), "accepted '%s'", s);
}

Test(ipv4, prefix_parses_and_round_trips)
{
	auto p = pfx("10.11.0.5/24");
	cr_assert_eq(p.addr, 0x0a0b0005u);
	cr_assert_eq(p.prefix, 24);
	for (auto s : {"10.11.0.5/24", "0.0.0.0/0", "1.2.3.4/32", "192.168.0.0/16", "10.0.0.0/8"})
		assert_sv_eq(format_ipv4_prefix(pfx(s)), s);
}

Test(ipv4, prefix_refuses_malformed)
{
	for (auto s : {"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/08", " 1.2.3.4/24", "1.2.3.4",
		       "1.2.3/24", "1.2.3.4/24/", "1.2.3.4/-1", "1.2.3.4/ 8", "/24", "1.2.3.4//24",
		       "256.1.1.1/8", "1.2.3.4/100"})
		cr_assert(!parse_ipv4_prefix(s).has_value(), "accepted '%s'", s);
}

Test(ipv4, network_clears_host_bits)
{
	cr_assert(network(pfx("10.11.0.5/24")) == pfx("10.11.0.0/24"));
	cr_assert(network(pfx("172.17.200.1/16")) == pfx("172.17.0.0/16"));
	cr_assert(network(pfx("10.11.0.5/32")) == pfx("10.11.0.5/32"));
	cr_assert(network(pfx("10.11.0.5/0")) == pfx("0.0.0.0/0"));
	cr_assert(network(pfx("10.11.0.255/25")) == pfx("10.11.0.128/25"));
}

Test(ipv4, in_network_uses_the_prefix)
{
	cr_assert(in_network(ip("10.11.0.9"), pfx("10.11.0.0/24")));
	cr_assert(in_network(ip("10.11.0.9"), pfx("10.11.0.77/24")), "host bits of net ignored");
	cr_assert(!in_network(ip("10.11.1.9"), pfx("10.11.0.0/24")));
	cr_assert(in_network(ip("10.11.1.9"), pfx("10.11.0.0/16")));
	cr_assert(in_network(ip("8.8.8.8"), pfx("0.0.0.0/0")));
	cr_assert(in_network(ip("1.2.3.4"), pfx("1.2.3.4/32")));
	cr_assert(!in_network(ip("1.2.3.5"), pfx("1.2.3.4/32")));
	cr_assert(!in_network(ip("10.11.0.127"), pfx("10.11.0.128/25")));
}

// ---------------------------------------------------------------- parse_iface_spec

Test(iface_spec, auto)
{
	auto s = spec_of("auto");
	cr_assert(s.kind == IfaceSpec::Kind::Auto);
	assert_sv_eq(format_iface_spec(s), "auto");
}

Test(iface_spec, names)
{
	for (auto n : {"eth0", "end0", "wlan0", "br-lan", "enx_b827eb.1", "abcdefghijklmno"}) {
		auto s = spec_of(n);
		cr_assert(s.kind == IfaceSpec::Kind::Name, "%s", n);
		assert_sv_eq(s.name, n);
		assert_sv_eq(format_iface_spec(s), n);
	}
}

Test(iface_spec, refuses_bad_names)
{
	cr_assert(contains(iface_why("abcdefghijklmnop"), "at most 15"));
	for (std::string_view n : {"eth0;rm", "a b", ".", "..", "eth0\n", "eth:0", "\xc3\x84",
				   "$(x)", "eth0,wlan0", "10.0.0.5/24x"})
		cr_assert(contains(iface_why(n), quoted(n)), "why does not quote %s",
			  quoted(n).c_str());
	cr_assert(contains(iface_why(""), "empty"));
}

Test(iface_spec, network_clears_host_bits)
{
	auto s = spec_of("10.11.0.5/24");
	cr_assert(s.kind == IfaceSpec::Kind::Net);
	cr_assert(s.net == pfx("10.11.0.0/24"));
	assert_sv_eq(format_iface_spec(s), "10.11.0.0/24");
	cr_assert(spec_of("10.11.0.0/24") == s);
}

Test(iface_spec, refuses_ipv6_and_bad_networks)
{
	cr_assert(contains(iface_why("fe80::/64"), "IPv6"));
	cr_assert(contains(iface_why("fe80::/64"), "fe80::/64"));
	cr_assert(contains(iface_why("10.0.0.0/33"), "not an IPv4 network"));
	cr_assert(contains(iface_why("eth0/24"), "not an IPv4 network"));
}

Test(iface_spec, null_why_is_allowed)
{
	cr_assert(!parse_iface_spec("a b", nullptr).has_value());
	cr_assert(!parse_iface_spec("", nullptr).has_value());
	cr_assert(!parse_iface_spec("1.2.3.4/40", nullptr).has_value());
}

// ---------------------------------------------------------------- resolve_iface

Test(resolve_auto, picks_the_network_of_the_route_to_slurmctld)
{
	auto c = resolve("auto", pi_ifaces(), ip("10.11.0.2"));
	cr_assert(c.ok(), "%s", c.error.c_str());
	assert_sv_eq(c.value, "10.11.0.0/24");
	assert_sv_eq(c.iface, "eth0");
}

Test(resolve_auto, follows_the_route_not_the_first_interface)
{
	// The route to slurmctld goes over wlan0 here: wlan0's network.
	auto c = resolve("auto", pi_ifaces(), ip("192.168.50.2"));
	cr_assert(c.ok(), "%s", c.error.c_str());
	assert_sv_eq(c.value, "192.168.50.0/24");
	assert_sv_eq(c.iface, "wlan0");
}

Test(resolve_auto, point_to_point_address_gives_the_name)
{
	auto ifs = pi_ifaces();
	ifs.push_back(iface("wg0", true, {"10.99.0.7/32"}));
	auto c = resolve("auto", ifs, ip("10.99.0.7"));
	cr_assert(c.ok(), "%s", c.error.c_str());
	assert_sv_eq(c.value, "wg0");
	assert_sv_eq(c.iface, "wg0");
}

Test(resolve_auto, loopback_route_points_at_etc_hosts)
{
	auto ifs = pi_ifaces();
	ifs[0] = iface("lo", true, {"127.0.0.1/8", "127.0.1.1/8"}, true);
	auto c = resolve("auto", ifs, ip("127.0.1.1"));
	cr_assert(!c.ok());
	cr_assert(c.value.empty());
	cr_assert(c.error.starts_with("slurm-pi mpi: pi3: "), "%s", c.error.c_str());
	cr_assert(contains(c.error, "/etc/hosts"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "127.0.1.1"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "ctl1"), "%s", c.error.c_str());

	// What the kernel picks for a destination of 127.0.1.1: lo's 127.0.0.1.
	c = resolve("auto", pi_ifaces(), ip("127.0.0.1"));
	cr_assert(!c.ok());
	cr_assert(contains(c.error, "/etc/hosts"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "127.0.1.1"), "%s", c.error.c_str());
}

Test(resolve_auto, unknown_route_says_why)
{
	auto c = resolve("auto", pi_ifaces(), std::nullopt, "ctl1: Name or service not known");
	cr_assert(!c.ok());
	cr_assert(c.error.starts_with("slurm-pi mpi: pi3: "), "%s", c.error.c_str());
	cr_assert(contains(c.error, "Name or service not known"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "'ctl1'"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "--mpi-iface"), "%s", c.error.c_str());
}

Test(resolve_auto, route_interface_down)
{
	auto ifs = pi_ifaces();
	ifs[1].up = false;
	auto c = resolve("auto", ifs, ip("10.11.0.2"));
	cr_assert(!c.ok());
	cr_assert(contains(c.error, "'eth0'"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "is down"), "%s", c.error.c_str());
}

Test(resolve_auto, no_interface_holds_the_address)
{
	auto c = resolve("auto", pi_ifaces(), ip("10.11.0.99"));
	cr_assert(!c.ok());
	cr_assert(contains(c.error, "10.11.0.99"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "'eth0' 10.11.0.2/24 up"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "'wlan0'"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "'docker0'"), "%s", c.error.c_str());
	cr_assert(!contains(c.error, "'lo'"), "loopback listed: %s", c.error.c_str());

	auto only_lo = resolve("auto", {iface("lo", true, {"127.0.0.1/8"}, true)},
			       ip("10.11.0.2"));
	cr_assert(contains(only_lo.error, "none but loopback"), "%s", only_lo.error.c_str());
}

Test(resolve_name, up_with_ipv4)
{
	auto c = resolve("wlan0", pi_ifaces());
	cr_assert(c.ok(), "%s", c.error.c_str());
	assert_sv_eq(c.value, "wlan0");
	assert_sv_eq(c.iface, "wlan0");
}

Test(resolve_name, missing_down_or_without_ipv4)
{
	auto ifs = pi_ifaces();
	ifs.push_back(iface("eth1", false, {"10.12.0.2/24"}));
	ifs.push_back(iface("eth2", true, {}));
	for (auto [name, what] : {std::pair{"eth9", "does not exist"}, std::pair{"eth1", "is down"},
				  std::pair{"eth2", "no IPv4 address"}}) {
		auto c = resolve(name, ifs);
		cr_assert(!c.ok(), "%s accepted", name);
		cr_assert(c.value.empty());
		cr_assert(c.error.starts_with("slurm-pi mpi: pi3: "), "%s", c.error.c_str());
		cr_assert(contains(c.error, "'" + std::string(name) + "'"), "%s", c.error.c_str());
		cr_assert(contains(c.error, what), "%s", c.error.c_str());
		cr_assert(contains(c.error, "--mpi-iface"), "source: %s", c.error.c_str());
	}
}

Test(resolve_net, picks_the_up_interface_in_the_network)
{
	auto ifs = pi_ifaces();
	auto c = resolve("192.168.50.77/24", ifs);
	cr_assert(c.ok(), "%s", c.error.c_str());
	assert_sv_eq(c.value, "192.168.50.0/24");
	assert_sv_eq(c.iface, "wlan0");

	// A down interface in the network is passed over for an up one.
	ifs.insert(ifs.begin(), iface("eth1", false, {"192.168.50.3/24"}));
	c = resolve("192.168.50.0/24", ifs);
	cr_assert(c.ok(), "%s", c.error.c_str());
	assert_sv_eq(c.iface, "wlan0");
}

Test(resolve_net, none_in_the_network)
{
	auto c = resolve("10.20.0.0/16", pi_ifaces());
	cr_assert(!c.ok());
	cr_assert(c.error.starts_with("slurm-pi mpi: pi3: "), "%s", c.error.c_str());
	cr_assert(contains(c.error, "10.20.0.0/16"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "pi3 an address"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "no interface"), "%s", c.error.c_str());

	// Loopback does not count.
	auto lo = resolve("127.0.0.0/8", pi_ifaces());
	cr_assert(!lo.ok(), "loopback chosen");
}

Test(resolve_net, down_interface_in_the_network)
{
	auto ifs = pi_ifaces();
	ifs[1].up = false;
	auto c = resolve("10.11.0.0/24", ifs);
	cr_assert(!c.ok());
	cr_assert(contains(c.error, "'eth0'"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "is down"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "10.11.0.0/24"), "%s", c.error.c_str());
}

// ---------------------------------------------------------------- parse_mpi_args

Test(mpi_args, defaults)
{
	for (int v : {4, 5}) {
		auto r = args_of({}, v);
		expect_ok(r);
		cr_assert(r.args.iface.kind == IfaceSpec::Kind::Auto);
		assert_sv_eq(r.args.pml, "ob1");
		assert_sv_eq(r.args.btl, v == 4 ? "self,vader,tcp" : "self,sm,tcp");
		cr_assert(r.args.pmix_default);
		assert_sv_eq(r.args.pmix_lib, "/usr/lib/pmix/libpmix.so");
		cr_assert_eq(r.args.openmpi, v);
	}
	assert_sv_eq(default_btl(4), "self,vader,tcp");
	assert_sv_eq(default_btl(5), "self,sm,tcp");
}

Test(mpi_args, every_key)
{
	auto r = args_of({"iface=10.11.0.9/24", "pml=cm", "btl=self,tcp", "pmix-default=no",
			  "pmix-lib=/opt/pmix/lib/libpmix.so", "openmpi=5"});
	expect_ok(r);
	cr_assert(r.args.iface.kind == IfaceSpec::Kind::Net);
	cr_assert(r.args.iface.net == pfx("10.11.0.0/24"));
	assert_sv_eq(r.args.pml, "cm");
	assert_sv_eq(r.args.btl, "self,tcp");
	cr_assert(!r.args.pmix_default);
	assert_sv_eq(r.args.pmix_lib, "/opt/pmix/lib/libpmix.so");
	cr_assert_eq(r.args.openmpi, 5);

	r = args_of({"iface=end0", "pmix-default=yes"});
	expect_ok(r);
	cr_assert(r.args.iface.kind == IfaceSpec::Kind::Name);
	assert_sv_eq(r.args.iface.name, "end0");
	cr_assert(r.args.pmix_default);
}

Test(mpi_args, openmpi_5_changes_the_default_btl)
{
	auto r = args_of({"openmpi=5"}, 4);
	expect_ok(r);
	assert_sv_eq(r.args.btl, "self,sm,tcp");
	r = args_of({"openmpi=4"}, 5);
	expect_ok(r);
	assert_sv_eq(r.args.btl, "self,vader,tcp");
}

Test(mpi_args, default_leaves_the_choice_to_open_mpi)
{
	auto r = args_of({"pml=default", "btl=default"});
	expect_ok(r);
	assert_sv_eq(r.args.pml, "");
	assert_sv_eq(r.args.btl, "");
}

Test(mpi_args, exclusion_list)
{
	auto r = args_of({"btl=^openib,uct"});
	expect_ok(r);
	assert_sv_eq(r.args.btl, "^openib,uct");
}

Test(mpi_args, refuses_bad_component_lists)
{
	for (auto v : {"OB1", "a,,b", "a;b", "", ",a", "a,", "^", "a b", "^^a"}) {
		auto e = arg_error({std::string("pml=") + v});
		cr_assert(contains(e, "pml="), "%s", e.c_str());
		e = arg_error({std::string("btl=") + v});
		cr_assert(contains(e, "btl="), "%s", e.c_str());
	}
	// A refused key keeps its default.
	auto r = args_of({"pml=OB1", "btl=a;b"});
	cr_assert_eq(r.errors.size(), 2u);
	assert_sv_eq(r.args.pml, "ob1");
	assert_sv_eq(r.args.btl, "self,vader,tcp");
}

Test(mpi_args, refuses_bad_values)
{
	auto e = arg_error({"iface=a b"});
	cr_assert(contains(e, "iface="), "%s", e.c_str());
	e = arg_error({"iface=fe80::/64"});
	cr_assert(contains(e, "IPv6"), "%s", e.c_str());
	e = arg_error({"pmix-default=maybe"});
	cr_assert(contains(e, "pmix-default="), "%s", e.c_str());
	e = arg_error({"pmix-lib=lib/libpmix.so"});
	cr_assert(contains(e, "pmix-lib="), "%s", e.c_str());
	cr_assert(contains(e, "lib/libpmix.so"), "%s", e.c_str());
	e = arg_error({"pmix-lib="});
	cr_assert(contains(e, "pmix-lib="), "%s", e.c_str());
	e = arg_error({"pmix-lib=/a\nb"});
	cr_assert(contains(e, "pmix-lib="), "%s", e.c_str());
	for (auto v : {"6", "3", "", "04", "4.1"}) {
		e = arg_error({std::string("openmpi=") + v});
		cr_assert(contains(e, "openmpi="), "%s", e.c_str());
	}
}

Test(mpi_args, refuses_unknown_duplicate_and_bare)
{
	auto e = arg_error({"ifcae=eth0"});
	cr_assert(contains(e, "'ifcae'"), "%s", e.c_str());
	cr_assert(contains(e, "unknown"), "%s", e.c_str());

	auto r = args_of({"pml=ob1", "pml=cm"});
	e = only_error(r);
	cr_assert(contains(e, "'pml'"), "%s", e.c_str());
	cr_assert(contains(e, "twice"), "%s", e.c_str());
	assert_sv_eq(r.args.pml, "ob1");

	e = arg_error({"eth0"});
	cr_assert(contains(e, "'eth0'"), "%s", e.c_str());
	cr_assert(contains(e, "key=value"), "%s", e.c_str());

	// Every bad argument is reported, and the good ones still count.
	r = args_of({"x", "openmpi=6", "pml=cm", "y=1"});
	cr_assert_eq(r.errors.size(), 3u);
	for (const auto &m : r.errors)
		cr_assert(m.starts_with("slurm-pi mpi: plugstack.conf: "), "%s", m.c_str());
	assert_sv_eq(r.args.pml, "cm");
}

Test(mpi_args, format_round_trips)
{
	std::vector<std::vector<std::string>> cases = {
		{},
		{"iface=10.11.0.9/24", "pml=cm", "btl=self,tcp", "pmix-default=no",
		 "pmix-lib=/opt/p/libpmix.so", "openmpi=5"},
		{"pml=default", "btl=default", "iface=eth0"},
		{"btl=^openib", "pmix-default=off", "openmpi=4"},
	};
	for (int v : {4, 5})
		for (const auto &c : cases) {
			auto r = args_of(c, v);
			expect_ok(r);
			auto text = format_mpi_args(r.args);
			cr_assert_eq(text.size(), 6u);
			auto again = parse_mpi_args(text, "/elsewhere/libpmix.so", 9 - v);
			expect_ok(again);
			const MpiArgs &a = r.args, &b = again.args;
			cr_assert(a.iface == b.iface);
			assert_sv_eq(b.pml, a.pml.c_str());
			assert_sv_eq(b.btl, a.btl.c_str());
			cr_assert_eq(b.pmix_default, a.pmix_default);
			assert_sv_eq(b.pmix_lib, a.pmix_lib.c_str());
			cr_assert_eq(b.openmpi, a.openmpi);
		}
}

// ---------------------------------------------------------------- parse_wiring

Test(wiring, on_and_off)
{
	for (auto s : {"on", "yes", "1"})
		cr_assert(parse_wiring(s, nullptr) == std::optional<bool>(true), "%s", s);
	for (auto s : {"off", "no", "0"})
		cr_assert(parse_wiring(s, nullptr) == std::optional<bool>(false), "%s", s);
	std::string why;
	cr_assert(!parse_wiring("maybe", &why).has_value());
	cr_assert(contains(why, "'maybe'"), "%s", why.c_str());
	cr_assert(!parse_wiring("", &why).has_value());
	cr_assert(!parse_wiring("ON", &why).has_value());
	cr_assert(!parse_wiring("maybe", nullptr).has_value());
}

// ---------------------------------------------------------------- plan_wiring

Test(plan, empty_environment_openmpi_4)
{
	Env env;
	auto p = plan_wiring(default_args(4), chose("10.11.0.0/24", "eth0"), env.fn());
	cr_assert_eq(p.set.size(), 5u);
	cr_assert(p.set[0] == (EnvVar{"OMPI_MCA_btl_tcp_if_include", "10.11.0.0/24"}));
	cr_assert(p.set[1] == (EnvVar{"OMPI_MCA_oob_tcp_if_include", "10.11.0.0/24"}));
	cr_assert(p.set[2] == (EnvVar{"OMPI_MCA_pml", "ob1"}));
	cr_assert(p.set[3] == (EnvVar{"OMPI_MCA_btl", "self,vader,tcp"}));
	assert_sv_eq(wired(p), "OMPI_MCA_btl_tcp_if_include=10.11.0.0/24 "
			       "OMPI_MCA_oob_tcp_if_include=10.11.0.0/24 OMPI_MCA_pml=ob1 "
			       "OMPI_MCA_btl=self,vader,tcp");
	cr_assert(p.kept.empty());
	// The record reads back as what was set.
	auto rec = parse_wired(wired(p));
	cr_assert_eq(rec.size(), 4u);
	for (std::size_t i = 0; i < 4; i++)
		cr_assert(rec[i] == p.set[i]);
}

Test(plan, empty_environment_openmpi_5)
{
	// Open MPI 5.0.7: the BTL takes the network; PRRTE's OOB reads
	// PRTE_MCA_prte_if_include (not OMPI_MCA_oob_*), and gets the name.
	Env env;
	auto p = plan_wiring(default_args(5), chose("10.11.0.0/24", "eth0"), env.fn());
	cr_assert_eq(p.set.size(), 5u);
	cr_assert(p.set[0] == (EnvVar{"OMPI_MCA_btl_tcp_if_include", "10.11.0.0/24"}));
	cr_assert(p.set[1] == (EnvVar{"PRTE_MCA_prte_if_include", "eth0"}));
	cr_assert(p.set[2] == (EnvVar{"OMPI_MCA_pml", "ob1"}));
	cr_assert(p.set[3] == (EnvVar{"OMPI_MCA_btl", "self,sm,tcp"}));
	assert_sv_eq(wired(p), "OMPI_MCA_btl_tcp_if_include=10.11.0.0/24 "
			       "PRTE_MCA_prte_if_include=eth0 OMPI_MCA_pml=ob1 "
			       "OMPI_MCA_btl=self,sm,tcp");
	cr_assert(p.kept.empty());
	for (auto n : {"OMPI_MCA_oob_tcp_if_include", "PRTE_MCA_oob_tcp_if_include"})
		cr_assert_null(find_set(p, n), "%s", n);
	auto rec = parse_wired(wired(p));
	cr_assert_eq(rec.size(), 4u);
	for (std::size_t i = 0; i < 4; i++)
		cr_assert(rec[i] == p.set[i]);

	// A named interface or a network (--mpi-iface=eth0, iface=CIDR) alike.
	p = plan_wiring(default_args(5), chose("eth0", "eth0"), env.fn());
	expect_set(p, "OMPI_MCA_btl_tcp_if_include", "eth0");
	expect_set(p, "PRTE_MCA_prte_if_include", "eth0");
	p = plan_wiring(default_args(5), chose("10.11.0.2/32", "ppp0"), env.fn());
	expect_set(p, "PRTE_MCA_prte_if_include", "ppp0");
}

Test(plan, openmpi_5_users_prrte_synonyms_are_kept)
{
	// PRRTE reads its deprecated synonyms too, and they win over
	// prte_if_include: the user's own one stays alone.
	for (auto syn : {"PRTE_MCA_oob_tcp_if_include", "PRTE_MCA_oob_tcp_include",
			 "PRTE_MCA_prte_if_include"}) {
		Env env;
		env.vars[syn] = "wlan0";
		auto p = plan_wiring(default_args(5), chose("10.11.0.0/24", "eth0"), env.fn());
		cr_assert_null(find_set(p, "PRTE_MCA_prte_if_include"), "%s", syn);
		cr_assert(in_kept(p, std::string(syn) + "=wlan0"), "%s", syn);
		expect_set(p, "OMPI_MCA_btl_tcp_if_include", "10.11.0.0/24");
		cr_assert(!contains(wired(p), "PRTE_MCA"), "%s", wired(p).c_str());
	}
	// An OMPI_MCA_oob_* of the user's is Open MPI 4's: 5 ignores it.
	Env env;
	env.vars["OMPI_MCA_oob_tcp_if_include"] = "wlan0";
	auto p = plan_wiring(default_args(5), chose("10.11.0.0/24", "eth0"), env.fn());
	expect_set(p, "PRTE_MCA_prte_if_include", "eth0");
}

Test(plan, openmpi_5_nested_step_replaces_its_own_value)
{
	Env env;
	auto outer = plan_wiring(default_args(5), chose("10.11.0.0/24", "eth0"), env.fn());
	for (const auto &v : outer.set)
		env.vars[v.name] = v.value;
	auto inner = plan_wiring(default_args(5), chose("192.168.50.0/24", "wlan0"), env.fn());
	expect_set(inner, "OMPI_MCA_btl_tcp_if_include", "192.168.50.0/24");
	expect_set(inner, "PRTE_MCA_prte_if_include", "wlan0");
	cr_assert(inner.kept.empty(), "kept %s", inner.kept[0].c_str());
}

Test(plan, openmpi_5_no_interface)
{
	Env env;
	auto p = plan_wiring(default_args(5), chose("", ""), env.fn());
	cr_assert_null(find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	cr_assert_null(find_set(p, "PRTE_MCA_prte_if_include"));
	assert_sv_eq(wired(p), "OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,sm,tcp");
}

Test(plan, user_value_survives)
{
	Env env;
	env.vars["OMPI_MCA_btl_tcp_if_include"] = "wlan0";
	auto p = plan_wiring(default_args(), chose("10.11.0.0/24", "eth0"), env.fn());
	cr_assert_null(find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	cr_assert(in_kept(p, "OMPI_MCA_btl_tcp_if_include=wlan0"));
	expect_set(p, "OMPI_MCA_oob_tcp_if_include", "10.11.0.0/24");
	expect_set(p, "OMPI_MCA_pml", "ob1");
	expect_set(p, "OMPI_MCA_btl", "self,vader,tcp");
	cr_assert(!contains(wired(p), "btl_tcp_if_include"), "%s", wired(p).c_str());
}

Test(plan, user_exclude_suppresses_include)
{
	Env env;
	env.vars["OMPI_MCA_btl_tcp_if_exclude"] = "docker0,lo";
	auto p = plan_wiring(default_args(), chose("10.11.0.0/24", "eth0"), env.fn());
	cr_assert_null(find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	cr_assert(in_kept(p, "OMPI_MCA_btl_tcp_if_exclude=docker0,lo"));
	expect_set(p, "OMPI_MCA_oob_tcp_if_include", "10.11.0.0/24");

	// Open MPI 5: PRRTE refuses prte_if_include next to prte_if_exclude
	// or either of its synonyms ("Only one of these can be given").
	for (auto ex : {"PRTE_MCA_prte_if_exclude", "PRTE_MCA_oob_tcp_if_exclude",
			"PRTE_MCA_oob_tcp_exclude"}) {
		Env env5;
		env5.vars[ex] = "docker0";
		p = plan_wiring(default_args(5), chose("10.11.0.0/24", "eth0"), env5.fn());
		cr_assert_null(find_set(p, "PRTE_MCA_prte_if_include"), "%s", ex);
		cr_assert(in_kept(p, std::string(ex) + "=docker0 (so not PRTE_MCA_prte_if_include)"),
			  "%s", ex);
		expect_set(p, "OMPI_MCA_btl_tcp_if_include", "10.11.0.0/24");
	}
	// and Open MPI's BTL exclude stops only the BTL's include.
	Env env5;
	env5.vars["OMPI_MCA_btl_tcp_if_exclude"] = "docker0";
	p = plan_wiring(default_args(5), chose("10.11.0.0/24", "eth0"), env5.fn());
	cr_assert_null(find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	expect_set(p, "PRTE_MCA_prte_if_include", "eth0");
}

Test(plan, nested_step_replaces_its_own_value)
{
	// The batch script's step wired eth0; an srun inside it asks for wlan0.
	Env env;
	auto outer = plan_wiring(default_args(), chose("eth0", "eth0"), env.fn());
	for (const auto &v : outer.set)
		env.vars[v.name] = v.value;
	auto inner = plan_wiring(default_args(), chose("wlan0", "wlan0"), env.fn());
	expect_set(inner, "OMPI_MCA_btl_tcp_if_include", "wlan0");
	expect_set(inner, "OMPI_MCA_oob_tcp_if_include", "wlan0");
	expect_set(inner, "OMPI_MCA_pml", "ob1");
	cr_assert(inner.kept.empty(), "kept %s", inner.kept[0].c_str());
	cr_assert(contains(wired(inner), "OMPI_MCA_btl_tcp_if_include=wlan0"));
}

Test(plan, changed_recorded_value_is_the_users)
{
	Env env;
	env.vars["SLURM_PI_MPI_WIRED"] = "OMPI_MCA_btl_tcp_if_include=eth0 OMPI_MCA_pml=ob1";
	env.vars["OMPI_MCA_btl_tcp_if_include"] = "end0"; // changed by the user since
	env.vars["OMPI_MCA_pml"] = "ob1";
	auto p = plan_wiring(default_args(), chose("wlan0", "wlan0"), env.fn());
	cr_assert_null(find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	cr_assert(in_kept(p, "OMPI_MCA_btl_tcp_if_include=end0"));
	expect_set(p, "OMPI_MCA_pml", "ob1");
	expect_set(p, "OMPI_MCA_oob_tcp_if_include", "wlan0");
}

Test(plan, recorded_exclude_does_not_suppress)
{
	// Only the user's exclude suppresses the include.
	Env env;
	env.vars["SLURM_PI_MPI_WIRED"] = "OMPI_MCA_btl_tcp_if_exclude=lo";
	env.vars["OMPI_MCA_btl_tcp_if_exclude"] = "lo";
	auto p = plan_wiring(default_args(), chose("eth0", "eth0"), env.fn());
	expect_set(p, "OMPI_MCA_btl_tcp_if_include", "eth0");
}

Test(plan, empty_iface_and_pml)
{
	Env env;
	auto a = default_args();
	a.pml.clear();
	auto p = plan_wiring(a, chose("", ""), env.fn());
	cr_assert_null(find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	cr_assert_null(find_set(p, "OMPI_MCA_oob_tcp_if_include"));
	cr_assert_null(find_set(p, "OMPI_MCA_pml"));
	expect_set(p, "OMPI_MCA_btl", "self,vader,tcp");
	cr_assert_eq(p.set.size(), 2u);
	assert_sv_eq(wired(p), "OMPI_MCA_btl=self,vader,tcp");

	a.btl.clear();
	p = plan_wiring(a, chose("", ""), env.fn());
	cr_assert_eq(p.set.size(), 1u);
	assert_sv_eq(wired(p), "");
}

Test(plan, parse_wired_skips_malformed_and_caps)
{
	auto v = parse_wired("A=1 =x noequals  B= C=x=y");
	cr_assert_eq(v.size(), 3u);
	cr_assert(v[0] == (EnvVar{"A", "1"}));
	cr_assert(v[1] == (EnvVar{"B", ""}));
	cr_assert(v[2] == (EnvVar{"C", "x=y"}));
	cr_assert(parse_wired("").empty());
	cr_assert(parse_wired("   ").empty());

	std::string many;
	for (int i = 0; i < 20; i++)
		many += "V" + std::to_string(i) + "=" + std::to_string(i) + " ";
	v = parse_wired(many);
	cr_assert_eq(v.size(), 16u);
	assert_sv_eq(v[15].name, "V15");
}

// ---------------------------------------------------------------- checks

Test(checks, pmix_problem)
{
	assert_sv_eq(pmix_problem("pi3", "/usr/lib/slurm/mpi_pmix.so", true,
				  "/usr/lib/pmix/libpmix.so", true),
		     "");
	auto m = pmix_problem("pi3", "/usr/lib/slurm/mpi_pmix.so", false,
			      "/usr/lib/pmix/libpmix.so", true);
	cr_assert(m.starts_with("slurm-pi mpi: pi3: "), "%s", m.c_str());
	cr_assert(contains(m, "slurm-wlm-basic-plugins"), "%s", m.c_str());
	cr_assert(contains(m, "'/usr/lib/slurm/mpi_pmix.so'"), "%s", m.c_str());
	cr_assert(contains(m, "on pi3"), "%s", m.c_str());

	m = pmix_problem("pi3", "/usr/lib/slurm/mpi_pmix.so", true, "/usr/lib/pmix/libpmix.so",
			 false);
	cr_assert(m.starts_with("slurm-pi mpi: pi3: "), "%s", m.c_str());
	cr_assert(contains(m, "libpmix-dev"), "%s", m.c_str());
	cr_assert(contains(m, "'/usr/lib/pmix/libpmix.so'"), "%s", m.c_str());
	cr_assert(contains(m, "on pi3"), "%s", m.c_str());
}

Test(checks, script_runs_mpirun)
{
	for (auto s : {"mpirun ./a.out", "/usr/bin/mpiexec -n 4 x", "srun x; orterun y",
		       "exec prterun", "#!/bin/sh\n#SBATCH -N 2\nmpirun -np 8 ./a.out\n",
		       "  mpiexec\n", "x=$(mpirun)", "$HOME/bin/mpirun x"})
		cr_assert(script_runs_mpirun(s), "missed: %s", s);
	for (auto s : {"# mpirun in a comment", "echo mympirun", "mpirun_helper",
		       "srun ./mpi_hello", "", "#!/bin/sh\nsrun x # then mpirun\n", "mpirun.sh",
		       "mpiruns", "srun --mpi=pmix ./a.out"})
		cr_assert(!script_runs_mpirun(s), "false alarm: %s", s);
}

Test(checks, root_mpirun_message)
{
	for (int v : {4, 5}) {
		auto m = root_mpirun_message("pi3", v);
		cr_assert(m.starts_with("slurm-pi mpi: pi3: "), "%s", m.c_str());
		cr_assert(contains(m, "OMPI_ALLOW_RUN_AS_ROOT"), "%s", m.c_str());
		cr_assert(contains(m, "sudo"), "%s", m.c_str());
	}
	// Each quotes its own refusal, word for word (4.1.4's mpirun, 5.0.7's
	// prterun).
	cr_assert(contains(root_mpirun_message("pi3", 4),
			   "(\"mpirun has detected an attempt to run as root\")"));
	cr_assert(contains(root_mpirun_message("pi3", 5),
			   "(\"prterun has detected an attempt to run as root\")"));
}

Test(checks, mpi_message)
{
	assert_sv_eq(mpi_message("pi3", "x"), "slurm-pi mpi: pi3: x");
}

Test(iface_spec, bare_address_asks_for_a_prefix)
{
	std::string why = iface_why("10.0.0.5");
	cr_assert(contains(why, "is an address, not a network"), "%s", why.c_str());
	cr_assert(contains(why, "10.0.0.0/24"), "%s", why.c_str());
}

Test(resolve_auto, any_127_source_is_loopback)
{
	// lo holds only 127.0.0.1/8, and the kernel reports 127.0.1.1.
	auto c = resolve("auto", pi_ifaces(), ip("127.0.1.1"));
	cr_assert(!c.ok());
	cr_assert(contains(c.error, "/etc/hosts"), "%s", c.error.c_str());
	cr_assert(contains(c.error, "127.0.1.1"), "%s", c.error.c_str());
}

Test(plan, iface_value_with_a_space_is_not_set)
{
	auto p = plan_wiring(default_args(), chose("a b", "a b"), [](std::string_view) { return std::nullopt; });
	cr_assert(!find_set(p, "OMPI_MCA_btl_tcp_if_include"));
	cr_assert(!find_set(p, "OMPI_MCA_oob_tcp_if_include"));
	expect_set(p, "OMPI_MCA_pml", "ob1");
	cr_assert(!contains(wired(p), "a b"), "%s", wired(p).c_str());
}
