// Table of per-model Raspberry Pi CPU facts (cores, clocks, speed score),
// looked up by Revision board type, device-tree compatible or model key.
#pragma once

#include "common/revision.hpp"

#include <span>
#include <string_view>

namespace slurmpi {

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

} // namespace slurmpi
