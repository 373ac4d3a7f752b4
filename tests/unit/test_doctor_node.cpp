#include <criterion/criterion.h>

#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/doctor/finding.hpp"
#include "common/doctor/node_checks.hpp"
#include "common/mpi/wiring.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi::doctor;

namespace {

// A Raspberry Pi OS bookworm cmdline.txt, as the imager writes it.
constexpr const char *kBookwormCmdline =
	"console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
	"fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n";
constexpr const char *kControllersNoMemory = "cpuset cpu io pids\n";
constexpr const char *kControllersMemory = "cpuset cpu io memory pids\n";
constexpr const char *kProcCgroupsOff = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
					"cpuset\t0\t85\t1\n"
					"cpu\t0\t85\t1\n"
					"memory\t0\t85\t0\n"
					"pids\t0\t85\t1\n";

void expect_verdict(const Finding &f, Verdict v)
{
	cr_assert(f.verdict == v, "%s: verdict %s, want %s (%s)", f.check.c_str(),
		  std::string(verdict_name(f.verdict)).c_str(), std::string(verdict_name(v)).c_str(),
		  f.summary.c_str());
}

void expect_has(const std::string &text, std::string_view needle)
{
	std::string n(needle);
	cr_assert(contains(text, needle), "'%s' not in '%s'", n.c_str(), text.c_str());
}

void expect_lacks(const std::string &text, std::string_view needle)
{
	std::string n(needle);
	cr_assert(!contains(text, needle), "'%s' in '%s'", n.c_str(), text.c_str());
}

// A finding's text is one line each.
void expect_one_line(const Finding &f)
{
	for (const std::string *s : {&f.summary, &f.evidence, &f.fix})
		cr_assert(s->find('\n') == std::string::npos, "%s: newline in '%s'",
			  f.check.c_str(), s->c_str());
}

void expect_ok_or_skip_without_fix(const Finding &f)
{
	cr_assert(f.verdict == Verdict::ok || f.verdict == Verdict::skip);
	cr_assert(f.fix.empty(), "%s: fix '%s'", f.check.c_str(), f.fix.c_str());
}

CgroupFacts pi_without_memory()
{
	CgroupFacts f;
	f.controllers = kControllersNoMemory;
	f.proc_cgroups = kProcCgroupsOff;
	f.proc_cmdline = "coherent_pool=1M 8250.nr_uarts=1 cgroup_disable=memory "
			 "console=ttyS0,115200 console=tty1 root=PARTUUID=4e639091-02 rootwait";
	f.boot_cmdline_path = "/boot/firmware/cmdline.txt";
	f.boot_cmdline = kBookwormCmdline;
	return f;
}

KeyInfo good_key()
{
	return KeyInfo{"munge", "munge", 0400, 1024};
}

PowerFacts pi(std::uint32_t word, std::optional<double> temp = 50.0)
{
	PowerFacts f;
	f.throttled = word;
	f.throttled_source = "mailbox";
	f.temp_c = temp;
	f.temp_source = "/sys/class/thermal/thermal_zone0/temp";
	return f;
}

Finding heat(std::uint32_t word, std::optional<double> temp)
{
	return check_power_heat(pi(word, temp), 60, 70, 80);
}

PluginFile plugin(std::string name, bool exists, std::optional<std::uint32_t> built_for,
		  bool spank = false)
{
	PluginFile p;
	p.name = name;
	p.source = spank ? "plugstack.conf:1" : "slurm.conf SelectType";
	p.path = "/usr/lib/aarch64-linux-gnu/slurm-wlm/" + name + ".so";
	p.exists = exists;
	p.spank = spank;
	p.built_for = built_for;
	return p;
}

} // namespace

// ---------------------------------------------------------------- memory.cgroup

Test(memory_cgroup, controllers_words)
{
	cr_assert(controllers_have_memory(kControllersMemory));
	cr_assert(!controllers_have_memory(kControllersNoMemory));
	cr_assert(!controllers_have_memory("memoryx cpu"));
	cr_assert(!controllers_have_memory(""));
}

Test(memory_cgroup, proc_cgroups_column)
{
	std::optional<bool> off = proc_cgroups_memory_enabled(kProcCgroupsOff);
	cr_assert(off.has_value() && !*off);
	std::optional<bool> on = proc_cgroups_memory_enabled("#subsys_name hierarchy num_cgroups "
							     "enabled\nmemory 0 1 1\n");
	cr_assert(on.has_value() && *on);
	cr_assert(!proc_cgroups_memory_enabled("cpu 0 1 1\n").has_value());
	cr_assert(!proc_cgroups_memory_enabled("memory 0 1\n").has_value());
	cr_assert(!proc_cgroups_memory_enabled("memory 0 1 yes\n").has_value());
	cr_assert(!proc_cgroups_memory_enabled("").has_value());
}

Test(memory_cgroup, edited_line_appends_once_and_drops_disable)
{
	assert_sv_eq(cmdline_with_memory_cgroup(kBookwormCmdline),
		     "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 "
		     "rootfstype=ext4 fsck.repair=yes rootwait quiet "
		     "init=/usr/lib/raspberrypi-sys-mods/firstboot cgroup_enable=memory "
		     "cgroup_memory=1");
	assert_sv_eq(cmdline_with_memory_cgroup("root=/dev/mmcblk0p2 cgroup_disable=memory "
						"cgroup_memory=1 rootwait\n"),
		     "root=/dev/mmcblk0p2 cgroup_memory=1 rootwait cgroup_enable=memory");
	// Already right: unchanged but for spacing.
	assert_sv_eq(cmdline_with_memory_cgroup("a  cgroup_enable=memory\tcgroup_memory=1"),
		     "a cgroup_enable=memory cgroup_memory=1");
	// Only the first line counts.
	assert_sv_eq(cmdline_with_memory_cgroup("a b\nc d\n"),
		     "a b cgroup_enable=memory cgroup_memory=1");
}

Test(memory_cgroup, ok_when_v2_has_memory)
{
	CgroupFacts f = pi_without_memory();
	f.controllers = kControllersMemory;
	Finding r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "memory.cgroup");
	expect_has(r.evidence, "/sys/fs/cgroup/cgroup.controllers: 'cpuset cpu io memory pids'");
}

Test(memory_cgroup, v2_wins_over_proc_cgroups)
{
	CgroupFacts f = pi_without_memory();
	f.proc_cgroups = "memory 0 1 1\n";
	expect_verdict(check_memory_cgroup(f), Verdict::fail);
}

Test(memory_cgroup, v1_fallback)
{
	CgroupFacts f = pi_without_memory();
	f.controllers.reset();
	Finding r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::fail);
	expect_has(r.evidence, "/proc/cgroups: memory enabled=0");
	f.proc_cgroups = "memory 3 40 1\n";
	expect_verdict(check_memory_cgroup(f), Verdict::ok);
	f.proc_cgroups = "cpu 0 1 1\n";
	r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::skip);
	expect_ok_or_skip_without_fix(r);
}

Test(memory_cgroup, skip_when_nothing_read)
{
	CgroupFacts f = pi_without_memory();
	f.controllers.reset();
	f.proc_cgroups.reset();
	Finding r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::skip);
	expect_ok_or_skip_without_fix(r);
}

Test(memory_cgroup, fail_gives_the_exact_line)
{
	Finding r = check_memory_cgroup(pi_without_memory());
	expect_verdict(r, Verdict::fail);
	expect_one_line(r);
	expect_has(r.summary, "Raspberry Pi kernels");
	expect_has(r.summary, "ConstrainRAMSpace");
	expect_has(r.evidence, "'cpuset cpu io pids'");
	expect_has(r.evidence, "/proc/cmdline has 'cgroup_disable=memory'");
	expect_has(r.evidence, "/boot/firmware/cmdline.txt: 'console=serial0");
	assert_sv_eq(r.fix, "make /boot/firmware/cmdline.txt this one line: 'console=serial0,115200 "
			    "console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
			    "fsck.repair=yes rootwait quiet "
			    "init=/usr/lib/raspberrypi-sys-mods/firstboot cgroup_enable=memory "
			    "cgroup_memory=1', then reboot");
}

Test(memory_cgroup, older_path_is_named)
{
	CgroupFacts f = pi_without_memory();
	f.boot_cmdline_path = "/boot/cmdline.txt";
	Finding r = check_memory_cgroup(f);
	expect_has(r.fix, "make /boot/cmdline.txt this one line");
	expect_lacks(r.fix, "firmware");
}

Test(memory_cgroup, no_cmdline_text_still_says_what_to_add)
{
	CgroupFacts f = pi_without_memory();
	f.boot_cmdline.reset();
	Finding r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::fail);
	expect_has(r.fix, "' cgroup_enable=memory cgroup_memory=1'");
	expect_has(r.fix, "/boot/firmware/cmdline.txt");
	expect_has(r.fix, "reboot");
	f.boot_cmdline_path.clear();
	r = check_memory_cgroup(f);
	expect_has(r.fix, "/boot/cmdline.txt before bookworm");
}

Test(memory_cgroup, edited_but_not_rebooted)
{
	CgroupFacts f = pi_without_memory();
	f.boot_cmdline = cmdline_with_memory_cgroup(kBookwormCmdline) + "\n";
	Finding r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "booted before that change");
	assert_sv_eq(r.fix, "sudo reboot");
	// Without /proc/cmdline nothing says the kernel missed the change.
	CgroupFacts unknown = f;
	unknown.proc_cmdline.clear();
	r = check_memory_cgroup(unknown);
	expect_verdict(r, Verdict::fail);
	expect_lacks(r.fix, "sudo reboot");
	expect_has(r.fix, "this one line");
	// Booted with it but still off (e.g. a kernel without the controller):
	// the line is shown, nothing claims a reboot helps.
	f.proc_cmdline += " cgroup_enable=memory cgroup_memory=1";
	r = check_memory_cgroup(f);
	expect_verdict(r, Verdict::fail);
	expect_lacks(r.fix, "sudo reboot");
}

// ---------------------------------------------------------------- time.sync

Test(time_sync, verdicts)
{
	Finding ok = check_time_sync(true, "timedatectl: NTPSynchronized=yes");
	expect_verdict(ok, Verdict::ok);
	expect_ok_or_skip_without_fix(ok);
	assert_sv_eq(ok.check, "time.sync");
	Finding skip = check_time_sync(std::nullopt, "no timedatectl or chronyc");
	expect_verdict(skip, Verdict::skip);
	expect_ok_or_skip_without_fix(skip);
	expect_has(skip.evidence, "no timedatectl or chronyc");
}

Test(time_sync, warn_names_munge_errors_and_fix)
{
	Finding r = check_time_sync(false, "timedatectl: NTPSynchronized=no", "pi-master");
	expect_verdict(r, Verdict::warn);
	expect_one_line(r);
	expect_has(r.summary, "'Expired credential'");
	expect_has(r.summary, "'Rewound credential'");
	expect_has(r.summary, "no real-time clock");
	expect_has(r.evidence, "'timedatectl: NTPSynchronized=no'");
	expect_has(r.fix, "sudo timedatectl set-ntp true");
	expect_has(r.fix, "'server pi-master iburst'");
	r = check_time_sync(false, "x");
	expect_has(r.fix, "'server <controller> iburst'");
}

Test(time_sync, evidence_stays_one_line)
{
	Finding r = check_time_sync(false, "chronyc tracking:\nLeap status : Not synchronised");
	expect_one_line(r);
	expect_has(r.evidence, "\\n");
}

Test(clock_offsets, ok_warn_fail_by_worst)
{
	Finding r = check_clock_offsets({{"pi1", 0.002}, {"pi2", -0.010}});
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	r = check_clock_offsets({{"pi1", 0.002}, {"pi2", -2.5}, {"pi3", 1.5}});
	expect_verdict(r, Verdict::warn);
	expect_has(r.summary, "'pi2'");
	expect_has(r.summary, "-2.500 s");
	expect_has(r.fix, "'pi2'");
	r = check_clock_offsets({{"pi1", 0.002}, {"pi2", -2.5}, {"pi3", 75}});
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "'pi3'");
	expect_has(r.summary, "+75.000 s");
	expect_has(r.summary, "Expired credential");
	expect_one_line(r);
	// Evidence: worst first.
	cr_assert(r.evidence.find("'pi3'") < r.evidence.find("'pi2'"), "%s", r.evidence.c_str());
}

Test(clock_offsets, limits_are_exclusive_and_configurable)
{
	expect_verdict(check_clock_offsets({{"a", 1.0}}), Verdict::ok);
	expect_verdict(check_clock_offsets({{"a", -1.001}}), Verdict::warn);
	expect_verdict(check_clock_offsets({{"a", 60.0}}), Verdict::warn);
	expect_verdict(check_clock_offsets({{"a", -60.5}}), Verdict::fail);
	expect_verdict(check_clock_offsets({{"a", 5}}, 10, 20), Verdict::ok);
	expect_verdict(check_clock_offsets({{"a", 15}}, 10, 20), Verdict::warn);
	expect_verdict(check_clock_offsets({{"a", 25}}, 10, 20), Verdict::fail);
}

Test(clock_offsets, defaults_sit_within_munges_ttl)
{
	cr_assert(kClockOffsetWarnS < kClockOffsetFailS);
	// Two nodes at +-fail are 2*fail apart: still inside the 300 s TTL.
	cr_assert(2 * kClockOffsetFailS < 300);
}

Test(clock_offsets, unmeasured_nodes)
{
	Finding r = check_clock_offsets({});
	expect_verdict(r, Verdict::skip);
	r = check_clock_offsets({{"pi1", NAN}, {"pi2", INFINITY}});
	expect_verdict(r, Verdict::skip);
	expect_has(r.evidence, "pi1, pi2");
	r = check_clock_offsets({{"pi1", NAN}, {"pi2", 3}});
	expect_verdict(r, Verdict::warn);
	expect_has(r.evidence, "not measured: pi1");
}

// ---------------------------------------------------------------- munge.key

Test(munge_key, good_key_is_ok)
{
	Finding r = check_munge_key(good_key());
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "munge.key");
	assert_sv_eq(r.evidence,
		     "/etc/munge/munge.key: owner 'munge', group 'munge', mode 0400, 1024 bytes");
	KeyInfo k = good_key();
	k.mode = 0600; // QUICKSTART's advice
	expect_verdict(check_munge_key(k), Verdict::ok);
}

Test(munge_key, missing)
{
	Finding r = check_munge_key(std::nullopt);
	expect_verdict(r, Verdict::fail);
	expect_has(r.evidence, "/etc/munge/munge.key: missing");
	expect_has(r.fix, "from the controller");
	expect_has(r.fix, "mode 0400");
	expect_has(r.fix, "sudo systemctl restart munge");
}

Test(munge_key, root_owned_fails_like_munged)
{
	KeyInfo k = good_key();
	k.owner = "root";
	Finding r = check_munge_key(k);
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "'root'");
	expect_has(r.summary, "munged refuses");
	assert_sv_eq(r.fix, "sudo chown munge:munge /etc/munge/munge.key && sudo chmod 0400 "
			    "/etc/munge/munge.key && sudo systemctl restart munge");
}

Test(munge_key, group_or_other_access_fails)
{
	for (unsigned mode : {0440u, 0420u, 0404u, 0402u, 0644u, 0460u}) {
		KeyInfo k = good_key();
		k.mode = mode;
		Finding r = check_munge_key(k);
		expect_verdict(r, Verdict::fail);
		expect_has(r.fix, "chmod 0400");
	}
	KeyInfo k = good_key();
	k.mode = 0404;
	expect_has(check_munge_key(k).summary, "others");
	k.mode = 0440;
	expect_has(check_munge_key(k).summary, "its group");
}

Test(munge_key, short_key_fails)
{
	KeyInfo k = good_key();
	k.size = 31;
	Finding r = check_munge_key(k);
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "at least 32");
	k.size = 32;
	expect_verdict(check_munge_key(k), Verdict::ok);
}

Test(munge_key, other_path_and_user)
{
	KeyInfo k = good_key();
	k.owner = "munge";
	Finding r = check_munge_key(k, "/srv/munge.key", "daemon");
	expect_verdict(r, Verdict::fail);
	expect_has(r.fix, "chown daemon:daemon /srv/munge.key");
}

Test(munge_hashes, all_same_is_ok)
{
	Finding r = check_munge_key_hashes(
		{{"pi1", "aaaaaaaaaaaaaaaaaaaa"}, {"pi2", "aaaaaaaaaaaaaaaaaaaa"}});
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	expect_has(r.evidence, "pi1, pi2: 'aaaaaaaaaaaa'");
	expect_lacks(r.evidence, "aaaaaaaaaaaaa");
}

Test(munge_hashes, the_odd_node_is_named)
{
	Finding r = check_munge_key_hashes(
		{{"pi1", "aaaa"}, {"pi2", "bbbb"}, {"pi3", "aaaa"}, {"pi4", "aaaa"}});
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "on pi2 differs");
	assert_sv_eq(r.fix, "copy /etc/munge/munge.key from the controller to pi2 (owner munge, "
			    "mode 0400) and restart munge");
	r = check_munge_key_hashes({{"pi1", "aaaa"},
				    {"pi2", "bbbb"},
				    {"pi3", "aaaa"},
				    {"pi4", "cccc"},
				    {"pi5", "aaaa"}});
	expect_has(r.fix, "to pi2, pi4 (");
}

Test(munge_hashes, a_tie_names_all)
{
	Finding r = check_munge_key_hashes(
		{{"pi1", "aaaa"}, {"pi2", "bbbb"}, {"pi3", "bbbb"}, {"pi4", "aaaa"}});
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "no key is in the majority");
	expect_has(r.fix, "to pi1, pi4, pi2, pi3 (");
}

Test(munge_hashes, unread_and_too_few)
{
	expect_verdict(check_munge_key_hashes({}), Verdict::skip);
	expect_verdict(check_munge_key_hashes({{"pi1", "aaaa"}}), Verdict::skip);
	expect_verdict(check_munge_key_hashes({{"pi1", "aaaa"}, {"pi2", ""}}), Verdict::skip);
	expect_verdict(check_munge_key_hashes({{"pi1", "aaaa"}, {"pi2", ""}, {"pi3", "aaaa"}}),
		       Verdict::ok);
}

Test(munged, verdicts)
{
	Finding r = check_munged(false, std::nullopt, "");
	expect_verdict(r, Verdict::fail);
	assert_sv_eq(r.check, "munge.daemon");
	expect_has(r.summary, "/run/munge/munge.socket.2");
	expect_has(r.fix, "systemctl enable --now munge");
	r = check_munged(true, std::nullopt, "");
	expect_verdict(r, Verdict::skip);
	r = check_munged(true, false, "unmunge: Error: Invalid credential\n");
	expect_verdict(r, Verdict::fail);
	expect_one_line(r);
	expect_has(r.evidence, "'unmunge: Error: Invalid credential\\n'");
	expect_has(r.fix, "munge -n | unmunge");
	r = check_munged(true, true, "STATUS: Success (0)");
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
}

// ---------------------------------------------------------------- power

Test(power_voltage, verdicts_by_bits)
{
	Finding r = check_power_voltage(pi(0));
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "power.voltage");
	assert_sv_eq(r.evidence, "mailbox: 0x0 (none)");

	r = check_power_voltage(pi(0x50005));
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "under-voltage now");
	expect_has(r.evidence, "mailbox: 0x50005 (under-voltage now");
	expect_has(r.fix, "Pi 5: 5 A");
	expect_has(r.fix, "Pi 4/400: 3 A");
	expect_has(r.fix, "5.1 V");
	expect_has(r.fix, "short, thick cable");

	r = check_power_voltage(pi(0x10000));
	expect_verdict(r, Verdict::warn);
	expect_has(r.summary, "since boot");
	// Heat bits alone are not a voltage problem.
	expect_verdict(check_power_voltage(pi(0xe000e)), Verdict::ok);
}

Test(power_voltage, skip_without_flags)
{
	PowerFacts f;
	f.throttled_source = "no /dev/vcio, no rpi_volt hwmon";
	f.temp_c = 45;
	Finding r = check_power_voltage(f);
	expect_verdict(r, Verdict::skip);
	expect_ok_or_skip_without_fix(r);
	expect_has(r.summary, "not a Raspberry Pi");
	expect_has(r.summary, "no /dev/vcio");
	expect_verdict(check_power_heat(f, 60, 70, 80), Verdict::skip);
}

Test(power_heat, by_temperature)
{
	Finding r = heat(0, 50);
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "power.heat");
	expect_has(r.evidence, "/sys/class/thermal/thermal_zone0/temp: 50.0 C");
	r = heat(0, 65);
	expect_verdict(r, Verdict::ok);
	expect_has(r.summary, "warm");
	r = heat(0, 70);
	expect_verdict(r, Verdict::warn);
	expect_has(r.summary, "70.0 C");
	expect_has(r.fix, "heatsink");
	r = heat(0, 80);
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "critical limit 80 C");
	expect_has(r.fix, "fan");
	expect_verdict(heat(0, 79.9), Verdict::warn);
}

Test(power_heat, sticky_bits_warn)
{
	for (std::uint32_t w : {0x20000u, 0x40000u, 0x80000u, 0x2u, 0x8u, 0x4u}) {
		Finding r = heat(w, 50);
		expect_verdict(r, Verdict::warn);
		expect_has(r.summary, "capped or throttled");
	}
	// Critical temperature wins over the flags.
	expect_verdict(heat(0xe0000, 85), Verdict::fail);
}

Test(power_heat, under_voltage_throttling_is_not_heat)
{
	expect_verdict(heat(0x50005, 50), Verdict::ok);
	expect_verdict(heat(0x50000, 50), Verdict::ok);
	// But capping with under-voltage is still heat-related.
	expect_verdict(heat(0x70007, 50), Verdict::warn);
}

Test(power_heat, without_temperature)
{
	Finding r = heat(0, std::nullopt);
	expect_verdict(r, Verdict::ok);
	expect_has(r.evidence, "no temperature");
	expect_verdict(heat(0x40000, std::nullopt), Verdict::warn);
	expect_verdict(heat(0, NAN), Verdict::ok);
}

// ---------------------------------------------------------------- mpi

Test(mpi_pmix, verdicts_and_packages)
{
	const char *plugin = "/usr/lib/aarch64-linux-gnu/slurm-wlm/mpi_pmix.so";
	const char *lib = "/usr/lib/aarch64-linux-gnu/pmix2/lib/libpmix.so";
	Finding r = check_mpi_pmix("pi1", plugin, true, lib, true);
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "mpi.pmix");

	r = check_mpi_pmix("pi1", plugin, false, lib, true);
	expect_verdict(r, Verdict::fail);
	std::string want = slurmpi::pmix_problem("pi1", plugin, false, lib, true);
	assert_sv_eq(r.summary, want.c_str());
	assert_sv_eq(r.fix, "sudo apt install slurm-wlm-basic-plugins");
	expect_has(r.evidence, "mpi_pmix.so': missing");

	r = check_mpi_pmix("pi1", plugin, true, lib, false);
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "libpmix-dev");
	assert_sv_eq(r.fix, "sudo apt install libpmix-dev");
	expect_has(r.evidence, "libpmix.so': missing");
}

Test(mpi_openmpi, verdicts)
{
	Finding r = check_mpi_openmpi(std::string("/usr/bin/mpirun"));
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "mpi.openmpi");
	expect_has(r.evidence, "'/usr/bin/mpirun'");
	r = check_mpi_openmpi(std::nullopt);
	expect_verdict(r, Verdict::fail);
	expect_has(r.fix, "openmpi-bin");
}

// ---------------------------------------------------------------- slurm-pi

Test(slurm_version, parse_and_format)
{
	cr_assert_eq(parse_slurm_version("22.05.8").value_or(0), 0x160508u);
	cr_assert_eq(parse_slurm_version("22.05.8-1").value_or(0), 0x160508u);
	cr_assert_eq(parse_slurm_version("23.11.10").value_or(0), 0x170b0au);
	for (const char *bad : {"", "22", "22.05", "22.05.", "22..8", "a.b.c", "22.05.8.1",
				"256.1.1", " 22.05.8", "22.05.8 "})
		cr_assert(!parse_slurm_version(bad).has_value(), "accepted '%s'", bad);
	assert_sv_eq(format_slurm_version(0x160508), "22.05.8");
	assert_sv_eq(format_slurm_version(0x170b0a), "23.11.10");
}

Test(plugins, all_good)
{
	Finding r = check_plugins({plugin("select_pi_cons_tres", true, 0x160508),
				   plugin("task_pi", true, 0x160508),
				   plugin("spank_pi_thermal", true, 0x160508, true)},
				  "22.05.8");
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "slurm-pi.plugins");
	expect_has(r.evidence, "installed Slurm 22.05.8");
}

Test(plugins, missing_fails)
{
	Finding r = check_plugins({plugin("task_pi", false, std::nullopt)}, "22.05.8");
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "task_pi.so' is missing");
	expect_has(r.fix, "libslurm-dev (Slurm 22.05.8)");
	expect_one_line(r);
}

Test(plugins, exact_version_for_select_and_task)
{
	Finding r = check_plugins({plugin("select_pi_cons_tres", true, 0x160507)}, "22.05.8");
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "built for Slurm 22.05.7, the installed Slurm is 22.05.8");
	expect_has(r.summary, "only into exactly the Slurm they were built for");
	expect_has(r.fix, "reinstall slurm-pi built against the installed libslurm-dev");
}

Test(plugins, spank_needs_major_minor_only)
{
	expect_verdict(check_plugins({plugin("spank_pi_stage", true, 0x160507, true)}, "22.05.8"),
		       Verdict::ok);
	Finding r = check_plugins({plugin("spank_pi_stage", true, 0x170207, true)}, "22.05.8");
	expect_verdict(r, Verdict::fail);
	expect_lacks(r.summary, "select and task");
}

Test(plugins, counts_more_problems_and_skips_empty)
{
	Finding r = check_plugins({plugin("task_pi", false, std::nullopt),
				   plugin("select_pi_cons_tres", true, 0x160507)},
				  "22.05.8");
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "(and 1 more)");
	expect_has(r.evidence, "task_pi");
	expect_has(r.evidence, "select_pi_cons_tres");
	expect_verdict(check_plugins({}, "22.05.8"), Verdict::skip);
}

Test(plugins, unknown_running_version_judges_files_only)
{
	expect_verdict(check_plugins({plugin("task_pi", true, 0x160507)}, "?"), Verdict::ok);
	expect_verdict(check_plugins({plugin("task_pi", false, 0x160507)}, "?"), Verdict::fail);
	expect_verdict(check_plugins({plugin("task_pi", true, std::nullopt)}, "22.05.8"),
		       Verdict::ok);
}

Test(slurm_pi_config, verdicts)
{
	Finding r = check_slurm_pi_config("/etc/slurm/slurm-pi.conf", {});
	expect_verdict(r, Verdict::ok);
	expect_ok_or_skip_without_fix(r);
	assert_sv_eq(r.check, "slurm-pi.config");
	r = check_slurm_pi_config("/etc/slurm/slurm-pi.conf",
				  {"/etc/slurm/slurm-pi.conf:4: Thermal: 'hot' is not one of strict, "
				   "balanced, any",
				   "/etc/slurm/slurm-pi.conf:9: unknown key 'Fan'"});
	expect_verdict(r, Verdict::fail);
	expect_has(r.summary, "2 errors, the first: /etc/slurm/slurm-pi.conf:4: Thermal:");
	expect_has(r.evidence, "unknown key 'Fan'");
	expect_has(r.fix, "edit /etc/slurm/slurm-pi.conf");
	expect_has(r.fix, ":4: Thermal");
	expect_one_line(r);
}
