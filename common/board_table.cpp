#include "common/board_table.hpp"

namespace slurmpi {

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

} // namespace slurmpi
