// slurm-pi doctor: slurm.conf read the way Slurm 22.05 reads it, enough for
// the checks (common/doctor/conf_checks.hpp). Pure: the caller reads the
// file (and any Include'd file) and hands the text over. No Slurm headers.
//
// What Slurm does, and this reader copies (src/common/parse_config.c in
// slurm-wlm 22.05.8):
//  - A '#' preceded by an even number of '\' starts a comment, up to the end
//    of the physical line (_strip_comments, parse_config.c:394-412); this
//    is done on each physical line before continuations are joined
//    (_get_next_line, parse_config.c:466-478).
//  - A line ending in an odd number of '\' (trailing white space allowed)
//    goes on with the next line; the backslash goes
//    (_strip_continuation, parse_config.c:346-370).
//  - Then every '\' is dropped and the byte after it kept: "\#" is '#',
//    "\\" is '\' (_strip_escapes, parse_config.c:418-428).
//  - A logical line is numbered by its first physical line (s_p_parse_file,
//    parse_config.c:1259-1300).
//  - Pairs are key=value: the key [A-Za-z0-9_.]+, white space allowed around
//    '=', an operator [-*+/] allowed before it, the value a double-quoted
//    string without '"' or a run of non-space bytes (keyvalue_pattern,
//    parse_config.c:92-97). Keys match case-insensitively
//    (_conf_hashtbl_lookup, parse_config.c:158-173).
//  - "Include FILE" (any case, at the very start of the line, white space
//    after it) reads FILE in place (_parse_include_directive,
//    parse_config.c:1180-1192). Recorded here, not followed.
//  - A key given again: the latest value is used (_handle_common,
//    parse_config.c:525-530).
//  - Only NodeName, PartitionName, NodeSet, DownNodes and FrontendName
//    lines take more pairs after the first (read_config.c:433-438); on
//    any other line the rest is a parse error. It is reported here and
//    the pairs are kept all the same.
//
// Everything is bounded: the text, a logical line, the entries, the pairs
// of one line and the errors kept; what goes over is reported in errors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurmpi::doctor {

inline constexpr std::size_t kConfMaxBytes = 16u << 20;   // whole text
inline constexpr std::size_t kConfMaxLine = 64u << 10;    // one logical line
inline constexpr std::size_t kConfMaxEntries = 1u << 16;  // logical lines kept
inline constexpr std::size_t kConfMaxPairs = 256;         // pairs on one line
inline constexpr std::size_t kConfMaxIncludes = 256;
inline constexpr std::size_t kConfMaxErrors = 64;

// Whether a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

struct ConfEntry {
	std::string file;
	// First physical line of the logical line, from 1.
	int line = 0;
	// The logical line as written: comment cut, continuations joined,
	// white space at both ends trimmed, escapes still in (one line).
	std::string text;
	// key, value in order; values unquoted and unescaped.
	std::vector<std::pair<std::string, std::string>> kv;
	// The last value of `key` (case-insensitive), if the line has it.
	std::optional<std::string> get(std::string_view key) const;
	// The first key ("NodeName", "PartitionName", "SelectType", ...),
	// "" for none.
	std::string_view kind() const;
};

struct SlurmConf {
	std::vector<ConfEntry> entries;
	// FILE of each "Include FILE" line, in order, as written.
	std::vector<std::string> includes;
	// "file:line: what", at most kConfMaxErrors (the last says more were
	// left out).
	std::vector<std::string> errors;
	// The value of the last line whose first key is `key`
	// (case-insensitive), as Slurm keeps the latest: e.g.
	// param("SelectTypeParameters").
	std::optional<std::string> param(std::string_view key) const;
	// Every line whose first key is `first_key` (case-insensitive), in
	// order.
	std::vector<const ConfEntry *> of_kind(std::string_view first_key) const;
};

SlurmConf parse_slurm_conf(std::string_view text, std::string_view file);

// A line as key=value pairs again, separated by one space; a value that is
// empty or holds white space is double-quoted. For fix lines.
std::string format_entry(const std::vector<std::pair<std::string, std::string>> &kv);

// A Slurm host list as names: "pi1,pi2", "pi[1-4]", "pi[01-10]" (the width
// of the low bound is kept, as Slurm's hostlist.c:1630 does),
// "node[1-2,5]", "a[1-2]b[3-4]" (every combination, the first group
// varying slowest, as _push_range_list does, hostlist.c:1713-1772).
// nullopt when malformed (unbalanced or nested brackets, text after the
// last ']' as in "pi[1-2]x", which Slurm refuses too, hostlist.c:1807-1809;
// an empty name or range, a range going down, a number over 2^32 - 1) or
// when there would be more than `max` names.
std::optional<std::vector<std::string>> expand_hostlist(std::string_view list,
							 std::size_t max = 4096);

} // namespace slurmpi::doctor
