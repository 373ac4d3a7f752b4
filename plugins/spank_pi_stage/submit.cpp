// sbatch, salloc and srun (allocator and local contexts): which stage
// options apply (option, else environment), the checks a user hears about
// before the job is queued, and the checked request handed to the job
// through its spank environment (PI_STAGE_*), which the prolog and the
// epilog read and check again.
//
// Checked here: the syntax, that every path is inside an allowed root,
// and, where this host sees the share, that every stage-in source exists
// and is readable by the user (sbatch runs as the user: these are the
// user's own permissions) without a symbolic link leading out of its root.
// A root this host does not have is not checked here (the node will).

#include "plugins/spank_pi_stage/hooks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/stage/error.hpp"
#include "common/stage/resolve.hpp"
#include "common/stage/spec.hpp"
#include "common/text.hpp"
#include "plugins/spank_pi_stage/node.hpp"

namespace pistage {

using namespace slurmpi;
using namespace slurmpi::stage;

namespace {

std::optional<std::string_view> env_value(StageOption o)
{
	const char *v = std::getenv(std::string(stage_env_name(o)).c_str());
	if (!v)
		return std::nullopt;
	return std::string_view(v);
}

std::string cwd()
{
	std::vector<char> buf(4096);
	if (!::getcwd(buf.data(), buf.size()))
		return "";
	return buf.data();
}

// The root of `path` (the longest that contains it).
const std::string *root_of(const std::vector<std::string> &roots, const std::string &path)
{
	const std::string *best = nullptr;
	for (const auto &r : roots)
		if (lexically_within(path, r) && (!best || r.size() > best->size()))
			best = &r;
	return best;
}

// "" when the user can read `src` (a file, or a directory they can list
// and enter); else a message naming the option and the path.
std::string check_source(const std::vector<std::string> &roots, const std::string &src,
			 std::string_view option)
{
	const std::string *root = root_of(roots, src);
	if (!root)
		return stage_message(option, show_path(src) + ": not inside an allowed root");
	OpenResult r = open_root(*root);
	if (!r.ok()) {
		if (r.error.err == ENOENT || r.error.err == ENOTDIR)
			return ""; // this host does not see that share; the node checks
		return stage_message(option, r.error.message);
	}
	Root rt{r.fd.get(), *root};
	std::string rel = relative_beneath(*root, src);
	OpenResult p = open_beneath(rt, rel, O_PATH);
	if (!p.ok()) {
		std::string m = p.error.message;
		if (p.error.kind == ErrorKind::not_found)
			m += " (check the path; it must exist when you submit)";
		return stage_message(option, m);
	}
	struct stat st;
	if (::fstat(p.fd.get(), &st) != 0)
		return stage_message(option, show_path(src) + ": " + errno_string(errno));
	if (S_ISREG(st.st_mode)) {
		OpenResult f = open_beneath(rt, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
		if (!f.ok())
			return stage_message(option, f.error.message);
		return "";
	}
	if (S_ISDIR(st.st_mode)) {
		OpenResult d = open_beneath(rt, rel, O_RDONLY | O_DIRECTORY);
		if (!d.ok())
			return stage_message(option, d.error.message);
		// Entering it (search permission) is what a copy needs too.
		UniqueFd in(::openat(d.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		if (!in.valid())
			return stage_message(option, show_path(src) + ": " + errno_string(errno));
		return "";
	}
	return stage_message(option, show_path(src) + ": not a regular file or directory");
}

bool inside_allocation()
{
	return spank_context() == S_CTX_LOCAL && std::getenv("SLURM_JOB_ID") != nullptr;
}

} // namespace

int submit_post_opt(spank_t sp, int ac, char **av)
{
	Options &o = options();
	auto in = choose_stage_value(StageOption::stage_in, o.in, env_value(StageOption::stage_in));
	auto out = choose_stage_value(StageOption::stage_out, o.out, env_value(StageOption::stage_out));
	auto when = choose_stage_value(StageOption::stage_out_when, o.when,
				       env_value(StageOption::stage_out_when));
	if (in.source == StageValueSource::none && out.source == StageValueSource::none &&
	    when.source == StageValueSource::none)
		return 0;
	// An srun inside a job: the job's staging is done (it ran before
	// the first step). Options and variables the job's environment
	// carries along are not a new request.
	if (inside_allocation()) {
		if (o.in || o.out)
			slurm_verbose(PI_STAGE ": staging applies to a new job (sbatch, salloc, or "
				   "srun outside a job); this srun runs inside job %s: "
				   "--stage-in/--stage-out ignored here",
				   std::getenv("SLURM_JOB_ID"));
		return 0;
	}
	std::vector<std::string> args;
	for (int i = 0; i < ac; i++)
		args.emplace_back(av[i] ? av[i] : "");
	auto parsed = parse_stage_args(args);
	if (!parsed.ok()) {
		slurm_error(PI_STAGE ": staging is not available on this cluster: its "
			    "configuration is wrong (tell the admin):");
		for (const auto &e : parsed.errors)
			slurm_error("%s", e.c_str());
		return -1;
	}
	if (parsed.args.roots.empty()) {
		slurm_error(PI_STAGE ": staging is not set up on this cluster (no roots= in "
			    "plugstack.conf); %s cannot be used",
			    std::string(in.source != StageValueSource::none ? in.name : out.name).c_str());
		return -1;
	}
	auto places = stage_places(parsed.args, cwd());
	bool bad = false;
	StageList in_list, out_list;
	if (in.source != StageValueSource::none) {
		in_list = parse_stage_in(in.value, places, in.name);
		for (const auto &e : in_list.errors)
			slurm_error("%s", e.c_str());
		bad |= !in_list.ok();
		if (in_list.ok())
			for (const auto &it : in_list.items)
				if (std::string e = check_source(parsed.args.roots, it.src, in.name);
				    !e.empty()) {
					slurm_error("%s", e.c_str());
					bad = true;
				}
	}
	if (out.source != StageValueSource::none) {
		out_list = parse_stage_out(out.value, places, out.name);
		for (const auto &e : out_list.errors)
			slurm_error("%s", e.c_str());
		bad |= !out_list.ok();
	}
	std::optional<StageOutWhen> w;
	if (when.source != StageValueSource::none) {
		w = parse_stage_out_when(when.value);
		if (!w) {
			slurm_error("%s", stage_message(when.name, stage_out_when_error(when.value)).c_str());
			bad = true;
		} else if (out.source == StageValueSource::none && when.source == StageValueSource::option) {
			slurm_error("%s", stage_message(when.name, "given without --stage-out").c_str());
			bad = true;
		}
	}
	if (bad)
		return -1;
	auto set = [&](const char *name, const std::string &value) {
		spank_err_t rc = spank_job_control_setenv(sp, name, value.c_str(), 1);
		if (rc != ESPANK_SUCCESS) {
			slurm_error(PI_STAGE ": cannot hand the staging request to the job: %s",
				    spank_strerror(rc));
			return false;
		}
		return true;
	};
	if (!in_list.items.empty() && !set(kJobEnvIn, format_stage_list(in_list.items)))
		return -1;
	if (!out_list.items.empty() && !set(kJobEnvOut, format_stage_list(out_list.items)))
		return -1;
	if (w && !out_list.items.empty() && !set(kJobEnvWhen, std::string(to_string(*w))))
		return -1;
	return 0;
}

} // namespace pistage
