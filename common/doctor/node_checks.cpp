#include "common/doctor/node_checks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "common/mpi/wiring.hpp"
#include "common/text.hpp"
#include "common/throttle.hpp"

namespace slurmpi::doctor {

namespace {

// Long enough for a whole kernel command line or a path in one finding.
constexpr std::size_t kLong = 512;

bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::vector<std::string_view> words(std::string_view s)
{
	std::vector<std::string_view> out;
	std::size_t i = 0;
	while (i < s.size()) {
		while (i < s.size() && blank(s[i]))
			++i;
		std::size_t start = i;
		while (i < s.size() && !blank(s[i]))
			++i;
		if (i > start)
			out.push_back(s.substr(start, i - start));
	}
	return out;
}

std::string_view first_line(std::string_view s)
{
	return s.substr(0, s.find('\n'));
}

bool has_word(const std::vector<std::string> &ws, std::string_view w)
{
	return std::find(ws.begin(), ws.end(), w) != ws.end();
}

// "+2.500 s", "-75.000 s".
std::string seconds(double s)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, "%+.3f s", s);
	return buf;
}

std::string celsius(double t)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, "%.1f C", t);
	return buf;
}

std::string octal_mode(unsigned mode)
{
	char buf[16];
	std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
	return buf;
}

} // namespace

// ---------------------------------------------------------------- memory.cgroup

bool controllers_have_memory(std::string_view controllers)
{
	for (std::string_view w : words(controllers))
		if (w == "memory")
			return true;
	return false;
}

std::optional<bool> proc_cgroups_memory_enabled(std::string_view text)
{
	while (!text.empty()) {
		std::size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
		std::vector<std::string_view> ws = words(line);
		if (ws.empty() || ws[0] != "memory")
			continue;
		if (ws.size() != 4)
			return std::nullopt;
		if (ws[3] == "1")
			return true;
		if (ws[3] == "0")
			return false;
		return std::nullopt;
	}
	return std::nullopt;
}

std::vector<std::string> cmdline_words(std::string_view text)
{
	std::vector<std::string> out;
	for (std::string_view w : words(first_line(text)))
		out.emplace_back(w);
	return out;
}

std::string cmdline_with_memory_cgroup(std::string_view text)
{
	std::vector<std::string> ws;
	for (std::string &w : cmdline_words(text))
		if (w != "cgroup_disable=memory")
			ws.push_back(std::move(w));
	for (std::string_view add : {"cgroup_enable=memory", "cgroup_memory=1"})
		if (!has_word(ws, add))
			ws.emplace_back(add);
	return join(ws, " ");
}

Finding check_memory_cgroup(const CgroupFacts &f)
{
	static constexpr std::string_view id = "memory.cgroup";
	std::string evidence;
	bool on = false;
	if (f.controllers) {
		on = controllers_have_memory(*f.controllers);
		evidence = "/sys/fs/cgroup/cgroup.controllers: " +
			   quoted(first_line(*f.controllers), kLong);
	} else if (f.proc_cgroups) {
		std::optional<bool> en = proc_cgroups_memory_enabled(*f.proc_cgroups);
		if (!en)
			return finding(id, Verdict::skip,
				    "cannot tell whether the memory cgroup controller is on: "
				    "/proc/cgroups has no readable memory line",
				    "/proc/cgroups: no 'memory' line with 4 columns");
		on = *en;
		evidence = std::string("/proc/cgroups: memory enabled=") + (on ? "1" : "0");
	} else {
		return finding(id, Verdict::skip,
			    "cannot tell whether the memory cgroup controller is on: neither "
			    "/sys/fs/cgroup/cgroup.controllers nor /proc/cgroups was read");
	}
	if (on)
		return finding(id, Verdict::ok, "the memory cgroup controller is on", evidence);

	std::vector<std::string> running = cmdline_words(f.proc_cmdline);
	if (has_word(running, "cgroup_disable=memory"))
		evidence += "; /proc/cmdline has 'cgroup_disable=memory'";
	else if (!f.proc_cmdline.empty() && !has_word(running, "cgroup_enable=memory"))
		evidence += "; /proc/cmdline has no 'cgroup_enable=memory'";

	std::string summary = "the memory cgroup controller is off (Raspberry Pi kernels turn it off "
			      "by default): Slurm's ConstrainRAMSpace and memory limits cannot work";
	std::string path = f.boot_cmdline_path.empty()
				   ? std::string("/boot/firmware/cmdline.txt (/boot/cmdline.txt before "
						 "bookworm)")
				   : f.boot_cmdline_path;
	if (!f.boot_cmdline)
		return finding(id, Verdict::fail, summary, evidence,
			    "append ' cgroup_enable=memory cgroup_memory=1' to the single line of " +
				    path + " (and remove any cgroup_disable=memory), then reboot");

	std::vector<std::string> boot = cmdline_words(*f.boot_cmdline);
	evidence += "; " + f.boot_cmdline_path + ": " + quoted(first_line(*f.boot_cmdline), kLong);
	bool boot_enables = has_word(boot, "cgroup_enable=memory") &&
			    !has_word(boot, "cgroup_disable=memory");
	if (boot_enables && !f.proc_cmdline.empty() && !has_word(running, "cgroup_enable=memory"))
		return finding(id, Verdict::fail,
			    "the memory cgroup controller is off: " + f.boot_cmdline_path +
				    " turns it on, but the running kernel was booted before that "
				    "change",
			    evidence, "sudo reboot");
	return finding(id, Verdict::fail, summary, evidence,
		    "make " + f.boot_cmdline_path + " this one line: " +
			    quoted(cmdline_with_memory_cgroup(*f.boot_cmdline), 4096) +
			    ", then reboot");
}

// ---------------------------------------------------------------- time.sync

Finding check_time_sync(std::optional<bool> synchronized, std::string_view source,
			std::string_view controller)
{
	static constexpr std::string_view id = "time.sync";
	std::string evidence = quoted(source, kLong);
	if (!synchronized)
		return finding(id, Verdict::skip,
			    "cannot tell whether the clock is synchronized (no answer from "
			    "timedatectl or chronyc)",
			    evidence);
	if (*synchronized)
		return finding(id, Verdict::ok, "the clock is NTP-synchronized", evidence);
	std::string server = controller.empty() ? std::string("<controller>") : std::string(controller);
	return finding(id, Verdict::warn,
		    "the clock is not NTP-synchronized: a Pi 3 or 4 has no real-time clock, and "
		    "MUNGE rejects credentials between clocks too far apart ('Expired "
		    "credential', 'Rewound credential')",
		    evidence,
		    "sudo timedatectl set-ntp true (systemd-timesyncd), or install chrony and "
		    "put " +
			    quoted("server " + server + " iburst", 256) +
			    " in /etc/chrony/chrony.conf");
}

Finding check_clock_offsets(const std::vector<std::pair<std::string, double>> &offsets,
			    double warn_s, double fail_s)
{
	static constexpr std::string_view id = "time.sync";
	std::vector<std::pair<std::string, double>> known;
	std::vector<std::string> unknown;
	for (const auto &[node, off] : offsets) {
		if (std::isfinite(off))
			known.emplace_back(node, off);
		else
			unknown.push_back(node);
	}
	if (known.empty())
		return finding(id, Verdict::skip, "no node's clock offset was measured",
			    unknown.empty() ? std::string{}
					    : "not measured: " + join(unknown, ", "));
	std::stable_sort(known.begin(), known.end(), [](const auto &a, const auto &b) {
		return std::fabs(a.second) > std::fabs(b.second);
	});
	std::vector<std::string> shown;
	constexpr std::size_t kShow = 8;
	for (std::size_t i = 0; i < known.size() && i < kShow; ++i)
		shown.push_back(quoted(known[i].first, 128) + " " + seconds(known[i].second));
	std::string evidence = "offsets from the controller's clock: " + join(shown, ", ");
	if (known.size() > kShow)
		evidence += " (and " + std::to_string(known.size() - kShow) + " more)";
	if (!unknown.empty())
		evidence += "; not measured: " + join(unknown, ", ");

	const auto &[node, off] = known.front();
	double a = std::fabs(off);
	std::string who = quoted(node, 128);
	std::string fix = "synchronize the clock of " + who +
			  ": sudo timedatectl set-ntp true on it, or chrony with the controller "
			  "as its server";
	if (a > fail_s)
		return finding(id, Verdict::fail,
			    "the clock of " + who + " is " + seconds(off) +
				    " off: MUNGE's credentials live 300 s by default, so jobs and "
				    "daemons on it fail with 'Expired credential' or 'Rewound "
				    "credential'",
			    evidence, fix);
	if (a > warn_s)
		return finding(id, Verdict::warn,
			    "the clock of " + who + " is " + seconds(off) +
				    " off: synchronized clocks on one network agree within "
				    "milliseconds",
			    evidence, fix);
	return finding(id, Verdict::ok,
		    "all " + std::to_string(known.size()) + " measured clocks agree within " +
			    seconds(warn_s).substr(1),
		    evidence);
}

// ---------------------------------------------------------------- munge

Finding check_munge_key(const std::optional<KeyInfo> &key, std::string_view path,
			std::string_view daemon_user)
{
	static constexpr std::string_view id = "munge.key";
	std::string p(path);
	std::string user(daemon_user);
	std::string restart = "sudo systemctl restart munge";
	std::string perms = "sudo chown " + user + ":" + user + " " + p + " && sudo chmod 0400 " +
			    p + " && " + restart;
	if (!key)
		return finding(id, Verdict::fail,
			    "there is no MUNGE key: munged will not start, and Slurm cannot "
			    "authenticate",
			    p + ": missing",
			    "copy " + p + " from the controller to this node (owner " + user +
				    ", mode 0400), then " + restart);
	std::string evidence = p + ": owner " + quoted(key->owner, 128) + ", group " +
			       quoted(key->group, 128) + ", mode " + octal_mode(key->mode) + ", " +
			       std::to_string(key->size) + " bytes";
	if (key->owner != daemon_user)
		return finding(id, Verdict::fail,
			    "the MUNGE key is owned by " + quoted(key->owner, 128) + ", not " + user +
				    ": munged refuses it ('Keyfile is insecure') and will not start",
			    evidence, perms);
	if (key->mode & 077u)
		return finding(id, Verdict::fail,
			    "the MUNGE key may be read or written by " +
				    std::string((key->mode & 070u) ? "its group" : "others") +
				    ": munged refuses it ('Keyfile is insecure') and will not start",
			    evidence, perms);
	if (key->size < kMungeKeyMinBytes)
		return finding(id, Verdict::fail,
			    "the MUNGE key is " + std::to_string(key->size) +
				    " bytes: munged needs at least " +
				    std::to_string(kMungeKeyMinBytes) + " and will not start",
			    evidence,
			    "copy " + p + " from the controller to this node (owner " + user +
				    ", mode 0400), then " + restart);
	return finding(id, Verdict::ok, "the MUNGE key is there, owned by " + user + ", mode " +
					     octal_mode(key->mode),
		    evidence);
}

Finding check_munge_key_hashes(const std::vector<std::pair<std::string, std::string>> &node_hashes)
{
	static constexpr std::string_view id = "munge.key";
	// hash -> nodes, in the order given.
	std::vector<std::pair<std::string, std::vector<std::string>>> groups;
	std::size_t counted = 0;
	for (const auto &nh : node_hashes) {
		const std::string &hash = nh.second;
		if (hash.empty())
			continue;
		++counted;
		auto it = std::find_if(groups.begin(), groups.end(),
				       [&hash](const auto &g) { return g.first == hash; });
		if (it == groups.end())
			groups.push_back({hash, {nh.first}});
		else
			it->second.push_back(nh.first);
	}
	if (counted < 2)
		return finding(id, Verdict::skip,
			    "fewer than two nodes' MUNGE key hashes to compare");
	std::vector<std::string> parts;
	for (const auto &[hash, nodes] : groups)
		parts.push_back(join(nodes, ", ") + ": " + quoted(hash.substr(0, 12)));
	std::string evidence = "key hashes: " + join(parts, "; ");
	if (groups.size() == 1)
		return finding(id, Verdict::ok,
			    "all " + std::to_string(counted) + " nodes have the same MUNGE key",
			    evidence);
	std::size_t most = 0;
	for (const auto &g : groups)
		most = std::max(most, g.second.size());
	std::size_t at_most = 0;
	for (const auto &g : groups)
		at_most += g.second.size() == most ? 1 : 0;
	std::vector<std::string> odd;
	for (const auto &[hash, nodes] : groups)
		if (at_most > 1 || nodes.size() != most)
			odd.insert(odd.end(), nodes.begin(), nodes.end());
	std::string list = join(odd, ", ");
	std::string summary =
		at_most > 1 ? "the nodes' MUNGE keys differ and no key is in the majority: "
			      "credentials from one group are rejected by the other"
			    : "the MUNGE key on " + list +
				      " differs from the other nodes': their credentials are "
				      "rejected ('Invalid credential')";
	return finding(id, Verdict::fail, summary, evidence,
		    "copy /etc/munge/munge.key from the controller to " + list +
			    " (owner munge, mode 0400) and restart munge");
}

Finding check_munged(bool socket_present, std::optional<bool> encode_decode_ok,
		     std::string_view detail)
{
	static constexpr std::string_view id = "munge.daemon";
	std::string evidence = detail.empty() ? std::string{} : quoted(detail, kLong);
	if (!socket_present)
		return finding(id, Verdict::fail,
			    "munged is not running (no socket /run/munge/munge.socket.2): Slurm "
			    "cannot authenticate on this node",
			    evidence,
			    "sudo systemctl enable --now munge; if it stops again, journalctl -u "
			    "munge says why (often the key: see munge.key)");
	if (!encode_decode_ok)
		return finding(id, Verdict::skip,
			    "munged's socket is there, but no credential round trip was tried",
			    evidence);
	if (!*encode_decode_ok)
		return finding(id, Verdict::fail,
			    "munged is running but cannot encode and decode a credential on this "
			    "node",
			    evidence,
			    "run 'munge -n | unmunge' to see the error, and journalctl -u munge; "
			    "then sudo systemctl restart munge");
	return finding(id, Verdict::ok, "munged encodes and decodes credentials", evidence);
}

// ---------------------------------------------------------------- power

namespace {

std::string throttle_evidence(const PowerFacts &f)
{
	return f.throttled_source + ": " + format_throttled(*f.throttled) + " (" +
	       describe_throttled(*f.throttled) + ")";
}

std::string no_throttle_summary(const PowerFacts &f)
{
	return "no throttle flags: not a Raspberry Pi, or the firmware's flags could not be "
	       "read" +
	       (f.throttled_source.empty() ? std::string{} : " (" + f.throttled_source + ")");
}

} // namespace

Finding check_power_voltage(const PowerFacts &f)
{
	static constexpr std::string_view id = "power.voltage";
	if (!f.throttled)
		return finding(id, Verdict::skip, no_throttle_summary(f));
	std::uint32_t w = *f.throttled;
	std::string evidence = throttle_evidence(f);
	static constexpr std::string_view fix =
		"use a 5.1 V supply rated for the model (Pi 5: 5 A USB-C, Pi 4/400: 3 A, Pi 3: "
		"2.5 A) with a short, thick cable, and put power-hungry USB devices on a "
		"powered hub";
	if (w & kThrUnderVoltageNow)
		return finding(id, Verdict::fail,
			    "under-voltage now: the supply sags below 4.63 V and the firmware "
			    "throttles the CPU (and SD card corruption and crashes follow)",
			    evidence, std::string(fix));
	if (w & kThrUnderVoltageOccurred)
		return finding(id, Verdict::warn,
			    "under-voltage has occurred since boot: the supply sags under load, "
			    "and the firmware throttles when it does",
			    evidence, std::string(fix));
	return finding(id, Verdict::ok, "no under-voltage", evidence);
}

Finding check_power_heat(const PowerFacts &f, int warm, int hot, int critical)
{
	static constexpr std::string_view id = "power.heat";
	if (!f.throttled)
		return finding(id, Verdict::skip, no_throttle_summary(f));
	std::uint32_t w = *f.throttled;
	std::optional<double> t = f.temp_c;
	if (t && !std::isfinite(*t))
		t.reset();
	std::string evidence = throttle_evidence(f);
	if (t)
		evidence += "; " + (f.temp_source.empty() ? std::string("temperature")
							  : f.temp_source) +
			    ": " + celsius(*t);
	else
		evidence += "; no temperature";
	static constexpr std::string_view fix =
		"add a heatsink and a fan (Pi 5: the Active Cooler) and give the case air: "
		"open vents, space between boards";

	constexpr std::uint32_t kCapSoft = kThrArmCappedNow | kThrSoftTempNow |
					   kThrArmCappedOccurred | kThrSoftTempOccurred;
	constexpr std::uint32_t kThrottle = kThrThrottledNow | kThrThrottledOccurred;
	constexpr std::uint32_t kUnder = kThrUnderVoltageNow | kThrUnderVoltageOccurred;
	bool heat_flags = (w & kCapSoft) != 0 || ((w & kThrottle) != 0 && (w & kUnder) == 0);

	if (t && *t >= critical)
		return finding(id, Verdict::fail,
			    "the SoC is at " + celsius(*t) + ", at or above the critical limit " +
				    std::to_string(critical) +
				    " C: the firmware throttles the Arm cores from 80 C",
			    evidence, std::string(fix));
	if (t && *t >= hot)
		return finding(id, Verdict::warn,
			    "the SoC is at " + celsius(*t) + ", at or above the hot limit " +
				    std::to_string(hot) + " C: close to throttling",
			    evidence, std::string(fix));
	if (heat_flags)
		return finding(id, Verdict::warn,
			    "the firmware has capped or throttled the CPU since boot: jobs ran "
			    "slower than the clock says",
			    evidence, std::string(fix));
	if (t && *t >= warm)
		return finding(id, Verdict::ok,
			    "warm (" + celsius(*t) + ", warm limit " + std::to_string(warm) +
				    " C), not throttled",
			    evidence);
	return finding(id, Verdict::ok, t ? "cool, not throttled" : "not throttled", evidence);
}

// ---------------------------------------------------------------- mpi

Finding check_mpi_pmix(std::string_view node, std::string_view plugin_path, bool plugin_exists,
		       std::string_view lib_path, bool lib_exists)
{
	static constexpr std::string_view id = "mpi.pmix";
	std::string evidence = "mpi/pmix plugin " + quoted(plugin_path, kLong) +
			       (plugin_exists ? ": present" : ": missing") + "; PMIx library " +
			       quoted(lib_path, kLong) + (lib_exists ? ": present" : ": missing");
	std::string problem = pmix_problem(node, plugin_path, plugin_exists, lib_path, lib_exists);
	if (problem.empty())
		return finding(id, Verdict::ok, "srun --mpi=pmix can start here", evidence);
	return finding(id, Verdict::fail, problem, evidence,
		    plugin_exists ? "sudo apt install libpmix-dev"
				  : "sudo apt install slurm-wlm-basic-plugins");
}

Finding check_mpi_openmpi(const std::optional<std::string> &mpirun_path)
{
	static constexpr std::string_view id = "mpi.openmpi";
	if (!mpirun_path)
		return finding(id, Verdict::fail,
			    "Open MPI is not installed: no mpirun on this node, so MPI jobs "
			    "cannot start their ranks here",
			    "mpirun: not found in PATH", "sudo apt install openmpi-bin libopenmpi-dev");
	return finding(id, Verdict::ok, "Open MPI's mpirun is installed",
		    "mpirun: " + quoted(*mpirun_path, kLong));
}

// ---------------------------------------------------------------- slurm-pi

std::optional<std::uint32_t> parse_slurm_version(std::string_view s)
{
	if (auto dash = s.find('-'); dash != std::string_view::npos)
		s = s.substr(0, dash);
	std::uint32_t parts[3];
	for (int i = 0; i < 3; ++i) {
		std::size_t dot = s.find('.');
		std::string_view part = i < 2 ? s.substr(0, dot) : s;
		if (i < 2 && dot == std::string_view::npos)
			return std::nullopt;
		std::optional<std::uint32_t> n = parse_u32(part);
		if (!n || *n > 255)
			return std::nullopt;
		parts[i] = *n;
		if (i < 2)
			s = s.substr(dot + 1);
	}
	return (parts[0] << 16) | (parts[1] << 8) | parts[2];
}

std::string format_slurm_version(std::uint32_t v)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%u.%02u.%u", (v >> 16) & 0xffu, (v >> 8) & 0xffu, v & 0xffu);
	return buf;
}

Finding check_plugins(const std::vector<PluginFile> &plugins, std::string_view running)
{
	static constexpr std::string_view id = "slurm-pi.plugins";
	if (plugins.empty())
		return finding(id, Verdict::skip,
			    "slurm.conf and plugstack.conf name no slurm-pi plugin");
	std::optional<std::uint32_t> run = parse_slurm_version(running);
	std::vector<std::string> problems;
	std::vector<std::string> seen;
	bool strict_mismatch = false;
	for (const PluginFile &p : plugins) {
		std::string what = quoted(p.name, 128) + " (" + p.source + ")";
		if (!p.exists) {
			problems.push_back(what + ": " + quoted(p.path, kLong) + " is missing");
			continue;
		}
		if (p.built_for && run) {
			std::uint32_t mask = p.spank ? 0xffff00u : 0xffffffu;
			if ((*p.built_for & mask) != (*run & mask)) {
				problems.push_back(what + ": " + quoted(p.path, kLong) +
						   " was built for Slurm " +
						   format_slurm_version(*p.built_for) +
						   ", the installed Slurm is " +
						   format_slurm_version(*run));
				strict_mismatch = strict_mismatch || !p.spank;
				continue;
			}
		}
		seen.push_back(quoted(p.name, 128) +
			       (p.built_for ? " built for " + format_slurm_version(*p.built_for)
					    : std::string(" version not read")));
	}
	std::string slurm = run ? format_slurm_version(*run) : quoted(running, 128);
	if (problems.empty()) {
		std::string evidence = join(seen, ", ") + "; installed Slurm " + slurm;
		return finding(id, Verdict::ok,
			    "the " + std::to_string(plugins.size()) +
				    " slurm-pi plugins Slurm loads are installed" +
				    (run ? " and built for this Slurm" : std::string{}),
			    evidence);
	}
	std::string summary = problems.front();
	if (problems.size() > 1)
		summary += " (and " + std::to_string(problems.size() - 1) + " more)";
	if (strict_mismatch)
		summary += ": select and task plugins load only into exactly the Slurm they "
			   "were built for";
	return finding(id, Verdict::fail, summary, join(problems, "; "),
		    "reinstall slurm-pi built against the installed libslurm-dev (Slurm " +
			    slurm +
			    "): ./configure && make && sudo make install, then restart "
			    "slurmctld and slurmd");
}

Finding check_slurm_pi_config(std::string_view path, const std::vector<std::string> &errors)
{
	static constexpr std::string_view id = "slurm-pi.config";
	std::string p(path);
	if (errors.empty())
		return finding(id, Verdict::ok, p + " parses without errors");
	std::string summary = p + " has " + std::to_string(errors.size()) +
			      (errors.size() == 1 ? " error: " : " errors, the first: ") +
			      errors.front();
	std::vector<std::string> shown(errors.begin(),
				       errors.begin() + static_cast<long>(std::min<std::size_t>(
							       errors.size(), 4)));
	std::string evidence = join(shown, "; ");
	if (errors.size() > shown.size())
		evidence += " (and " + std::to_string(errors.size() - shown.size()) + " more)";
	return finding(id, Verdict::fail, summary, evidence,
		    "edit " + p + " at the line and key the error names (" + errors.front() +
			    "), then run slurm-pi doctor again");
}

} // namespace slurmpi::doctor
