// slurm-pi doctor: the checks of one node's own setup, pure: each is a
// function of facts the tool gathered (file texts, stat() results, a
// command's answer) and returns a Finding (common/doctor/finding.hpp).
//
//   memory.cgroup     the memory cgroup controller is on
//   time.sync         the clock is NTP-synchronized; clock offsets across
//                     the cluster
//   munge.key         the key exists, munged would accept it, and every
//                     node has the same one
//   munge.daemon      munged answers
//   power.voltage     no under-voltage
//   power.heat        not hot, not throttled by heat
//   mpi.pmix          srun --mpi=pmix can start (Slurm's mpi/pmix, libpmix)
//   mpi.openmpi       Open MPI's mpirun is installed
//   slurm-pi.plugins  each slurm-pi plugin Slurm is told to load exists and
//                     was built for the running Slurm
//   slurm-pi.config   slurm-pi.conf parses
//
// Sources of the facts the checks state (see also the tests):
//   - Raspberry Pi kernels turn the memory controller off by default; the
//     cmdline.txt words cgroup_enable=memory and, on older kernels,
//     cgroup_memory=1 turn it on (Pi hardware notes, "What Pi cluster
//     users run into", raspberrypi/linux#1198).
//   - munged refuses a key that is not owned by the user it runs as, or
//     that group or other may read or write, unless --force; and one
//     shorter than 32 bytes (munge 0.5.15 src/munged/conf.c; mungekey(8):
//     256-8192 bits). Debian runs munged as the user munge.
//   - A credential is valid for its TTL, 300 s by default, and munged
//     allows a decoder's clock to be behind the encoder's by up to the TTL
//     ("Rewound credential" beyond it) and ahead by the TTL minus the
//     credential's age ("Expired credential"): munge QUICKSTART "Keep
//     system clocks in sync", "Common errors"; src/munged/dec.c.
//   - Slurm loads a select or task plugin only when its plugin_version is
//     exactly the running Slurm's version number; a SPANK plugin needs the
//     same major and minor (Slurm 22.05 src/common/plugin.c _verify_syms).
//   - Recommended supplies are 5.1 V: 3 A for a Pi 4/400, 2.5 A for a
//     Pi 3 (raspberrypi/documentation power-supplies.adoc), 5 A for a Pi 5
//     (Raspberry Pi's 27 W USB-C supply); too thin a cable drops the
//     voltage too (same page).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/doctor/finding.hpp"

namespace slurmpi::doctor {

// ---------------------------------------------------------------- memory.cgroup

struct CgroupFacts {
	// /sys/fs/cgroup/cgroup.controllers (cgroup v2): nullopt when absent.
	std::optional<std::string> controllers;
	// /proc/cgroups: nullopt when absent. Used when `controllers` is.
	std::optional<std::string> proc_cgroups;
	// /proc/cmdline: what the running kernel was booted with ("" unknown:
	// then no finding says a reboot alone would help).
	std::string proc_cmdline;
	// The boot command line file that exists: /boot/firmware/cmdline.txt
	// (Raspberry Pi OS bookworm and later) or /boot/cmdline.txt (older);
	// "" when neither does. Its text, nullopt when not read.
	std::string boot_cmdline_path;
	std::optional<std::string> boot_cmdline;
};

// Whether the word "memory" is among cgroup.controllers' words.
bool controllers_have_memory(std::string_view controllers);

// The `enabled` column of /proc/cgroups' "memory" line ("#subsys_name
// hierarchy num_cgroups enabled"): nullopt when there is no memory line or
// it is malformed.
std::optional<bool> proc_cgroups_memory_enabled(std::string_view proc_cgroups);

// The words of a kernel command line: its first line split at blanks.
std::vector<std::string> cmdline_words(std::string_view text);

// `line` (cmdline.txt's text: its first line counts, the firmware reads
// one line) with every cgroup_disable=memory removed and
// cgroup_enable=memory and cgroup_memory=1 appended unless present, words
// joined by one space.
std::string cmdline_with_memory_cgroup(std::string_view text);

// OK when the memory controller is there (cgroup.controllers, else the
// /proc/cgroups column); SKIP when neither file was read; FAIL otherwise,
// with the edited cmdline.txt line, or "reboot" when cmdline.txt already
// has it but the running kernel was booted without it.
Finding check_memory_cgroup(const CgroupFacts &f);

// ---------------------------------------------------------------- time.sync

// Default limits of check_clock_offsets(), in seconds.
// warn: NTP keeps clocks on one LAN within milliseconds; a second means a
//   clock is not being synchronized.
// fail: a fifth of MUNGE's default 300 s TTL. Offsets are from one
//   reference, so two nodes off in opposite directions are twice as far
//   apart (120 s), which still leaves more than half the TTL for a
//   credential to travel and be used before "Expired credential".
inline constexpr double kClockOffsetWarnS = 1.0;
inline constexpr double kClockOffsetFailS = 60.0;

// `synchronized`: timedatectl's NTPSynchronized or chronyc tracking's
// leap status; nullopt when neither could tell. `source` says where it
// came from ("timedatectl: NTPSynchronized=no", "no timedatectl or
// chronyc"). `controller`: the slurmctld host, for the fix ("" unknown).
// OK synchronized, WARN not, SKIP unknown.
Finding check_time_sync(std::optional<bool> synchronized, std::string_view source,
			std::string_view controller = "");

// Each node's clock minus the reference clock (the controller's), in
// seconds. OK when every |offset| <= warn_s, WARN above, FAIL above fail_s,
// naming the worst node and its offset; SKIP with no finite offset.
// Non-finite offsets count as not measured.
Finding check_clock_offsets(const std::vector<std::pair<std::string, double>> &node_offsets_seconds,
			    double warn_s = kClockOffsetWarnS, double fail_s = kClockOffsetFailS);

// ---------------------------------------------------------------- munge

inline constexpr std::string_view kMungeKeyPath = "/etc/munge/munge.key";
inline constexpr std::string_view kMungeUser = "munge";
// MUNGE_KEY_LEN_MIN_BYTES: munged refuses a shorter key.
inline constexpr std::uint64_t kMungeKeyMinBytes = 32;

// stat() of the key file.
struct KeyInfo {
	std::string owner; // user name (or the uid in decimal if it has none)
	std::string group;
	unsigned mode = 0; // permission bits (st_mode & 07777)
	std::uint64_t size = 0;
};

// FAIL when missing, not owned by `daemon_user` (the user munged runs as),
// readable or writable by group or other, or shorter than
// kMungeKeyMinBytes: what munged refuses to start with. OK otherwise.
Finding check_munge_key(const std::optional<KeyInfo> &key, std::string_view path = kMungeKeyPath,
			std::string_view daemon_user = kMungeUser);

// Each node's hash of its key ("" when it could not be read: not judged).
// OK when all agree; FAIL naming the nodes outside the largest group of
// equal hashes (a tie for largest names every node); SKIP with fewer than
// two hashes. Evidence shows the first 12 characters of each hash.
Finding check_munge_key_hashes(const std::vector<std::pair<std::string, std::string>> &node_hashes);

// "munge.daemon": `socket_present`: munged's socket exists;
// `encode_decode_ok`: a local `munge -n | unmunge` round trip worked
// (nullopt: not tried); `detail`: its error or output, for the evidence.
Finding check_munged(bool socket_present, std::optional<bool> encode_decode_ok,
		     std::string_view detail);

// ---------------------------------------------------------------- power

struct PowerFacts {
	// The firmware's throttle word (common/throttle.hpp); nullopt when not
	// a Pi or no source could be read. `throttled_source` names the
	// source (mailbox, a file), or why there is none.
	std::optional<std::uint32_t> throttled;
	std::string throttled_source;
	// The SoC temperature in degrees C and where it came from.
	std::optional<double> temp_c;
	std::string temp_source;
};

// "power.voltage": SKIP without a throttle word; FAIL under-voltage now;
// WARN under-voltage has occurred (bit 16); OK otherwise.
Finding check_power_voltage(const PowerFacts &f);

// "power.heat": SKIP without a throttle word. FAIL at or above `critical`
// C; WARN at or above `hot`, or when the Arm was capped, throttled or at
// the soft limit now or since boot (bits 1-3, 17-19). Throttling alone
// (bit 2/18) while under-voltage is set is left to power.voltage: under-
// voltage sets it too. OK otherwise (the summary says "warm" from `warm`).
Finding check_power_heat(const PowerFacts &f, int warm, int hot, int critical);

// ---------------------------------------------------------------- mpi

// "mpi.pmix": FAIL with slurmpi::pmix_problem()'s message when Slurm's
// mpi/pmix plugin or the PMIx library it loads is missing on `node`.
Finding check_mpi_pmix(std::string_view node, std::string_view plugin_path, bool plugin_exists,
		       std::string_view lib_path, bool lib_exists);

// "mpi.openmpi": FAIL when no mpirun was found (nullopt); OK with its path.
Finding check_mpi_openmpi(const std::optional<std::string> &mpirun_path);

// ---------------------------------------------------------------- slurm-pi

// One plugin that slurm.conf (SelectType, TaskPlugin) or plugstack.conf
// names.
struct PluginFile {
	std::string name;   // "select/pi_cons_tres", "task/pi", "spank_pi_thermal"
	std::string source; // "slurm.conf SelectType", "plugstack.conf:3"
	std::string path;   // the .so Slurm will load
	bool exists = false;
	bool spank = false; // SPANK plugins need only major.minor to match
	// Its plugin_version symbol (SLURM_VERSION_NUMBER it was built with);
	// nullopt when not read.
	std::optional<std::uint32_t> built_for;
};

// "22.05.8" -> 0x160508; nullopt unless three dot-separated numbers (the
// last may be followed by "-..." as in "22.05.8-1"), each 0-255.
std::optional<std::uint32_t> parse_slurm_version(std::string_view s);
// 0x160508 -> "22.05.8".
std::string format_slurm_version(std::uint32_t v);

// "slurm-pi.plugins": `running` is the installed Slurm's version
// ("22.05.8"). FAIL for a missing plugin file or one built for another
// version; SKIP for an empty list; OK otherwise.
Finding check_plugins(const std::vector<PluginFile> &plugins, std::string_view running);

// "slurm-pi.config": `errors` from parsing slurm-pi.conf (each "path:line:
// what", Config's format). FAIL naming the first; OK without errors.
Finding check_slurm_pi_config(std::string_view path, const std::vector<std::string> &errors);

} // namespace slurmpi::doctor
