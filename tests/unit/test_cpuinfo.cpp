#include "common/cpuinfo.hpp"
#include "tests/unit/helpers.hpp"

#include <criterion/criterion.h>

#include <string>

#ifndef FIXTURES_DIR
#error "build with -DFIXTURES_DIR='\"<srcdir>/tests/fixtures\"'"
#endif

using namespace slurmpi;

namespace {

const std::string kFixtures = FIXTURES_DIR;

} // namespace

Test(cpuinfo, reads_the_pi_fields_of_a_fixture)
{
	CpuInfo c = read_cpuinfo(kFixtures + "/pi4b");
	cr_assert(c.read, "%s", c.error.c_str());
	cr_assert(c.error.empty());
	cr_assert_not(c.truncated);
	assert_sv_eq(c.revision.value(), "c03114");
	assert_sv_eq(c.serial.value(), "10000000a744c93f");
	assert_sv_eq(c.model.value(), "Raspberry Pi 4 Model B Rev 1.4");
	assert_sv_eq(c.hardware.value(), "BCM2835");
	assert_sv_eq(c.arch, "aarch64");
}

Test(cpuinfo, a_pc_has_no_pi_fields)
{
	CpuInfo c = read_cpuinfo(kFixtures + "/x86");
	cr_assert(c.read, "%s", c.error.c_str());
	cr_assert_not(c.revision.has_value());
	cr_assert_not(c.serial.has_value());
	cr_assert_not(c.model.has_value());
	assert_sv_eq(c.arch, "x86_64");
}

Test(cpuinfo, missing_file_says_why)
{
	ScratchDir dir{"test_cpuinfo"};
	CpuInfo c = read_cpuinfo(dir.path().string());
	cr_assert_not(c.read);
	assert_sv_eq(c.error, "No such file or directory");
	cr_assert_not(c.revision.has_value());
	cr_assert(c.arch.empty());
}

Test(cpuinfo, first_line_of_a_key_wins_and_values_are_trimmed)
{
	CpuInfo c = parse_cpuinfo("Revision\t:  c03111 \nRevision\t: 9000c1\n"
				  "CPU revision\t: 3\nSerial\t\t: 1\nModel\t: M\r\n");
	cr_assert(c.read);
	assert_sv_eq(c.revision.value(), "c03111");
	assert_sv_eq(c.serial.value(), "1");
	assert_sv_eq(c.model.value(), "M");
	cr_assert_not(c.hardware.has_value());
}

Test(cpuinfo, revision_is_not_cpu_revision)
{
	CpuInfo c = parse_cpuinfo("CPU revision\t: 3\nRevision c03111\n");
	cr_assert_not(c.revision.has_value(), "%s", c.revision.value_or("").c_str());
}

Test(cpuinfo, empty_value_is_present_but_empty)
{
	CpuInfo c = parse_cpuinfo("Revision\t:\nSerial\t:   \t\n");
	assert_sv_eq(c.revision.value(), "");
	assert_sv_eq(c.serial.value(), "");
}

Test(cpuinfo, architecture_from_the_kernel_lines)
{
	assert_sv_eq(parse_cpuinfo("model name\t: ARMv6-compatible processor rev 7 (v6l)\n").arch,
		     "armv6l");
	assert_sv_eq(parse_cpuinfo("model name\t: ARMv7 Processor rev 4 (v7l)\n").arch,
		     "armv7l");
	assert_sv_eq(parse_cpuinfo("CPU architecture: 8\n").arch, "aarch64");
	assert_sv_eq(parse_cpuinfo("flags\t\t: fpu vme lm sse\n").arch, "x86_64");
	assert_sv_eq(parse_cpuinfo("flags\t\t: fpu vme sse\n").arch, "i686");
	assert_sv_eq(parse_cpuinfo("CPU architecture: 7\n").arch, "");
	assert_sv_eq(parse_cpuinfo("").arch, "");
}

Test(cpuinfo, field_lookup)
{
	std::string_view text = "model name\t: ARMv7 Processor rev 4 (v7l)\n"
				"Model\t\t: Raspberry Pi 3 Model B Plus Rev 1.3\n";
	assert_sv_eq(cpuinfo_field(text, "Model").value(),
			 "Raspberry Pi 3 Model B Plus Rev 1.3");
	assert_sv_eq(cpuinfo_field(text, "model name").value(),
			 "ARMv7 Processor rev 4 (v7l)");
	cr_assert_not(cpuinfo_field(text, "Serial").has_value());
	cr_assert_not(cpuinfo_field(text, "model").has_value());
}
