// `slurm-pi status`: one sensor pass, the band it gives, printed for people
// or as JSON. Gathering (status.cpp) and formatting (status_format.cpp) are
// apart so the formatting is tested on hand-made reports.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/libsensors_chips.hpp"
#include "common/board_detect.hpp"
#include "common/sensors.hpp"
#include "common/thermal.hpp"
#include "tools/cli.hpp"

namespace slurmpi::tool {

struct StatusReport {
	std::string node;           // short host name, "" unknown
	PiIdentity identity;
	Reading reading;
	ThermalLimits limits;
	Band band = Band::unknown;
	BandCause cause = BandCause::no_data;
	// libsensors' view; empty optional when not listed (see chips_note).
	std::optional<std::vector<SensorChip>> chips;
	std::string chips_note;     // why chips were not listed
	// Problems of the identity, the node name and libsensors; the
	// reading's own are in reading.problems.
	std::vector<std::string> problems;
};

// The band of one reading, as task/pi would compute it from a fresh start:
// the throttle flags count only where the source can tell them.
void compute_band(StatusReport &r, std::int64_t now);

// Every problem: the reading's, then the report's.
std::vector<std::string> all_problems(const StatusReport &r);

// True if any sensor value was read (temperature, throttle word, a clock or
// the fan); false means exit status 1.
bool read_anything(const StatusReport &r);

std::string format_status_text(const StatusReport &r);
// One JSON object, indented, ending in '\n'. Keys are documented in
// `slurm-pi status --help`; unknown values are null.
std::string format_status_json(const StatusReport &r);

// Gather for o.root and print; returns the exit status. The throttle word
// is asked of `mailbox` if given, else of /dev/vcio when o.root is the real
// root and the machine is a Pi (a copied tree has no firmware to ask).
// libsensors is asked only for the real root: it cannot read a tree.
int run_status(const Options &o, const Config &c, std::ostream &out,
	       std::ostream &err, Mailbox *mailbox = nullptr);

} // namespace slurmpi::tool
