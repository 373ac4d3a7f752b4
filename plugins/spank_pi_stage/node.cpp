#include "plugins/spank_pi_stage/node.hpp"
#include "plugins/spank_common.hpp"
#include "plugins/spank_slurm_api.hpp"

extern "C" {
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
}

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/stage/error.hpp"
#include "common/stage/remove.hpp"
#include "common/text.hpp"

namespace pistage {

using slurmpi::errno_string;
using slurmpi::quoted;
using namespace slurmpi::stage;

namespace {

std::string env(const char *name)
{
	const char *v = std::getenv(name);
	return v ? std::string(v) : std::string();
}

// Opens (making it and /run/slurm-pi, if missing) the root-owned state
// directory.
UniqueFd open_state_dir(bool create)
{
	if (create) {
		if (::mkdir("/run/slurm-pi", 0755) != 0 && errno != EEXIST)
			return UniqueFd();
		if (::mkdir(kStateDir, 0700) != 0 && errno != EEXIST)
			return UniqueFd();
	}
	UniqueFd fd(::open(kStateDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	struct stat st;
	if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || st.st_uid != 0 ||
	    (st.st_mode & 077) != 0)
		return UniqueFd();
	return fd;
}

std::string slurm_error_text()
{
	int e = errno;
	const char *s = slurm_strerror(e);
	return s ? std::string(s) : "error " + std::to_string(e);
}

} // namespace

Request request_from_env()
{
	Request r;
	r.in = env("SPANK_PI_STAGE_IN");
	r.out = env("SPANK_PI_STAGE_OUT");
	r.when = env("SPANK_PI_STAGE_OUT_WHEN");
	return r;
}

std::optional<slurmpi::StageArgs> node_args(int ac, char **av)
{
	std::vector<std::string> args;
	for (int i = 0; i < ac; i++)
		args.emplace_back(av[i] ? av[i] : "");
	auto res = slurmpi::parse_stage_args(args);
	if (!res.ok()) {
		for (const auto &e : res.errors)
			slurm_error("%s", e.c_str());
		return std::nullopt;
	}
	return res.args;
}

std::optional<JobInfo> job_info(spank_t sp, std::string *why)
{
	JobInfo j;
	uint32_t id = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	if (spank_get_item(sp, S_JOB_ID, &id) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
		*why = "Slurm did not give the job's id, uid and gid";
		return std::nullopt;
	}
	j.id = id;
	j.uid = uid;
	j.gid = gid;
	j.user = env("SLURM_JOB_USER");
	j.node = env("SLURMD_NODENAME");
	j.workdir = env("SLURM_JOB_WORK_DIR");
	if (auto n = slurmpi::parse_u32(env("SLURM_JOB_NUM_NODES")); n && *n > 0)
		j.nnodes = *n;
	if (auto n = slurmpi::parse_u32(env("SLURM_JOB_RESTART_COUNT")))
		j.restart_count = *n;
	j.node = slurmpi::spank::node_name(j.node, "");
	if (j.user.empty()) {
		// Not set by every Slurm: the node's own lookup.
		struct passwd pw, *res = nullptr;
		std::vector<char> buf(16384);
		if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res)
			j.user = pw.pw_name;
	}
	return j;
}

std::optional<slurmpi::UserCreds> user_creds(const JobInfo &job, std::string *why)
{
	if (job.uid == 0) {
		*why = "the job runs as root; slurm-pi does not stage for root";
		return std::nullopt;
	}
	if (job.user.empty()) {
		*why = "user " + std::to_string(job.uid) + " is unknown on this node";
		return std::nullopt;
	}
	slurmpi::UserCreds c;
	c.uid = job.uid;
	c.gid = job.gid;
	int n = 64;
	for (int tries = 0; tries < 4; tries++) {
		c.groups.assign(static_cast<std::size_t>(n), 0);
		int got = n;
		if (getgrouplist(job.user.c_str(), job.gid, c.groups.data(), &got) >= 0) {
			c.groups.resize(static_cast<std::size_t>(got));
			return c;
		}
		n = got > n ? got : n * 4;
	}
	*why = "cannot list the groups of user " + quoted(job.user);
	return std::nullopt;
}

std::optional<UniqueFd> open_base(const std::string &base, std::string *why)
{
	// Only the last component is made: the admin owns the rest of the path.
	if (::mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) {
		*why = "scratch base " + base + ": cannot create: " + errno_string(errno);
		return std::nullopt;
	}
	UniqueFd fd(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd.valid()) {
		*why = "scratch base " + base + ": " +
		       (errno == ELOOP ? std::string("is a symbolic link") : errno_string(errno));
		return std::nullopt;
	}
	struct stat st;
	if (::fstat(fd.get(), &st) != 0) {
		*why = "scratch base " + base + ": " + errno_string(errno);
		return std::nullopt;
	}
	if (st.st_uid != 0) {
		*why = "scratch base " + base + " is owned by uid " + std::to_string(st.st_uid) +
		       ", not root; refusing to stage into it (remove it, or let root "
		       "create it: see tmpfiles.d in the README)";
		return std::nullopt;
	}
	if ((st.st_mode & 022) != 0) {
		*why = "scratch base " + base + " is writable by group or others; refusing "
		       "to stage into it (chmod 755 it)";
		return std::nullopt;
	}
	return fd;
}

std::string scratch_path(const std::string &base, std::uint32_t job_id)
{
	return join_path(base, scratch_name(job_id));
}

std::string make_scratch(int base_fd, const std::string &base, const JobInfo &job)
{
	std::string name = scratch_name(job.id);
	std::string shown = scratch_path(base, job.id);
	// A requeued job's earlier scratch: the job starts again from nothing.
	auto rm = remove_tree(base_fd, name, shown);
	if (!rm.ok())
		return rm.error.message;
	if (::mkdirat(base_fd, name.c_str(), 0700) != 0)
		return shown + ": " + errno_string(errno);
	UniqueFd fd(::openat(base_fd, name.c_str(),
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd.valid())
		return shown + ": " + errno_string(errno);
	if (::fchown(fd.get(), job.uid, job.gid) != 0 || ::fchmod(fd.get(), 0700) != 0)
		return shown + ": " + errno_string(errno);
	return "";
}

namespace {
// "" for a node name that cannot be part of a file name (it comes from the
// step's environment in task.cpp): then there is no record to read.
std::string state_name(const std::string &node, std::uint32_t job_id)
{
	if (!slurmpi::is_path_component(node))
		return "";
	return node + "." + scratch_name(job_id);
}
} // namespace

std::string write_state(const std::string &node, std::uint32_t job_id, const StageState &s)
{
	errno = 0;
	UniqueFd dir = open_state_dir(true);
	if (!dir.valid())
		return std::string("state directory ") + kStateDir + ": " +
		       (errno ? errno_string(errno) : "not owned by root or open to others");
	std::string name = state_name(node, job_id);
	if (name.empty())
		return "node name " + quoted(node) + " cannot name a state record";
	std::string tmp = name + ".tmp";
	(void)::unlinkat(dir.get(), tmp.c_str(), 0);
	UniqueFd fd(::openat(dir.get(), tmp.c_str(),
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (!fd.valid())
		return "state record: " + errno_string(errno);
	std::string text = format_state(s);
	const char *p = text.data();
	std::size_t left = text.size();
	while (left > 0) {
		ssize_t n = ::write(fd.get(), p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return "state record: " + errno_string(n < 0 ? errno : EIO);
		p += n;
		left -= static_cast<std::size_t>(n);
	}
	if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0)
		return "state record: " + errno_string(errno);
	return "";
}

std::optional<StageState> read_state(const std::string &node, std::uint32_t job_id)
{
	UniqueFd dir = open_state_dir(false);
	if (!dir.valid())
		return std::nullopt;
	std::string name = state_name(node, job_id);
	UniqueFd fd(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd.valid())
		return std::nullopt;
	std::string text;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fd.get(), buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		text.append(buf, static_cast<std::size_t>(n));
		if (text.size() > 128 * 1024)
			break;
	}
	auto s = parse_state(text);
	if (!s)
		slurm_error(PI_STAGE ": job %u: the state record %s/%s is not one; ignored",
			    job_id, kStateDir, name.c_str());
	return s;
}

void remove_state(const std::string &node, std::uint32_t job_id)
{
	UniqueFd dir = open_state_dir(false);
	std::string name = state_name(node, job_id);
	if (dir.valid() && ::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT)
		slurm_error(PI_STAGE ": job %u: state record not removed: %s", job_id,
			    errno_string(errno).c_str());
}

void remove_scratch(int base_fd, const std::string &base, std::uint32_t job_id)
{
	std::string name = scratch_name(job_id);
	auto rm = remove_tree(base_fd, name, scratch_path(base, job_id));
	if (!rm.ok())
		slurm_error(PI_STAGE ": job %u: scratch not fully removed: %s%s", job_id,
			    rm.error.message.c_str(),
			    rm.failures.size() > 1 ? " (and more: see the debug log)" : "");
	for (std::size_t i = 1; i < rm.failures.size(); i++)
		slurm_debug(PI_STAGE ": job %u: not removed: %s", job_id, rm.failures[i].c_str());
}

std::string requeue_job(std::uint32_t job_id)
{
	slurmpi::spank::ensure_slurm_api();
	if (slurm_requeue(job_id, 0) != SLURM_SUCCESS)
		return slurm_error_text();
	return "";
}

std::string drain_node(const std::string &node, const std::string &reason)
{
	slurmpi::spank::ensure_slurm_api();
	update_node_msg_t msg;
	slurm_init_update_node_msg(&msg);
	std::string names = node, why = reason;
	msg.node_names = names.data();
	msg.node_state = NODE_STATE_DRAIN;
	msg.reason = why.data();
	msg.reason_uid = 0;
	if (slurm_update_node(&msg) != SLURM_SUCCESS)
		return slurm_error_text();
	return "";
}

std::string job_state(std::uint32_t job_id)
{
	slurmpi::spank::ensure_slurm_api();
	job_info_msg_t *msg = nullptr;
	if (slurm_load_job(&msg, job_id, SHOW_ALL) != SLURM_SUCCESS || !msg)
		return "";
	std::string state;
	if (msg->record_count > 0) {
		uint32_t s = msg->job_array[0].job_state;
		switch (s & JOB_STATE_BASE) {
		case JOB_PENDING: state = "PENDING"; break;
		case JOB_RUNNING: state = "RUNNING"; break;
		case JOB_SUSPENDED: state = "SUSPENDED"; break;
		case JOB_COMPLETE: state = "COMPLETED"; break;
		case JOB_CANCELLED: state = "CANCELLED"; break;
		case JOB_FAILED: state = "FAILED"; break;
		case JOB_TIMEOUT: state = "TIMEOUT"; break;
		case JOB_NODE_FAIL: state = "NODE_FAIL"; break;
		case JOB_PREEMPTED: state = "PREEMPTED"; break;
		case JOB_BOOT_FAIL: state = "BOOT_FAIL"; break;
		case JOB_DEADLINE: state = "DEADLINE"; break;
		case JOB_OOM: state = "OUT_OF_MEMORY"; break;
		default: state = ""; break;
		}
		if (s & JOB_REQUEUE)
			state = "REQUEUED";
		else if ((s & JOB_COMPLETING) && state == "RUNNING")
			state = "COMPLETING";
	}
	slurm_free_job_info_msg(msg);
	return state;
}

} // namespace pistage
