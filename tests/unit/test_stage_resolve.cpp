#include <criterion/criterion.h>

#include <fcntl.h>
#include <vector>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/stage/resolve.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi::stage;

// Every case runs with openat2 and with the walk that kernels without it
// get: both must refuse the same paths, with the same messages. Where
// openat2 does not exist (kernels before 5.6, and qemu-user 7.2, which
// runs the arm64 and armhf tests of the package build), only the walk.
namespace {

bool kernel_has_openat2()
{
	struct open_how how {};
	how.flags = O_PATH | O_CLOEXEC;
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
	if (fd >= 0) {
		close(static_cast<int>(fd));
		return true;
	}
	return errno != ENOSYS;
}

std::vector<ResolveMethod> methods()
{
	if (kernel_has_openat2())
		return {ResolveMethod::openat2, ResolveMethod::walk};
	// (cr_log_info: Criterion 2.4 exits 1 after any cr_log_warn.)
	cr_log_info("openat2 is missing here: only the walk is tested");
	return {ResolveMethod::walk};
}

const char *method_name(ResolveMethod m)
{
	return m == ResolveMethod::openat2 ? "openat2" : "walk";
}

#define assert_both_eq(actual, expected)                                  \
	do {                                                              \
		std::string a_(actual), e_(expected);                     \
		cr_assert_str_eq(a_.c_str(), e_.c_str());                 \
	} while (0)

void write_file(const std::string &path, const std::string &content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert_geq(fd, 0, "create %s", path.c_str());
	cr_assert_eq(write(fd, content.data(), content.size()), (ssize_t)content.size());
	close(fd);
}

void make_link(const std::string &target, const std::string &path)
{
	cr_assert_eq(symlink(target.c_str(), path.c_str()), 0, "symlink %s", path.c_str());
}

// <scratch>/root/{a/b/file,top.txt} and <scratch>/outside/secret.
struct Tree {
	ScratchDir scratch{"stage_resolve"};
	std::string root = scratch.str() + "/root";
	std::string outside = scratch.str() + "/outside";
	OpenResult root_fd;
	Root r;

	Tree()
	{
		cr_assert_eq(mkdir(root.c_str(), 0755), 0);
		cr_assert_eq(mkdir((root + "/a").c_str(), 0755), 0);
		cr_assert_eq(mkdir((root + "/a/b").c_str(), 0755), 0);
		write_file(root + "/a/b/file", "inside\n");
		write_file(root + "/top.txt", "top\n");
		cr_assert_eq(mkdir(outside.c_str(), 0755), 0);
		write_file(outside + "/secret", "secret\n");
		root_fd = open_root(root);
		cr_assert(root_fd.ok(), "%s", root_fd.error.message.c_str());
		r = Root{root_fd.fd.get(), root};
	}
};

std::string read_fd(int fd)
{
	std::string out;
	char buf[256];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		out.append(buf, (std::size_t)n);
	return out;
}

} // namespace

Test(stage_resolve, opens_a_file_beneath_the_root)
{
	Tree t;
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "a/b/file", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert(o.ok(), "%s: %s", method_name(m), o.error.message.c_str());
		assert_sv_eq(read_fd(o.fd.get()), "inside\n");
		OpenResult dots = open_beneath(t.r, "a/./b/../b//file", O_RDONLY, 0,
					       Symlinks::beneath, m);
		cr_assert(dots.ok(), "%s: %s", method_name(m), dots.error.message.c_str());
	}
}

Test(stage_resolve, the_root_itself_is_empty_or_dot)
{
	Tree t;
	for (ResolveMethod m : methods()) {
		for (const char *rel : {"", ".", "./", "a/.."}) {
			OpenResult o = open_beneath(t.r, rel, O_RDONLY | O_DIRECTORY, 0,
						    Symlinks::beneath, m);
			cr_assert(o.ok(), "%s '%s': %s", method_name(m), rel,
				  o.error.message.c_str());
			struct stat a, b;
			cr_assert_eq(fstat(o.fd.get(), &a), 0);
			cr_assert_eq(stat(t.root.c_str(), &b), 0);
			cr_assert_eq(a.st_ino, b.st_ino);
		}
	}
}

Test(stage_resolve, follows_a_symlink_that_stays_beneath)
{
	Tree t;
	make_link("a/b", t.root + "/link");
	make_link("../top.txt", t.root + "/a/up");
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "link/file", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert(o.ok(), "%s: %s", method_name(m), o.error.message.c_str());
		assert_sv_eq(read_fd(o.fd.get()), "inside\n");
		OpenResult up = open_beneath(t.r, "a/up", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert(up.ok(), "%s: %s", method_name(m), up.error.message.c_str());
		assert_sv_eq(read_fd(up.fd.get()), "top\n");
	}
}

Test(stage_resolve, dotdot_escape_is_refused)
{
	Tree t;
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "../outside/secret", O_RDONLY, 0,
					    Symlinks::beneath, m);
		cr_assert(!o.ok(), "%s", method_name(m));
		cr_assert(!o.fd.valid());
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		assert_both_eq(o.error.message, t.root + "/../outside/secret: leads outside " +
							t.root + " (at " + t.root + "/..)");
		OpenResult deeper = open_beneath(t.r, "a/../../outside/secret", O_RDONLY, 0,
						 Symlinks::beneath, m);
		cr_assert_eq(deeper.error.kind, ErrorKind::escape, "%s", method_name(m));
		cr_assert(contains(deeper.error.message, "leads outside " + t.root),
			  "%s", deeper.error.message.c_str());
	}
}

Test(stage_resolve, an_absolute_symlink_is_refused)
{
	Tree t;
	make_link(t.outside + "/secret", t.root + "/abs");
	// Even one that names a place inside the root: the kernel refuses
	// those too under RESOLVE_BENEATH.
	make_link(t.root + "/top.txt", t.root + "/abs_in");
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "abs", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		assert_both_eq(o.error.message, t.root + "/abs: leads outside " + t.root);
		OpenResult in = open_beneath(t.r, "abs_in", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(in.error.kind, ErrorKind::escape, "%s", method_name(m));
	}
}

Test(stage_resolve, a_symlink_in_a_middle_component_is_refused)
{
	Tree t;
	make_link(t.outside, t.root + "/mid");
	make_link("../../outside", t.root + "/a/rel");
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "mid/secret", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		assert_both_eq(o.error.message, t.root + "/mid/secret: leads outside " + t.root +
							" (at " + t.root + "/mid)");
		OpenResult rel = open_beneath(t.r, "a/rel/secret", O_RDONLY, 0,
					      Symlinks::beneath, m);
		cr_assert_eq(rel.error.kind, ErrorKind::escape, "%s", method_name(m));
		assert_both_eq(rel.error.message, t.root + "/a/rel/secret: leads outside " +
							  t.root + " (at " + t.root + "/a/rel)");
	}
}

Test(stage_resolve, refuse_mode_refuses_links_that_stay_inside)
{
	Tree t;
	make_link("a/b", t.root + "/link");
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "link/file", O_RDONLY, 0, Symlinks::refuse, m);
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		assert_both_eq(o.error.message, t.root + "/link/file: is a symbolic link; not "
							 "followed (at " + t.root + "/link)");
	}
}

Test(stage_resolve, o_nofollow_refuses_a_link_in_the_last_component)
{
	Tree t;
	make_link("top.txt", t.root + "/flink");
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "flink", O_RDONLY | O_NOFOLLOW, 0,
					    Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		assert_both_eq(o.error.message, t.root + "/flink: is a symbolic link; not followed");
		// With O_PATH, O_NOFOLLOW opens the link itself.
		OpenResult p = open_beneath(t.r, "flink", O_PATH | O_NOFOLLOW, 0,
					    Symlinks::beneath, m);
		cr_assert(p.ok(), "%s: %s", method_name(m), p.error.message.c_str());
		struct stat st;
		cr_assert_eq(fstat(p.fd.get(), &st), 0);
		cr_assert(S_ISLNK(st.st_mode));
	}
}

Test(stage_resolve, a_magic_link_is_not_followed)
{
	OpenResult proc = open_root("/proc/self");
	if (!proc.ok())
		cr_skip_test("no /proc here");
	Root r{proc.fd.get(), "/proc/self"};
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(r, "root/etc/hostname", O_RDONLY, 0,
					    Symlinks::beneath, m);
		cr_assert(!o.ok(), "%s", method_name(m));
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s: %s", method_name(m),
			     o.error.message.c_str());
	}
}

Test(stage_resolve, a_symlink_loop_is_refused)
{
	Tree t;
	make_link("l2", t.root + "/l1");
	make_link("l1", t.root + "/l2");
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "l1", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		cr_assert_eq(o.error.err, ELOOP, "%s", method_name(m));
	}
}

Test(stage_resolve, a_missing_path_is_not_found)
{
	Tree t;
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "a/nope", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::not_found, "%s", method_name(m));
		cr_assert(!is_infrastructure(o.error.kind));
		assert_both_eq(o.error.message, t.root + "/a/nope: No such file or directory");
		OpenResult f = open_beneath(t.r, "top.txt/x", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(f.error.kind, ErrorKind::not_found, "%s", method_name(m));
		cr_assert_eq(f.error.err, ENOTDIR, "%s", method_name(m));
	}
}

Test(stage_resolve, an_absolute_relative_path_is_refused)
{
	Tree t;
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "/etc/passwd", O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::invalid, "%s", method_name(m));
		assert_both_eq(o.error.message, "/etc/passwd: an absolute path where one relative to " +
							t.root + " is needed");
	}
}

Test(stage_resolve, a_fifo_opened_with_o_path_does_not_block, .timeout = 10)
{
	Tree t;
	cr_assert_eq(mkfifo((t.root + "/fifo").c_str(), 0644), 0);
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, "fifo", O_PATH, 0, Symlinks::beneath, m);
		cr_assert(o.ok(), "%s: %s", method_name(m), o.error.message.c_str());
		struct stat st;
		cr_assert_eq(fstat(o.fd.get(), &st), 0);
		cr_assert(S_ISFIFO(st.st_mode));
	}
}

Test(stage_resolve, creates_missing_directories_beneath)
{
	Tree t;
	for (ResolveMethod m : methods()) {
		std::string rel = std::string("new_") + method_name(m) + "/x/y";
		OpenResult o = make_dirs_beneath(t.r, rel, 0750, Symlinks::beneath, m);
		cr_assert(o.ok(), "%s: %s", method_name(m), o.error.message.c_str());
		struct stat st;
		cr_assert_eq(stat((t.root + "/" + rel).c_str(), &st), 0);
		cr_assert(S_ISDIR(st.st_mode));
		// Again: all there, nothing to do.
		OpenResult again = make_dirs_beneath(t.r, rel, 0750, Symlinks::beneath, m);
		cr_assert(again.ok(), "%s: %s", method_name(m), again.error.message.c_str());
	}
}

Test(stage_resolve, creating_directories_never_escapes)
{
	Tree t;
	make_link(t.outside, t.root + "/mid");
	for (ResolveMethod m : methods()) {
		OpenResult o = make_dirs_beneath(t.r, "mid/new", 0755, Symlinks::beneath, m);
		cr_assert_eq(o.error.kind, ErrorKind::escape, "%s", method_name(m));
		OpenResult up = make_dirs_beneath(t.r, "../made", 0755, Symlinks::beneath, m);
		cr_assert_eq(up.error.kind, ErrorKind::escape, "%s", method_name(m));
	}
	struct stat st;
	cr_assert_neq(stat((t.outside + "/new").c_str(), &st), 0);
	cr_assert_neq(stat((t.scratch.str() + "/made").c_str(), &st), 0);
}

Test(stage_resolve, automatic_uses_what_the_kernel_has)
{
	Tree t;
	OpenResult o = open_beneath(t.r, "a/b/file", O_RDONLY);
	cr_assert(o.ok(), "%s", o.error.message.c_str());
	cr_log_info("openat2 %s on this kernel", have_openat2() ? "available" : "missing");
}

Test(stage_resolve, without_openat2_the_walk_takes_over)
{
	Tree t;
	make_link(t.outside, t.root + "/mid");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		// A seccomp filter makes openat2 fail with ENOSYS, as on a
		// kernel before 5.6 or in a container that hides it.
		struct sock_filter filter[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
			_exit(100);
		OpenResult only = open_beneath(t.r, "a/b/file", O_RDONLY, 0, Symlinks::beneath,
					       ResolveMethod::openat2);
		if (only.ok() || only.error.err != ENOSYS)
			_exit(1);
		OpenResult ok = open_beneath(t.r, "a/b/file", O_RDONLY);
		if (!ok.ok() || read_fd(ok.fd.get()) != "inside\n" || have_openat2())
			_exit(2);
		OpenResult out = open_beneath(t.r, "mid/secret", O_RDONLY);
		if (out.error.kind != ErrorKind::escape ||
		    out.error.message != t.root + "/mid/secret: leads outside " + t.root +
						 " (at " + t.root + "/mid)")
			_exit(3);
		_exit(0);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		cr_skip_test("cannot install a seccomp filter here");
	cr_assert_eq(WEXITSTATUS(status), 0, "step %d failed", WEXITSTATUS(status));
}

// openat2 answers EAGAIN to a lookup with '..' under RESOLVE_BENEATH
// whenever any rename on the node raced it: a user's rename loop can make
// it fail every retry. That must not become an internal (node) error: the
// walk, which is safe against it, takes over.
Test(stage_resolve, openat2_that_keeps_answering_eagain_falls_back_to_the_walk)
{
	Tree t;
	make_link("../top.txt", t.root + "/a/up");
	make_link(t.outside, t.root + "/mid");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sock_filter filter[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
			_exit(100);
		OpenResult ok = open_beneath(t.r, "a/up", O_RDONLY);
		if (!ok.ok() || read_fd(ok.fd.get()) != "top\n")
			_exit(1);
		OpenResult out = open_beneath(t.r, "mid/secret", O_RDONLY);
		if (out.error.kind != ErrorKind::escape)
			_exit(2);
		// Still openat2 afterwards (not taken for a missing openat2).
		if (!have_openat2())
			_exit(3);
		_exit(0);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		cr_skip_test("cannot install a seccomp filter here");
	cr_assert_eq(WEXITSTATUS(status), 0, "step %d failed", WEXITSTATUS(status));
}

// A string_view may hold a NUL, which ends the name the kernel sees:
// "..\0" is not ".." to a comparison, but openat() opens "..".
Test(stage_resolve, a_nul_in_the_path_is_refused)
{
	Tree t;
	const std::string rel("..\0x/outside/secret", 19);
	for (ResolveMethod m : methods()) {
		OpenResult o = open_beneath(t.r, rel, O_RDONLY, 0, Symlinks::beneath, m);
		cr_assert(!o.ok(), "%s: opened %s", method_name(m),
			  o.ok() ? read_fd(o.fd.get()).c_str() : "");
		cr_assert_eq(o.error.kind, ErrorKind::invalid, "%s: %s", method_name(m),
			     o.error.message.c_str());
		OpenResult d = make_dirs_beneath(t.r, std::string("a\0b", 3), 0755,
						 Symlinks::beneath, m);
		cr_assert_eq(d.error.kind, ErrorKind::invalid, "%s: %s", method_name(m),
			     d.error.message.c_str());
	}
}

Test(stage_resolve, relative_beneath_is_lexical)
{
	assert_sv_eq(relative_beneath("/home/shared", "/home/shared/a/b"), "a/b");
	assert_sv_eq(relative_beneath("/home/shared/", "/home/shared//a/./b/"), "a/b");
	assert_sv_eq(relative_beneath("/home/shared", "/home/shared"), ".");
	assert_sv_eq(relative_beneath("/home/shared", "/home/sharedx/a"), "");
	assert_sv_eq(relative_beneath("/home/shared", "/home/shared/../etc"), "");
	assert_sv_eq(relative_beneath("/home/shared", "/etc/shadow"), "");
	assert_sv_eq(relative_beneath("/home/shared", "a/b"), "");
	assert_sv_eq(relative_beneath("/", "/etc"), "etc");
}
