// Installed memory as the kernel reports it: MemTotal in /proc/meminfo.
//
// MemTotal is what slurmd -C reports as RealMemory (in MiB, rounded down),
// and it is less than the board's RAM: the kernel keeps its own code and
// reserved areas, and on a Pi the GPU's share (gpu_mem / CMA) is gone too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slurmpi {

inline constexpr std::string_view kMeminfoPath = "/proc/meminfo";

struct MemInfo {
	std::optional<std::uint64_t> total_kb; // MemTotal as written (kB = KiB)
	std::optional<std::uint64_t> total_mb; // total_kb / 1024, rounded down
	std::string source; // kMeminfoPath when read
	std::string error;  // why there is no value, starting with the path
};

// Parse the text of a meminfo file; `path_for_messages` starts the error.
MemInfo parse_meminfo(std::string_view text, std::string_view path_for_messages);

// Read <root>/proc/meminfo ("" or "/" = this machine).
MemInfo read_meminfo(std::string_view root);

} // namespace slurmpi
