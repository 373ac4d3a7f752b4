#include "common/meminfo.hpp"

#include "common/fs.hpp"
#include "common/text.hpp"

#include <charconv>

namespace slurmpi {

namespace {

// Anything outside is a broken or fake file, not a machine: no Linux system
// boots in less than 16 MiB, and 64 TiB is beyond any board slurm-pi targets
// (and keeps the MiB value far from overflow).
constexpr std::uint64_t kMinKb = 16 * 1024;
constexpr std::uint64_t kMaxKb = std::uint64_t{64} << 30;

// meminfo is about 1.5 KB; MemTotal is its first line on every kernel, but
// read enough to find it anywhere.
constexpr std::size_t kMeminfoMax = 16384;

bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

// The rest of the "MemTotal:" line, or nullopt if there is none.
std::optional<std::string_view> memtotal_value(std::string_view text)
{
	constexpr std::string_view key = "MemTotal:";
	std::size_t pos = 0;
	while (pos < text.size()) {
		std::size_t eol = text.find('\n', pos);
		if (eol == std::string_view::npos)
			eol = text.size();
		std::string_view line = text.substr(pos, eol - pos);
		if (line.starts_with(key))
			return line.substr(key.size());
		pos = eol + 1;
	}
	return std::nullopt;
}

} // namespace

MemInfo parse_meminfo(std::string_view text, std::string_view path_for_messages)
{
	MemInfo m;
	const std::string where = std::string(path_for_messages) + ": ";
	if (trim_value(text).empty()) {
		m.error = where + "file is empty";
		return m;
	}
	std::optional<std::string_view> value = memtotal_value(text);
	if (!value) {
		m.error = where + "no MemTotal line";
		return m;
	}
	std::string_view v = trim_value(*value);
	while (!v.empty() && is_blank(v.front()))
		v.remove_prefix(1);
	std::uint64_t kb = 0;
	auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), kb);
	std::size_t used = static_cast<std::size_t>(end - v.data());
	if (ec == std::errc::result_out_of_range) {
		m.error = where + "MemTotal: out of range: " + quoted(v);
		return m;
	}
	if (ec != std::errc() || used == 0) {
		m.error = where + "MemTotal: not a number: " + quoted(v);
		return m;
	}
	std::string_view unit = v.substr(used);
	while (!unit.empty() && is_blank(unit.front()))
		unit.remove_prefix(1);
	// The kernel has written "kB" (meaning KiB) since meminfo exists; any
	// other unit means the file is not what we think it is.
	if (unit != "kB") {
		m.error = where + "MemTotal: expected a value in kB, got " + quoted(v);
		return m;
	}
	if (kb < kMinKb || kb > kMaxKb) {
		m.error = where + "MemTotal: " + std::to_string(kb) +
			  " kB is out of range (" + std::to_string(kMinKb) + "-" +
			  std::to_string(kMaxKb) + " kB)";
		return m;
	}
	m.total_kb = kb;
	m.total_mb = kb / 1024;
	m.source = std::string(path_for_messages);
	return m;
}

MemInfo read_meminfo(std::string_view root)
{
	FileRead f = read_under(root, kMeminfoPath, kMeminfoMax);
	if (!f.ok) {
		MemInfo m;
		m.error = std::string(kMeminfoPath) + ": " + f.error;
		return m;
	}
	return parse_meminfo(f.data, kMeminfoPath);
}

} // namespace slurmpi
