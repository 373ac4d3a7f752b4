// Text for messages and log lines: values from files, config and users
// quoted so that they cannot break a log line, and numbers as hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi {

// How many bytes of a value quoted() shows by default: enough for any
// sensible value, short enough that a runaway file cannot flood a log.
inline constexpr std::size_t kQuotedMax = 64;

// `s` in single quotes, safe to put in a log line: printable ASCII as is,
// except ' and \, which get a backslash; newline, tab and carriage return
// as \n, \t, \r; every other byte (control characters, non-ASCII) as \xNN.
// Only the first `max` bytes of `s` are shown; if there were more, "..."
// follows the closing quote.
//   quoted("hot") == "'hot'", quoted("a\nb") == "'a\\nb'",
//   quoted("abcdef", 3) == "'abc'..."
std::string quoted(std::string_view s, std::size_t max = kQuotedMax);

// `value` as lower-case hex without "0x", zero-padded to at least `width`
// digits: hex(0xc03111, 4) == "c03111", hex(0xf, 2) == "0f",
// hex(0) == "0".
std::string hex(std::uint32_t value, int width = 1);

// strerror() as a std::string, thread-safe.
std::string errno_string(int err);

// The strings of `v` with `sep` between them: join({"a", "b"}, ", ") ==
// "a, b"; join({}, ",") == "".
std::string join(const std::vector<std::string> &v, std::string_view sep);

// A whole decimal number that fits 32 bits, for ids and counts read from
// the environment: digits only (no sign, no spaces, no "0x"), at least one.
//   parse_u32("42") == 42, parse_u32("4294967296") == nullopt
std::optional<std::uint32_t> parse_u32(std::string_view s);

// How deep JSON text nests: the most [ and { open at once, counted outside
// strings (a backslash in a string escapes the next byte). nlohmann's
// serializer, copy and compare recurse once per level, so callers check
// this before parsing text anyone else writes. Malformed text gets a
// number too, which bounds what a parser could build from it:
//   json_depth("{\"a\":[1,\"[\"]}") == 2, json_depth("7") == 0
int json_depth(std::string_view text);

} // namespace slurmpi
