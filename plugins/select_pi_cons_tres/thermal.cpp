#include "plugins/select_pi_cons_tres/thermal.hpp"


#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/board_table.hpp"
#include "common/config.hpp"
#include "common/placement.hpp"
#include "common/telemetry.hpp"

#define PI_SELECT "select/pi_cons_tres"

// slurmctld's node table. Clients (sinfo, squeue, programs linked with
// libslurm.so) load every select plugin too, and libslurm.so has no such
// variables: weak references keep the plugin loadable there. job_test runs
// only in slurmctld, where they are defined.
#pragma weak node_record_count
#pragma weak node_record_table_ptr

namespace piselect {

namespace {

using namespace slurmpi;

// What slurmctld needs of slurm-pi.conf; read at init and reconfigure,
// used under slurmctld's locks (no I/O there).
struct Settings {
	ThermalPolicy default_policy = ThermalPolicy::balanced;
	PlacementPenalties penalties;
	std::int64_t stale_after = 300;
};
Settings g_settings;

// One node's telemetry as last parsed, redone only when Extra changes.
struct Cached {
	std::string extra; // the Extra it was parsed from
	bool parsed = false;
	std::optional<Band> band; // nullopt: no usable record
	std::int64_t ts = 0;
	double speed = 0;
	std::optional<double> temp_c;
};

// Reused between calls: after the first job_test at a node count, nothing
// here allocates (vectors keep their capacity).
std::vector<Cached> g_cache;
std::vector<int> g_index;              // node index of each candidate
std::vector<PlacementNode> g_nodes;
std::vector<PlacementResult> g_results;
std::vector<std::uint64_t> g_saved_weight;

const Cached &telemetry_of(int i, const node_record_t *node)
{
	Cached &c = g_cache[i];
	const char *extra = node->extra ? node->extra : "";
	if (c.parsed && c.extra == extra)
		return c;
	// Extra changed (or first look): parse it once.
	c.extra = extra;
	c.parsed = true;
	c.band.reset();
	c.speed = 0;
	c.temp_c.reset();
	TelemetryParse p = parse_extra(c.extra);
	if (p.telemetry) {
		c.band = p.telemetry->band;
		c.ts = p.telemetry->ts;
		c.temp_c = p.telemetry->temp_c;
		if (p.telemetry->model)
			if (const ModelInfo *m = model_by_key(*p.telemetry->model))
				c.speed = m->speed_score;
	} else if (p.error != TelemetryError::empty &&
		   p.error != TelemetryError::no_pi) {
		verbose(PI_SELECT ": node %s: telemetry not used: %s", node->name,
			p.reason.c_str());
	}
	return c;
}

// The job's policy: PI_THERMAL (spank_pi_thermal's --thermal, in the
// job's spank env), else DefaultThermalPolicy. *source says which.
ThermalPolicy job_policy(const job_record_t *job_ptr, const char **source)
{
	constexpr char kKey[] = "PI_THERMAL=";
	for (uint32_t i = 0; i < job_ptr->spank_job_env_size; i++) {
		const char *e = job_ptr->spank_job_env[i];
		if (e && std::strncmp(e, kKey, sizeof(kKey) - 1) == 0) {
			if (auto p = parse_thermal_policy(e + sizeof(kKey) - 1)) {
				*source = "--thermal";
				return *p;
			}
			break; // spank_pi_thermal checked it at submit; fail open
		}
	}
	*source = "DefaultThermalPolicy";
	return g_settings.default_policy;
}

const char *mode_name(uint16_t mode)
{
	switch (mode) {
	case SELECT_MODE_RUN_NOW: return "RUN_NOW";
	case SELECT_MODE_TEST_ONLY: return "TEST_ONLY";
	case SELECT_MODE_WILL_RUN: return "WILL_RUN";
	default: return "?";
	}
}

bool debug_select() { return slurm_conf.debug_flags & DEBUG_FLAG_SELECT_TYPE; }

// The wait reason slurm-pi gives a job, where this Slurm keeps one a
// select plugin sets (pi_slurm_ctld.h: 22.05 does, through a borrowed
// code whose state_desc squeue and scontrol show; 24.11 does not).
constexpr enum job_state_reason kReason = pislurm::kOwnWaitReason;
constexpr char kReasonPrefix[] = "slurm-pi: ";

bool has_our_reason(const job_record_t *job_ptr)
{
	return job_ptr->state_reason == kReason && job_ptr->state_desc &&
	       std::strncmp(job_ptr->state_desc, kReasonPrefix, sizeof(kReasonPrefix) - 1) == 0;
}

// Where the reason cannot be shown (24.11), it is logged once per job and
// change: the last reason logged for each job still held back.
std::unordered_map<uint32_t, std::string> g_logged_reasons;

// After cons_tres's answer in RUN_NOW: when the policy left nodes out and
// the job got none, say so; otherwise take back a reason of ours from an
// earlier try, so that Slurm gives its own (Resources, Priority...).
void set_wait_reason(job_record_t *job_ptr, int rc, ThermalPolicy policy,
		     const char *source, int candidates, int hot, int critical)
{
	bool held_back = rc != SLURM_SUCCESS && hot + critical > 0;
	if (!pislurm::kHasOwnWaitReason) {
		if (!held_back) {
			g_logged_reasons.erase(job_ptr->job_id);
			return;
		}
		std::string why = placement_wait_reason(policy, source, candidates, hot, critical);
		if (g_logged_reasons.size() > 10000) // jobs that ended held back
			g_logged_reasons.clear();
		std::string &last = g_logged_reasons[job_ptr->job_id];
		if (last != why) {
			info(PI_SELECT ": JobId=%u pending: %s", job_ptr->job_id, why.c_str());
			last = why;
		}
		return;
	}
	if (held_back) {
		std::string why = placement_wait_reason(policy, source, candidates, hot, critical);
		if (has_our_reason(job_ptr) && why == job_ptr->state_desc)
			return;
		xfree(job_ptr->state_desc);
		job_ptr->state_desc = xstrdup(why.c_str());
		job_ptr->state_reason = kReason;
	} else if (has_our_reason(job_ptr)) {
		xfree(job_ptr->state_desc);
		job_ptr->state_reason = WAIT_NO_REASON;
	}
}

} // namespace

void load_config() noexcept
{
	try {
		char *path = get_extra_conf_path(const_cast<char *>("slurm-pi.conf"));
		std::string p = path ? path : "";
		xfree(path);
		ConfigResult r = slurmpi::load_config(p);
		Settings s;
		if (r.ok()) {
			s.default_policy = r.config.default_thermal_policy;
			s.penalties = r.config.placement_penalties();
			s.stale_after = r.config.stale_after;
		} else {
			for (const std::string &e : r.errors)
				error(PI_SELECT ": %s", e.c_str());
			error(PI_SELECT ": %s has errors; placing with the defaults",
			      p.c_str());
		}
		bool same = s.default_policy == g_settings.default_policy &&
			    s.penalties.warm == g_settings.penalties.warm &&
			    s.penalties.hot == g_settings.penalties.hot &&
			    s.stale_after == g_settings.stale_after;
		static bool said = false;
		g_settings = s;
		if (same && said)
			return;
		said = true;
		info(PI_SELECT ": thermal placement on; DefaultThermalPolicy=%s WarmPenalty=%d HotPenalty=%d StaleAfter=%lld",
		     std::string(to_string(s.default_policy)).c_str(),
		     s.penalties.warm, s.penalties.hot,
		     static_cast<long long>(s.stale_after));
	} catch (...) {
		error(PI_SELECT ": cannot read slurm-pi.conf; placing with the defaults");
	}
}

int job_test(job_record_t *job_ptr, bitstr_t *bitmap, uint16_t mode,
	     int (*delegate)(void *), void *arg) noexcept
{
	if (mode == SELECT_MODE_TEST_ONLY || !bitmap || !&node_record_count ||
	    !&node_record_table_ptr)
		return delegate(arg);

	ThermalPolicy policy = ThermalPolicy::balanced;
	const char *source = "DefaultThermalPolicy";
	bool applied = false;
	int excluded = 0, hot = 0, critical = 0;
	try {
		policy = job_policy(job_ptr, &source);
		if (g_cache.size() != static_cast<std::size_t>(node_record_count))
			g_cache.assign(node_record_count, Cached{});
		g_index.clear();
		g_nodes.clear();
		std::int64_t now = std::time(nullptr);
		bitstr_t *required = job_ptr->details ? job_ptr->details->req_node_bitmap : nullptr;
		for (int i = 0; i < node_record_count; i++) {
			if (!bit_test(bitmap, i))
				continue;
			node_record_t *node = node_record_table_ptr[i];
			if (!node)
				continue;
			const Cached &c = telemetry_of(i, node);
			PlacementNode n;
			n.band = c.band && !is_stale(c.ts, now, g_settings.stale_after) ? *c.band : Band::unknown;
			n.speed = c.speed;
			if (n.band != Band::unknown)
				n.temp_c = c.temp_c;
			n.required = required && bit_test(required, i);
			g_index.push_back(i);
			g_nodes.push_back(n);
		}
		g_results.resize(g_nodes.size());
		place(policy, g_settings.penalties, g_nodes, g_results);
		g_saved_weight.resize(g_index.size());
		// From here on nothing throws.
		for (std::size_t k = 0; k < g_index.size(); k++) {
			node_record_t *node = node_record_table_ptr[g_index[k]];
			g_saved_weight[k] = node->sched_weight;
			node->sched_weight = (node->sched_weight & ~UINT64_C(0xff)) |
					     g_results[k].rank;
			if (g_results[k].exclude) {
				bit_clear(bitmap, g_index[k]);
				excluded++;
				if (g_nodes[k].band == Band::critical)
					critical++;
				else
					hot++;
			}
		}
		applied = true;
	} catch (...) {
		// Only the allocations before the first change can throw: nodes
		// and bitmap are untouched, cons_tres places as it would.
		error(PI_SELECT ": %pJ: thermal placement failed; placing as cons_tres does", job_ptr);
		applied = false;
	}

	if (applied && debug_select()) {
		info(PI_SELECT ": %pJ %s: policy %s (%s), %zu candidates, %d left out",
		     job_ptr, mode_name(mode), std::string(to_string(policy)).c_str(),
		     source, g_index.size(), excluded);
	}

	int rc = delegate(arg);

	if (applied) {
		// Put back what we changed. The bitmap is cons_tres's answer on
		// success; on failure the caller may reuse it, so give back the
		// nodes we left out.
		for (std::size_t k = 0; k < g_index.size(); k++) {
			node_record_t *node = node_record_table_ptr[g_index[k]];
			node->sched_weight = g_saved_weight[k];
			if (rc != SLURM_SUCCESS && g_results[k].exclude)
				bit_set(bitmap, g_index[k]);
		}
		if (mode == SELECT_MODE_RUN_NOW) {
			try {
				set_wait_reason(job_ptr, rc, policy, source,
						static_cast<int>(g_index.size()), hot, critical);
			} catch (...) {
				// Only the reason's text is lost: Slurm says Resources.
			}
		}
	}
	return rc;
}

} // namespace piselect
