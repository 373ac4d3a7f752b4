// `slurm-pi nodes`: every node's Slurm state and the telemetry record
// task/pi publishes into its Extra field, as a table or JSON.
//
// Pure: plain structs in, rows and text out; no Slurm, no clock, no
// terminal. nodes_slurm.cpp reads the nodes from slurmctld and
// nodes_cmd.cpp draws (and redraws) them; both are thin.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/telemetry.hpp"
#include "common/thermal.hpp"

namespace slurmpi::tool {

// One node as slurmctld reports it. Every string may hold anything an
// admin wrote (reason, Extra): it is only ever shown escaped.
struct NodeInput {
	std::string name;
	std::string state;  // e.g. "idle", "mixed", "drained" (slurm_state_name)
	std::string reason; // drain or down reason; "" none
	std::string extra;  // the node's Extra field; "" none
};

struct NodeRow {
	std::string name;
	std::string state;
	std::string reason;
	// The record parsed from Extra; nullopt when there is none or it could
	// not be read (then `note` says why).
	std::optional<Telemetry> record;
	// now - record.ts, never negative (a record from the future, i.e.
	// clock skew, has age 0 and a note); nullopt without a record.
	std::optional<std::int64_t> age_s;
	// age_s > StaleAfter: the record's values are old and its band is not
	// believed.
	bool stale = false;
	// The band to show: the record's, or unknown when stale or missing.
	Band band = Band::unknown;
	// Why there is no record, or what is odd about it; "" nothing.
	std::string note;
};

// Whether a node in `state` (a slurm_state_name) is out of service, so
// that its Slurm reason says why: down, drained, draining, fail, ... A node
// in service (idle, mixed, allocated, completing, reserved) has none worth
// showing: Slurm 24.11 without accounting storage keeps the last reason
// on a resumed node (accounting_storage.c, clusteracct_storage_g_node_up
// returns before clearing it), and `sinfo -R` lists only down, drained
// and failed nodes.
bool reason_applies(std::string_view state);

// Rows in the order given, with the reason only where it applies.
// `stale_after` is StaleAfter (seconds).
std::vector<NodeRow> make_rows(std::span<const NodeInput> nodes,
			       std::int64_t now, int stale_after);

// An age for people: "0s".."59s", "1m".."59m", "1h".."47h", then days
// ("2d"); whole units, rounded down. Negative is shown as "0s".
std::string format_age(std::int64_t seconds);

// The throttle flags in words, respecting what the node can read:
// "none" when every bit is known and clear; the set flags otherwise
// (throttle_words); with only some bits known (thr_known), the known set
// ones, or "no under-voltage now" when none, followed by
// "; others unknown"; "unknown" without a throttle word.
std::string throttle_text(const Telemetry &t);

// A value from Slurm or Extra made safe for a terminal: printable ASCII
// as is, every other byte as \xNN, at most `max` bytes then "...".
std::string printable(std::string_view s, std::size_t max = 64);

struct TableStyle {
	bool color = false; // ANSI colours for the band (and dim stale rows)
};

// The table: a header line (NODE STATE MODEL TEMP BAND CLOCK AGE THROTTLE
// REASON), one line per row, columns padded with spaces, "-" for what is
// not known; then one "note: NODE: ..." line per row with a note. Ends in
// '\n'. No nodes gives a line saying so.
std::string format_nodes_text(std::span<const NodeRow> rows,
			      const TableStyle &style);

// A JSON array, one object per row, indented, ending in '\n'. Keys, in
// this order: name, state, reason (null when none), band (as shown),
// stale, age_s, temp_c, model, throttled, throttled_known, throttle
// (words), mhz, max_mhz, mem_mb, ts, record (the parsed record as
// task/pi wrote it, or null), note (null when none). Unknown values are
// null.
std::string format_nodes_json(std::span<const NodeRow> rows);

} // namespace slurmpi::tool
