// common/placement's place() on synthetic clusters of 4, 64 and 4096 nodes,
// each policy, against per-node work that cons_tres's job_test does anyway:
// grouping the candidate nodes by sched_weight into one bitmap per weight
// (the step that starts each of its node evaluations), with Slurm's own
// bitstring functions from libslurm.
//
// Usage: bench_placement [NODES...]   (default: 4 64 4096)
//
// Three columns per size:
//   place()     the policy alone: one result per candidate node;
//   slurm-pi    a model of everything select/pi_cons_tres adds per call
//               around place(): for each candidate, bit_test, the cached
//               telemetry check (its Extra compared with the one it was
//               parsed from), the staleness test; place(); write the
//               sched_weight low byte and clear excluded nodes; after the
//               delegate, restore both. The real code is in
//               plugins/select_pi_cons_tres/thermal.cpp and is measured
//               inside slurmctld by its own counters (docs/benchmarks.md);
//   cons_tres   the weight grouping: per candidate bit_test, find its
//               weight group, bit_set in that group's bitmap; per call one
//               bitmap of node_record_count bits per weight. A lower bound
//               of cons_tres's work per node: it also tests every node's
//               cores, memory and GRES (can_job_run_on_node), which this
//               leaves out, so the ratios below overstate slurm-pi's share.
// Target: slurm-pi's part under 2% of cons_tres's job_test (the
// in-slurmctld figure is the one that counts; this shows how it scales).
extern "C" {
#include "config.h"

#include "src/common/slurm_xlator.h"
#include "src/common/bitstring.h"
}

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "common/board_table.hpp"
#include "common/placement.hpp"
#include "common/policy.hpp"
#include "common/thermal.hpp"

using namespace slurmpi;
using Clock = std::chrono::steady_clock;

namespace {

// Keeps the optimizer from dropping the work.
volatile std::uint64_t g_sink;

// A synthetic cluster: candidate bitmap, per-node Extra as slurmctld holds
// it, the cached copy slurm-pi compares it with, and the parsed result.
struct Cluster {
	int n = 0;
	bitstr_t *candidates = nullptr;
	std::vector<std::string> extra;       // node_ptr->extra
	std::vector<std::string> cached;      // what the cache parsed
	std::vector<PlacementNode> parsed;    // band and speed per node
	std::vector<std::int64_t> ts;
	std::vector<std::uint64_t> sched_weight;
};

// Mixed bands as a warm afternoon might give: mostly cool, some warm, a
// few hot, critical and silent nodes; models cycle through the table.
Cluster make_cluster(int n)
{
	static const Band kBands[20] = {
		Band::cool, Band::cool, Band::cool, Band::cool, Band::cool,
		Band::cool, Band::cool, Band::cool, Band::cool, Band::cool,
		Band::cool, Band::cool, Band::warm, Band::warm, Band::warm,
		Band::warm, Band::hot, Band::hot, Band::critical, Band::unknown};
	auto models = all_models();
	Cluster c;
	c.n = n;
	c.candidates = bit_alloc(n);
	std::int64_t now = std::time(nullptr);
	for (int i = 0; i < n; i++) {
		// Every node a candidate but one in eight (busy or down).
		if (i % 8 != 7 || n <= 4)
			bit_set(c.candidates, i);
		const ModelInfo &m = models[static_cast<std::size_t>(i) % models.size()];
		PlacementNode p;
		p.band = kBands[(i * 7) % 20];
		p.speed = m.speed_score;
		p.required = false;
		c.parsed.push_back(p);
		c.ts.push_back(now - i % 30);
		char buf[256];
		std::snprintf(buf, sizeof buf,
			      "{\"pi\":{\"v\":1,\"t\":%.1f,\"band\":\"%s\",\"thr\":\"0x0\",\"mhz\":1500,\"max_mhz\":%u,\"model\":\"%s\",\"mem\":4096,\"ts\":%lld}}",
			      45.0 + i % 40, std::string(band_name(p.band)).c_str(), m.max_mhz,
			      std::string(m.key).c_str(), static_cast<long long>(c.ts.back()));
		c.extra.push_back(buf);
		c.cached.push_back(buf);
		// Admin Weight 1 for every node (Weight << 8), low byte unset.
		c.sched_weight.push_back((UINT64_C(1) << 8) | 0xff);
	}
	return c;
}

// Run `body` `iters` times with the caches cold, as slurmctld's job_test
// finds them: before each run, write a buffer larger than the last-level
// cache (64 MiB), so that code and data come from memory again. Times
// `body` only; ns per run.
template <typename F> double time_cold_ns(F body, int iters = 200)
{
	static std::vector<char> evict(64u << 20);
	double total = 0;
	for (int i = 0; i < iters; i++) {
		for (std::size_t k = 0; k < evict.size(); k += 64)
			evict[k] = static_cast<char>(evict[k] + 1);
		auto t0 = Clock::now();
		body();
		total += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
	}
	return total / iters;
}

// Run `body` repeatedly for about `budget` seconds; ns per run.
template <typename F> double time_ns(F body, double budget = 0.25)
{
	for (int i = 0; i < 3; i++)
		body(); // warm caches and vectors
	long iters = 0;
	auto t0 = Clock::now();
	double elapsed = 0;
	long batch = 1;
	while (elapsed < budget) {
		for (long i = 0; i < batch; i++)
			body();
		iters += batch;
		elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
		if (batch < (1L << 20))
			batch *= 2;
	}
	return elapsed * 1e9 / static_cast<double>(iters);
}

// place() alone, over every node (the plugin passes only candidates; the
// count differs by one in eight, the cost per node does not).
double bench_place(const Cluster &c, ThermalPolicy policy)
{
	PlacementPenalties pen;
	std::vector<PlacementResult> out(c.parsed.size());
	return time_ns([&] {
		place(policy, pen, c.parsed, out);
		g_sink = g_sink + out[out.size() / 2].rank;
	});
}

// A model of select/pi_cons_tres's whole per-call work around cons_tres
// (see the comment at the top), with reused vectors as in the plugin.
template <typename Timer> double bench_plugin(Cluster &c, ThermalPolicy policy, Timer timer)
{
	PlacementPenalties pen;
	std::vector<int> index;
	std::vector<PlacementNode> nodes;
	std::vector<PlacementResult> results;
	std::vector<std::uint64_t> saved;
	const std::int64_t stale_after = 300;
	return timer([&] {
		index.clear();
		nodes.clear();
		std::int64_t now = std::time(nullptr);
		for (int i = 0; i < c.n; i++) {
			if (!bit_test(c.candidates, i))
				continue;
			PlacementNode n = c.parsed[i];
			if (c.cached[i] != c.extra[i].c_str())
				n.band = Band::unknown; // never here: a reparse
			if (is_stale(c.ts[i], now, stale_after))
				n.band = Band::unknown;
			index.push_back(i);
			nodes.push_back(n);
		}
		results.resize(nodes.size());
		place(policy, pen, nodes, results);
		saved.resize(index.size());
		for (std::size_t k = 0; k < index.size(); k++) {
			saved[k] = c.sched_weight[index[k]];
			c.sched_weight[index[k]] = (saved[k] & ~UINT64_C(0xff)) | results[k].rank;
			if (results[k].exclude)
				bit_clear(c.candidates, index[k]);
		}
		g_sink = g_sink + c.sched_weight[index[index.size() / 2]];
		// ... cons_tres runs here ...
		for (std::size_t k = 0; k < index.size(); k++) {
			c.sched_weight[index[k]] = saved[k];
			if (results[k].exclude)
				bit_set(c.candidates, index[k]);
		}
	});
}

// cons_tres's grouping of candidates by sched_weight, one bitmap per
// weight, with libslurm's bitstring functions. `weights` is what the nodes
// carry during the call (after slurm-pi set the low byte: several groups).
template <typename Timer>
double bench_cons_tres(const Cluster &c, const std::vector<std::uint64_t> &weights, Timer timer)
{
	struct Group {
		std::uint64_t weight;
		bitstr_t *nodes;
	};
	std::vector<Group> groups;
	groups.reserve(64);
	return timer([&] {
		groups.clear();
		bitoff_t first = bit_ffs(c.candidates), last = bit_fls(c.candidates);
		for (bitoff_t i = first; first >= 0 && i <= last; i++) {
			if (!bit_test(c.candidates, i))
				continue;
			auto g = std::find_if(groups.begin(), groups.end(),
					      [&](const Group &x) { return x.weight == weights[i]; });
			if (g == groups.end()) {
				groups.push_back({weights[i], bit_alloc(c.n)});
				g = groups.end() - 1;
			}
			bit_set(g->nodes, i);
		}
		std::sort(groups.begin(), groups.end(),
			  [](const Group &a, const Group &b) { return a.weight < b.weight; });
		g_sink = g_sink + groups.size();
		for (Group &g : groups)
			bit_free(g.nodes);
	});
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<int> sizes;
	for (int i = 1; i < argc; i++) {
		char *end = nullptr;
		long n = std::strtol(argv[i], &end, 10);
		if (!end || *end || n < 1 || n > 1000000) {
			std::fprintf(stderr, "bench_placement: '%s' is not a node count (1..1000000)\n", argv[i]);
			return 2;
		}
		sizes.push_back(static_cast<int>(n));
	}
	if (sizes.empty())
		sizes = {4, 64, 4096};

	const ThermalPolicy kPolicies[] = {ThermalPolicy::strict, ThermalPolicy::balanced,
					   ThermalPolicy::any};
	std::printf("%-6s %-9s %12s %9s %12s %9s %12s %9s %9s\n", "nodes", "policy",
		    "place() ns", "ns/node", "slurm-pi ns", "ns/node", "cons_tres ns",
		    "ns/node", "slurm-pi/cons_tres");
	for (int n : sizes) {
		Cluster c = make_cluster(n);
		for (ThermalPolicy policy : kPolicies) {
			// The weights cons_tres sees while slurm-pi's ranks are set.
			std::vector<std::uint64_t> weights = c.sched_weight;
			{
				std::vector<PlacementResult> out(c.parsed.size());
				place(policy, PlacementPenalties{}, c.parsed, out);
				for (int i = 0; i < n; i++)
					weights[i] = (weights[i] & ~UINT64_C(0xff)) | out[i].rank;
			}
			auto warm = [](auto body) { return time_ns(body); };
			double p = bench_place(c, policy);
			double s = bench_plugin(c, policy, warm);
			double t = bench_cons_tres(c, weights, warm);
			double ratio = t > 0 ? s / t * 100 : 0;
			std::printf("%-6d %-9s %12.1f %9.2f %12.1f %9.2f %12.1f %9.2f %8.1f%%\n", n,
				    std::string(to_string(policy)).c_str(), p, p / n, s, s / n, t,
				    t / n, ratio);
			if (policy != ThermalPolicy::balanced)
				continue;
			// The same two with cold caches (balanced only: the policy
			// hardly matters).
			auto cold = [](auto body) { return time_cold_ns(body); };
			s = bench_plugin(c, policy, cold);
			t = bench_cons_tres(c, weights, cold);
			ratio = t > 0 ? s / t * 100 : 0;
			std::printf("%-6d %-9s %12s %9s %12.1f %9.2f %12.1f %9.2f %8.1f%%\n", n,
				    "(cold)", "", "", s, s / n, t, t / n, ratio);
		}
		bit_free(c.candidates);
	}
	std::printf("(ns per job_test call, warm caches unless marked cold; the cons_tres columns are its\n"
		    " weight grouping only, a lower bound of its per-node work)\n");
	return 0;
}
