// Raspberry Pi model detection: device-tree model/compatible, the
// /proc/cpuinfo Revision code, and a table of per-model CPU facts.
//
// The device tree names the board; the Revision code adds what the device
// tree does not say (memory size, manufacturer, board revision). Neither is
// trusted blindly: disagreements are reported in PiIdentity::problems.
// cpuinfo's "Hardware" line is never used (it says BCM2835 on every model).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// The value of the first "Revision" line of a cpuinfo text, parsed as hex.
// On failure returns nullopt and, if `reason` is set, says why.
std::optional<uint32_t> find_cpuinfo_revision(std::string_view cpuinfo,
					      std::string *reason = nullptr);

// Value of the first "<key>\t: value" line of a cpuinfo text (trimmed), or
// nullopt if there is no such line. Keys match exactly ("Revision" does
// not match "CPU revision").
std::optional<std::string_view> cpuinfo_field(std::string_view cpuinfo,
					      std::string_view key);

// Board type code -> name as in the revision-codes table ("3B+", "CM5 Lite"),
// or "" for codes that are unassigned or internal.
std::string_view revision_type_name(unsigned type);

struct ModelInfo {
	unsigned type;              // Revision board type code
	std::string_view key;       // telemetry "model": "4B", "3B+", "Zero2W"
	std::string_view feature;   // Slurm node feature: "pi4b", "pi3bplus"
	std::string_view name;      // "Raspberry Pi 4 Model B"
	std::string_view compatible; // board entry of the DT compatible list
	std::string_view soc;       // as in the Revision SoC field
	std::string_view core;      // "Cortex-A72"
	unsigned cores;
	unsigned default_mhz;       // firmware default arm_freq
	unsigned max_mhz;           // highest stock clock (arm_boost), no overclock
	double speed_score;         // per-core speed, Pi 4B at 1500 MHz = 1.0
	std::string_view source;    // where the numbers come from
};

std::span<const ModelInfo> all_models();
const ModelInfo *model_by_type(unsigned type_code);
const ModelInfo *model_by_compatible(std::string_view compat);
const ModelInfo *model_by_key(std::string_view key);

// Highest stock clock of this very board: 4B boards before R1.4 lack
// arm_boost support and stay at 1500 MHz.
unsigned board_max_mhz(const ModelInfo &model, const Revision &rev);

struct PiIdentity {
	bool is_pi = false;
	std::string reason;          // why is_pi is what it is
	std::string dt_model;        // "Raspberry Pi 4 Model B Rev 1.4"
	std::vector<std::string> compatible;
	std::string serial;
	Revision revision;           // valid == false when absent or unusable
	const ModelInfo *model = nullptr;
	unsigned max_mhz = 0;        // board_max_mhz(), 0 when model unknown
	std::string arch;            // aarch64, armv7l, armv6l, x86_64, "" unknown
	std::vector<std::string> sources;
	std::vector<std::string> problems;
};

// Identify the machine under `root` ("" or "/" = this machine). `arch`
// comes from uname() for the real root and from the cpuinfo text for any
// other root, since a fixture tree has no kernel of its own.
PiIdentity detect_pi(std::string_view root);

} // namespace slurmpi
