// Raspberry Pi model detection: device-tree model/compatible and the
// /proc/cpuinfo Revision code (common/revision.hpp), matched against the
// table of per-model CPU facts (common/board_table.hpp). Includes both, so
// users of this header see the whole model API.
//
// The device tree names the board; the Revision code adds what the device
// tree does not say (memory size, manufacturer, board revision). Neither is
// trusted blindly: disagreements are reported in PiIdentity::problems.
// cpuinfo's "Hardware" line is never used (it says BCM2835 on every model).
#pragma once

#include "common/board_table.hpp"
#include "common/revision.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace slurmpi {

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

// The board in one line, for logs and the slurm-pi command:
//   "Raspberry Pi 4 Model B Rev 1.4 (pi4b, 4 GB, Revision c03114,
//    serial 10000000a744c93f)"
// The name is the device-tree model, else the table's name; the parts in
// brackets are those known. Not a Pi: "not a Raspberry Pi (<reason>)".
std::string describe_board(const PiIdentity &id);

} // namespace slurmpi
