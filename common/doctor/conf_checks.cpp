#include "common/doctor/conf_checks.hpp"

#include <algorithm>
#include <charconv>

#include "common/text.hpp"

// Facts from slurm-wlm 22.05.8 the checks rely on (paths under its source):
//  - src/slurmctld/read_config.c:885-887: no partition left after the
//    DEFAULT ones -> fatal("No PartitionName information available!").
//  - src/common/read_config.c:1338-1345: PartitionName=DEFAULT (any case,
//    xstrcasecmp) is kept as the defaults of later partitions, not a
//    partition.
//  - src/common/read_config.c:663-684: NodeName=DEFAULT likewise, merged
//    with the earlier defaults; 711-797: a node's key comes from its line,
//    else from the defaults; 940-946: RealMemory, CPUs, Sockets, cores and
//    threads default to 1; 805-870: how CPUs and Sockets are inferred.
//  - src/slurmd/slurmd/get_mach_stat.c:103-116: slurmd's RealMemory is
//    _SC_PHYS_PAGES x page size in whole MB (rounded down); glibc takes
//    _SC_PHYS_PAGES from sysinfo()'s totalram, which /proc/meminfo shows as
//    MemTotal, so it is MemTotal (KiB) / 1024. slurmd.c:1113 reads it.
//  - src/slurmctld/node_mgr.c:2849-2873: a node reporting less than
//    node_reg_mem_percent (SlurmctldParameters, node_mgr.c:2702-2708;
//    default 100, node_mgr.c:93) of its RealMemory gets "Low RealMemory";
//    2812-2831: fewer sockets*cores*threads than configured gets "Low
//    socket*core*thread count", fewer CPUs "Low CPUs"; 2969-2984: the
//    node is then drained with that reason. None of it with
//    SlurmdParameters=config_overrides (read_config.c:5076-5079).
//  - src/common/slurm_selecttype_info.c:60-84: the memory options of
//    SelectTypeParameters, compared case-insensitively.
//  - src/plugins/task/cgroup/task_cgroup.c:78-97: task/cgroup with
//    ConstrainRAMSpace (or ConstrainSwapSpace) initialises the memory
//    controller in slurmstepd and fails ("failure enabling memory
//    enforcement") when it cannot; task_cgroup_memory.c
//    task_cgroup_memory_init -> cgroup_g_initialize(CG_MEMORY), which on
//    cgroup v2 says "memory cgroup controller is not available."
//    (src/plugins/cgroup/v2/cgroup_v2.c:937-942).

namespace slurmpi::doctor {

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string where(const ConfEntry &e)
{
	return e.file + ":" + std::to_string(e.line) + ": " + quoted(e.text, 200);
}

// A line to paste: as is when every byte is printable ASCII, else quoted.
std::string pasteable(const std::string &s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c >= 0x7f)
			return quoted(s, 200);
	return s;
}

void set_key(Pairs &kv, std::string_view key, std::string value)
{
	bool found = false;
	for (auto &[k, v] : kv)
		if (iequals(k, key)) {
			v = value;
			found = true;
		}
	if (!found)
		kv.emplace_back(std::string(key), std::move(value));
}

std::optional<std::string> get_in(const Pairs &kv, std::string_view key)
{
	for (auto it = kv.rbegin(); it != kv.rend(); ++it)
		if (iequals(it->first, key))
			return it->second;
	return std::nullopt;
}

// `b`'s keys replace `a`'s; new keys follow, in order.
void merge_into(Pairs &a, const Pairs &b)
{
	for (const auto &[k, v] : b)
		set_key(a, k, v);
}

std::optional<std::uint64_t> parse_u64(std::string_view s)
{
	if (s.empty() || s.size() > 19)
		return std::nullopt;
	std::uint64_t v = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return std::nullopt;
		v = v * 10 + static_cast<unsigned>(c - '0');
	}
	return v;
}

bool has_word(std::string_view list, std::string_view word, bool prefix = false)
{
	std::size_t start = 0;
	while (start <= list.size()) {
		std::size_t comma = list.find(',', start);
		if (comma == std::string_view::npos)
			comma = list.size();
		std::string_view w = list.substr(start, comma - start);
		if (prefix ? (w.size() >= word.size() && iequals(w.substr(0, word.size()), word))
			   : iequals(w, word))
			return true;
		start = comma + 1;
	}
	return false;
}

constexpr std::string_view kPartition = "slurm.conf.partition";
constexpr std::string_view kRealMemory = "slurm.conf.realmemory";
constexpr std::string_view kCpus = "slurm.conf.cpus";
constexpr std::string_view kSelectMemory = "slurm.conf.select_memory";

} // namespace

std::optional<std::string> NodeLine::get(std::string_view key) const
{
	if (entry)
		if (auto v = entry->get(key))
			return v;
	return get_in(defaults, key);
}

std::optional<NodeLine> find_node(const SlurmConf &conf, std::string_view node)
{
	Pairs defaults;
	for (const ConfEntry *e : conf.of_kind("NodeName")) {
		const std::string &names = e->kv.front().second;
		if (iequals(names, "DEFAULT")) {
			Pairs own(e->kv.begin() + 1, e->kv.end());
			merge_into(defaults, own);
			continue;
		}
		auto hosts = expand_hostlist(names);
		if (!hosts)
			continue;
		if (std::find(hosts->begin(), hosts->end(), node) != hosts->end())
			return NodeLine{e, defaults};
	}
	return std::nullopt;
}

Finding check_partition(const SlurmConf &conf)
{
	std::vector<const ConfEntry *> all = conf.of_kind("PartitionName"), real, dflt;
	for (const ConfEntry *e : all)
		(iequals(e->kv.front().second, "DEFAULT") ? dflt : real).push_back(e);
	if (!real.empty()) {
		std::vector<std::string> names;
		for (const ConfEntry *e : real)
			names.push_back(quoted(e->kv.front().second));
		if (names.size() > 8) {
			names.resize(8);
			names.push_back("...");
		}
		return finding(kPartition, Verdict::ok,
			       std::to_string(real.size()) + " partition" +
				       (real.size() == 1 ? "" : "s") + ": " + join(names, ", "),
			       where(*real.front()));
	}
	if (dflt.empty())
		return finding(kPartition, Verdict::fail,
			       "no PartitionName line: slurmctld exits \"No PartitionName "
			       "information available!\"",
			       "", "add a partition, e.g. PartitionName=main Nodes=ALL Default=YES "
				   "MaxTime=INFINITE State=UP");
	// The template Slurm built from every DEFAULT line, later keys
	// winning, as the partition the user meant.
	Pairs kv = dflt.front()->kv;
	for (std::size_t i = 1; i < dflt.size(); i++)
		merge_into(kv, Pairs(dflt[i]->kv.begin() + 1, dflt[i]->kv.end()));
	kv.front().second = "main";
	set_key(kv, "Default", "YES");
	return finding(kPartition, Verdict::fail,
		       "PartitionName=" + dflt.front()->kv.front().second +
			       " is the only partition: Slurm reads it as the defaults "
			       "template, and slurmctld exits \"No PartitionName information "
			       "available!\"",
		       where(*dflt.front()), pasteable(format_entry(kv)));
}

Finding check_real_memory(const SlurmConf &conf, std::string_view node,
			  std::uint64_t memtotal_kib, std::optional<std::uint64_t> suggested_mb)
{
	auto line = find_node(conf, node);
	if (!line)
		return finding(kRealMemory, Verdict::skip,
			       "no NodeName line names " + quoted(node) + " (NodeName=DEFAULT "
			       "lines are defaults, not nodes)");
	if (memtotal_kib == 0)
		return finding(kRealMemory, Verdict::skip,
			       "MemTotal of " + quoted(node) + " not known", where(*line->entry));
	std::uint64_t reported = memtotal_kib / 1024;
	auto value = line->get("RealMemory");
	if (!value)
		return finding(kRealMemory, Verdict::ok,
			       "RealMemory not set: Slurm takes 1 MB, which fits (jobs asking "
			       "--mem will not fit it)",
			       where(*line->entry));
	auto mb = parse_u64(*value);
	if (!mb)
		return finding(kRealMemory, Verdict::warn,
			       "RealMemory=" + quoted(*value) + " is not a whole number of MB",
			       where(*line->entry),
			       "write RealMemory in whole MB, at most " + std::to_string(reported));
	double percent = 100.0;
	if (auto p = conf.param("SlurmctldParameters")) {
		std::string lowered;
		for (char c : *p)
			lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
		std::size_t at = lowered.find("node_reg_mem_percent=");
		if (at != std::string::npos) {
			std::string_view num = std::string_view(*p).substr(at + 21);
			// strtod, as node_mgr.c:2706 reads it.
			double d = 0;
			auto r = std::from_chars(num.data(), num.data() + num.size(), d);
			if (r.ec == std::errc() && d >= 0 && d < 1e9)
				percent = d;
		}
	}
	std::string facts = "RealMemory=" + std::to_string(*mb) + " MB, slurmd reports " +
			    std::to_string(reported) + " MB (MemTotal " +
			    std::to_string(memtotal_kib) + " kB / 1024)";
	// node_mgr.c:2861-2864: low when reported / configured * 100 < percent
	// (RealMemory=0 is never low).
	bool low = *mb > 0 && static_cast<double>(reported) / static_cast<double>(*mb) * 100.0 <
				      percent;
	if (!low)
		return finding(kRealMemory, Verdict::ok, facts + ": it fits", where(*line->entry));
	std::uint64_t fix_mb = suggested_mb && *suggested_mb <= reported && *suggested_mb > 0
				       ? *suggested_mb
				       : reported;
	Pairs kv = line->entry->kv;
	set_key(kv, "RealMemory", std::to_string(fix_mb));
	std::string fix = pasteable(format_entry(kv));
	if (auto p = conf.param("SlurmdParameters"); p && has_word(*p, "config_override", true))
		return finding(kRealMemory, Verdict::warn,
			       facts + ": config_overrides keeps the node up, but Slurm "
				       "schedules memory it does not have",
			       where(*line->entry), fix);
	return finding(kRealMemory, Verdict::fail,
		       facts + ": slurmctld drains the node \"Low RealMemory\"",
		       where(*line->entry), fix);
}

Finding check_cpus(const SlurmConf &conf, std::string_view node, const BoardCpus &board)
{
	auto line = find_node(conf, node);
	if (!line)
		return finding(kCpus, Verdict::skip,
			       "no NodeName line names " + quoted(node) + " (NodeName=DEFAULT "
			       "lines are defaults, not nodes)");
	if (board.cpus == 0 || board.sockets == 0 || board.cores_per_socket == 0 ||
	    board.threads_per_core == 0)
		return finding(kCpus, Verdict::skip, "the board's CPU layout is not known",
			       where(*line->entry));
	// Slurm's own reading of the keys (read_config.c:734-870); each is a
	// 16-bit number there.
	const char *keys[] = {"CPUs", "Procs", "Boards", "Sockets", "SocketsPerBoard",
			      "CoresPerSocket", "ThreadsPerCore"};
	std::optional<unsigned> val[7];
	for (int i = 0; i < 7; i++) {
		auto v = line->get(keys[i]);
		if (!v)
			continue;
		auto n = parse_u32(*v);
		if (!n || *n > 65535)
			return finding(kCpus, Verdict::warn,
				       std::string(keys[i]) + "=" + quoted(*v) +
					       " is not a number Slurm takes (0-65535)",
				       where(*line->entry),
				       "write " + std::string(keys[i]) +
					       " as a number (slurm-pi nodeconf prints the "
					       "whole line)");
		val[i] = *n ? *n : 1; // 0 is reset to 1 (read_config.c:805-845)
	}
	auto cpus_given = val[0] ? val[0] : val[1];
	unsigned boards = val[2].value_or(1);
	unsigned cores = val[5].value_or(1), threads = val[6].value_or(1);
	unsigned sockets;
	if (val[4])
		sockets = boards * *val[4];
	else if (val[3])
		sockets = *val[3];
	else if (cpus_given && *cpus_given / (cores * threads) &&
		 !(*cpus_given % (cores * threads)))
		sockets = *cpus_given / (cores * threads);
	else
		sockets = boards;
	unsigned cpus = cpus_given ? *cpus_given : sockets * cores * threads;
	std::uint64_t conf_total = std::uint64_t(sockets) * cores * threads;
	std::uint64_t board_total =
		std::uint64_t(board.sockets) * board.cores_per_socket * board.threads_per_core;

	std::string facts = "Slurm reads CPUs=" + std::to_string(cpus) + " (" +
			    std::to_string(sockets) + " sockets x " + std::to_string(cores) +
			    " cores x " + std::to_string(threads) + " threads), the board has " +
			    std::to_string(board.cpus) + " (" + std::to_string(board.sockets) +
			    " x " + std::to_string(board.cores_per_socket) + " x " +
			    std::to_string(board.threads_per_core) + ")";

	std::string summary;
	if (cpus > board.cpus || conf_total > board_total) {
		std::vector<std::string> reasons;
		if (conf_total > board_total)
			reasons.push_back("\"Low socket*core*thread count\"");
		if (cpus > board.cpus)
			reasons.push_back("\"Low CPUs\"");
		summary = facts + ": slurmctld drains the node " + join(reasons, ", ");
	} else if (cpus < board.cpus || conf_total < board_total) {
		summary = facts + ": Slurm gives jobs only " + std::to_string(cpus) +
			  " CPUs, the rest stay idle";
	} else {
		bool differs = (val[3] && *val[3] != board.sockets) ||
			       (val[4] && boards * *val[4] != board.sockets) ||
			       (val[5] && *val[5] != board.cores_per_socket) ||
			       (val[6] && *val[6] != board.threads_per_core);
		if (!differs)
			return finding(kCpus, Verdict::ok, facts, where(*line->entry));
		summary = facts + ": the layout differs from the board's, so slurmd's "
				  "and slurmctld's CPU numbering disagree";
	}
	Pairs kv = line->entry->kv;
	bool any = false;
	auto fix_key = [&](int i, unsigned v) {
		if (val[i]) {
			set_key(kv, keys[i], std::to_string(v));
			any = true;
		}
	};
	fix_key(0, board.cpus);
	fix_key(1, board.cpus);
	fix_key(2, 1);
	fix_key(3, board.sockets);
	fix_key(4, board.sockets);
	fix_key(5, board.cores_per_socket);
	fix_key(6, board.threads_per_core);
	if (!any)
		set_key(kv, "CPUs", std::to_string(board.cpus));
	return finding(kCpus, Verdict::warn, summary, where(*line->entry),
		       pasteable(format_entry(kv)) + " (slurm-pi nodeconf prints the whole line)");
}

Finding check_select_memory(const SlurmConf &conf, bool memory_cgroup,
			    std::optional<bool> constrain_ram_space)
{
	auto params = conf.param("SelectTypeParameters");
	std::string evidence;
	for (const ConfEntry *e : conf.of_kind("SelectTypeParameters"))
		evidence = where(*e);
	bool memory = false;
	if (params)
		for (std::string_view opt :
		     {"CR_Core_Memory", "CR_CPU_Memory", "CR_Socket_Memory", "CR_Memory"})
			memory = memory || has_word(*params, opt);
	if (!memory)
		return finding(kSelectMemory, Verdict::ok,
			       "memory is not a consumable resource here "
			       "(SelectTypeParameters has no _Memory option)",
			       evidence);
	if (memory_cgroup)
		return finding(kSelectMemory, Verdict::ok,
			       "SelectTypeParameters=" + quoted(*params) +
				       " counts memory and the memory cgroup is on",
			       evidence);
	auto task = conf.param("TaskPlugin");
	bool task_cgroup = task && has_word(*task, "task/cgroup");
	std::string fix = "enable the memory cgroup (see memory.cgroup), or drop _Memory "
			  "from SelectTypeParameters";
	std::string head = "SelectTypeParameters=" + quoted(*params) +
			   " counts memory but the memory cgroup is off";
	if (task_cgroup && constrain_ram_space.value_or(false))
		return finding(kSelectMemory, Verdict::fail,
			       head + ": with task/cgroup and ConstrainRAMSpace=yes, every job "
				      "step fails to start (\"failure enabling memory "
				      "enforcement\")",
			       evidence, fix);
	if (task_cgroup && !constrain_ram_space)
		return finding(kSelectMemory, Verdict::warn,
			       head + ": with task/cgroup, if cgroup.conf has "
				      "ConstrainRAMSpace=yes every job step fails to start, "
				      "else --mem is not enforced",
			       evidence, fix);
	return finding(kSelectMemory, Verdict::warn,
		       head + ": --mem is only counted, not enforced; a job can use more "
			      "and the kernel's OOM killer picks what dies",
		       evidence, fix);
}

} // namespace slurmpi::doctor
