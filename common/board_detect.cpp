#include "common/board_detect.hpp"

#include "common/cpuinfo.hpp"
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
constexpr std::string_view kCpuinfo = kCpuinfoPath;

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

void fill_arch(PiIdentity &id, std::string_view root, const CpuInfo &cpu)
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
	id.arch = cpu.arch;
	if (id.arch.empty())
		id.problems.push_back(std::string(kCpuinfo) +
				      ": CPU architecture not recognised");
}

// The Revision code of a cpuinfo, parsed once, and why there is none.
struct RevisionCode {
	std::optional<uint32_t> code;
	std::string why;
};

RevisionCode revision_code(const CpuInfo &cpu)
{
	RevisionCode r;
	if (!cpu.read) {
		r.why = cpu.error;
		return r;
	}
	r.code = parse_revision_code(cpu.revision, &r.why);
	if (!r.code && cpu.truncated)
		r.why += " (file longer than " + std::to_string(kCpuinfoMax) +
			 " bytes, only that much was read)";
	return r;
}

// The decoded Revision, with why there is none as a problem line.
Revision use_revision(const RevisionCode &rc, Revision rev, PiIdentity &id)
{
	if (!rc.code) {
		rev.error = rc.why;
		id.problems.push_back(std::string(kCpuinfo) + ": " + rc.why +
				      " (memory size unknown)");
		return rev;
	}
	id.sources.emplace_back(kCpuinfo);
	if (!rev.error.empty())
		id.problems.push_back(std::string(kCpuinfo) + ": Revision " +
				      hex(*rc.code, 4) + ": " + rev.error);
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
	CpuInfo cpu = read_cpuinfo(root);
	fill_arch(id, root, cpu);

	std::vector<std::string> pi_compat;
	for (const std::string &c : compat.entries)
		if (starts_with(c, "raspberrypi,"))
			pi_compat.push_back(c);
	std::string_view cpu_model = cpu.model ? std::string_view(*cpu.model) : "";
	RevisionCode code = revision_code(cpu);
	Revision probe = code.code ? decode_revision(*code.code) : Revision{};

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
		if (cpu.serial && is_hex_string(*cpu.serial)) {
			id.serial = *cpu.serial;
			id.sources.emplace_back(kCpuinfo);
		} else
			id.problems.push_back("serial number unknown: " + dt_why);
	}

	id.revision = use_revision(code, probe, id);
	choose_model(id, pi_compat);
	std::sort(id.sources.begin(), id.sources.end());
	id.sources.erase(std::unique(id.sources.begin(), id.sources.end()),
			 id.sources.end());
	return id;
}

} // namespace slurmpi
