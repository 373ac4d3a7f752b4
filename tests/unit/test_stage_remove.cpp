#include <criterion/criterion.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/stage/remove.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi::stage;

namespace {

void write_file(const std::string &path, const std::string &content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "create %s", path.c_str());
	cr_assert_eq(write(fd, content.data(), content.size()), (ssize_t)content.size());
	close(fd);
	cr_assert_eq(chmod(path.c_str(), mode), 0);
}

void make_dir(const std::string &path, mode_t mode = 0755)
{
	cr_assert_eq(mkdir(path.c_str(), 0700), 0, "mkdir %s", path.c_str());
	cr_assert_eq(chmod(path.c_str(), mode), 0);
}

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

struct Base {
	ScratchDir scratch{"stage_remove"};
	std::string dir = scratch.str();
	int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	~Base() { close(fd); }
};

} // namespace

Test(stage_remove, removes_a_whole_tree)
{
	Base b;
	const std::string t = b.dir + "/job.42";
	make_dir(t);
	write_file(t + "/a", "a");
	make_dir(t + "/sub");
	write_file(t + "/sub/b", "b", 0);
	make_dir(t + "/sub/ro", 0500);
	write_file(t + "/sub/ro/c", "c");
	chmod((t + "/sub/ro").c_str(), 0500);
	make_dir(t + "/locked", 0);
	cr_assert_eq(mkfifo((t + "/fifo").c_str(), 0600), 0);
	RemoveResult r = remove_tree(b.fd, "job.42", t);
	cr_assert(r.ok(), "%s", r.error.message.c_str());
	cr_assert(r.failures.empty());
	cr_assert_eq(r.removed, 8);
	cr_assert(!exists(t));
}

Test(stage_remove, a_symlink_to_a_directory_outside_is_not_followed)
{
	Base b;
	const std::string outside = b.dir + "/outside";
	make_dir(outside);
	write_file(outside + "/keep", "keep");
	make_dir(outside + "/keepdir");
	const std::string t = b.dir + "/scratch";
	make_dir(t);
	make_dir(t + "/d");
	cr_assert_eq(symlink(outside.c_str(), (t + "/d/out").c_str()), 0);
	cr_assert_eq(symlink("../../outside/keep", (t + "/rel").c_str()), 0);
	RemoveResult r = remove_tree(b.fd, "scratch", t);
	cr_assert(r.ok(), "%s", r.error.message.c_str());
	cr_assert(!exists(t));
	cr_assert(exists(outside + "/keep"));
	cr_assert(exists(outside + "/keepdir"));
	assert_sv_eq(slurp(outside + "/keep"), "keep");
}

Test(stage_remove, a_symlink_named_directly_goes_as_a_link)
{
	Base b;
	const std::string outside = b.dir + "/outside";
	make_dir(outside);
	write_file(outside + "/keep", "keep");
	cr_assert_eq(symlink(outside.c_str(), (b.dir + "/link").c_str()), 0);
	RemoveResult r = remove_tree(b.fd, "link", b.dir + "/link");
	cr_assert(r.ok(), "%s", r.error.message.c_str());
	cr_assert_eq(r.removed, 1);
	cr_assert(!exists(b.dir + "/link"));
	cr_assert(exists(outside + "/keep"));
}

Test(stage_remove, a_missing_name_is_success)
{
	Base b;
	RemoveResult r = remove_tree(b.fd, "gone", b.dir + "/gone");
	cr_assert(r.ok());
	cr_assert_eq(r.removed, 0);
}

Test(stage_remove, a_path_instead_of_a_name_is_refused)
{
	Base b;
	make_dir(b.dir + "/a");
	for (const char *name : {"a/b", "..", ".", ""}) {
		RemoveResult r = remove_tree(b.fd, name, name);
		cr_assert_eq(r.error.kind, ErrorKind::invalid, "'%s'", name);
	}
	cr_assert(exists(b.dir + "/a"));
}

// "..\0x" is not ".." to a comparison, but the kernel sees "..": the
// parent of the directory would be emptied (as root, in the epilog).
Test(stage_remove, a_name_with_a_nul_is_refused)
{
	Base b;
	make_dir(b.dir + "/base");
	make_dir(b.dir + "/base/job.42");
	write_file(b.dir + "/keep", "keep");
	int base = open((b.dir + "/base").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(base, 0);
	RemoveResult r = remove_tree(base, std::string("..\0x", 4), "..");
	close(base);
	cr_assert_eq(r.error.kind, ErrorKind::invalid, "%s", r.error.message.c_str());
	cr_assert(exists(b.dir + "/keep"), "the parent of the directory was emptied");
	cr_assert(exists(b.dir + "/base/job.42"));
}

Test(stage_remove, a_too_deep_tree_is_left_and_reported)
{
	Base b;
	std::string p = b.dir + "/deep";
	make_dir(p);
	for (int i = 0; i < 4; ++i) {
		p += "/d";
		make_dir(p);
	}
	write_file(p + "/f", "f");
	RemoveOptions o;
	o.max_depth = 2;
	RemoveResult r = remove_tree(b.fd, "deep", b.dir + "/deep", o);
	cr_assert(!r.ok());
	std::string expected = b.dir + "/deep/d/d/d: more than 2 directory levels deep; not removed";
	cr_assert_eq(r.failures.size(), 1u);
	assert_sv_eq(r.failures[0], expected.c_str());
	assert_sv_eq(r.error.message, expected.c_str());
	cr_assert(exists(p + "/f"));
}

Test(stage_remove, a_mount_beneath_is_not_entered)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to mount");
	Base b;
	const std::string t = b.dir + "/scratch";
	make_dir(t);
	make_dir(t + "/mnt");
	write_file(t + "/a", "a");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
		    mount("tmpfs", (t + "/mnt").c_str(), "tmpfs", 0, "size=1m") != 0)
			_exit(100);
		int fd = open((t + "/mnt/on_tmpfs").c_str(), O_WRONLY | O_CREAT, 0600);
		close(fd);
		// An fd opened before unshare() still looks up names in the
		// old namespace, where nothing is mounted on mnt.
		int base = open(b.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		RemoveResult r = remove_tree(base, "scratch", t);
		bool kept = exists(t + "/mnt/on_tmpfs");
		bool said = r.failures.size() == 1 &&
			    contains(r.failures[0], t + "/mnt: another file system is mounted "
							"here; not entered");
		_exit(kept && said && !exists(t + "/a") ? 0 : 1);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		cr_skip_test("cannot mount a tmpfs in a private mount namespace here");
	cr_assert_eq(WEXITSTATUS(status), 0);
}

Test(stage_remove, what_cannot_be_removed_is_reported)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	Base b;
	chmod(b.dir.c_str(), 0777); // so that only roots/f stays
	const std::string t = b.dir + "/shared";
	make_dir(t, 0777);
	make_dir(t + "/roots", 0755);
	write_file(t + "/roots/f", "f");
	write_file(t + "/theirs", "x");
	chmod(t.c_str(), 0777);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(100);
		RemoveResult r = remove_tree(b.fd, "shared", t);
		bool said = !r.ok() && r.error.kind == ErrorKind::permission &&
			    r.failures.size() == 1 &&
			    r.failures[0] == t + "/roots/f: Permission denied";
		_exit(said ? 0 : 1);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_neq(WEXITSTATUS(status), 100, "could not become nobody");
	cr_assert_eq(WEXITSTATUS(status), 0);
	cr_assert(exists(t + "/roots/f"));
	cr_assert(!exists(t + "/theirs"), "what could go went");
}
