// common/doctor/net_checks: names.self.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "common/doctor/net_checks.hpp"

using namespace slurmpi;
using namespace slurmpi::doctor;

namespace {

std::uint32_t ip(const char *s)
{
	return *parse_ipv4(s);
}

std::vector<NetIface> ifaces()
{
	NetIface lo{"lo", true, true, {{ip("127.0.0.1"), 8}}};
	NetIface eth{"eth0", true, false, {{ip("10.0.0.12"), 24}}};
	NetIface wlan{"wlan0", true, false, {{ip("192.168.1.40"), 24}}};
	return {lo, eth, wlan};
}

bool has(const std::string &s, const char *needle)
{
	return s.find(needle) != std::string::npos;
}

} // namespace

Test(names_self, ok_on_the_route_to_the_controller)
{
	auto f = check_name_self("pi2", ip("10.0.0.12"), ifaces(), ip("10.0.0.12"), "ctl");
	cr_assert_eq(f.verdict, Verdict::ok, "%s", f.summary.c_str());
	cr_assert_str_eq(f.check.c_str(), "names.self");
	cr_assert(has(f.summary, "'eth0'"), "%s", f.summary.c_str());
	cr_assert(f.fix.empty());
}

Test(names_self, debian_loopback_line_fails_with_the_lan_address)
{
	auto f = check_name_self("pi2", ip("127.0.1.1"), ifaces(), ip("10.0.0.12"), "ctl");
	cr_assert_eq(f.verdict, Verdict::fail);
	cr_assert(has(f.summary, "127.0.1.1"), "%s", f.summary.c_str());
	cr_assert(has(f.summary, "loopback"), "%s", f.summary.c_str());
	cr_assert(has(f.fix, "'10.0.0.12 pi2'"), "%s", f.fix.c_str());
}

Test(names_self, does_not_resolve)
{
	auto f = check_name_self("pi2", std::nullopt, ifaces(), std::nullopt, "ctl");
	cr_assert_eq(f.verdict, Verdict::fail);
	cr_assert(has(f.summary, "does not resolve"), "%s", f.summary.c_str());
	cr_assert(has(f.fix, "<its LAN address> pi2"), "%s", f.fix.c_str());
}

Test(names_self, an_address_this_node_does_not_have)
{
	auto f = check_name_self("pi2", ip("10.0.0.99"), ifaces(), ip("10.0.0.12"), "ctl");
	cr_assert_eq(f.verdict, Verdict::fail);
	cr_assert(has(f.summary, "no interface of this node has"), "%s", f.summary.c_str());
}

Test(names_self, wlan_while_the_controller_is_reached_over_eth0)
{
	auto f = check_name_self("pi2", ip("192.168.1.40"), ifaces(), ip("10.0.0.12"), "ctl");
	cr_assert_eq(f.verdict, Verdict::warn);
	cr_assert(has(f.summary, "'wlan0'") && has(f.summary, "'eth0'"), "%s", f.summary.c_str());
	cr_assert(has(f.fix, "'10.0.0.12 pi2'"), "%s", f.fix.c_str());
}

Test(names_self, route_unknown_is_not_a_problem)
{
	auto f = check_name_self("pi2", ip("192.168.1.40"), ifaces(), std::nullopt, "ctl");
	cr_assert_eq(f.verdict, Verdict::ok, "%s", f.summary.c_str());
}
