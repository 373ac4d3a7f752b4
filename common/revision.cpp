#include "common/revision.hpp"

#include "common/text.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace slurmpi {

// Revision codes: Raspberry Pi documentation, "Raspberry Pi revision codes"
// (raspberrypi/documentation, documentation/asciidoc/computers/raspberry-pi/
// revision-codes.adoc). New-style layout NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR:
// N bit 31 overvoltage disallowed, O bit 30 OTP programming disallowed,
// Q bit 29 OTP reading disallowed, bits 26-28 unused, W bit 25 warranty
// voided, bit 24 unused, F bit 23 new-style flag, MMM bits 20-22 memory,
// CCCC bits 16-19 manufacturer, PPPP bits 12-15 processor, TTTTTTTT bits
// 4-11 type, RRRR bits 0-3 revision.
namespace {

constexpr uint32_t kNewStyleFlag = 1u << 23;
constexpr uint32_t kOldWarrantyBit = 1u << 24;
constexpr uint32_t kWarrantyBit = 1u << 25;
constexpr uint32_t kOtpReadBit = 1u << 29;
constexpr uint32_t kOtpProgramBit = 1u << 30;
constexpr uint32_t kOvervoltageBit = 1u << 31;

// Index = type field. "" marks codes the table leaves unassigned (0x07,
// 0x0b) or "internal use only" (0x0f, 0x16).
constexpr std::array<std::string_view, 0x1c> kTypeNames = {
	"A", "B", "A+", "B+", "2B", "Alpha", "CM1", "",
	"3B", "Zero", "CM3", "", "Zero W", "3B+", "3A+", "",
	"CM3+", "4B", "Zero 2 W", "400", "CM4", "CM4S", "", "5",
	"CM5", "500", "CM5 Lite", "CM0",
};

constexpr std::array<std::string_view, 6> kManufacturers = {
	"Sony UK", "Egoman", "Embest", "Sony Japan", "Embest", "Stadium",
};

constexpr std::array<std::string_view, 5> kSocs = {
	"BCM2835", "BCM2836", "BCM2837", "BCM2711", "BCM2712",
};

// Old-style codes 0002-0015 carry no fields; the same documentation page
// lists them. mem_mb 0 is the 0015 A+, shipped with 256 MB or 512 MB under
// one code, so its memory cannot be told from the code.
struct OldStyle {
	uint32_t code;
	unsigned type;
	std::string_view board_rev;
	unsigned mem_mb;
	std::string_view manufacturer;
};

constexpr OldStyle kOldStyle[] = {
	{0x02, 0x01, "1.0", 256, "Egoman"},
	{0x03, 0x01, "1.0", 256, "Egoman"},
	{0x04, 0x01, "2.0", 256, "Sony UK"},
	{0x05, 0x01, "2.0", 256, "Qisda"},
	{0x06, 0x01, "2.0", 256, "Egoman"},
	{0x07, 0x00, "2.0", 256, "Egoman"},
	{0x08, 0x00, "2.0", 256, "Sony UK"},
	{0x09, 0x00, "2.0", 256, "Qisda"},
	{0x0d, 0x01, "2.0", 512, "Egoman"},
	{0x0e, 0x01, "2.0", 512, "Sony UK"},
	{0x0f, 0x01, "2.0", 512, "Egoman"},
	{0x10, 0x03, "1.2", 512, "Sony UK"},
	{0x11, 0x06, "1.0", 512, "Sony UK"},
	{0x12, 0x02, "1.1", 256, "Sony UK"},
	{0x13, 0x03, "1.2", 512, "Embest"},
	{0x14, 0x06, "1.0", 512, "Embest"},
	{0x15, 0x02, "1.1", 0, "Embest"},
};

void add_error(Revision &r, const std::string &what)
{
	if (!r.error.empty())
		r.error += "; ";
	r.error += what;
}

void decode_new_style(Revision &r)
{
	const uint32_t c = r.code;
	r.new_style = true;
	r.valid = true;
	r.pcb_rev = c & 0xf;
	r.board_rev = "1." + std::to_string(r.pcb_rev);
	r.type = (c >> 4) & 0xff;
	r.warranty_void = c & kWarrantyBit;

	r.type_name = std::string(revision_type_name(r.type));
	if (r.type_name.empty())
		add_error(r, "unknown board type 0x" + hex(r.type, 2));

	unsigned soc = (c >> 12) & 0xf;
	if (soc < kSocs.size())
		r.soc = kSocs[soc];
	else
		add_error(r, "unknown processor " + std::to_string(soc));

	unsigned maker = (c >> 16) & 0xf;
	if (maker < kManufacturers.size())
		r.manufacturer = kManufacturers[maker];
	else
		add_error(r, "unknown manufacturer " + std::to_string(maker));

	// 7 is documented as "Other": the size lives in a firmware parameter
	// (rpi-sdram-size-gbit), not in the code.
	unsigned mem = (c >> 20) & 0x7;
	if (mem <= 6)
		r.mem_mb = 256u << mem;
	else
		add_error(r, "memory size field 7 (\"other\") does not give a size");
}

void decode_old_style(Revision &r)
{
	// The firmware marks an old-style board whose warranty is void with
	// bit 24 ("1000002"); later firmware moved that flag to bit 25
	// (AndrewFromMelbourne/raspberry_pi_revision README), so take either.
	r.warranty_void = r.code & (kOldWarrantyBit | kWarrantyBit);
	const uint32_t flag_bits = kOldWarrantyBit | kWarrantyBit | kOtpReadBit |
				   kOtpProgramBit | kOvervoltageBit;
	const uint32_t base = r.code & ~flag_bits;
	for (const OldStyle &o : kOldStyle) {
		if (o.code != base)
			continue;
		r.valid = true;
		r.type = o.type;
		r.type_name = std::string(revision_type_name(o.type));
		r.board_rev = o.board_rev;
		r.mem_mb = o.mem_mb;
		r.manufacturer = o.manufacturer;
		r.soc = "BCM2835";
		if (!o.mem_mb)
			add_error(r, "code " + hex(base, 4) +
					     " is used for both 256 MB and 512 MB boards");
		return;
	}
	add_error(r, "unknown old-style revision code " + hex(base, 4));
}

} // namespace

std::string_view revision_type_name(unsigned type)
{
	return type < kTypeNames.size() ? kTypeNames[type] : std::string_view();
}

Revision decode_revision(uint32_t code)
{
	Revision r;
	r.code = code;
	r.otp_read_disallowed = code & kOtpReadBit;
	r.otp_program_disallowed = code & kOtpProgramBit;
	r.overvoltage_disallowed = code & kOvervoltageBit;
	if (code & kNewStyleFlag)
		decode_new_style(r);
	else
		decode_old_style(r);
	return r;
}

std::optional<uint32_t> parse_revision_code(std::optional<std::string_view> value,
					    std::string *reason)
{
	auto fail = [reason](std::string why) -> std::optional<uint32_t> {
		if (reason)
			*reason = std::move(why);
		return std::nullopt;
	};
	if (!value)
		return fail("no Revision line");
	std::string_view v = *value;
	if (v.empty())
		return fail("Revision: empty value");
	for (char c : v)
		if (!std::isxdigit(static_cast<unsigned char>(c)))
			return fail("Revision: not a hex number: " + quoted(v));
	uint32_t code = 0;
	auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), code, 16);
	if (ec != std::errc() || end != v.data() + v.size())
		return fail("Revision: out of range: " + quoted(v));
	return code;
}

} // namespace slurmpi
