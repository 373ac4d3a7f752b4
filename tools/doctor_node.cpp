// `slurm-pi doctor` on this node: gather the facts, run the checks.
#include "tools/doctor.hpp"

#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <optional>

#include <slurm/slurm_version.h>

#include "common/config.hpp"
#include "common/doctor/conf_checks.hpp"
#include "common/doctor/elf_symbol.hpp"
#include "common/doctor/net_checks.hpp"
#include "common/doctor/node_checks.hpp"
#include "common/doctor/plugstack.hpp"
#include "common/doctor/slurm_conf.hpp"
#include "common/fs.hpp"
#include "common/mpi/net.hpp"
#include "common/nodeconf.hpp"
#include "common/pipeline.hpp"
#include "common/text.hpp"
#include "common/vcio.hpp"
#include "slurmpi_config.h"
#include "tools/node_name.hpp"
#include "tools/nodeconf_cmd.hpp"

namespace slurmpi::tool {

using namespace slurmpi::doctor;

namespace {

const std::vector<CheckInfo> kChecks = {
	{"slurm.conf.partition", "a real partition exists (not only PartitionName=default)"},
	{"slurm.conf.realmemory", "this node's RealMemory is not above its MemTotal"},
	{"slurm.conf.cpus", "this node's CPU layout matches the board"},
	{"slurm.conf.select_memory", "memory as a consumable resource has the memory cgroup"},
	{"memory.cgroup", "the memory cgroup controller is enabled (cmdline.txt)"},
	{"time.sync", "the clock is synchronised (timedatectl or chrony)"},
	{"time.offset", "--all: the nodes' clocks agree with this one (munge's TTL)"},
	{"munge.key", "munge.key's owner and mode"},
	{"munge.same_key", "--all: every node has the same munge.key (by hash)"},
	{"munge.daemon", "munged runs and a credential round-trips"},
	{"munge.cross", "--all: a credential made here decodes on every node"},
	{"names.self", "this node's name resolves to its LAN address (not 127.0.1.1)"},
	{"names.resolve", "--all: every NodeName resolves the same on every node"},
	{"shared.dir", "--all: the shared directory is the same on every node"},
	{"power.voltage", "no under-voltage now or since boot"},
	{"power.heat", "not hot or throttled now or since boot"},
	{"mpi.pmix", "Slurm's mpi/pmix and its libpmix.so are installed"},
	{"mpi.openmpi", "Open MPI's mpirun is installed"},
	{"slurm-pi.plugins", "slurm-pi's plugins exist and are built for this Slurm"},
	{"slurm-pi.config", "slurm-pi.conf parses"},
	{"cluster.reach", "--all: every node answered"},
};

std::optional<std::string> read_text(const std::string &path, std::size_t max = 1 << 20)
{
	FileRead f = read_small_file(path, max);
	if (!f.ok)
		return std::nullopt;
	return f.data;
}

std::string dir_of(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// slurm.conf with its Include files read in place (one level deep is
// what Pi clusters use; deeper ones are read too, up to 8).
SlurmConf read_slurm_conf(const std::string &root, const std::string &path, std::string *error)
{
	auto text = read_text(join_root(root, path));
	if (!text) {
		*error = path + ": cannot be read";
		return {};
	}
	SlurmConf conf = parse_slurm_conf(*text, path);
	for (int depth = 0; depth < 8 && !conf.includes.empty(); depth++) {
		auto includes = std::move(conf.includes);
		conf.includes.clear();
		for (const auto &inc : includes) {
			std::string p = inc.empty() || inc[0] == '/' ? inc : dir_of(path) + "/" + inc;
			if (auto t = read_text(join_root(root, p))) {
				SlurmConf more = parse_slurm_conf(*t, p);
				conf.entries.insert(conf.entries.end(), more.entries.begin(),
						    more.entries.end());
				conf.includes.insert(conf.includes.end(), more.includes.begin(),
						     more.includes.end());
				conf.errors.insert(conf.errors.end(), more.errors.begin(),
						   more.errors.end());
			} else {
				conf.errors.push_back(path + ": Include " + slurmpi::quoted(p) + ": cannot be read");
			}
		}
	}
	return conf;
}

std::string plugin_dir(const SlurmConf &conf)
{
	if (auto d = conf.param("PluginDir"))
		return *d;
	return SLURMPI_SLURM_PLUGINDIR;
}

std::optional<std::string> first_existing(const std::string &root,
					  const std::vector<std::string> &paths)
{
	for (const auto &p : paths) {
		struct stat st;
		if (::stat(join_root(root, p).c_str(), &st) == 0 && S_ISREG(st.st_mode))
			return p;
	}
	return std::nullopt;
}

std::optional<std::string> in_path(const std::string &prog)
{
	const char *path = std::getenv("PATH");
	std::string p = path ? path : "/usr/bin:/bin";
	std::size_t start = 0;
	while (start <= p.size()) {
		auto colon = p.find(':', start);
		std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos
									: colon - start);
		if (!dir.empty() && ::access((dir + "/" + prog).c_str(), X_OK) == 0)
			return dir + "/" + prog;
		if (colon == std::string::npos)
			break;
		start = colon + 1;
	}
	return std::nullopt;
}

CgroupFacts cgroup_facts(const std::string &root)
{
	CgroupFacts f;
	f.controllers = read_text(join_root(root, "/sys/fs/cgroup/cgroup.controllers"));
	f.proc_cgroups = read_text(join_root(root, "/proc/cgroups"));
	f.proc_cmdline = read_text(join_root(root, "/proc/cmdline")).value_or("");
	for (const char *p : {"/boot/firmware/cmdline.txt", "/boot/cmdline.txt"}) {
		if (auto t = read_text(join_root(root, p))) {
			f.boot_cmdline_path = p;
			f.boot_cmdline = t;
			break;
		}
	}
	return f;
}

Finding time_sync(const Runner &run, const std::string &controller)
{
	auto t = run({"timedatectl", "show", "-p", "NTPSynchronized", "--value"}, 3000);
	if (t.ok()) {
		std::string v(trim_value(t.out));
		if (v == "yes" || v == "no")
			return check_time_sync(v == "yes", "timedatectl: NTPSynchronized=" + v, controller);
	}
	auto c = run({"chronyc", "-n", "tracking"}, 3000);
	if (c.ok()) {
		auto pos = c.out.find("Leap status");
		if (pos != std::string::npos) {
			auto line = c.out.substr(pos, c.out.find('\n', pos) - pos);
			bool synced = line.find("Not synchronised") == std::string::npos;
			return check_time_sync(synced, "chronyc tracking: " + slurmpi::quoted(line), controller);
		}
	}
	return check_time_sync(std::nullopt, "no timedatectl or chronyc answered", controller);
}

std::optional<KeyInfo> munge_key_info(const std::string &root)
{
	struct stat st;
	if (::stat(join_root(root, std::string(kMungeKeyPath)).c_str(), &st) != 0)
		return std::nullopt;
	KeyInfo k;
	if (struct passwd *pw = ::getpwuid(st.st_uid))
		k.owner = pw->pw_name;
	else
		k.owner = std::to_string(st.st_uid);
	if (struct group *gr = ::getgrgid(st.st_gid))
		k.group = gr->gr_name;
	else
		k.group = std::to_string(st.st_gid);
	k.mode = st.st_mode & 07777;
	k.size = static_cast<std::uint64_t>(st.st_size);
	return k;
}

// munged's socket: AuthInfo=socket=PATH in slurm.conf (what Slurm's
// auth/munge uses), else munge's default.
std::string munge_socket(const SlurmConf *conf)
{
	if (conf)
		if (auto info = conf->param("AuthInfo")) {
			std::size_t start = 0;
			while (start <= info->size()) {
				auto comma = info->find(',', start);
				std::string item = info->substr(start, comma == std::string::npos
										? std::string::npos
										: comma - start);
				if (item.starts_with("socket=") && item.size() > 7)
					return item.substr(7);
				if (comma == std::string::npos)
					break;
				start = comma + 1;
			}
		}
	return "/run/munge/munge.socket.2";
}

Finding munge_daemon(const std::string &root, const Runner &run, const std::string &sock)
{
	struct stat st;
	bool socket = ::stat(join_root(root, sock).c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
	if (!is_real_root(root))
		return check_munged(socket, std::nullopt, "not tried with --root");
	auto cred = run({"munge", "-n", "--socket", sock}, 5000);
	if (!cred.ok())
		return check_munged(socket, false,
				    "munge -n: " + slurmpi::quoted(cred.err.empty() ? cred.out : cred.err, 160));
	CommandResult dec = run({"unmunge", "--socket", sock}, 5000, cred.out);
	return check_munged(socket, dec.ok(),
			    dec.ok() ? "munge -n | unmunge: Success"
				     : "unmunge: " + slurmpi::quoted(dec.err.empty() ? dec.out : dec.err, 160));
}

std::vector<PluginFile> plugin_files(const std::string &root, const SlurmConf &conf,
				     const std::string &conf_path)
{
	std::vector<PluginFile> out;
	const std::string dir = plugin_dir(conf);
	auto add = [&](std::string name, std::string source, const std::string &file, bool spank) {
		PluginFile p;
		p.name = std::move(name);
		p.source = std::move(source);
		p.spank = spank;
		auto cands = plugin_candidates(file, dir);
		auto found = first_existing(root, cands);
		p.exists = found.has_value();
		p.path = found ? *found : (cands.empty() ? file : cands.front());
		if (found) {
			if (auto image = read_text(join_root(root, *found), 64u << 20)) {
				std::string why;
				p.built_for = elf_symbol_u32(*image, "plugin_version", &why);
			}
		}
		out.push_back(std::move(p));
	};
	// slurm-pi's own: select/pi_cons_tres, task/pi.
	if (auto s = conf.param("SelectType"); s && s->find("pi_cons_tres") != std::string::npos)
		add(*s, "slurm.conf SelectType", "select_pi_cons_tres.so", false);
	if (auto t = conf.param("TaskPlugin")) {
		std::size_t start = 0;
		while (start <= t->size()) {
			auto comma = t->find(',', start);
			std::string item = t->substr(start, comma == std::string::npos ? std::string::npos
											 : comma - start);
			if (item == "task/pi" || item == "pi")
				add("task/pi", "slurm.conf TaskPlugin", "task_pi.so", false);
			if (comma == std::string::npos)
				break;
			start = comma + 1;
		}
	}
	// Every SPANK plugin plugstack.conf loads (Slurm's default: beside
	// slurm.conf).
	std::string ps = conf.param("PlugStackConfig").value_or(dir_of(conf_path) + "/plugstack.conf");
	std::vector<std::string> files = {ps};
	for (std::size_t i = 0; i < files.size() && i < 64; i++) {
		auto text = read_text(join_root(root, files[i]));
		if (!text)
			continue;
		Plugstack stack = parse_plugstack(*text, files[i]);
		for (const auto &e : stack.plugins) {
			std::string base = e.plugin.substr(e.plugin.rfind('/') + 1);
			add(base, e.file + ":" + std::to_string(e.line), e.plugin, true);
		}
		for (const auto &inc : stack.includes) {
			glob_t g{};
			if (::glob(join_root(root, inc.pattern).c_str(), 0, nullptr, &g) == 0)
				for (std::size_t k = 0; k < g.gl_pathc; k++) {
					std::string p = g.gl_pathv[k];
					if (!is_real_root(root) && p.starts_with(root))
						p = p.substr(root.size());
					files.push_back(p);
				}
			::globfree(&g);
		}
	}
	return out;
}

// The installed Slurm's version: slurmd's, else sinfo's ("slurm-wlm
// 22.05.8" or "slurm 22.05.8").
std::string running_slurm(const Runner &run)
{
	for (const char *prog : {"slurmd", "sinfo"}) {
		auto r = run({prog, "-V"}, 3000);
		if (!r.ok())
			continue;
		std::string v(trim_value(r.out));
		auto sp = v.rfind(' ');
		return sp == std::string::npos ? v : v.substr(sp + 1);
	}
	return "";
}

// What --all compares between nodes: the munge key's hash (never the
// key), how this node resolves every NodeName, and the shared
// directory's token. Each read is bounded: a hung NFS mount or DNS server
// costs a few seconds, not the step.
void cross_node_facts(const Options &o, const SlurmConf &conf, const Runner &run, NodeReport &r)
{
	if (selected("munge.same_key", o.only, o.skip)) {
		auto h = run({"sha256sum", std::string(kMungeKeyPath)}, 5000);
		if (h.ok())
			r.munge_key_sha256 = h.out.substr(0, h.out.find(' '));
	}
	if (selected("names.resolve", o.only, o.skip)) {
		std::size_t count = 0;
		for (const ConfEntry *e : conf.of_kind("NodeName")) {
			auto name = e->get("NodeName");
			if (!name || iequals(*name, "DEFAULT"))
				continue;
			auto hosts = expand_hostlist(*name, 256);
			if (!hosts)
				continue;
			for (const auto &h : *hosts) {
				if (++count > 256)
					break;
				auto g = run({"getent", "ahostsv4", h}, 3000);
				std::string addr;
				if (g.ok())
					addr = g.out.substr(0, g.out.find_first_of(" \t\n"));
				r.names.emplace_back(h, addr);
			}
		}
	}
	if (selected("shared.dir", o.only, o.skip)) {
		const char *token_file = std::getenv("SLURM_PI_DOCTOR_TOKEN_FILE");
		if (token_file && *token_file == '/') {
			auto t = run({"cat", token_file}, 5000);
			if (t.ok())
				r.shared_token = std::string(trim_value(t.out));
			else
				r.shared_error = t.timed_out ? "no answer within 5 s (a hung mount?)"
							     : std::string(trim_value(t.err));
		}
	}
}

bool wanted(const Options &o, std::string_view id)
{
	return selected(id, o.only, o.skip);
}

} // namespace

double doctor_clock()
{
	timespec ts{};
	::clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::span<const CheckInfo> doctor_checks()
{
	return kChecks;
}

std::string doctor_munge_socket(const std::string &slurm_conf_path)
{
	std::string error;
	SlurmConf conf = read_slurm_conf("/", slurm_conf_path, &error);
	return munge_socket(error.empty() ? &conf : nullptr);
}

std::string doctor_slurm_conf_path(const Options &o, const char *slurm_conf_env)
{
	if (o.slurm_conf)
		return *o.slurm_conf;
	if (slurm_conf_env && *slurm_conf_env)
		return slurm_conf_env;
	return "/etc/slurm/slurm.conf";
}

NodeReport gather_node(const Options &o, const char *slurm_conf_env, const Runner &run)
{
	NodeReport r;
	// The clock first, before the checks take their time: --all compares
	// it with the window in which the step ran.
	r.time = doctor_clock();
	const std::string &root = o.root;
	NodeName nn = node_name(root);
	r.node = short_hostname(nn.name);
	// Test seam (tests/cluster/t_68_doctor.sh): the emulated nodes share
	// one kernel clock, so a skewed node is emulated by
	// SLURM_PI_DOCTOR_CLOCK_OFFSET_<node>=SECONDS in the step's
	// environment, which only that node adds to the clock it reports.
	if (const char *skew = std::getenv(("SLURM_PI_DOCTOR_CLOCK_OFFSET_" + r.node).c_str())) {
		char *end = nullptr;
		double d = std::strtod(skew, &end);
		if (end && *end == '\0' && d > -1e6 && d < 1e6)
			r.time += d;
	}
	std::vector<Finding> &f = r.findings;
	auto add = [&](Finding x) {
		if (wanted(o, x.check))
			f.push_back(std::move(x));
	};

	// slurm-pi.conf: its errors are a finding here, not a reason to stop.
	const std::string cfg_path = o.config ? *o.config : default_config_path(slurm_conf_env);
	ConfigResult cfg = load_config(cfg_path);
	add(check_slurm_pi_config(cfg_path, cfg.errors));

	const std::string conf_path = doctor_slurm_conf_path(o, slurm_conf_env);
	std::string conf_error;
	// --slurm-conf names a file on this machine; the default one is the
	// node's (under --root).
	const std::string conf_root = o.slurm_conf ? std::string("/") : root;
	SlurmConf conf = read_slurm_conf(conf_root, conf_path, &conf_error);
	const bool have_conf = conf_error.empty();
	auto no_conf = [&](std::string id) {
		Finding x{std::move(id), Verdict::fail, "no slurm.conf to check", conf_error,
			  "put the cluster's slurm.conf at " + conf_path +
				  " on every node (or point --slurm-conf or SLURM_CONF at it)",
			  ""};
		return x;
	};

	CgroupFacts cg = cgroup_facts(root);
	Finding cgroup = check_memory_cgroup(cg);
	if (have_conf) {
		add(check_partition(conf));
		// One pass over the board (hwloc, meminfo), as nodeconf makes it,
		// for both checks that need it.
		std::optional<NodeConfInput> in;
		if (wanted(o, "slurm.conf.realmemory") || wanted(o, "slurm.conf.cpus"))
			in = gather_nodeconf(o, cfg.config);
		if (wanted(o, "slurm.conf.realmemory"))
			add(check_real_memory(conf, r.node, in->mem.total_kb.value_or(0),
					      build_nodeconf(*in).real_memory_mb));
		if (wanted(o, "slurm.conf.cpus")) {
			auto params = conf.param("SlurmdParameters").value_or("");
			if (params.find("config_overrides") != std::string::npos) {
				add({"slurm.conf.cpus", Verdict::skip,
				     "SlurmdParameters=config_overrides: slurmd uses slurm.conf's "
				     "layout, whatever the board has",
				     "", "", ""});
			} else {
				BoardCpus b;
				if (in->topology.topology) {
					const auto &t = *in->topology.topology;
					b.cpus = t.pus;
					b.sockets = t.sockets;
					b.cores_per_socket = t.cores_per_socket;
					b.threads_per_core = t.threads_per_core;
				}
				add(check_cpus(conf, r.node, b));
			}
		}
		// cgroup.conf beside slurm.conf says whether a missing memory
		// controller fails every step (ConstrainRAMSpace=yes).
		std::optional<bool> constrain;
		if (auto cg_text = read_text(join_root(conf_root, dir_of(conf_path) + "/cgroup.conf"))) {
			SlurmConf cgc = parse_slurm_conf(*cg_text, dir_of(conf_path) + "/cgroup.conf");
			auto v = cgc.param("ConstrainRAMSpace");
			constrain = v && (iequals(*v, "yes") || iequals(*v, "true") || *v == "1");
		}
		add(check_select_memory(conf, cgroup.verdict == Verdict::ok, constrain));
	} else {
		for (const char *id : {"slurm.conf.partition", "slurm.conf.realmemory", "slurm.conf.cpus",
				       "slurm.conf.select_memory"})
			add(no_conf(id));
	}
	add(cgroup);

	std::string controller;
	if (have_conf)
		if (auto h = conf.param("SlurmctldHost"))
			controller = h->substr(0, h->find('('));
	if (wanted(o, "time.sync"))
		add(is_real_root(root) ? time_sync(run, controller)
				       : Finding{"time.sync", Verdict::skip,
						 "not checked with --root", "", "", ""});

	add(check_munge_key(munge_key_info(root)));
	if (wanted(o, "munge.daemon"))
		add(munge_daemon(root, run, munge_socket(have_conf ? &conf : nullptr)));
	if (o.node_report && selected("munge.cross", o.only, o.skip))
		if (const char *cred = std::getenv("SLURM_PI_DOCTOR_CRED"); cred && *cred) {
			CommandResult dec =
				run({"unmunge", "--socket", munge_socket(have_conf ? &conf : nullptr)},
				    5000, cred);
			// 17 = EMUNGE_CRED_REPLAYED (munge.h): munged checks for a
			// replay only after the credential decoded with its key, so
			// it proves the key too. Nodes that share one munged (the
			// emulated cluster) see every decode after the first as one.
			r.cred_decode = dec.ok() || dec.status == 17 ? "ok"
					 : "unmunge: " + slurmpi::quoted(std::string(trim_value(
								     dec.err.empty() ? dec.out : dec.err)),
								     160);
		}

	// names.self: this node's name leads to it.
	if (wanted(o, "names.self")) {
		if (!is_real_root(root)) {
			add({"names.self", Verdict::skip, "not checked with --root", "", "", ""});
		} else {
			auto g = run({"getent", "ahostsv4", r.node}, 3000);
			std::optional<std::uint32_t> addr;
			if (g.ok())
				addr = parse_ipv4(g.out.substr(0, g.out.find_first_of(" \t\n")));
			std::string why;
			auto ifaces = interfaces(&why);
			std::string ctl = controller;
			if (have_conf)
				if (auto h = conf.param("SlurmctldHost"); h && h->find('(') != std::string::npos)
					ctl = h->substr(h->find('(') + 1, h->find(')') - h->find('(') - 1);
			std::optional<std::uint32_t> route;
			if (!ctl.empty())
				route = route_source(ctl, &why);
			add(check_name_self(r.node, addr, ifaces, route, controller.empty() ? ctl : controller));
		}
	}

	// Power and heat, from the same sensors task/pi reads.
	if (wanted(o, "power.voltage") || wanted(o, "power.heat")) {
		PiIdentity id = detect_pi(root);
		std::optional<VcioMailbox> vcio;
		Mailbox *mb = nullptr;
		if (is_real_root(root) && id.is_pi)
			mb = &vcio.emplace(root);
		Sampler sampler(root, mb);
		Reading reading = sampler.sample();
		PowerFacts pf;
		if (id.is_pi || reading.throttled) {
			pf.throttled = reading.throttled;
			pf.throttled_source = std::string(throttle_source_name(reading.throttle_source));
		} else {
			pf.throttled_source = "not a Raspberry Pi: " + id.reason;
		}
		pf.temp_c = reading.temp_c;
		pf.temp_source = "cpu-thermal";
		ThermalLimits lim = cfg.config.thermal_limits();
		add(check_power_voltage(pf));
		add(check_power_heat(pf, static_cast<int>(lim.warm), static_cast<int>(lim.hot),
				     static_cast<int>(lim.critical)));
	}

	// MPI.
	{
		const std::string dir = have_conf ? plugin_dir(conf) : SLURMPI_SLURM_PLUGINDIR;
		auto cands = plugin_candidates("mpi_pmix.so", dir);
		auto plugin = first_existing(root, cands);
		struct stat st;
		bool lib = ::stat(join_root(root, SLURMPI_PMIX_LIB).c_str(), &st) == 0;
		add(check_mpi_pmix(r.node, plugin ? *plugin : (cands.empty() ? "mpi_pmix.so" : cands[0]),
				   plugin.has_value(), SLURMPI_PMIX_LIB, lib));
		add(check_mpi_openmpi(in_path("mpirun")));
	}

	if (wanted(o, "slurm-pi.plugins")) {
		if (have_conf)
			add(check_plugins(plugin_files(root, conf, conf_path), running_slurm(run)));
		else
			add(no_conf("slurm-pi.plugins"));
	}

	if (o.node_report)
		cross_node_facts(o, conf, run, r);
	for (auto &x : f)
		x.node = r.node;
	return r;
}

} // namespace slurmpi::tool
