#include "common/board_detect.hpp"

#include "common/fs.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <sys/utsname.h>

namespace slurmpi {

// Detection.
namespace {

constexpr std::string_view kDtModel = "/sys/firmware/devicetree/base/model";
constexpr std::string_view kDtCompatible = "/sys/firmware/devicetree/base/compatible";
constexpr std::string_view kDtSerial = "/sys/firmware/devicetree/base/serial-number";
constexpr std::string_view kCpuinfo = "/proc/cpuinfo";
// cpuinfo grows with the CPU count (about 1.5 KiB per x86 CPU); the Pi
// lines come last, so read generously and say so if even this was short.
constexpr std::size_t kCpuinfoMax = 256 * 1024;

bool starts_with(std::string_view s, std::string_view prefix)
{
	return s.substr(0, prefix.size()) == prefix;
}

bool printable(std::string_view s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c > 0x7e)
			return false;
	return true;
}

// A devicetree string property (model, serial-number): text up to the
// first NUL. Trailing newlines are tolerated for hand-made fake trees.
struct DtString {
	std::optional<std::string> value;
	std::string error; // "<path>: <why>" when value is absent
};

DtString read_dt_string(std::string_view root, std::string_view path)
{
	DtString out;
	FileRead f = read_under(root, path);
	if (!f.ok) {
		out.error = std::string(path) + ": " + f.error;
		return out;
	}
	std::string_view v(f.data);
	v = trim_value(v.substr(0, v.find('\0')));
	if (v.empty())
		out.error = std::string(path) + ": file is empty";
	else if (!printable(v))
		out.error = std::string(path) + ": not text: " + quoted(v);
	else
		out.value = std::string(v);
	return out;
}

// The compatible property: NUL-separated strings, each NUL-terminated.
// A fragment without its NUL is reported and dropped: a cut-off board name
// could match the wrong model.
struct Compatible {
	bool read = false;
	std::vector<std::string> entries;
	std::string error;                 // unreadable or unusable file
	std::vector<std::string> problems; // usable, but with bad parts
};

Compatible read_compatible(std::string_view root)
{
	Compatible out;
	FileRead f = read_under(root, kDtCompatible);
	if (!f.ok) {
		out.error = std::string(kDtCompatible) + ": " + f.error;
		return out;
	}
	out.read = true;
	std::string_view rest(f.data);
	if (rest.empty()) {
		out.error = std::string(kDtCompatible) + ": file is empty";
		return out;
	}
	while (!rest.empty()) {
		std::size_t nul = rest.find('\0');
		if (nul == std::string_view::npos) {
			out.problems.push_back(std::string(kDtCompatible) +
					       ": truncated entry " + quoted(rest) +
					       " (no terminating NUL), ignored");
			break;
		}
		std::string_view entry = rest.substr(0, nul);
		rest.remove_prefix(nul + 1);
		if (entry.empty() || !printable(entry)) {
			out.problems.push_back(std::string(kDtCompatible) +
					       ": bad entry " + quoted(entry) + ", ignored");
			continue;
		}
		out.entries.emplace_back(entry);
	}
	if (out.entries.empty() && out.error.empty())
		out.error = std::string(kDtCompatible) + ": no complete entry";
	return out;
}

bool has_word(std::string_view list, std::string_view word)
{
	while (!list.empty()) {
		std::size_t sp = list.find(' ');
		if (list.substr(0, sp) == word)
			return true;
		if (sp == std::string_view::npos)
			break;
		list.remove_prefix(sp + 1);
	}
	return false;
}

// The uname machine string a kernel with this cpuinfo would report.
// 32-bit ARM kernels name the ISA in "model name" ("... (v7l)"); arm64
// kernels print "CPU architecture: 8"; x86 has a flags line, where "lm"
// (long mode) is taken to mean a 64-bit kernel.
std::string arch_from_cpuinfo(std::string_view cpuinfo)
{
	if (auto name = cpuinfo_field(cpuinfo, "model name")) {
		if (name->find("(v6l)") != std::string_view::npos)
			return "armv6l";
		if (name->find("(v7l)") != std::string_view::npos)
			return "armv7l";
	}
	if (auto a = cpuinfo_field(cpuinfo, "CPU architecture"); a && *a == "8")
		return "aarch64";
	if (auto flags = cpuinfo_field(cpuinfo, "flags"))
		return has_word(*flags, "lm") ? "x86_64" : "i686";
	return "";
}

bool is_hex_string(std::string_view s)
{
	if (s.empty())
		return false;
	for (char c : s)
		if (!std::isxdigit(static_cast<unsigned char>(c)))
			return false;
	return true;
}

// "brcm,bcm2711" -> "BCM2711", "" if the list names no Broadcom SoC.
std::string dt_soc(const std::vector<std::string> &compatible)
{
	for (const std::string &c : compatible) {
		if (!starts_with(c, "brcm,bcm"))
			continue;
		std::string soc = c.substr(5);
		for (char &ch : soc)
			if (ch >= 'a' && ch <= 'z')
				ch = static_cast<char>(ch - 'a' + 'A');
		return soc;
	}
	return "";
}

void fill_arch(PiIdentity &id, std::string_view root, const FileRead &cpu)
{
	if (is_real_root(root)) {
		struct utsname u;
		if (::uname(&u) == 0) {
			id.arch = u.machine;
			id.sources.emplace_back("uname");
		} else {
			id.problems.emplace_back("uname: " + errno_string(errno));
		}
		return;
	}
	if (cpu.ok)
		id.arch = arch_from_cpuinfo(cpu.data);
	if (id.arch.empty())
		id.problems.push_back(std::string(kCpuinfo) +
				      ": CPU architecture not recognised");
}

// Revision, or why there is none, as a problem line.
Revision read_revision(const FileRead &cpu, PiIdentity &id)
{
	Revision rev;
	std::string why;
	if (!cpu.ok) {
		rev.error = cpu.error;
		id.problems.push_back(std::string(kCpuinfo) + ": " + cpu.error +
				      " (memory size unknown)");
		return rev;
	}
	std::optional<uint32_t> code = find_cpuinfo_revision(cpu.data, &why);
	if (!code) {
		if (cpu.data.size() >= kCpuinfoMax)
			why += " (file longer than " + std::to_string(kCpuinfoMax) +
			       " bytes, only that much was read)";
		rev.error = why;
		id.problems.push_back(std::string(kCpuinfo) + ": " + why +
				      " (memory size unknown)");
		return rev;
	}
	rev = decode_revision(*code);
	id.sources.emplace_back(kCpuinfo);
	if (!rev.error.empty())
		id.problems.push_back(std::string(kCpuinfo) + ": Revision " +
				      hex(*code, 4) + ": " + rev.error);
	return rev;
}

void choose_model(PiIdentity &id, const std::vector<std::string> &pi_compat)
{
	const Revision &rev = id.revision;
	const ModelInfo *by_dt = nullptr;
	std::string dt_board;
	for (const std::string &c : pi_compat) {
		if ((by_dt = model_by_compatible(c))) {
			dt_board = c;
			break;
		}
	}
	if (!by_dt && !pi_compat.empty())
		id.problems.push_back(std::string(kDtCompatible) +
				      ": unknown Raspberry Pi board " + quoted(pi_compat[0]));

	const ModelInfo *by_rev = rev.valid ? model_by_type(rev.type) : nullptr;
	if (rev.valid && !by_rev && !rev.type_name.empty())
		id.problems.push_back("no model data for board type " + rev.type_name);

	if (by_dt && by_rev) {
		// Same device tree, different type: CM5 vs CM5 Lite. The
		// Revision is the finer of the two then.
		if (by_dt->compatible == by_rev->compatible) {
			id.model = by_rev;
		} else {
			id.model = by_dt;
			id.problems.push_back(
				"device tree says " + std::string(by_dt->key) + " (" +
				dt_board + ") but " + std::string(kCpuinfo) +
				" Revision " + hex(rev.code, 4) + " says " +
				std::string(by_rev->key) + "; using the device tree");
		}
	} else {
		id.model = by_dt ? by_dt : by_rev;
	}

	std::string soc = dt_soc(id.compatible);
	if (!soc.empty() && rev.valid && !rev.soc.empty() && soc != rev.soc)
		id.problems.push_back("device tree SoC " + soc + " but " +
				      std::string(kCpuinfo) + " Revision " +
				      hex(rev.code, 4) + " says " + rev.soc);
	if (id.model)
		id.max_mhz = board_max_mhz(*id.model, rev);
	else
		id.problems.emplace_back("Raspberry Pi model unknown: neither the "
					 "device tree nor the Revision names a known board");
}

} // namespace

std::string describe_board(const PiIdentity &id)
{
	if (!id.is_pi)
		return "not a Raspberry Pi (" + id.reason + ")";
	std::string s = !id.dt_model.empty() ? id.dt_model
			: id.model	     ? std::string(id.model->name)
					     : "Raspberry Pi of unknown model";
	std::vector<std::string> extra;
	if (id.model)
		extra.emplace_back(id.model->feature);
	if (id.revision.valid && id.revision.mem_mb) {
		unsigned mb = id.revision.mem_mb;
		extra.push_back(mb >= 1024 && mb % 1024 == 0
					? std::to_string(mb / 1024) + " GB"
					: std::to_string(mb) + " MB");
	}
	if (id.revision.valid)
		extra.push_back("Revision " + hex(id.revision.code, 4));
	if (!id.serial.empty())
		extra.push_back("serial " + id.serial);
	for (std::size_t i = 0; i < extra.size(); i++)
		s += (i ? ", " : " (") + extra[i];
	if (!extra.empty())
		s += ")";
	return s;
}

PiIdentity detect_pi(std::string_view root)
{
	PiIdentity id;
	DtString model = read_dt_string(root, kDtModel);
	Compatible compat = read_compatible(root);
	FileRead cpu = read_under(root, kCpuinfo, kCpuinfoMax);
	fill_arch(id, root, cpu);

	std::vector<std::string> pi_compat;
	for (const std::string &c : compat.entries)
		if (starts_with(c, "raspberrypi,"))
			pi_compat.push_back(c);
	std::string_view cpu_model;
	if (cpu.ok)
		cpu_model = cpuinfo_field(cpu.data, "Model").value_or("");
	std::optional<uint32_t> code;
	if (cpu.ok)
		code = find_cpuinfo_revision(cpu.data);
	Revision probe = code ? decode_revision(*code) : Revision{};

	// The device tree decides when it exists; cpuinfo only stands in for
	// it when it cannot be read (e.g. /sys not mounted in a container).
	if (!pi_compat.empty()) {
		id.is_pi = true;
		id.reason = std::string(kDtCompatible) + ": " + pi_compat[0];
	} else if (!compat.entries.empty()) {
		id.reason = std::string(kDtCompatible) + ": not a Raspberry Pi (" +
			    compat.entries[0] + ")";
	} else if (model.value && starts_with(*model.value, "Raspberry Pi")) {
		id.is_pi = true;
		id.reason = std::string(kDtModel) + ": " + *model.value;
	} else if (model.value) {
		id.reason = std::string(kDtModel) + ": not a Raspberry Pi (" +
			    *model.value + ")";
	} else if (starts_with(cpu_model, "Raspberry Pi")) {
		id.is_pi = true;
		id.reason = std::string(kCpuinfo) + ": Model: " + std::string(cpu_model);
	} else if (probe.valid && probe.new_style && model_by_type(probe.type)) {
		id.is_pi = true;
		id.reason = std::string(kCpuinfo) + ": Revision " + hex(probe.code, 4) +
			    " (" + probe.type_name + ")";
	} else {
		id.reason = (compat.error.empty() ? std::string(kDtCompatible) + ": unusable"
						  : compat.error) +
			    "; " + std::string(kCpuinfo) + ": no Raspberry Pi Revision or Model";
	}
	if (!id.is_pi) {
		id.revision.error = "not a Raspberry Pi";
		return id;
	}

	if (model.value) {
		id.dt_model = *model.value;
		id.sources.emplace_back(kDtModel);
		if (!starts_with(id.dt_model, "Raspberry Pi"))
			id.problems.push_back(std::string(kDtModel) +
					      ": unexpected model " + quoted(id.dt_model));
	} else {
		id.problems.push_back(model.error);
	}
	if (compat.read && !compat.entries.empty())
		id.sources.emplace_back(kDtCompatible);
	if (!compat.error.empty())
		id.problems.push_back(compat.error);
	id.problems.insert(id.problems.end(), compat.problems.begin(),
			   compat.problems.end());
	id.compatible = compat.entries;
	if (pi_compat.empty())
		id.problems.emplace_back("identified without the device tree "
					 "compatible; model from the Revision only");

	DtString serial = read_dt_string(root, kDtSerial);
	if (serial.value && is_hex_string(*serial.value)) {
		id.serial = *serial.value;
		id.sources.emplace_back(kDtSerial);
	} else {
		std::string dt_why = serial.value ? std::string(kDtSerial) +
							    ": not hex: " + quoted(*serial.value)
						  : serial.error;
		std::string_view cs;
		if (cpu.ok)
			cs = cpuinfo_field(cpu.data, "Serial").value_or("");
		if (is_hex_string(cs)) {
			id.serial = std::string(cs);
			id.sources.emplace_back(kCpuinfo);
		} else
			id.problems.push_back("serial number unknown: " + dt_why);
	}

	id.revision = read_revision(cpu, id);
	choose_model(id, pi_compat);
	std::sort(id.sources.begin(), id.sources.end());
	id.sources.erase(std::unique(id.sources.begin(), id.sources.end()),
			 id.sources.end());
	return id;
}

} // namespace slurmpi
