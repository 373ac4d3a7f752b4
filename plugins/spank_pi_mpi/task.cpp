// slurmstepd (remote context): Open MPI's wiring for the step.
//   user_init:            on each node, before the tasks start: the
//                         interface resolved on this node, and the
//                         environment (common/mpi/wiring.hpp) set for the
//                         step's tasks (the batch script's too, which
//                         mpirun and the steps inside it inherit).
//   task_init_privileged: the checks' verdicts, in the job's output:
//                         an MPI step (PMIx/PMI2, mpirun's daemons, a
//                         batch script that runs mpirun) whose interface
//                         is missing or down on this node fails here,
//                         naming both (when auto cannot find the
//                         interface, the step runs with a warning); a
//                         root batch script that runs mpirun gets the fix
//                         printed before it starts.
// user_init never fails: a failing user_init drains a batch job's node.

#include "plugins/spank_pi_mpi/hooks.hpp"

extern "C" {
#include <slurm/slurm.h>
}

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/text.hpp"
#include "plugins/spank_common.hpp"
#include "plugins/spank_pi_mpi/node.hpp"
#include "slurmpi_config.h"

namespace pimpi {

namespace {

// This step's verdict, from user_init for task_init_privileged (one
// slurmstepd per step and node).
std::string g_fail;  // fail the step's tasks with this, whatever the step
std::string g_iface; // the interface problem: fails MPI steps only
std::string g_warn;  // printed into an MPI step's output, which goes on
int g_openmpi = SLURMPI_OPENMPI_MAJOR; // whose names and messages the step gets

std::optional<std::string> step_env(spank_t sp, const char *name)
{
	char buf[4096];
	if (spank_getenv(sp, name, buf, sizeof buf) != ESPANK_SUCCESS)
		return std::nullopt;
	return std::string(buf);
}

std::string node_name(spank_t sp)
{
	return slurmpi::spank::node_name(step_env(sp, "SLURMD_NODENAME").value_or(""));
}

std::string basename_of(const char *path)
{
	std::string p = path ? path : "";
	auto slash = p.rfind('/');
	return slash == std::string::npos ? p : p.substr(slash + 1);
}

// The batch script's text (first MiB), read as root in
// task_init_privileged: slurmd's copy in its spool directory.
std::string script_text(const char *path)
{
	std::string out;
	if (!path)
		return out;
	int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return out;
	char buf[65536];
	while (out.size() < (1u << 20)) {
		ssize_t n = ::read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		out.append(buf, static_cast<std::size_t>(n));
	}
	::close(fd);
	return out;
}

// Unset what an earlier step of the job set (recorded in kWiredVar with
// the value it still has): --mpi-wiring=off on an srun inside a wired
// batch script.
void unwire(spank_t sp)
{
	auto rec = step_env(sp, std::string(slurmpi::kWiredVar).c_str());
	if (!rec)
		return;
	for (const auto &v : slurmpi::parse_wired(*rec))
		if (step_env(sp, v.name.c_str()) == v.value)
			spank_unsetenv(sp, v.name.c_str());
	spank_unsetenv(sp, std::string(slurmpi::kWiredVar).c_str());
}

} // namespace

void task_user_init(spank_t sp, int ac, char **av)
{
	g_fail.clear();
	g_iface.clear();
	g_warn.clear();
	auto args = node_args(ac, av);
	if (args)
		g_openmpi = args->openmpi;
	uint32_t job = 0, step = 0;
	if (!args || spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return;
	const std::string node = node_name(sp);

	std::string src = "--mpi-wiring";
	auto wiring = options().wiring;
	if (!wiring) {
		wiring = step_env(sp, "SLURM_PI_MPI_WIRING");
		src = "SLURM_PI_MPI_WIRING";
	}
	if (wiring) {
		std::string why;
		auto on = slurmpi::parse_wiring(*wiring, &why);
		if (!on) {
			g_fail = slurmpi::mpi_message(src, why);
			return;
		}
		if (!*on) {
			unwire(sp);
			slurm_debug(PI_MPI ": job %u: wiring off (%s)", job, src.c_str());
			return;
		}
	}

	slurmpi::IfaceSpec spec = args->iface;
	src = "plugstack.conf iface=";
	auto text = options().iface;
	std::string text_src = "--mpi-iface";
	if (!text) {
		text = step_env(sp, "SLURM_PI_MPI_IFACE");
		text_src = "SLURM_PI_MPI_IFACE";
	}
	if (text) {
		std::string why;
		auto s = slurmpi::parse_iface_spec(*text, &why);
		if (!s) {
			g_fail = slurmpi::mpi_message(text_src, why);
			return;
		}
		spec = *s;
		src = text_src;
	}

	std::string why;
	auto ifaces = interfaces(&why);
	std::optional<std::uint32_t> route;
	std::string controller;
	if (spec.kind == slurmpi::IfaceSpec::Kind::Auto) {
		controller = controller_host();
		route = route_source(controller, &why);
	}
	auto choice = slurmpi::resolve_iface(spec, ifaces, route, controller, why, node, src);
	if (!choice.ok()) {
		// An interface the admin or the user named fails the MPI steps
		// that would hang on it; a failed guess (auto) only warns: the
		// step gets Open MPI's own choice, as without the plugin.
		if (spec.kind == slurmpi::IfaceSpec::Kind::Auto)
			g_warn = choice.error + " (the step runs with Open MPI's own interface choice)";
		else
			g_iface = choice.error;
		slurm_info(PI_MPI ": job %u step %u: %s", job, step, choice.error.c_str());
	}

	auto plan = slurmpi::plan_wiring(*args, choice,
					 [&](std::string_view name) { return step_env(sp, std::string(name).c_str()); });
	std::vector<std::string> names;
	for (const auto &v : plan.set) {
		if (spank_setenv(sp, v.name.c_str(), v.value.c_str(), 1) != ESPANK_SUCCESS)
			slurm_error(PI_MPI ": job %u: cannot set %s", job, v.name.c_str());
		else if (v.name != slurmpi::kWiredVar)
			names.push_back(v.name + "=" + v.value);
	}
	slurm_debug(PI_MPI ": job %u step %u: interface %s (%s, from %s); set %s; kept %s", job,
		    step, choice.iface.empty() ? "-" : choice.iface.c_str(),
		    choice.value.empty() ? "-" : choice.value.c_str(), src.c_str(),
		    names.empty() ? "nothing" : slurmpi::join(names, " ").c_str(),
		    plan.kept.empty() ? "nothing" : slurmpi::join(plan.kept, ", ").c_str());
}

int task_init_privileged(spank_t sp)
{
	uint32_t step = 0, task = 0;
	uid_t uid = 1;
	int argc = 0;
	char **argv = nullptr;
	spank_get_item(sp, S_JOB_STEPID, &step);
	spank_get_item(sp, S_TASK_ID, &task);
	spank_get_item(sp, S_JOB_UID, &uid);
	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS || argc < 1)
		argv = nullptr;
	auto say = [&](const std::string &msg) {
		if (task == 0) {
			std::fprintf(stderr, "%s\n", msg.c_str());
			std::fflush(stderr);
		}
	};
	if (!g_fail.empty()) {
		say(g_fail);
		return -1;
	}
	const bool batch = step == SLURM_BATCH_SCRIPT;
	bool mpi = false;
	std::string script;
	if (batch) {
		script = script_text(argv ? argv[0] : nullptr);
		mpi = slurmpi::script_runs_mpirun(script);
	} else {
		auto type = step_env(sp, "SLURM_MPI_TYPE");
		std::string prog = basename_of(argv ? argv[0] : nullptr);
		mpi = (type && !type->empty() && *type != "none") || prog == "orted" ||
		      prog == "prted" || prog == "prte";
	}
	if (!g_iface.empty() && mpi) {
		say(g_iface);
		return -1;
	}
	if (!g_warn.empty() && mpi)
		say(g_warn);
	if (batch && mpi && uid == 0 && step_env(sp, "OMPI_ALLOW_RUN_AS_ROOT") != "1")
		say(slurmpi::root_mpirun_message(node_name(sp), g_openmpi));
	return 0;
}

} // namespace pimpi
