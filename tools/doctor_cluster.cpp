// `slurm-pi doctor --all`: every node of slurm.conf, through Slurm (one
// `doctor --node-report` job step per node), and the checks that compare
// nodes; and the command itself.
#include "tools/doctor.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "common/doctor/node_checks.hpp"
#include "common/doctor/slurm_conf.hpp"
#include "common/fs.hpp"
#include "common/text.hpp"

namespace slurmpi::tool {

using namespace slurmpi::doctor;
using Json = nlohmann::json;

namespace {

std::optional<Verdict> verdict_from(std::string_view s)
{
	for (Verdict v : {Verdict::ok, Verdict::skip, Verdict::warn, Verdict::fail})
		if (verdict_name(v) == s)
			return v;
	return std::nullopt;
}

std::string self_exe()
{
	char buf[PATH_MAX];
	ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return "slurm-pi";
	return std::string(buf, static_cast<std::size_t>(n));
}

// The NodeName hosts of slurm.conf, in order, without DEFAULT.
std::vector<std::string> conf_nodes(const SlurmConf &conf)
{
	std::vector<std::string> out;
	std::set<std::string> seen;
	for (const ConfEntry *e : conf.of_kind("NodeName")) {
		auto name = e->get("NodeName");
		if (!name || iequals(*name, "DEFAULT"))
			continue;
		if (auto hosts = expand_hostlist(*name, 4096))
			for (auto &h : *hosts)
				if (seen.insert(h).second)
					out.push_back(h);
	}
	return out;
}

// The directory whose sameness `shared.dir` checks: where slurm-pi's
// staging shares (the first roots= of spank_pi_stage in plugstack.conf),
// else the guide's /home/shared when it exists here.
std::string shared_dir(const Options &)
{
	if (const char *d = std::getenv("SLURM_PI_DOCTOR_SHARED"); d && *d == '/')
		return d;
	struct stat st;
	if (::stat("/home/shared", &st) == 0 && S_ISDIR(st.st_mode))
		return "/home/shared";
	return "";
}

Finding reach(const std::string &node, Verdict v, std::string summary, std::string evidence,
	      std::string fix)
{
	return {"cluster.reach", v, std::move(summary), std::move(evidence), std::move(fix), node};
}

} // namespace

std::string node_report_json(const NodeReport &r)
{
	Json j;
	j["slurm_pi_node_report"] = 1;
	j["node"] = r.node;
	j["time"] = r.time;
	j["munge_key_sha256"] = r.munge_key_sha256;
	Json names = Json::array();
	for (const auto &[n, a] : r.names)
		names.push_back({n, a});
	j["names"] = names;
	j["shared_token"] = r.shared_token;
	j["shared_error"] = r.shared_error;
	j["cred_decode"] = r.cred_decode;
	j["findings"] = Json::array();
	for (const auto &f : r.findings)
		j["findings"].push_back({{"check", f.check},
					 {"verdict", verdict_name(f.verdict)},
					 {"summary", f.summary},
					 {"evidence", f.evidence},
					 {"fix", f.fix}});
	return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::vector<std::string> node_report_lines(const NodeReport &r)
{
	const std::string json = node_report_json(r);
	// The node name is one word (a Slurm node name has no blanks).
	std::string node = r.node.empty() ? "?" : r.node;
	for (char &c : node)
		if (c == ' ' || c == '\n')
			c = '_';
	const std::size_t n = (json.size() + kReportPiece - 1) / kReportPiece;
	std::vector<std::string> out;
	for (std::size_t i = 0; i < n; i++)
		out.push_back("@slurm-pi-doctor " + node + " " + std::to_string(i) + " " +
			      std::to_string(n) + " " + json.substr(i * kReportPiece, kReportPiece));
	return out;
}

std::vector<NodeReport> parse_node_report_lines(std::string_view output)
{
	// node -> (total, pieces by index)
	std::map<std::string, std::pair<std::size_t, std::map<std::size_t, std::string>>> parts;
	std::size_t start = 0;
	while (start < output.size()) {
		auto nl = output.find('\n', start);
		std::string_view line = output.substr(start, nl == std::string_view::npos ? std::string_view::npos
											   : nl - start);
		start = nl == std::string_view::npos ? output.size() : nl + 1;
		constexpr std::string_view tag = "@slurm-pi-doctor ";
		auto at = line.find(tag);
		if (at == std::string_view::npos)
			continue;
		line.remove_prefix(at + tag.size());
		std::string_view f[3];
		bool ok = true;
		for (auto &w : f) {
			auto sp = line.find(' ');
			if (sp == std::string_view::npos) {
				ok = false;
				break;
			}
			w = line.substr(0, sp);
			line.remove_prefix(sp + 1);
		}
		auto i = ok ? parse_u32(f[1]) : std::nullopt;
		auto n = ok ? parse_u32(f[2]) : std::nullopt;
		if (!i || !n || *n == 0 || *n > 4096 || *i >= *n || parts.size() > 4096)
			continue;
		auto &[total, pieces] = parts[std::string(f[0])];
		total = *n;
		pieces[*i] = std::string(line);
	}
	std::vector<NodeReport> out;
	for (auto &[node, tp] : parts) {
		auto &[total, pieces] = tp;
		if (pieces.size() != total)
			continue;
		std::string json;
		for (auto &[i, piece] : pieces)
			json += piece;
		if (auto r = parse_node_report(json))
			out.push_back(std::move(*r));
	}
	return out;
}

std::optional<NodeReport> parse_node_report(std::string_view line)
{
	auto brace = line.find('{');
	if (brace == std::string_view::npos || line.size() > (4u << 20) ||
	    json_depth(line.substr(brace)) > 8)
		return std::nullopt;
	Json j = Json::parse(line.substr(brace), nullptr, false);
	if (j.is_discarded() || !j.is_object() || !j.contains("slurm_pi_node_report"))
		return std::nullopt;
	try {
		NodeReport r;
		r.node = j.value("node", "");
		r.time = j.value("time", 0.0);
		r.munge_key_sha256 = j.value("munge_key_sha256", "");
		for (const auto &p : j.value("names", Json::array()))
			if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_string())
				r.names.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
		r.shared_token = j.value("shared_token", "");
		r.shared_error = j.value("shared_error", "");
		r.cred_decode = j.value("cred_decode", "");
		for (const auto &f : j.value("findings", Json::array())) {
			if (!f.is_object())
				continue;
			auto v = verdict_from(f.value("verdict", ""));
			if (!v)
				continue;
			r.findings.push_back({f.value("check", ""), *v, f.value("summary", ""),
					      f.value("evidence", ""), f.value("fix", ""), r.node});
		}
		if (r.node.empty())
			return std::nullopt;
		return r;
	} catch (const Json::exception &) {
		return std::nullopt;
	}
}

std::vector<Finding> gather_cluster(const Options &o, const char *slurm_conf_env,
				    const Runner &run, const NodeLoader &load)
{
	std::vector<Finding> out;
	const std::string conf_path = doctor_slurm_conf_path(o, slurm_conf_env);
	FileRead text = read_small_file(conf_path, 1 << 20);
	if (!text.ok) {
		out.push_back(reach("", Verdict::fail, "no slurm.conf to find the nodes in",
				    conf_path + ": cannot be read",
				    "run --all where the cluster's slurm.conf is (the controller)"));
		return out;
	}
	SlurmConf conf = parse_slurm_conf(text.data, conf_path);
	std::vector<std::string> nodes = conf_nodes(conf);
	if (nodes.empty()) {
		out.push_back(reach("", Verdict::fail, "slurm.conf names no node", conf_path, ""));
		return out;
	}

	// Which nodes can run a step now: the others are reported, not
	// waited on.
	NodeLoad loaded = load();
	std::map<std::string, std::string> state;
	for (const auto &n : loaded.nodes)
		state[n.name] = n.state;
	std::vector<std::string> runnable;
	for (const auto &n : nodes) {
		auto it = state.find(n);
		if (!loaded.ok()) {
			out.push_back(reach(n, Verdict::fail, "not checked: slurmctld did not answer",
					    loaded.error, "start slurmctld, then run doctor --all again"));
			continue;
		}
		if (it == state.end()) {
			out.push_back(reach(n, Verdict::fail, "slurmctld does not know this node",
					    conf_path, "restart slurmctld after changing slurm.conf"));
			continue;
		}
		const std::string &s = it->second;
		if (s.find('*') != std::string::npos || s.starts_with("down") ||
		    s.starts_with("fail") || s.starts_with("drain") || s.starts_with("unknown") ||
		    s.starts_with("future") || s.starts_with("powered")) {
			out.push_back(reach(n, Verdict::fail, "not checked: the node is " + s,
					    "slurmctld: state " + slurmpi::quoted(s),
					    "see `sinfo -R` and the node's slurmd log; run `slurm-pi doctor` "
					    "on " + n + " itself"));
			continue;
		}
		runnable.push_back(n);
	}

	// A token in the shared directory, which every node must read back.
	std::string shared = shared_dir(o);
	std::string token_path, token;
	if (!shared.empty()) {
		std::random_device rd;
		token = "slurm-pi-doctor-" + std::to_string(rd()) + std::to_string(rd());
		token_path = shared + "/.slurm-pi-doctor." + std::to_string(::getpid());
		std::ofstream t(token_path);
		t << token << "\n";
		if (!t)
			token_path.clear();
	}

	// A credential made here, for every node to decode.
	std::string cred, cred_error;
	if (selected("munge.cross", o.only, o.skip)) {
		auto c = run({"munge", "-n", "--socket", doctor_munge_socket(conf_path)}, 5000);
		if (c.ok())
			cred = std::string(trim_value(c.out));
		else
			cred_error = "munge -n: " + slurmpi::quoted(std::string(trim_value(c.err)), 160);
	}

	std::map<std::string, NodeReport> reports;
	double before = doctor_clock(), after = before;
	if (!runnable.empty()) {
		std::vector<std::string> argv = {
			"srun", "--mpi=none", "-N", std::to_string(runnable.size()), "-n",
			std::to_string(runnable.size()), "--ntasks-per-node=1", "-w", join(runnable, ","),
			"--immediate=20", "--time=2", "-J", "slurm-pi-doctor", "-Q",
			"--export=ALL,SLURM_PI_DOCTOR_TOKEN_FILE=" + token_path +
				",SLURM_PI_DOCTOR_CRED=" + cred,
			self_exe(), "doctor", "--node-report"};
		for (const auto &s : o.only)
			argv.insert(argv.end(), {"--only", s});
		for (const auto &s : o.skip)
			argv.insert(argv.end(), {"--skip", s});
		if (o.config)
			argv.insert(argv.end(), {"--config", *o.config});
		before = doctor_clock();
		CommandResult r = run(argv, 90000);
		after = doctor_clock();
		for (auto &rep : parse_node_report_lines(r.out))
			reports[rep.node] = std::move(rep);
		std::string why = r.timed_out ? "srun did not finish within 90 s"
				  : r.not_found ? "srun is not installed here"
						: slurmpi::quoted(std::string(trim_value(r.err)), 300);
		for (const auto &n : runnable)
			if (!reports.count(n))
				out.push_back(reach(n, Verdict::fail, "no report from this node", "srun: " + why,
						    "check the node's slurmd log; run `slurm-pi doctor` on " +
							    n + " itself"));
	}
	if (!token_path.empty())
		::unlink(token_path.c_str());

	// Each node's own findings, node by node.
	for (const auto &n : nodes)
		if (auto it = reports.find(n); it != reports.end())
			for (auto f : it->second.findings) {
				f.node = n;
				out.push_back(std::move(f));
			}

	// Across nodes.
	auto want = [&](std::string_view id) { return selected(id, o.only, o.skip); };
	if (want("munge.same_key")) {
		std::vector<std::pair<std::string, std::string>> hashes;
		for (const auto &[n, r] : reports)
			hashes.emplace_back(n, r.munge_key_sha256);
		Finding f = check_munge_key_hashes(hashes);
		f.check = "munge.same_key";
		out.push_back(std::move(f));
	}
	if (want("munge.cross") && !reports.empty()) {
		std::vector<std::string> bad;
		for (const auto &[n, r] : reports)
			if (r.cred_decode != "ok")
				bad.push_back(n + " (" + (r.cred_decode.empty() ? "not tried" : r.cred_decode) + ")");
		if (cred.empty())
			out.push_back({"munge.cross", Verdict::skip,
				       "no credential could be made here to send to the nodes", cred_error,
				       "", ""});
		else if (bad.empty())
			out.push_back({"munge.cross", Verdict::ok,
				       "a credential made here decodes on all " +
					       std::to_string(reports.size()) + " nodes",
				       "", "", ""});
		else
			out.push_back({"munge.cross", Verdict::fail,
				       "a credential made here does not decode on " + join(bad, ", "),
				       "", "give every node the controller's /etc/munge/munge.key (owner "
				       "munge, mode 0400) and restart munge there; check their clocks "
				       "(time.offset)",
				       ""});
	}
	if (want("time.offset")) {
		// Each node read its clock while its step ran, between `before`
		// and `after` on this clock: only what lies outside that window
		// is a measured offset.
		std::vector<std::pair<std::string, double>> offsets;
		for (const auto &[n, r] : reports) {
			double d = r.time < before ? r.time - before : r.time > after ? r.time - after : 0.0;
			offsets.emplace_back(n, d);
		}
		Finding f = check_clock_offsets(offsets);
		f.check = "time.offset";
		out.push_back(std::move(f));
	}
	if (want("names.resolve") && !reports.empty()) {
		// Every node must resolve every NodeName to the same address.
		std::map<std::string, std::map<std::string, std::vector<std::string>>> seen;
		for (const auto &[n, r] : reports)
			for (const auto &[name, addr] : r.names)
				seen[name][addr.empty() ? "(none)" : addr].push_back(n);
		std::vector<std::string> bad;
		for (const auto &[name, by_addr] : seen) {
			if (by_addr.size() == 1 && !by_addr.count("(none)"))
				continue;
			std::vector<std::string> parts;
			for (const auto &[addr, who] : by_addr)
				parts.push_back(addr + " on " + join(who, ","));
			bad.push_back(name + ": " + join(parts, "; "));
		}
		if (bad.empty())
			out.push_back({"names.resolve", Verdict::ok,
				       "every NodeName resolves to one address on every node", "", "", ""});
		else
			out.push_back({"names.resolve", Verdict::fail,
				       "a NodeName resolves differently (or not at all) on some nodes",
				       join(bad, " | "),
				       "give every node the same /etc/hosts lines for all nodes (or "
				       "NodeAddr= in slurm.conf)",
				       ""});
	}
	if (want("shared.dir") && !reports.empty()) {
		if (token_path.empty()) {
			out.push_back({"shared.dir", Verdict::skip,
				       shared.empty() ? "no shared directory known (/home/shared is not here)"
						      : "cannot write a token into " + shared,
				       "", "", ""});
		} else {
			std::vector<std::string> missing;
			for (const auto &[n, r] : reports)
				if (r.shared_token != token)
					missing.push_back(n + " (" +
							  (r.shared_error.empty() ? "another file" : r.shared_error) +
							  ")");
			if (missing.empty())
				out.push_back({"shared.dir", Verdict::ok,
					       shared + " is the same directory on every node", "", "", ""});
			else
				out.push_back({"shared.dir", Verdict::fail,
					       shared + " is not this host's shared directory on " +
						       std::to_string(missing.size()) + " node(s)",
					       join(missing, ", "),
					       "mount the controller's export at " + shared +
						       " on those nodes (and in /etc/fstab)",
					       ""});
		}
	}
	return out;
}

int run_doctor(const Options &o, const char *slurm_conf_env, std::ostream &out, std::ostream &err,
	       const Terminal &term, const Runner &run_in, const NodeLoader &nodes_in)
{
	const Runner run = run_in ? run_in
				  : Runner{[](const std::vector<std::string> &argv, int ms,
					      const std::string &input) {
					    return run_command(argv, ms, input, 8u << 20);
				    }};
	auto checks = doctor_checks();
	if (o.list) {
		out << format_list(checks);
		return kExitOk;
	}
	Options opt = o;
	// A relative --slurm-conf is the caller's, not the root's or a node's.
	if (opt.slurm_conf && !opt.slurm_conf->starts_with("/")) {
		char buf[PATH_MAX];
		if (::getcwd(buf, sizeof buf))
			opt.slurm_conf = std::string(buf) + "/" + *opt.slurm_conf;
	}
	for (auto *sel : {&opt.only, &opt.skip}) {
		std::vector<std::string> all;
		for (const auto &value : *sel) {
			std::vector<std::string> words;
			if (std::string e = parse_selection(value, checks, &words); !e.empty()) {
				err << "slurm-pi doctor: " << (sel == &opt.only ? "--only" : "--skip") << ": "
				    << e << "\n";
				return kExitUsage;
			}
			all.insert(all.end(), words.begin(), words.end());
		}
		*sel = std::move(all);
	}
	if (opt.node_report) {
		NodeReport r = gather_node(opt, slurm_conf_env, run);
		for (const auto &line : node_report_lines(r))
			out << line << "\n";
		return kExitOk;
	}
	std::vector<Finding> findings;
	if (opt.all) {
		NodeLoader load = nodes_in ? nodes_in : NodeLoader([slurm_conf_env] {
			return load_slurm_nodes(slurm_conf_env);
		});
		findings = gather_cluster(opt, slurm_conf_env, run, load);
	} else {
		findings = gather_node(opt, slurm_conf_env, run).findings;
		for (auto &f : findings)
			f.node.clear();
	}
	const bool color = term.is_tty && !term.no_color && !o.no_color;
	out << (o.json ? format_json(findings) : format_text(findings, color));
	return exit_status(worst(findings));
}

} // namespace slurmpi::tool
