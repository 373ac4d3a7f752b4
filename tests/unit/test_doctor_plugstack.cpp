// common/doctor/plugstack: plugstack.conf read as Slurm 22.05 reads it.
#include <criterion/criterion.h>

#include <string>

#include "common/doctor/plugstack.hpp"

using namespace slurmpi::doctor;

Test(plugstack, plugins_args_includes_and_comments)
{
	auto p = parse_plugstack("# slurm-pi\n"
				 "required /usr/lib/x/spank_pi_thermal.so\n"
				 "optional\tspank_pi_mpi.so iface=eth0  pml=ob1 # comment\n"
				 "\n"
				 "   include plugstack.conf.d/*.conf\n"
				 "include /etc/other/*.conf\r\n",
				 "/etc/slurm/plugstack.conf");
	cr_assert(p.errors.empty());
	cr_assert_eq(p.plugins.size(), 2u);
	cr_assert(p.plugins[0].required);
	cr_assert_str_eq(p.plugins[0].plugin.c_str(), "/usr/lib/x/spank_pi_thermal.so");
	cr_assert_eq(p.plugins[0].line, 2);
	cr_assert(!p.plugins[1].required);
	cr_assert_str_eq(p.plugins[1].plugin.c_str(), "spank_pi_mpi.so");
	cr_assert_eq(p.plugins[1].args.size(), 2u);
	cr_assert_str_eq(p.plugins[1].args[1].c_str(), "pml=ob1");
	cr_assert_eq(p.includes.size(), 2u);
	cr_assert_str_eq(p.includes[0].pattern.c_str(), "/etc/slurm/plugstack.conf.d/*.conf");
	cr_assert_eq(p.includes[0].line, 5);
	cr_assert_str_eq(p.includes[1].pattern.c_str(), "/etc/other/*.conf");
}

Test(plugstack, what_slurm_refuses)
{
	auto p = parse_plugstack("Required x.so\nrequired\ninclude\nbogus y.so\n", "ps.conf");
	cr_assert_eq(p.errors.size(), 4u);
	cr_assert(p.errors[0].starts_with("ps.conf:1: 'Required' is not required, optional or include"),
		  "%s", p.errors[0].c_str());
	cr_assert(p.errors[1].starts_with("ps.conf:2: required without a plugin"), "%s",
		  p.errors[1].c_str());
	cr_assert(p.errors[2].starts_with("ps.conf:3: include without a pattern"), "%s",
		  p.errors[2].c_str());
	cr_assert(p.plugins.empty());
}

Test(plugstack, hash_has_no_escape)
{
	auto p = parse_plugstack("required a.so x=\\#y\n", "f");
	cr_assert_eq(p.plugins.size(), 1u);
	cr_assert_eq(p.plugins[0].args.size(), 1u);
	cr_assert_str_eq(p.plugins[0].args[0].c_str(), "x=\\");
}

Test(plugstack, line_limit)
{
	std::string many;
	for (int i = 0; i < 20; i++)
		many += "required a.so\n";
	auto p = parse_plugstack(many, "f", 10);
	cr_assert_eq(p.plugins.size(), 10u);
	cr_assert_eq(p.errors.size(), 1u);
}

Test(plugstack, candidates)
{
	auto c = plugin_candidates("spank_pi_mpi.so", "/a:/usr/lib/slurm-wlm:");
	cr_assert_eq(c.size(), 2u);
	cr_assert_str_eq(c[0].c_str(), "/a/spank_pi_mpi.so");
	cr_assert_str_eq(c[1].c_str(), "/usr/lib/slurm-wlm/spank_pi_mpi.so");
	auto abs = plugin_candidates("/x/y.so", "/a");
	cr_assert_eq(abs.size(), 1u);
	cr_assert_str_eq(abs[0].c_str(), "/x/y.so");
	cr_assert(plugin_candidates("y.so", "").empty());
}
