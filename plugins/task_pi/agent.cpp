// The sampler thread and its life cycle.
//
// Starting: slurmd 22.05 runs init() before it daemonizes, and a thread does
// not survive fork(). So init() starts the thread, and a fork handler starts
// one again in each child while slurmd has not finished starting. Each such
// thread first waits until this process is the running slurmd: slurmd sets
// conf->pid = getpid() once it is up, after any daemonizing. In a child that
// is not slurmd (the intermediate processes of daemonizing) the condition
// never holds and the thread dies with the process. Once the thread in the
// daemon runs, forks (slurmstepd, scripts) start nothing.
//
// Stopping: fini() sets a flag and wakes the thread, which exits after its
// current step; an RPC to a slurmctld that is down can take a while, so
// fini() waits a few seconds and then leaves the thread to end on its own.
// The plugin is pinned in memory (RTLD_NODELETE) so neither that thread nor
// the fork handler can outlive the code they run.
//
// GPIO (LedLine, FanLine; off by default): the same thread opens the lines
// once it runs in slurmd, drives them after each sample (common/gpio_policy)
// and, only while the LED blinks, wakes at each LedBlinkMs edge between
// samples to toggle it. "Jobs running" is whether slurmd's spool directory
// holds any slurmstepd socket for this node (stepd_available(), as slurmd
// itself finds its steps): one readdir per PollInterval, no hook in the
// launch path, and it counts every step including batch and extern steps,
// so the LED is on from the first step to the last stepd's exit. If the
// chip or a line cannot be opened, one error names it and the node runs
// without GPIO. When the thread ends (fini) the LED goes off, the fan on,
// and the lines are released.

#include "plugins/task_pi/agent.hpp"

#include "pi_slurm_node.h"

extern "C" {
// slurmd's own configuration (slurmd.c). Weak: a process without it gives
// a null address instead of failing to load the plugin.
extern slurmd_conf_t *conf __attribute__((weak));
}

#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/drain.hpp"
#include "common/gpio_gpiod.hpp"
#include "common/gpio_policy.hpp"
#include "common/ring.hpp"
#include "common/board_detect.hpp"
#include "common/sensors.hpp"
#include "common/step_stats.hpp"
#include "common/telemetry.hpp"
#include "common/vcio.hpp"
#include "plugins/task_pi/ctld.hpp"

#define PI_TASK "task/pi"

namespace taskpi {

namespace {

using namespace slurmpi;

// Stack of the sampler thread: what Slurm gives its own threads. The JSON
// parser it runs is depth-limited, so this is plenty.
constexpr std::size_t kStackSize = 1024 * 1024;
// How long fini() waits for the thread to notice it should stop.
constexpr auto kStopWait = std::chrono::seconds(3);
// How often a waiting thread checks whether slurmd is up.
constexpr auto kStartPoll = std::chrono::milliseconds(200);

// One per thread: a forked child gets a fresh one, never a copy of a
// mutex that another thread may have held at fork().
struct Control {
	std::mutex m;
	std::condition_variable cv;
	bool stop = false;
	bool exited = false;
};

NodeFacts g_facts;
// True from init() until the sampler runs in the slurmd daemon: while it is
// set, a forked child starts a sampler thread of its own.
std::atomic<bool> g_await_daemon{false};
Control *g_control = nullptr;
pthread_t g_thread;
pid_t g_thread_pid = 0; // the process that g_thread belongs to

time_t now() { return std::time(nullptr); }

// Sleep for `d` unless told to stop; true if told to stop.
template <class D> bool wait_for_stop(Control &c, D d)
{
	std::unique_lock<std::mutex> lock(c.m);
	return c.cv.wait_for(lock, d, [&] { return c.stop; });
}

bool slurmd_is_up()
{
	if (!&conf || !conf)
		return false;
	return __atomic_load_n(&conf->pid, __ATOMIC_ACQUIRE) == getpid();
}

std::string slurmd_node_name()
{
	std::string name;
	slurm_mutex_lock(&conf->config_mutex);
	if (conf->node_name)
		name = conf->node_name;
	slurm_mutex_unlock(&conf->config_mutex);
	return name;
}

// slurmd's SlurmdSpoolDir, with %n/%h already expanded; "" if unset.
std::string slurmd_spooldir()
{
	std::string dir;
	slurm_mutex_lock(&conf->config_mutex);
	if (conf->spooldir)
		dir = conf->spooldir;
	slurm_mutex_unlock(&conf->config_mutex);
	return dir;
}

// <SlurmdSpoolDir>/slurm-pi.ring
std::string ring_path()
{
	std::string dir = slurmd_spooldir();
	return dir.empty() ? dir : dir + "/" + kRingFileName;
}

// Whether any job step (slurmstepd) runs on this node: its socket is in
// the spool directory from the step's start until the stepd exits.
bool steps_running(const std::string &node)
{
	std::string spool = slurmd_spooldir();
	if (spool.empty())
		return false;
	auto *steps = stepd_available(spool.c_str(), node.c_str());
	bool any = steps && list_count(steps) > 0;
	FREE_NULL_LIST(steps);
	return any;
}

std::int64_t monotonic_ms()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(
		       std::chrono::steady_clock::now().time_since_epoch())
		.count();
}

// The configured lines, or null (GPIO off, or it failed: said once here).
std::unique_ptr<GpioLines> open_gpio(const Config &cfg)
{
	if (!cfg.gpio_enabled())
		return nullptr;
	GpioRequest req;
	req.chip_label = cfg.gpio_chip;
	// The config parser has checked the values.
	if (!cfg.led_line.empty())
		req.led = parse_gpio_line(cfg.led_line);
	if (!cfg.fan_line.empty())
		req.fan = parse_gpio_line(cfg.fan_line);
	std::string why, label;
	std::unique_ptr<GpioLines> lines;
	try {
		lines = open_gpiod_lines(req, &why, &label);
	} catch (const std::exception &e) {
		why = e.what();
	}
	if (!lines) {
		error(PI_TASK ": GPIO off: %s; running without GPIO until slurmd restarts",
		      why.c_str());
		return nullptr;
	}
	info(PI_TASK ": GPIO on chip %s: LedLine=%s FanLine=%s (fan on at %g C, off below %g C)",
	     label.c_str(), cfg.led_line.empty() ? "(none)" : cfg.led_line.c_str(),
	     cfg.fan_line.empty() ? "(none)" : cfg.fan_line.c_str(),
	     cfg.fan_on_temp, cfg.fan_off_temp);
	return lines;
}

Config load_site_config()
{
	char *path = get_extra_conf_path(const_cast<char *>("slurm-pi.conf"));
	std::string p = path ? path : "";
	xfree(path);
	ConfigResult r = load_config(p);
	if (r.ok()) {
		if (r.file_missing)
			verbose(PI_TASK ": %s not found; using the defaults", p.c_str());
		return r.config;
	}
	for (const std::string &e : r.errors)
		error(PI_TASK ": %s", e.c_str());
	// Never act (drain) on a file that says something else than meant.
	error(PI_TASK ": %s has errors; running on the defaults (DrainOnCritical=no) until slurmd restarts with a fixed file",
	      p.c_str());
	return Config{};
}

// The sampler: everything that runs once slurmd is up.
class Agent {
public:
	Agent(std::string node, const Config &cfg, Mailbox *mailbox,
	      std::unique_ptr<GpioLines> gpio)
		: node_(std::move(node)), cfg_(cfg), sampler_("", mailbox),
		  pipe_(cfg.thermal_limits(), g_facts, cfg.publish_interval),
		  drain_(cfg.drain_rules()),
		  ring_(ring_path(), ring_slots(cfg.ring_hours, cfg.poll_interval)),
		  gpio_(std::move(gpio))
	{
		if (gpio_)
			gpio_driver_.emplace(*gpio_, cfg.gpio_settings());
	}

	// Leaves the LED off and the fan on, then releases the lines.
	~Agent()
	{
		if (!gpio_driver_)
			return;
		try {
			gpio_driver_->shutdown();
			log_gpio(now());
		} catch (...) {
			// Releasing the lines (members) is what matters now.
		}
	}
	Agent(const Agent &) = delete;
	Agent &operator=(const Agent &) = delete;

	// Whether tick() is due between samples, and in how many ms.
	std::optional<std::int64_t> ms_to_tick() const
	{
		if (!gpio_driver_ || !gpio_driver_->blinking())
			return std::nullopt;
		return gpio_driver_->ms_to_tick(monotonic_ms());
	}
	void tick()
	{
		if (!gpio_driver_)
			return;
		gpio_driver_->tick(monotonic_ms());
		log_gpio(now());
	}

	void step()
	{
		time_t t = now();
		Reading r = sampler_.sample();
		if (sensor_log_.should_log(r.problems, t))
			log_problems(r);
		NodePipeline::Step s = pipe_.update(r, t);
		if (pipe_.state().changed())
			info(PI_TASK ": band %s -> %s (%s%s)",
			     std::string(band_name(pipe_.state().previous())).c_str(),
			     std::string(band_name(s.band)).c_str(),
			     std::string(band_cause_name(s.cause)).c_str(),
			     temp_text(r).c_str());
		record(r, s.band, t);
		prune_records(t);
		std::optional<NodeView> node;
		if (s.publish != PublishReason::none)
			publish(s, t, node);
		drain_.observe(s.band, t);
		DrainAction due = drain_.due(t);
		if (due != DrainAction::none)
			act(due, s, r, node);
		if (gpio_driver_) {
			gpio_driver_->poll(s.band, r.temp_c, steps_running(node_),
					   monotonic_ms());
			log_gpio(t);
		}
	}

private:
	// Per-job records (--thermal-report, step accounting) older than
	// JobRecordDays go: at the first tick, then once an hour. A failure is
	// logged, never fatal.
	void prune_records(time_t t)
	{
		if (t < next_prune_ && next_prune_ - t <= 3600)
			return;
		next_prune_ = t + 3600;
		std::string spool = slurmd_spooldir();
		if (spool.empty())
			return;
		std::string why;
		int n = prune_job_records(spool, t, std::int64_t{cfg_.job_record_days} * 86400, &why);
		if (n > 0)
			info(PI_TASK ": removed %d per-job record%s older than %d days (JobRecordDays) from %s/slurm-pi",
			     n, n == 1 ? "" : "s", cfg_.job_record_days, spool.c_str());
		if (!why.empty() && prune_log_.should_log({why}, t))
			error(PI_TASK ": removing old per-job records: %s", why.c_str());
	}

	// One slot of the node's sample ring, for per-step accounting in
	// slurmstepd. A failure here never stops the sampler.
	void record(const Reading &r, Band band, time_t t)
	{
		if (ring_.path().empty())
			return;
		RingSample rs;
		rs.time = t;
		if (r.temp_c && std::isfinite(*r.temp_c))
			rs.temp_mc = static_cast<std::int32_t>(std::lround(*r.temp_c * 1000));
		if (r.throttled) {
			rs.throttled = *r.throttled;
			rs.throttled_known = r.throttled_known;
		}
		rs.cur_mhz = r.cur_mhz.value_or(0);
		rs.band = static_cast<std::uint8_t>(band);
		RingWriter::Result res = ring_.append(rs);
		if (!res.ok) {
			if (ring_log_.should_log({res.error}, t))
				error(PI_TASK ": sample ring: %s (no per-step thermal accounting until it works)",
				      res.error.c_str());
			return;
		}
		if (ring_log_.should_log({}, t) && res.recreated.empty() && !res.resized_from)
			info(PI_TASK ": sample ring %s written again", ring_.path().c_str());
		if (res.resized_from)
			info(PI_TASK ": sample ring %s resized from %u to %u slots (%d h at %ds); older samples dropped",
			     ring_.path().c_str(), res.resized_from, ring_.slots(),
			     cfg_.ring_hours, cfg_.poll_interval);
		else if (res.recreated == "created")
			info(PI_TASK ": sample ring %s created: %u slots (%d h at %ds), %zu bytes",
			     ring_.path().c_str(), ring_.slots(), cfg_.ring_hours,
			     cfg_.poll_interval, ring_file_size(ring_.slots()));
		else if (!res.recreated.empty())
			error(PI_TASK ": sample ring %s %s", ring_.path().c_str(),
			      res.recreated.c_str());
	}

	static std::string temp_text(const Reading &r)
	{
		if (!r.temp_c)
			return "";
		char buf[32];
		std::snprintf(buf, sizeof buf, ", %.1f C", *r.temp_c);
		return buf;
	}

	void log_problems(const Reading &r)
	{
		if (r.problems.empty()) {
			info(PI_TASK ": sensors read cleanly again");
			return;
		}
		std::string all;
		for (const std::string &p : r.problems)
			all += (all.empty() ? "" : "; ") + p;
		error(PI_TASK ": sensor problems (band %s until they clear): %s",
		      r.temp_c ? "from what could be read" : "unknown",
		      all.c_str());
	}

	// Failed line writes: one line on a change, rarely while they last,
	// one when they work again.
	void log_gpio(time_t t)
	{
		std::vector<std::string> errs = gpio_driver_->take_errors();
		if (!gpio_log_.should_log(errs, t))
			return;
		if (errs.empty()) {
			info(PI_TASK ": GPIO lines driven again");
			return;
		}
		std::string all;
		for (const std::string &e : errs)
			all += (all.empty() ? "" : "; ") + e;
		error(PI_TASK ": GPIO: %s (retrying)", all.c_str());
	}

	// A failed call to slurmctld: one line on the first failure and
	// rarely after, one when it works again.
	void ctld_failed(const char *what, const std::string &why)
	{
		if (ctld_log_.should_log({std::string(what) + ": " + why}, now()))
			error(PI_TASK ": %s of node %s failed: %s (retrying every %ds)",
			      what, node_.c_str(), why.c_str(), cfg_.poll_interval);
	}
	void ctld_ok()
	{
		if (ctld_log_.should_log({}, now()))
			info(PI_TASK ": slurmctld reachable again; node %s updated",
			     node_.c_str());
	}

	void publish(const NodePipeline::Step &s, time_t t,
		     std::optional<NodeView> &node)
	{
		std::string why;
		node = load_node(node_, &why);
		if (!node) {
			pipe_.publish_failed();
			ctld_failed("reading", why);
			return;
		}
		ExtraMerge m = merge_extra(node->extra, s.record);
		if (!m.ok) {
			// Not ours to overwrite: say so now and then, and do
			// not ask slurmctld again every poll.
			if (extra_log_.should_log({m.reason}, t))
				error(PI_TASK ": not publishing telemetry for node %s: %s",
				      node_.c_str(), m.reason.c_str());
			pipe_.published(s, t);
			return;
		}
		if (!update_extra(node_, m.extra, &why)) {
			pipe_.publish_failed();
			ctld_failed("telemetry update", why);
			return;
		}
		pipe_.published(s, t);
		node->extra = m.extra;
		ctld_ok();
		extra_log_.should_log({}, t);
		debug(PI_TASK ": published (%s): %s",
		      std::string(publish_reason_name(s.publish)).c_str(),
		      m.extra.c_str());
	}

	void act(DrainAction due, const NodePipeline::Step &s, const Reading &r,
		 std::optional<NodeView> &node)
	{
		std::string why;
		if (!node)
			node = load_node(node_, &why);
		if (!node) {
			ctld_failed("reading", why);
			return;
		}
		DrainAction a = drain_.confirm(due, node->drain);
		bool ok = true;
		if (a == DrainAction::drain) {
			std::string reason = drain_reason(s.cause, r.temp_c,
							  cfg_.critical_temp);
			ok = drain_node(node_, reason, &why);
			if (ok)
				info(PI_TASK ": drained node %s: %s (critical for %ds or more; DrainOnCritical=yes)",
				     node_.c_str(), reason.c_str(), cfg_.drain_grace);
		} else if (a == DrainAction::resume) {
			ok = resume_node(node_, &why);
			if (ok)
				info(PI_TASK ": resumed node %s, drained by slurm-pi (\"%s\"), after %ds clear",
				     node_.c_str(), node->drain.reason.c_str(),
				     cfg_.resume_after);
		} else if (due == DrainAction::resume && node->drain.drain) {
			verbose(PI_TASK ": node %s is drained by someone else (\"%s\"); leaving it",
				node_.c_str(), node->drain.reason.c_str());
		}
		if (!ok) {
			ctld_failed(std::string(drain_action_name(a)).c_str(), why);
			return;
		}
		drain_.done(a);
	}

	std::string node_;
	Config cfg_;
	Sampler sampler_;
	NodePipeline pipe_;
	DrainTracker drain_;
	RingWriter ring_;
	ProblemLog sensor_log_, ctld_log_, extra_log_, ring_log_, gpio_log_, prune_log_;
	time_t next_prune_ = 0;
	std::unique_ptr<GpioLines> gpio_;
	std::optional<GpioDriver> gpio_driver_; // drives *gpio_
};

void run(Control &c)
{
	while (!slurmd_is_up()) {
		if (!&conf) {
			error(PI_TASK ": this slurmd does not export its configuration; no telemetry sampler");
			return;
		}
		if (wait_for_stop(c, kStartPoll))
			return;
	}
	// This process is slurmd: from now on forks start nothing.
	g_await_daemon = false;

	std::string node = slurmd_node_name();
	if (node.empty()) {
		error(PI_TASK ": slurmd has no node name; no telemetry sampler");
		return;
	}
	Config cfg = load_site_config();
	// The firmware mailbox gives the freshest throttle word; where it is
	// missing (no /dev/vcio in this container), say so once and let the
	// sampler use sysfs alone rather than report it every poll.
	std::optional<VcioMailbox> vcio;
	if (g_facts.model) {
		std::string why;
		if (!vcio.emplace("").get_throttled(&why)) {
			info(PI_TASK ": no firmware mailbox (%s); throttle flags from sysfs",
			     why.c_str());
			vcio.reset();
		}
	}
	Agent agent(node, cfg, vcio ? &*vcio : nullptr, open_gpio(cfg));
	info(PI_TASK ": sampling node %s every %ds; publishing to its Extra on change and every %ds; DrainOnCritical=%s",
	     node.c_str(), cfg.poll_interval, cfg.publish_interval,
	     cfg.drain_on_critical ? "yes" : "no");
	using Clock = std::chrono::steady_clock;
	for (;;) {
		agent.step();
		// Until the next sample; a blinking LED wakes the thread at
		// each of its edges in between.
		const Clock::time_point next =
			Clock::now() + std::chrono::seconds(cfg.poll_interval);
		for (;;) {
			Clock::duration left = next - Clock::now();
			if (left <= Clock::duration::zero())
				break;
			std::optional<std::int64_t> tick = agent.ms_to_tick();
			Clock::duration wait = left;
			if (tick)
				wait = std::min<Clock::duration>(
					left, std::chrono::milliseconds(*tick));
			if (wait_for_stop(c, wait))
				return;
			if (tick && Clock::now() < next)
				agent.tick();
		}
	}
}

void *thread_main(void *arg)
{
	Control &c = *static_cast<Control *>(arg);
	// What `top -H` and /proc/<slurmd>/task/*/comm show.
	pthread_setname_np(pthread_self(), "slurm-pi");
	try {
		run(c);
	} catch (const std::exception &e) {
		error(PI_TASK ": telemetry sampler stopped: %s", e.what());
	} catch (...) {
		error(PI_TASK ": telemetry sampler stopped: unexpected error");
	}
	std::lock_guard<std::mutex> lock(c.m);
	c.exited = true;
	c.cv.notify_all();
	return nullptr;
}

void start_thread() noexcept
{
	Control *c = new (std::nothrow) Control;
	if (!c)
		return;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, kStackSize);
	int rc = pthread_create(&g_thread, &attr, thread_main, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		error(PI_TASK ": cannot start the telemetry sampler: %s", strerror(rc));
		delete c;
		g_control = nullptr;
		g_thread_pid = 0;
		return;
	}
	g_control = c;
	g_thread_pid = getpid();
}

void on_fork_child()
{
	// The parent's thread is not here; its Control may hold a lock.
	g_control = nullptr;
	g_thread_pid = 0;
	if (g_await_daemon)
		start_thread();
}

// Keep this plugin mapped for the life of the process: the fork handler
// cannot be unregistered, and a sampler left running must keep its code.
void pin_plugin()
{
	Dl_info info;
	if (dladdr(reinterpret_cast<void *>(&pin_plugin), &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

} // namespace

void agent_init(const NodeFacts &facts) noexcept
{
	static bool fork_handler = false;
	try {
		if (g_thread_pid == getpid())
			return; // already running in this process
		g_facts = facts;
		if (!fork_handler) {
			pin_plugin();
			fork_handler = pthread_atfork(nullptr, nullptr, on_fork_child) == 0;
			if (!fork_handler)
				error(PI_TASK ": cannot register a fork handler; the sampler runs only with slurmd -D");
		}
		g_await_daemon = true;
		start_thread();
	} catch (...) {
		error(PI_TASK ": cannot start the telemetry sampler");
	}
}

void agent_fini() noexcept
{
	g_await_daemon = false;
	Control *c = g_control;
	if (!c || g_thread_pid != getpid())
		return;
	bool exited;
	{
		std::unique_lock<std::mutex> lock(c->m);
		c->stop = true;
		c->cv.notify_all();
		exited = c->cv.wait_for(lock, kStopWait, [&] { return c->exited; });
	}
	g_control = nullptr;
	g_thread_pid = 0;
	if (exited) {
		pthread_join(g_thread, nullptr);
		delete c;
		debug(PI_TASK ": telemetry sampler stopped");
	} else {
		// Still inside a call to slurmctld: let it finish on its own
		// (the plugin stays mapped; `c` stays for it).
		pthread_detach(g_thread);
		info(PI_TASK ": telemetry sampler busy talking to slurmctld; not waiting for it");
	}
}

} // namespace taskpi
