// Raspberry Pi Revision codes: parsing and decoding the /proc/cpuinfo
// Revision code (common/cpuinfo.hpp reads the file).
//
// The Revision code adds what the device tree does not say (memory size,
// manufacturer, board revision); common/board_detect.hpp weighs it against the
// device tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slurmpi {

// One decoded Revision code. Bit layout (new style, bit 23 set):
// NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR, see decode_revision() for the source.
struct Revision {
	bool valid = false;     // a new-style code, or a known old-style one
	bool new_style = false;
	uint32_t code = 0;
	unsigned mem_mb = 0;    // 0 = unknown (see error)
	std::string manufacturer;
	std::string soc;        // "BCM2711"; "" = unknown
	unsigned type = 0;      // board type field; old-style codes map to the
				// same numbering (A=0x00, B=0x01, ...)
	std::string type_name;  // "4B"; "" = unknown type
	unsigned pcb_rev = 0;   // raw RRRR field (new style only)
	std::string board_rev;  // "1.4" as Raspberry Pi writes it
	bool warranty_void = false;
	bool otp_read_disallowed = false;
	bool otp_program_disallowed = false;
	bool overvoltage_disallowed = false;
	std::string error;      // every field that could not be decoded, "; "-joined
};

Revision decode_revision(uint32_t code);

// The value of cpuinfo's "Revision" line (CpuInfo::revision, nullopt when
// there is no such line), parsed as hex. On failure returns nullopt and,
// if `reason` is set, says why ("no Revision line", "Revision: ...").
std::optional<uint32_t> parse_revision_code(std::optional<std::string_view> value,
					    std::string *reason = nullptr);

// Board type code -> name as in the revision-codes table ("3B+", "CM5 Lite"),
// or "" for codes that are unassigned or internal.
std::string_view revision_type_name(unsigned type);

} // namespace slurmpi
