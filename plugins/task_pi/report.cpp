// --thermal-report at step end, in slurmstepd as root.
//
// Every node of a step ends it at the same moment, and only the batch
// host writes into the job's output, but it cannot read the other nodes'
// spool. So each node publishes its own summary of the job (all its steps
// so far) into the job's AdminComment in slurmctld, at the end of each of
// its steps, before slurmstepd tells srun that the step's tasks have
// exited (task_g_post_step runs before the final exit messages in
// job_manager()): when srun returns in the batch script, every node of
// that step has published. At the end of the batch step (before slurmctld
// hears that the batch script ended, so the job can still be updated) the
// batch host publishes its own summary, reads everyone's, and appends the
// report to the job's stdout file, as the job's user (common/user_write).

#include "plugins/task_pi/report.hpp"

extern "C" {
#include "config.h"

#include "src/common/slurm_xlator.h"
#include "src/common/log.h"
}

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <random>
#include <vector>

#include "common/step_stats.hpp"
#include "common/thermal_report.hpp"
#include "plugins/task_pi/ctld.hpp"

#define PI_TASK "task/pi"

namespace taskpi {

namespace {

using namespace slurmpi;

// Settle time between a write and the check that it stayed; the whole
// publication gives up after kBudgetMs; the write into the output file
// gets kWriteMs.
constexpr int kSettleMs = 250;
constexpr int kBudgetMs = 5000;
constexpr int kWriteMs = 5000;

void sleep_ms(int ms)
{
	if (ms <= 0)
		return;
	struct timespec ts{ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

std::int64_t now_ms()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(
		       std::chrono::steady_clock::now().time_since_epoch())
		.count();
}

} // namespace

bool report_wanted(const char *value)
{
	return value && std::strcmp(value, "yes") == 0;
}

void thermal_report(const ReportStep &step) noexcept
{
	try {
		int bad = 0;
		std::string why;
		auto records = read_job_records(step.spool, step.job_id, step.node, &bad, &why);
		if (!records) {
			error(PI_TASK ": StepId=%s: thermal report: %s", step.id.c_str(),
			      why.c_str());
			records.emplace();
		}
		if (bad)
			error(PI_TASK ": StepId=%s: thermal report: %d unreadable lines in the per-job record skipped",
			      step.id.c_str(), bad);
		NodeSummary mine = merge_step_records(std::move(*records));

		std::vector<std::string> job_nodes;
		std::minstd_rand rng(static_cast<unsigned>(getpid()) ^
				     static_cast<unsigned>(now_ms()));
		JobComment c;
		c.read = [&](std::string *w) -> std::optional<std::string> {
			std::optional<JobView> v = load_job(step.job_id, w);
			if (!v)
				return std::nullopt;
			job_nodes = v->nodes;
			return v->admin_comment;
		};
		c.write = [&](const std::string &text, std::string *w) {
			return update_admin_comment(step.job_id, text, w);
		};
		c.sleep_ms = sleep_ms;
		c.now_ms = now_ms;
		c.random = [&](int below) {
			return std::uniform_int_distribution<int>(0, below - 1)(rng);
		};
		PublishResult pr = publish_summary(c, step.node, mine, kSettleMs, kBudgetMs);
		if (pr.ok)
			verbose(PI_TASK ": StepId=%s: thermal summary of %s in the job's AdminComment (%d writes)",
				step.id.c_str(), step.node.c_str(), pr.writes);
		else
			error(PI_TASK ": StepId=%s: thermal summary of %s not in the job's AdminComment: %s",
			      step.id.c_str(), step.node.c_str(), pr.error.c_str());
		if (!step.batch)
			return;

		CommentRead all = read_admin_comment(pr.last_text);
		all.nodes[step.node] = mine; // this node's own view is first-hand
		std::string text = report_text(step.job_id, job_nodes, all.nodes);
		if (!pr.ok)
			text += "note: the other nodes' summaries could not be collected: " +
				pr.error + "\n";
		if (step.output.empty() || step.output == "/dev/null") {
			verbose(PI_TASK ": StepId=%s: no output file; thermal report only in the job's AdminComment",
				step.id.c_str());
			return;
		}
		std::string w = append_as_user(step.user, step.output, text, kWriteMs);
		if (w.empty())
			info(PI_TASK ": StepId=%s: thermal report (%zu nodes) appended to the job's output",
			     step.id.c_str(), all.nodes.size());
		else
			error(PI_TASK ": StepId=%s: thermal report not written: %s",
			      step.id.c_str(), w.c_str());
	} catch (const std::exception &e) {
		error(PI_TASK ": StepId=%s: thermal report failed: %s", step.id.c_str(), e.what());
	} catch (...) {
		error(PI_TASK ": StepId=%s: thermal report failed", step.id.c_str());
	}
}

} // namespace taskpi
