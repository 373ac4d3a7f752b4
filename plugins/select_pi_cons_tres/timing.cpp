#include "plugins/select_pi_cons_tres/timing.hpp"

#include "pi_slurm_ctld.h"

#include <atomic>
#include <ctime>

#define PI_SELECT "select/pi_cons_tres"

namespace piselect::timing {

namespace {

// One set of counters per mode: RUN_NOW, TEST_ONLY, WILL_RUN, and any
// other base mode (SELECT_MODE_RESV...).
constexpr int kModes = 4;
const char *const kModeNames[kModes] = {"RUN_NOW", "TEST_ONLY", "WILL_RUN", "other"};

struct Counters {
	std::atomic<std::uint64_t> calls{0};
	std::atomic<std::uint64_t> total_ns{0};    // whole select_p_job_test
	std::atomic<std::uint64_t> delegate_ns{0}; // cons_tres's job_test
	std::atomic<std::uint64_t> max_policy_ns{0};
};
Counters g_counters[kModes];
// Calls already reported, per mode (report() only).
std::uint64_t g_reported[kModes];

int mode_index(std::uint16_t mode)
{
	switch (mode & SELECT_MODE_BASE) {
	case SELECT_MODE_RUN_NOW: return 0;
	case SELECT_MODE_TEST_ONLY: return 1;
	case SELECT_MODE_WILL_RUN: return 2;
	default: return 3;
	}
}

// Writers are serialized by slurmctld's job write lock: a load and a store
// (plain moves) instead of a locked read-modify-write.
void add(std::atomic<std::uint64_t> &a, std::uint64_t v)
{
	a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

} // namespace

std::uint64_t now_ns() noexcept
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
	       static_cast<std::uint64_t>(ts.tv_nsec);
}

void record(std::uint16_t mode, std::uint64_t start, std::uint64_t end,
	    std::uint64_t delegate_ns) noexcept
{
	if (!start || end < start || delegate_ns > end - start)
		return; // a clock that could not be read: leave this call out
	Counters &c = g_counters[mode_index(mode)];
	std::uint64_t total = end - start, policy = total - delegate_ns;
	add(c.calls, 1);
	add(c.total_ns, total);
	add(c.delegate_ns, delegate_ns);
	if (policy > c.max_policy_ns.load(std::memory_order_relaxed))
		c.max_policy_ns.store(policy, std::memory_order_relaxed);
}

void report() noexcept
{
	for (int m = 0; m < kModes; m++) {
		const Counters &c = g_counters[m];
		std::uint64_t calls = c.calls.load(std::memory_order_relaxed);
		if (calls == 0 || calls == g_reported[m])
			continue;
		g_reported[m] = calls;
		double total = static_cast<double>(c.total_ns.load(std::memory_order_relaxed));
		double cons = static_cast<double>(c.delegate_ns.load(std::memory_order_relaxed));
		double policy = total > cons ? total - cons : 0;
		double n = static_cast<double>(calls);
		info(PI_SELECT ": job_test %s: %llu calls, policy %.2f us/call (%.2f%% of cons_tres), cons_tres %.2f us/call, policy max %.2f us",
		     kModeNames[m], static_cast<unsigned long long>(calls),
		     policy / n / 1e3, cons > 0 ? policy / cons * 100 : 0.0,
		     cons / n / 1e3,
		     static_cast<double>(c.max_policy_ns.load(std::memory_order_relaxed)) / 1e3);
	}
}

} // namespace piselect::timing
