// libFuzzer target: the Revision line of /proc/cpuinfo and the decoding of
// the code it holds.
#include <cstring>
#include <string>

#include "common/cpuinfo.hpp"
#include "common/revision.hpp"
#include "common/text.hpp"
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
	std::string h = hex(code, 8);
	FUZZ_CHECK(h.size() == 8, "hex: %s", h.c_str());
	revision_type_name((code >> 4) & 0xffu);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	std::string_view cpuinfo = fuzz_text(data, size);
	CpuInfo info = parse_cpuinfo(cpuinfo);
	FUZZ_CHECK(info.revision == cpuinfo_field(cpuinfo, "Revision"),
		   "parse_cpuinfo and cpuinfo_field disagree on Revision");
	std::string why;
	if (auto code = parse_revision_code(info.revision, &why)) {
		check_code(*code);
		FUZZ_CHECK(info.revision.has_value(), "a code without a Revision line");
	} else {
		FUZZ_CHECK(!why.empty(), "no code, no reason");
	}

	// The input's first bytes as a code, so every bit pattern is tried.
	std::uint32_t raw = 0;
	std::memcpy(&raw, data, size < sizeof raw ? size : sizeof raw);
	check_code(raw);
	return 0;
}
