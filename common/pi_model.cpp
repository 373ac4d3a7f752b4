#include "common/pi_model.hpp"

#include "common/fs.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <sys/utsname.h>

namespace slurmpi {

// Revision codes: Raspberry Pi documentation, "Raspberry Pi revision codes"
// (raspberrypi/documentation, documentation/asciidoc/computers/raspberry-pi/
// revision-codes.adoc). New-style layout NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR:
// N bit 31 overvoltage disallowed, O bit 30 OTP programming disallowed,
// Q bit 29 OTP reading disallowed, bits 26-28 unused, W bit 25 warranty
// voided, bit 24 unused, F bit 23 new-style flag, MMM bits 20-22 memory,
// CCCC bits 16-19 manufacturer, PPPP bits 12-15 processor, TTTTTTTT bits
// 4-11 type, RRRR bits 0-3 revision.
namespace {

constexpr uint32_t kNewStyleFlag = 1u << 23;
constexpr uint32_t kOldWarrantyBit = 1u << 24;
constexpr uint32_t kWarrantyBit = 1u << 25;
constexpr uint32_t kOtpReadBit = 1u << 29;
constexpr uint32_t kOtpProgramBit = 1u << 30;
constexpr uint32_t kOvervoltageBit = 1u << 31;

// Index = type field. "" marks codes the table leaves unassigned (0x07,
// 0x0b) or "internal use only" (0x0f, 0x16).
constexpr std::array<std::string_view, 0x1c> kTypeNames = {
	"A", "B", "A+", "B+", "2B", "Alpha", "CM1", "",
	"3B", "Zero", "CM3", "", "Zero W", "3B+", "3A+", "",
	"CM3+", "4B", "Zero 2 W", "400", "CM4", "CM4S", "", "5",
	"CM5", "500", "CM5 Lite", "CM0",
};

constexpr std::array<std::string_view, 6> kManufacturers = {
	"Sony UK", "Egoman", "Embest", "Sony Japan", "Embest", "Stadium",
};

constexpr std::array<std::string_view, 5> kSocs = {
	"BCM2835", "BCM2836", "BCM2837", "BCM2711", "BCM2712",
};

// Old-style codes 0002-0015 carry no fields; the same documentation page
// lists them. mem_mb 0 is the 0015 A+, shipped with 256 MB or 512 MB under
// one code, so its memory cannot be told from the code.
struct OldStyle {
	uint32_t code;
	unsigned type;
	std::string_view board_rev;
	unsigned mem_mb;
	std::string_view manufacturer;
};

constexpr OldStyle kOldStyle[] = {
	{0x02, 0x01, "1.0", 256, "Egoman"},
	{0x03, 0x01, "1.0", 256, "Egoman"},
	{0x04, 0x01, "2.0", 256, "Sony UK"},
	{0x05, 0x01, "2.0", 256, "Qisda"},
	{0x06, 0x01, "2.0", 256, "Egoman"},
	{0x07, 0x00, "2.0", 256, "Egoman"},
	{0x08, 0x00, "2.0", 256, "Sony UK"},
	{0x09, 0x00, "2.0", 256, "Qisda"},
	{0x0d, 0x01, "2.0", 512, "Egoman"},
	{0x0e, 0x01, "2.0", 512, "Sony UK"},
	{0x0f, 0x01, "2.0", 512, "Egoman"},
	{0x10, 0x03, "1.2", 512, "Sony UK"},
	{0x11, 0x06, "1.0", 512, "Sony UK"},
	{0x12, 0x02, "1.1", 256, "Sony UK"},
	{0x13, 0x03, "1.2", 512, "Embest"},
	{0x14, 0x06, "1.0", 512, "Embest"},
	{0x15, 0x02, "1.1", 0, "Embest"},
};

std::string hex(uint32_t v, int width = 0)
{
	char buf[16];
	std::snprintf(buf, sizeof(buf), "%0*x", width, v);
	return buf;
}

void add_error(Revision &r, const std::string &what)
{
	if (!r.error.empty())
		r.error += "; ";
	r.error += what;
}

void decode_new_style(Revision &r)
{
	const uint32_t c = r.code;
	r.new_style = true;
	r.valid = true;
	r.pcb_rev = c & 0xf;
	r.board_rev = "1." + std::to_string(r.pcb_rev);
	r.type = (c >> 4) & 0xff;
	r.warranty_void = c & kWarrantyBit;

	r.type_name = std::string(revision_type_name(r.type));
	if (r.type_name.empty())
		add_error(r, "unknown board type 0x" + hex(r.type, 2));

	unsigned soc = (c >> 12) & 0xf;
	if (soc < kSocs.size())
		r.soc = kSocs[soc];
	else
		add_error(r, "unknown processor " + std::to_string(soc));

	unsigned maker = (c >> 16) & 0xf;
	if (maker < kManufacturers.size())
		r.manufacturer = kManufacturers[maker];
	else
		add_error(r, "unknown manufacturer " + std::to_string(maker));

	// 7 is documented as "Other": the size lives in a firmware parameter
	// (rpi-sdram-size-gbit), not in the code.
	unsigned mem = (c >> 20) & 0x7;
	if (mem <= 6)
		r.mem_mb = 256u << mem;
	else
		add_error(r, "memory size field 7 (\"other\") does not give a size");
}

void decode_old_style(Revision &r)
{
	// The firmware marks an old-style board whose warranty is void with
	// bit 24 ("1000002"); later firmware moved that flag to bit 25
	// (AndrewFromMelbourne/raspberry_pi_revision README), so take either.
	r.warranty_void = r.code & (kOldWarrantyBit | kWarrantyBit);
	const uint32_t flag_bits = kOldWarrantyBit | kWarrantyBit | kOtpReadBit |
				   kOtpProgramBit | kOvervoltageBit;
	const uint32_t base = r.code & ~flag_bits;
	for (const OldStyle &o : kOldStyle) {
		if (o.code != base)
			continue;
		r.valid = true;
		r.type = o.type;
		r.type_name = std::string(revision_type_name(o.type));
		r.board_rev = o.board_rev;
		r.mem_mb = o.mem_mb;
		r.manufacturer = o.manufacturer;
		r.soc = "BCM2835";
		if (!o.mem_mb)
			add_error(r, "code " + hex(base, 4) +
					     " is used for both 256 MB and 512 MB boards");
		return;
	}
	add_error(r, "unknown old-style revision code " + hex(base, 4));
}

bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

} // namespace

std::string_view revision_type_name(unsigned type)
{
	return type < kTypeNames.size() ? kTypeNames[type] : std::string_view();
}

Revision decode_revision(uint32_t code)
{
	Revision r;
	r.code = code;
	r.otp_read_disallowed = code & kOtpReadBit;
	r.otp_program_disallowed = code & kOtpProgramBit;
	r.overvoltage_disallowed = code & kOvervoltageBit;
	if (code & kNewStyleFlag)
		decode_new_style(r);
	else
		decode_old_style(r);
	return r;
}

std::optional<std::string_view> cpuinfo_field(std::string_view cpuinfo,
					      std::string_view key)
{
	while (!cpuinfo.empty()) {
		std::size_t nl = cpuinfo.find('\n');
		std::string_view line = cpuinfo.substr(0, nl);
		cpuinfo.remove_prefix(nl == std::string_view::npos ? cpuinfo.size() : nl + 1);
		std::size_t colon = line.find(':');
		if (colon == std::string_view::npos)
			continue;
		if (trim_value(line.substr(0, colon)) == key)
			return trim_value(line.substr(colon + 1));
	}
	return std::nullopt;
}

std::optional<uint32_t> find_cpuinfo_revision(std::string_view cpuinfo,
					      std::string *reason)
{
	auto fail = [reason](std::string why) -> std::optional<uint32_t> {
		if (reason)
			*reason = std::move(why);
		return std::nullopt;
	};
	std::optional<std::string_view> value = cpuinfo_field(cpuinfo, "Revision");
	if (!value)
		return fail("no Revision line");
	std::string_view v = *value;
	if (v.empty())
		return fail("Revision: empty value");
	for (char c : v)
		if (!is_hex_digit(c))
			return fail("Revision: not a hex number: \"" + std::string(v) + "\"");
	uint32_t code = 0;
	auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), code, 16);
	if (ec != std::errc() || end != v.data() + v.size())
		return fail("Revision: out of range: \"" + std::string(v) + "\"");
	return code;
}

// ---------------------------------------------------------------------------
// Model table.
//
// Cores, core type and SoC: Raspberry Pi documentation, "Processors" pages
// (BCM2835 single ARM1176JZF-S; BCM2836 4x Cortex-A7; BCM2837 4x Cortex-A53,
// also in later 2B boards and, as BCM2710A1 in RP3A0, in the Zero 2 W;
// BCM2711 4x Cortex-A72; BCM2712 4x Cortex-A76).
// Clocks: Raspberry Pi documentation config_txt/overclocking.adoc, table of
// default arm_freq: Pi 0/W 1000, Pi 1 700, Pi 2 900, Pi 3 1200,
// 3A+/3B+ 1400, CM4 and 4B <= R1.3 1500, 4B R1.4 "1500 or 1800 if
// arm_boost=1", 400 1800, Zero 2 W 1000, Pi 5 2400. CM1/CM3/CM3+/CM4S/CM5/
// 500/CM5 Lite are not in that table; they take the clock of the board
// with the same SoC (unconfirmed for CM3+, whose datasheet was not
// re-checked).
// 3A+/3B+ drop to 1200 MHz at the 60 C soft limit (same page).
//
// Speed score: per-core throughput relative to a Pi 4B at 1500 MHz,
// score = MHz / 1500 * per-clock factor of the core. The factors are
// estimates anchored on published single-thread comparisons:
//  - Cortex-A53 0.50: sysbench cpu, one thread, Pi 3B+ 687 vs Pi 4 1478
//    events/s (leoncode.co.uk/articles/raspberry-pi-benchmarks) = 0.465 at
//    1400 vs 1500 MHz.
//  - Cortex-A7 0.43: Raspberry Pi's Pi 3 launch says the 3B is 50-60%
//    faster than the 2B in 32-bit mode: 0.40 / 1.55 = 0.26 at 900 MHz.
//  - ARM1176 0.34: the same launch says the 3B is 2.5x a Pi 1 on single-
//    threaded work: 0.40 / 2.5 = 0.16 at 700 MHz; consistent with the Zero
//    launch's "40% faster than Raspberry Pi 1" at 1000 MHz.
//  - Cortex-A76 1.35: about 35% more work per clock than the A72 (zbotic.in
//    Pi 5 review); gives a Pi 5 2.16x a Pi 4 per core, inside Raspberry
//    Pi's "2-3x" launch claim. Least certain of the factors: sysbench alone
//    shows 1.85x (leoncode) to 2.27x (zbotic, Pi 4 at 1800 MHz).
// Use the score to rank nodes, not to predict run times.
namespace {

constexpr double kArm1176 = 0.34;
constexpr double kCortexA7 = 0.43;
constexpr double kCortexA53 = 0.50;
constexpr double kCortexA72 = 1.00;
constexpr double kCortexA76 = 1.35;

constexpr double score(unsigned mhz, double per_clock)
{
	return mhz / 1500.0 * per_clock;
}

constexpr std::string_view kSrcPi1 =
	"clock: overclocking.adoc (Pi 1 700); score: ARM1176 factor";
constexpr std::string_view kSrcZero =
	"clock: overclocking.adoc (Pi 0/W 1000); score: ARM1176 factor";
constexpr std::string_view kSrcPi2 =
	"clock: overclocking.adoc (Pi 2 900); score: Cortex-A7 factor "
	"(1.2+ boards have a BCM2837 at the same clock)";
constexpr std::string_view kSrcPi3 =
	"clock: overclocking.adoc (Pi 3 1200); score: Cortex-A53 factor";
constexpr std::string_view kSrcPi3Plus =
	"clock: overclocking.adoc (3A+/3B+ 1400, 1200 at soft limit); "
	"score: Cortex-A53 factor";
constexpr std::string_view kSrcCm3Plus =
	"clock: as Pi 3 (1200, unconfirmed); score: Cortex-A53 factor";
constexpr std::string_view kSrcZero2 =
	"clock: overclocking.adoc (Zero 2 W 1000); score: Cortex-A53 factor";
constexpr std::string_view kSrcPi4 =
	"clock: overclocking.adoc (4B 1500, 1800 on R1.4+ with arm_boost); "
	"score: reference 1.0";
constexpr std::string_view kSrc400 =
	"clock: overclocking.adoc (400 1800); score: Cortex-A72 factor";
constexpr std::string_view kSrcCm4 =
	"clock: overclocking.adoc (CM4 1500); score: Cortex-A72 factor";
constexpr std::string_view kSrcPi5 =
	"clock: overclocking.adoc (Pi 5 2400); score: Cortex-A76 factor";

// Alpha (0x05) and CM0 (0x1b) have no entry: no primary source for their
// clocks was found, and a guessed entry would mislead the scheduler.
constexpr ModelInfo kModels[] = {
	{0x00, "A", "pi1a", "Raspberry Pi Model A", "raspberrypi,model-a",
	 "BCM2835", "ARM1176JZF-S", 1, 700, 700, score(700, kArm1176), kSrcPi1},
	{0x01, "B", "pi1b", "Raspberry Pi Model B", "raspberrypi,model-b",
	 "BCM2835", "ARM1176JZF-S", 1, 700, 700, score(700, kArm1176), kSrcPi1},
	{0x02, "A+", "pi1aplus", "Raspberry Pi Model A+", "raspberrypi,model-a-plus",
	 "BCM2835", "ARM1176JZF-S", 1, 700, 700, score(700, kArm1176), kSrcPi1},
	{0x03, "B+", "pi1bplus", "Raspberry Pi Model B+", "raspberrypi,model-b-plus",
	 "BCM2835", "ARM1176JZF-S", 1, 700, 700, score(700, kArm1176), kSrcPi1},
	{0x04, "2B", "pi2b", "Raspberry Pi 2 Model B", "raspberrypi,2-model-b",
	 "BCM2836", "Cortex-A7", 4, 900, 900, score(900, kCortexA7), kSrcPi2},
	{0x06, "CM1", "picm1", "Raspberry Pi Compute Module 1",
	 "raspberrypi,compute-module",
	 "BCM2835", "ARM1176JZF-S", 1, 700, 700, score(700, kArm1176), kSrcPi1},
	{0x08, "3B", "pi3b", "Raspberry Pi 3 Model B", "raspberrypi,3-model-b",
	 "BCM2837", "Cortex-A53", 4, 1200, 1200, score(1200, kCortexA53), kSrcPi3},
	{0x09, "Zero", "pizero", "Raspberry Pi Zero", "raspberrypi,model-zero",
	 "BCM2835", "ARM1176JZF-S", 1, 1000, 1000, score(1000, kArm1176), kSrcZero},
	{0x0a, "CM3", "picm3", "Raspberry Pi Compute Module 3",
	 "raspberrypi,3-compute-module",
	 "BCM2837", "Cortex-A53", 4, 1200, 1200, score(1200, kCortexA53), kSrcPi3},
	{0x0c, "ZeroW", "pizerow", "Raspberry Pi Zero W", "raspberrypi,model-zero-w",
	 "BCM2835", "ARM1176JZF-S", 1, 1000, 1000, score(1000, kArm1176), kSrcZero},
	{0x0d, "3B+", "pi3bplus", "Raspberry Pi 3 Model B+",
	 "raspberrypi,3-model-b-plus",
	 "BCM2837", "Cortex-A53", 4, 1400, 1400, score(1400, kCortexA53), kSrcPi3Plus},
	{0x0e, "3A+", "pi3aplus", "Raspberry Pi 3 Model A+",
	 "raspberrypi,3-model-a-plus",
	 "BCM2837", "Cortex-A53", 4, 1400, 1400, score(1400, kCortexA53), kSrcPi3Plus},
	{0x10, "CM3+", "picm3plus", "Raspberry Pi Compute Module 3+",
	 "raspberrypi,3-plus-compute-module",
	 "BCM2837", "Cortex-A53", 4, 1200, 1200, score(1200, kCortexA53), kSrcCm3Plus},
	{0x11, "4B", "pi4b", "Raspberry Pi 4 Model B", "raspberrypi,4-model-b",
	 "BCM2711", "Cortex-A72", 4, 1500, 1800, score(1500, kCortexA72), kSrcPi4},
	{0x12, "Zero2W", "pizero2w", "Raspberry Pi Zero 2 W",
	 "raspberrypi,model-zero-2-w",
	 "BCM2837", "Cortex-A53", 4, 1000, 1000, score(1000, kCortexA53), kSrcZero2},
	{0x13, "400", "pi400", "Raspberry Pi 400", "raspberrypi,400",
	 "BCM2711", "Cortex-A72", 4, 1800, 1800, score(1800, kCortexA72), kSrc400},
	{0x14, "CM4", "picm4", "Raspberry Pi Compute Module 4",
	 "raspberrypi,4-compute-module",
	 "BCM2711", "Cortex-A72", 4, 1500, 1500, score(1500, kCortexA72), kSrcCm4},
	{0x15, "CM4S", "picm4s", "Raspberry Pi Compute Module 4S",
	 "raspberrypi,4s-compute-module",
	 "BCM2711", "Cortex-A72", 4, 1500, 1500, score(1500, kCortexA72), kSrcCm4},
	{0x17, "5", "pi5", "Raspberry Pi 5", "raspberrypi,5-model-b",
	 "BCM2712", "Cortex-A76", 4, 2400, 2400, score(2400, kCortexA76), kSrcPi5},
	{0x18, "CM5", "picm5", "Raspberry Pi Compute Module 5",
	 "raspberrypi,5-compute-module",
	 "BCM2712", "Cortex-A76", 4, 2400, 2400, score(2400, kCortexA76), kSrcPi5},
	{0x19, "500", "pi500", "Raspberry Pi 500", "raspberrypi,500",
	 "BCM2712", "Cortex-A76", 4, 2400, 2400, score(2400, kCortexA76), kSrcPi5},
	// CM5 Lite (no eMMC) boots the CM5 device tree, so it shares its
	// compatible string; only the Revision type tells them apart.
	{0x1a, "CM5Lite", "picm5lite", "Raspberry Pi Compute Module 5 Lite",
	 "raspberrypi,5-compute-module",
	 "BCM2712", "Cortex-A76", 4, 2400, 2400, score(2400, kCortexA76), kSrcPi5},
};

// Compatible strings that name a board also listed under another string.
struct CompatAlias {
	std::string_view compatible;
	unsigned type;
};
constexpr CompatAlias kCompatAliases[] = {
	{"raspberrypi,model-b-rev2", 0x01},
};

} // namespace

std::span<const ModelInfo> all_models()
{
	return kModels;
}

const ModelInfo *model_by_type(unsigned type_code)
{
	for (const ModelInfo &m : kModels)
		if (m.type == type_code)
			return &m;
	return nullptr;
}

const ModelInfo *model_by_compatible(std::string_view compat)
{
	for (const ModelInfo &m : kModels)
		if (m.compatible == compat)
			return &m;
	for (const CompatAlias &a : kCompatAliases)
		if (a.compatible == compat)
			return model_by_type(a.type);
	return nullptr;
}

const ModelInfo *model_by_key(std::string_view key)
{
	for (const ModelInfo &m : kModels)
		if (m.key == key)
			return &m;
	return nullptr;
}

unsigned board_max_mhz(const ModelInfo &model, const Revision &rev)
{
	if (model.type == 0x11 && rev.valid && rev.new_style && rev.type == 0x11 &&
	    rev.pcb_rev < 4)
		return model.default_mhz;
	return model.max_mhz;
}

// ---------------------------------------------------------------------------
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

// For messages: the text with anything unprintable as \xNN.
std::string quoted(std::string_view s)
{
	std::string out = "\"";
	for (unsigned char c : s) {
		if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
			out.push_back(static_cast<char>(c));
		} else {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\x%02x", c);
			out += buf;
		}
	}
	return out + "\"";
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
		if (!is_hex_digit(c))
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
	if (root.empty() || root == "/") {
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
