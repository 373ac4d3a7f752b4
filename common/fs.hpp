// Small, fork-free file access for sysfs/procfs/devicetree readers.
//
// Every reader in common/ takes a `root` (the system root, "" or "/" for the
// real machine, a fixture tree in unit tests) and reads absolute paths under
// it. This is the only seam: plugins always pass the real root, so the
// emulated cluster exercises exactly the code paths a real Pi does.
#pragma once

#include "common/text.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi {

// Outcome of reading one file. On failure `error` says why in words
// ("No such file or directory", "file is empty", ...) and `err` holds the
// errno if there was one (0 otherwise).
struct FileRead {
	bool ok = false;
	std::string data;
	std::string error;
	int err = 0;
};

// Whether `root` means this machine ("" or "/") rather than a copied or
// fixture tree: only then do uname(), gethostname(), hwloc, libsensors and
// the mailbox describe the same machine as the files.
inline bool is_real_root(std::string_view root)
{
	return root.empty() || root == "/";
}

// `root` + `abs_path`, with exactly one '/' between them. An empty root or
// "/" leaves the path as it is.
std::string join_root(std::string_view root, std::string_view abs_path);

// Read at most `max_bytes` of a small file with open/read/close (no stdio,
// no fork, no allocation beyond the result). Files larger than max_bytes
// are truncated, which is what sysfs attributes (<= 4096) never are.
FileRead read_small_file(const std::string &path, std::size_t max_bytes = 4096);

// Convenience: read `abs_path` under `root`.
inline FileRead read_under(std::string_view root, std::string_view abs_path,
			   std::size_t max_bytes = 4096)
{
	return read_small_file(join_root(root, abs_path), max_bytes);
}

// Strip trailing whitespace and NUL bytes (devicetree strings are
// NUL-terminated, sysfs values end in '\n').
std::string_view trim_value(std::string_view s);

// Names of the entries of a directory (without "." and ".."), sorted, or
// nullopt if it cannot be opened.
std::optional<std::vector<std::string>> list_dir(const std::string &path);

// errno_string() (strerror as a std::string) is in common/text.hpp.

} // namespace slurmpi
