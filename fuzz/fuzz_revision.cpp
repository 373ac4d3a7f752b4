// libFuzzer target: the Revision line of /proc/cpuinfo and the decoding of
// the code it holds.
#include <cstring>
#include <string>

#include "common/revision.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

void check_code(std::uint32_t code)
{
	Revision r = decode_revision(code);
	FUZZ_CHECK(r.code == code, "code changed");
	FUZZ_CHECK(r.new_style == ((code >> 23) & 1u) || !r.valid,
		   "style of %08x", code);
	if (!r.valid)
		FUZZ_CHECK(!r.error.empty(), "invalid %08x without an error", code);
	std::string hex = revision_hex(code, 8);
	FUZZ_CHECK(hex.size() == 8, "revision_hex: %s", hex.c_str());
	revision_type_name((code >> 4) & 0xffu);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	std::string_view cpuinfo = fuzz_text(data, size);
	std::string why;
	if (auto code = find_cpuinfo_revision(cpuinfo, &why)) {
		check_code(*code);
		auto line = cpuinfo_field(cpuinfo, "Revision");
		FUZZ_CHECK(line.has_value(), "a code without a Revision line");
	} else {
		FUZZ_CHECK(!why.empty(), "no code, no reason");
	}
	cpuinfo_field(cpuinfo, "Model");
	cpuinfo_field(cpuinfo, "Serial");

	// The input's first bytes as a code, so every bit pattern is tried.
	std::uint32_t raw = 0;
	std::memcpy(&raw, data, size < sizeof raw ? size : sizeof raw);
	check_code(raw);
	return 0;
}
