// The node telemetry record that task/pi publishes into the node's Extra
// field and that the controller and `slurm-pi nodes` read back.
//
// Contract (design.md): Extra holds one JSON object; slurm-pi owns its "pi"
// key and keeps every other top-level key a site put there, e.g.
//   {"site":"rack2","pi":{"v":1,"t":61.5,"band":"warm","thr":"0x0",
//    "mhz":1500,"max_mhz":1800,"model":"4B","mem":4096,"ts":1795938087}}
//
// Record version 1:
//   required  v (integer, must be 1), band (one of band_name()),
//             ts (integer seconds since the epoch, >= 0)
//   optional  t (number, C, one decimal, finite and within what the
//             sensor reader accepts: kTempMinMilliC..kTempMaxMilliC in
//             common/sensors.hpp, i.e. -40..150), thr (string "0x" + hex,
//             the get_throttled word), thr_known (string "0x" + hex: the
//             bits of thr that the node can read; absent means all of
//             them), mhz, max_mhz, mem (MB) (integers >= 0), model (string)
// A node that reads only hwmon rpi_volt knows the under-voltage bit and no
// other: it publishes "thr":"0x0","thr_known":"0x1", and a reader must not
// take the other flags as clear.
// Optional fields are left out when unknown; a reader also takes null as
// unknown. A record without a temperature is normal (band "unknown", or
// "critical" from the throttle flags alone), so only what a reader cannot do
// without is required. Unknown fields inside "pi" are ignored, so new
// optional fields can be added without a version bump; "v" changes only when
// an old reader would misread the record.
//
// No function here throws: JSON errors come back as reasons.
//
// Limits. Any admin can set Extra (`scontrol update NodeName=.. Extra=..`)
// and this parser runs inside slurmctld and slurmd, whose threads have
// about 1 MiB of stack. nlohmann's serializer (and copy and compare)
// recurse once per nesting level, so before anything is parsed the text is checked cheaply:
//  - at most kExtraMaxBytes (64 KiB) of text;
//  - at most kExtraMaxDepth (32) levels of [ and { (counted outside
//    strings; a record is 2 levels deep: {"pi":{...}}).
// Beyond either, parse_extra() fails with TelemetryError::over_limit and
// merge_extra() refuses; the reason names the limit and what was found.
// A number JSON can spell but a double cannot hold (1e999) is over_limit
// too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/thermal.hpp"

namespace slurmpi {

inline constexpr int kTelemetryVersion = 1;
// Every bit of the throttle word known (the mailbox, legacy sysfs).
inline constexpr std::uint32_t kThrAllBits = 0xffffffffu;
inline constexpr std::size_t kExtraMaxBytes = 64 * 1024;
inline constexpr int kExtraMaxDepth = 32;

struct Telemetry {
	Band band = Band::unknown;
	std::int64_t ts = 0;
	std::optional<double> temp_c;
	std::optional<std::uint32_t> throttled;
	// The bits of `throttled` that are known (meaningless without it).
	std::uint32_t throttled_known = kThrAllBits;
	std::optional<int> mhz;
	std::optional<int> max_mhz;
	std::optional<std::string> model;
	std::optional<int> mem_mb;

	bool operator==(const Telemetry &) const = default;
};

// The inner object, compact, fields in the order v,t,band,thr,thr_known,mhz,max_mhz,
// model,mem,ts. The temperature is rounded to one decimal; a non-finite one
// is left out. Returns "" only if memory runs out.
std::string encode_telemetry(const Telemetry &t);
// A whole Extra value holding only the record: {"pi":<encode_telemetry>}.
std::string encode_extra(const Telemetry &t);

// Why a parse gave no record. `empty` and `no_pi` are normal for a node
// that does not run task/pi (yet); the others are worth a log line.
enum class TelemetryError {
	none,
	empty,       // Extra is empty or whitespace
	not_json,    // Extra is not JSON (e.g. an admin's free text)
	not_object,  // JSON, but not an object
	no_pi,       // object without a "pi" key
	bad_version, // "pi.v" missing, not an integer, or not one we read
	bad_field,   // "pi" not an object, a required field missing, a wrong
		     // type, a value out of range
	over_limit,  // over kExtraMaxBytes or kExtraMaxDepth, or a number
		     // beyond the range of a double (see Limits above)
};

struct TelemetryParse {
	std::optional<Telemetry> telemetry;
	TelemetryError error = TelemetryError::none;
	std::string reason; // e.g. `pi.t: expected a number, got string`
};

// Parse a node's Extra value.
TelemetryParse parse_extra(std::string_view extra);

// Outcome of merging a record into an existing Extra value. When ok is
// false, `extra` is empty and the caller must leave Extra as it is.
struct ExtraMerge {
	bool ok = false;
	std::string extra;
	std::string reason;
};

// The new Extra value: `existing` with its "pi" key set to the record and
// every other key kept (in its order; a new "pi" goes last).
//  - empty, whitespace or JSON null: becomes {"pi":...};
//  - a JSON object: "pi" replaced (whatever it held: the key is ours);
//  - anything else (free text an admin wrote, an array, a string, a
//    number): refused, because writing would destroy it. The reason says
//    what is there so the caller can log it; the admin decides.
//  - over a limit (size, depth, a number such as 1e999 that a double
//    cannot hold): refused too, for the same reason: the reader cannot
//    keep the admin's keys as they are, so it does not rewrite them.
//    Telemetry stays unpublished until the admin fixes Extra; the
//    reason says what to fix.
//  - a result that would be over kExtraMaxBytes: refused, so that what is
//    written can always be read back.
ExtraMerge merge_extra(std::string_view existing, const Telemetry &t);

} // namespace slurmpi
