// /proc/cpuinfo, read once and parsed in one pass: the fields board
// detection uses (Revision, Serial, Model, Hardware) and the machine type
// a kernel with this cpuinfo would report.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace slurmpi {

inline constexpr std::string_view kCpuinfoPath = "/proc/cpuinfo";
// cpuinfo grows with the CPU count (about 1.5 KiB per x86 CPU); the Pi
// lines come last, so read generously (see CpuInfo::truncated).
inline constexpr std::size_t kCpuinfoMax = 256 * 1024;

struct CpuInfo {
	bool read = false;    // false: see error
	std::string error;    // why the file could not be read, without the path
	bool truncated = false; // the file filled kCpuinfoMax: fields may be missing
	// The first line of each key, value trimmed; nullopt without one.
	std::optional<std::string> revision; // "Revision": "c03114"
	std::optional<std::string> serial;   // "Serial"
	std::optional<std::string> model;    // "Model": "Raspberry Pi 4 Model B Rev 1.4"
	std::optional<std::string> hardware; // "Hardware": "BCM2835" on every Pi
	// The uname machine string a kernel with this cpuinfo would report
	// (aarch64, armv7l, armv6l, x86_64, i686), "" if not recognised.
	std::string arch;
};

// Parse a cpuinfo text; `read` is set, `truncated` is not.
CpuInfo parse_cpuinfo(std::string_view text);

// Read and parse <root>/proc/cpuinfo ("" or "/" = this machine).
CpuInfo read_cpuinfo(std::string_view root);

// Value of the first "<key>\t: value" line of a cpuinfo text (trimmed), or
// nullopt if there is no such line. Keys match exactly ("Revision" does
// not match "CPU revision").
std::optional<std::string_view> cpuinfo_field(std::string_view cpuinfo,
					      std::string_view key);

} // namespace slurmpi
