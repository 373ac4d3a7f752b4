// common/doctor/elf_symbol: a plugin's plugin_version read from its file.
#include <criterion/criterion.h>

#include <fstream>
#include <iterator>
#include <string>

#include <slurm/slurm_version.h>

#include "common/doctor/elf_symbol.hpp"

using slurmpi::doctor::elf_symbol_u32;

namespace {

std::string slurp(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(f), {}};
}

} // namespace

Test(elf, reads_this_builds_plugin_version)
{
	// A plugin of this build: its plugin_version is the Slurm it was
	// built for.
	std::string image = slurp(BUILDDIR "/plugins/spank_pi_thermal/.libs/spank_pi_thermal.so");
	cr_assert(image.size() > 1000, "build the plugins first");
	std::string why;
	auto v = elf_symbol_u32(image, "plugin_version", &why);
	cr_assert(v.has_value(), "%s", why.c_str());
	cr_assert_eq(*v, static_cast<std::uint32_t>(SLURM_VERSION_NUMBER));
	auto s = elf_symbol_u32(image, "spank_plugin_version", &why);
	cr_assert(s.has_value(), "%s", why.c_str());
	cr_assert_eq(*s, 1u);
}

Test(elf, missing_and_undefined_symbols)
{
	std::string image = slurp(BUILDDIR "/plugins/spank_pi_thermal/.libs/spank_pi_thermal.so");
	std::string why;
	cr_assert(!elf_symbol_u32(image, "no_such_symbol_here", &why));
	cr_assert_str_eq(why.c_str(), "no such symbol");
	// Used by the plugin, defined by Slurm.
	cr_assert(!elf_symbol_u32(image, "spank_option_register", &why));
	cr_assert_str_eq(why.c_str(), "the symbol is not defined in the file");
}

Test(elf, not_elf_and_truncated)
{
	std::string why;
	cr_assert(!elf_symbol_u32("", "plugin_version", &why));
	cr_assert_str_eq(why.c_str(), "not an ELF file");
	cr_assert(!elf_symbol_u32("#!/bin/sh\necho hi\n", "plugin_version", &why));
	std::string image = slurp(BUILDDIR "/plugins/spank_pi_thermal/.libs/spank_pi_thermal.so");
	for (std::size_t cut : {std::size_t{16}, std::size_t{60}, image.size() / 2, image.size() - 1}) {
		// Never reads past the end; says no rather than guessing.
		auto v = elf_symbol_u32(std::string_view(image).substr(0, cut), "plugin_version", &why);
		if (v)
			cr_assert_eq(*v, static_cast<std::uint32_t>(SLURM_VERSION_NUMBER));
	}
}
