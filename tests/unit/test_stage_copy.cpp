#include <criterion/criterion.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "common/stage/copy.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi::stage;

namespace {

#define assert_both_eq(actual, expected)                                  \
	do {                                                              \
		std::string a_(actual), e_(expected);                     \
		cr_assert_str_eq(a_.c_str(), e_.c_str());                 \
	} while (0)

void write_file(const std::string &path, const std::string &content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "create %s", path.c_str());
	std::size_t done = 0;
	while (done < content.size()) {
		ssize_t n = write(fd, content.data() + done, content.size() - done);
		cr_assert_gt(n, 0);
		done += (std::size_t)n;
	}
	close(fd);
	cr_assert_eq(chmod(path.c_str(), mode), 0);
}

void make_dir(const std::string &path, mode_t mode = 0755)
{
	cr_assert_eq(mkdir(path.c_str(), 0700), 0, "mkdir %s", path.c_str());
	cr_assert_eq(chmod(path.c_str(), mode), 0);
}

void set_times(const std::string &path, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec - 100, 0}, {sec, nsec}};
	cr_assert_eq(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0,
		     "utimensat %s", path.c_str());
}

// Deterministic bytes that differ from block to block.
std::string pattern(std::size_t size, unsigned seed)
{
	std::string s(size, '\0');
	std::uint32_t x = seed * 2654435761u + 1;
	for (std::size_t i = 0; i < size; ++i) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		s[i] = static_cast<char>(x);
	}
	return s;
}

struct stat lstat_of(const std::string &path)
{
	struct stat st;
	cr_assert_eq(lstat(path.c_str(), &st), 0, "lstat %s", path.c_str());
	return st;
}

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

// <scratch>/src (the source root) and <scratch>/dst (the destination root).
struct Roots {
	ScratchDir scratch{"stage_copy"};
	std::string src = scratch.str() + "/src";
	std::string dst = scratch.str() + "/dst";
	OpenResult src_fd, dst_fd;
	Root s, d;

	Roots()
	{
		make_dir(src);
		make_dir(dst);
		src_fd = open_root(src);
		dst_fd = open_root(dst);
		cr_assert(src_fd.ok() && dst_fd.ok());
		s = Root{src_fd.fd.get(), src};
		d = Root{dst_fd.fd.get(), dst};
	}
};

void assert_same_file(const std::string &a, const std::string &b)
{
	struct stat sa = lstat_of(a), sb = lstat_of(b);
	cr_assert_eq(sa.st_size, sb.st_size, "%s: size", b.c_str());
	cr_assert(slurp(a) == slurp(b), "%s: content differs", b.c_str());
}

void assert_same_times(const std::string &a, const std::string &b)
{
	struct stat sa = lstat_of(a), sb = lstat_of(b);
	cr_assert_eq(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec, "%s: mtime", b.c_str());
	cr_assert_eq(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec, "%s: mtime ns", b.c_str());
}

mode_t perm(const std::string &path) { return lstat_of(path).st_mode & 07777; }

bool has_warning(const CopyResult &r, const std::string &what)
{
	for (const auto &w : r.warnings)
		if (contains(w, what))
			return true;
	return false;
}

// In a forked child: runs `body`, whose int is the exit status.
template <class F> int in_child(F body)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(body());
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died");
	return WEXITSTATUS(status);
}

} // namespace

Test(stage_copy, copies_a_tree_with_content_modes_and_mtimes)
{
	Roots r;
	const std::string t = r.src + "/tree";
	make_dir(t, 0750);
	write_file(t + "/a.txt", "alpha\n", 0640);
	write_file(t + "/run.sh", "#!/bin/sh\n", 0755);
	write_file(t + "/empty.dat", "", 0600);
	make_dir(t + "/sub");
	write_file(t + "/sub/b.bin", pattern(100000, 1), 0444);
	make_dir(t + "/sub/deeper");
	write_file(t + "/sub/deeper/c", "c", 0604);
	make_dir(t + "/nothing", 0711);
	chmod((t + "/sub").c_str(), 0555);
	set_times(t + "/a.txt", 1700000000, 123456789);
	set_times(t + "/run.sh", 1700000100, 1);
	set_times(t + "/empty.dat", 1700000200, 0);
	set_times(t + "/sub/b.bin", 1700000300, 999999999);
	set_times(t + "/sub/deeper/c", 1700000400, 5);
	set_times(t + "/sub/deeper", 1700000500, 6);
	set_times(t + "/sub", 1700000600, 7);
	set_times(t + "/nothing", 1700000700, 8);
	set_times(t, 1700000800, 9);

	CopyResult c = copy_beneath(r.s, "tree", r.d, "tree");
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(c.stats.files, 5);
	cr_assert_eq(c.stats.directories, 4);
	cr_assert_eq(c.stats.bytes, 6 + 10 + 100000 + 1);
	cr_assert(c.warnings.empty());
	const std::string o = r.dst + "/tree";
	for (const char *f : {"/a.txt", "/run.sh", "/empty.dat", "/sub/b.bin", "/sub/deeper/c"}) {
		assert_same_file(t + f, o + f);
		assert_same_times(t + f, o + f);
		cr_assert_eq(perm(t + f), perm(o + f), "%s: mode", f);
	}
	for (const char *d : {"", "/sub", "/sub/deeper", "/nothing"}) {
		assert_same_times(t + d, o + d);
		cr_assert_eq(perm(t + d), perm(o + d), "%s: mode", d);
	}
}

Test(stage_copy, one_regular_file_is_copied_with_mode_and_mtime)
{
	Roots r;
	write_file(r.src + "/in.dat", pattern(3000, 2), 0640);
	set_times(r.src + "/in.dat", 1600000000, 42);
	CopyResult c = copy_beneath(r.s, "in.dat", r.d, "data/in.dat");
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(c.stats.files, 1);
	assert_same_file(r.src + "/in.dat", r.dst + "/data/in.dat");
	assert_same_times(r.src + "/in.dat", r.dst + "/data/in.dat");
	cr_assert_eq(perm(r.dst + "/data/in.dat"), 0640);
	cr_assert_eq(perm(r.dst + "/data") & 0700, 0700, "missing parents are made");
}

Test(stage_copy, setuid_and_setgid_bits_are_stripped_and_said)
{
	Roots r;
	make_dir(r.src + "/t");
	write_file(r.src + "/t/suid", "x", 04755);
	write_file(r.src + "/t/sgid", "x", 02750);
	make_dir(r.src + "/t/gdir", 02775);
	CopyResult c = copy_beneath(r.s, "t", r.d, "t");
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(perm(r.dst + "/t/suid"), 0755);
	cr_assert_eq(perm(r.dst + "/t/sgid"), 0750);
	cr_assert_eq(perm(r.dst + "/t/gdir"), 0775);
	cr_assert(has_warning(c, r.src + "/t/suid: setuid bit not copied"));
	cr_assert(has_warning(c, r.src + "/t/sgid: setgid bit not copied"));
	cr_assert(has_warning(c, r.src + "/t/gdir: setgid bit not copied"));
}

Test(stage_copy, a_sparse_file_stays_sparse)
{
	Roots r;
	const std::string p = r.src + "/sparse";
	const off_t size = 64 << 20;
	int fd = open(p.c_str(), O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	std::string block = pattern(8192, 3);
	cr_assert_eq(pwrite(fd, block.data(), block.size(), 0), (ssize_t)block.size());
	cr_assert_eq(pwrite(fd, block.data(), block.size(), 32 << 20), (ssize_t)block.size());
	close(fd);
	// And one whose end is a hole: the size comes from ftruncate.
	const std::string q = r.src + "/tail_hole";
	fd = open(q.c_str(), O_WRONLY | O_CREAT, 0644);
	cr_assert_eq(pwrite(fd, block.data(), block.size(), 0), (ssize_t)block.size());
	cr_assert_eq(ftruncate(fd, 16 << 20), 0);
	close(fd);
	struct stat src = lstat_of(p);
	if ((off_t)src.st_blocks * 512 >= size)
		cr_skip_test("this file system does not keep holes");

	for (const char *name : {"sparse", "tail_hole"}) {
		CopyResult c = copy_beneath(r.s, name, r.d, name);
		cr_assert(c.ok(), "%s", c.error.message.c_str());
		struct stat a = lstat_of(r.src + "/" + name), b = lstat_of(r.dst + "/" + name);
		cr_assert_eq(a.st_size, b.st_size, "%s: size", name);
		cr_assert_leq(b.st_blocks, a.st_blocks + 64, "%s: %ld blocks, source %ld", name,
			      (long)b.st_blocks, (long)a.st_blocks);
		cr_assert_eq(c.stats.bytes, (std::uint64_t)a.st_size);
		assert_same_file(r.src + "/" + name, r.dst + "/" + name);
	}
}

Test(stage_copy, a_large_file_is_copied_exactly_in_chunks)
{
	Roots r;
	write_file(r.src + "/big", pattern(24u << 20, 4), 0644);
	CopyOptions o;
	o.chunk_bytes = 1 << 20;
	CopyResult c = copy_beneath(r.s, "big", r.d, "big", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(c.stats.bytes, 24u << 20);
	assert_same_file(r.src + "/big", r.dst + "/big");
}

Test(stage_copy, every_copy_method_gives_the_same_file_and_keeps_holes)
{
	Roots r;
	write_file(r.src + "/plain", pattern((3u << 20) + 123, 9), 0640);
	const std::string sp = r.src + "/sparse";
	int fd = open(sp.c_str(), O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	std::string block = pattern(4096, 10);
	cr_assert_eq(pwrite(fd, block.data(), block.size(), 8 << 20), (ssize_t)block.size());
	cr_assert_eq(ftruncate(fd, 16 << 20), 0);
	close(fd);
	const bool holes = lstat_of(sp).st_blocks * 512 < (16 << 20);
	const CopyMethod methods[] = {CopyMethod::copy_file_range, CopyMethod::sendfile,
				      CopyMethod::read_write};
	for (CopyMethod m : methods) {
		CopyOptions o;
		o.copy_method = m;
		o.chunk_bytes = 1 << 20;
		for (const char *name : {"plain", "sparse"}) {
			std::string out = std::string(name) + std::to_string((int)m);
			CopyResult c = copy_beneath(r.s, name, r.d, out, o);
			cr_assert(c.ok(), "%d %s: %s", (int)m, name, c.error.message.c_str());
			assert_same_file(r.src + "/" + name, r.dst + "/" + out);
			cr_assert_eq(perm(r.dst + "/" + out), perm(r.src + "/" + name));
			if (holes && !std::strcmp(name, "sparse"))
				cr_assert_leq(lstat_of(r.dst + "/" + out).st_blocks,
					      lstat_of(sp).st_blocks + 64, "method %d", (int)m);
		}
	}
}

Test(stage_copy, copies_across_file_systems)
{
	// copy_file_range refuses (EXDEV) between ext4 and tmpfs: the engine
	// falls back to sendfile.
	struct stat shm;
	if (stat("/dev/shm", &shm) != 0)
		cr_skip_test("no /dev/shm");
	Roots r;
	char tmpl[] = "/dev/shm/stage_copy.XXXXXX";
	if (!mkdtemp(tmpl))
		cr_skip_test("cannot write /dev/shm");
	std::string other = tmpl;
	OpenResult ofd = open_root(other);
	cr_assert(ofd.ok());
	Root d{ofd.fd.get(), other};
	write_file(r.src + "/f", pattern(5u << 20, 5), 0644);
	CopyResult c = copy_beneath(r.s, "f", d, "f");
	bool same = c.ok() && slurp(r.src + "/f") == slurp(other + "/f");
	unlink((other + "/f").c_str());
	rmdir(other.c_str());
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert(same, "content differs");
}

Test(stage_copy, symlinks_in_a_tree_are_copied_as_links_never_followed)
{
	Roots r;
	const std::string outside = r.scratch.str() + "/outside";
	make_dir(outside);
	write_file(outside + "/secret", "secret\n");
	make_dir(r.src + "/t");
	write_file(r.src + "/t/a.txt", "a");
	cr_assert_eq(symlink(outside.c_str(), (r.src + "/t/out").c_str()), 0);
	cr_assert_eq(symlink("a.txt", (r.src + "/t/rel").c_str()), 0);
	set_times(r.src + "/t/rel", 1650000000, 77);
	CopyResult c = copy_beneath(r.s, "t", r.d, "t");
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(c.stats.symlinks, 2);
	cr_assert_eq(c.stats.files, 1);
	struct stat out = lstat_of(r.dst + "/t/out");
	cr_assert(S_ISLNK(out.st_mode));
	char buf[4096];
	ssize_t n = readlink((r.dst + "/t/out").c_str(), buf, sizeof buf);
	cr_assert_eq(std::string(buf, (std::size_t)n), outside);
	cr_assert(S_ISLNK(lstat_of(r.dst + "/t/rel").st_mode));
	assert_same_times(r.src + "/t/rel", r.dst + "/t/rel");
	// Nothing from outside came in as data.
	cr_assert_eq(c.stats.bytes, 1);
}

Test(stage_copy, symlinks_in_a_tree_are_skipped_when_asked)
{
	Roots r;
	make_dir(r.src + "/t");
	cr_assert_eq(symlink("/etc", (r.src + "/t/etc").c_str()), 0);
	CopyOptions o;
	o.symlinks = TreeSymlinks::skip;
	CopyResult c = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(c.stats.skipped, 1);
	cr_assert(!exists(r.dst + "/t/etc"));
	cr_assert(has_warning(c, r.src + "/t/etc: is a symbolic link; skipped"));
}

Test(stage_copy, a_source_path_that_escapes_copies_nothing)
{
	Roots r;
	const std::string outside = r.scratch.str() + "/outside";
	make_dir(outside);
	write_file(outside + "/secret", "secret\n");
	cr_assert_eq(symlink(outside.c_str(), (r.src + "/link").c_str()), 0);
	CopyResult c = copy_beneath(r.s, "link/secret", r.d, "secret");
	cr_assert_eq(c.error.kind, ErrorKind::escape);
	assert_both_eq(c.error.message, r.src + "/link/secret: leads outside " + r.src +
						" (at " + r.src + "/link)");
	CopyResult up = copy_beneath(r.s, "../outside", r.d, "o");
	cr_assert_eq(up.error.kind, ErrorKind::escape);
	cr_assert(!exists(r.dst + "/secret"));
	cr_assert(!exists(r.dst + "/o"));
}

Test(stage_copy, special_files_are_skipped_without_being_opened, .timeout = 20)
{
	Roots r;
	make_dir(r.src + "/t");
	write_file(r.src + "/t/a", "a");
	cr_assert_eq(mkfifo((r.src + "/t/fifo").c_str(), 0644), 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa {};
	sa.sun_family = AF_UNIX;
	std::string sock = r.src + "/t/sock";
	cr_assert_lt(sock.size(), sizeof sa.sun_path);
	std::strcpy(sa.sun_path, sock.c_str());
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	std::uint64_t specials = 2;
	if (geteuid() == 0 &&
	    mknod((r.src + "/t/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0)
		++specials;
	CopyResult c = copy_beneath(r.s, "t", r.d, "t");
	close(s);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(c.stats.skipped, specials);
	cr_assert_eq(c.stats.files, 1);
	cr_assert(has_warning(c, r.src + "/t/fifo: is a FIFO; skipped"));
	cr_assert(has_warning(c, r.src + "/t/sock: is a socket; skipped"));
	if (specials == 3)
		cr_assert(has_warning(c, r.src + "/t/null: is a character device; skipped"));
	cr_assert(!exists(r.dst + "/t/fifo"));
	cr_assert(!exists(r.dst + "/t/sock"));
	cr_assert(!exists(r.dst + "/t/null"));
}

Test(stage_copy, a_fifo_named_as_the_source_is_refused_unopened, .timeout = 20)
{
	Roots r;
	cr_assert_eq(mkfifo((r.src + "/fifo").c_str(), 0644), 0);
	CopyResult c = copy_beneath(r.s, "fifo", r.d, "fifo");
	cr_assert_eq(c.error.kind, ErrorKind::invalid);
	assert_both_eq(c.error.message, r.src + "/fifo: is a FIFO; not copied");
	cr_assert(!exists(r.dst + "/fifo"));
}

Test(stage_copy, the_size_limit_stops_before_anything_is_written)
{
	Roots r;
	make_dir(r.src + "/t");
	for (int i = 0; i < 3; ++i)
		write_file(r.src + "/t/f" + std::to_string(i), std::string(1000, 'x'));
	CopyOptions o;
	o.max_bytes = 2500;
	CopyResult c = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert_eq(c.error.kind, ErrorKind::limit);
	cr_assert(!is_infrastructure(c.error.kind));
	assert_both_eq(c.error.message,
		       r.src + "/t: at least 2.9 KiB (3000 bytes) is more than the size limit "
			       "of 2.4 KiB (2500 bytes); nothing copied");
	cr_assert(!exists(r.dst + "/t"));
	cr_assert_eq(c.stats.bytes, 0);

	o.max_bytes = 3000; // exactly the limit is allowed
	CopyResult fits = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert(fits.ok(), "%s", fits.error.message.c_str());
	cr_assert_eq(fits.stats.bytes, 3000);
}

// A file that grows after the scan by a hole (ftruncate) must not pass
// the limit: holes count as copied bytes, so they count against it too.
Test(stage_copy, a_file_grown_sparse_after_the_scan_is_held_to_the_limit)
{
	Roots r;
	make_dir(r.src + "/t");
	write_file(r.src + "/t/a", std::string(1000, 'x'));
	write_file(r.src + "/t/b", "");
	CopyOptions o;
	o.threads = 1;
	o.max_bytes = 1u << 20;
	o.progress_interval = std::chrono::milliseconds(0);
	bool grown = false;
	o.progress = [&](const Progress &p) {
		// After "a" is copied and before "b" is opened.
		if (!grown && p.bytes_done >= 1000) {
			grown = true;
			cr_assert_eq(truncate((r.src + "/t/b").c_str(), off_t(1) << 30), 0);
		}
	};
	CopyResult c = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert(grown);
	cr_assert_eq(c.error.kind, ErrorKind::limit, "%s", c.error.message.c_str());
	struct stat st;
	if (lstat((r.dst + "/t/b").c_str(), &st) == 0)
		cr_assert_leq(st.st_size, 1 << 20, "%ld bytes", (long)st.st_size);
}

Test(stage_copy, a_cancel_flag_stops_the_copy)
{
	Roots r;
	write_file(r.src + "/f", "data");
	std::atomic<bool> cancel{true};
	CopyOptions o;
	o.cancel = &cancel;
	CopyResult c = copy_beneath(r.s, "f", r.d, "f", o);
	cr_assert_eq(c.error.kind, ErrorKind::cancelled);
	cr_assert(!is_infrastructure(c.error.kind));
	assert_both_eq(c.error.message, r.src + "/f: copy cancelled");
}

Test(stage_copy, cancelling_from_the_progress_callback_stops_between_chunks)
{
	Roots r;
	write_file(r.src + "/big", pattern(16u << 20, 6));
	std::atomic<bool> cancel{false};
	CopyOptions o;
	o.cancel = &cancel;
	o.chunk_bytes = 1 << 20;
	o.progress_interval = std::chrono::milliseconds(0);
	o.progress = [&](const Progress &p) {
		if (p.bytes_done >= (4u << 20))
			cancel = true;
	};
	CopyResult c = copy_beneath(r.s, "big", r.d, "big", o);
	cr_assert_eq(c.error.kind, ErrorKind::cancelled);
	cr_assert_lt(c.stats.bytes, 16u << 20);
	cr_assert_geq(c.stats.bytes, 4u << 20);
}

Test(stage_copy, a_passed_deadline_is_a_timeout)
{
	Roots r;
	write_file(r.src + "/f", "data");
	CopyOptions o;
	o.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
	CopyResult c = copy_beneath(r.s, "f", r.d, "f", o);
	cr_assert_eq(c.error.kind, ErrorKind::timeout);
	cr_assert(is_infrastructure(c.error.kind));
	assert_both_eq(c.error.message,
		       r.src + "/f: not copied within the time limit (0 B of 4 B copied)");
}

Test(stage_copy, progress_reports_bytes_totals_and_rate)
{
	Roots r;
	write_file(r.src + "/big", pattern(8u << 20, 7));
	CopyOptions o;
	o.chunk_bytes = 1 << 20;
	o.progress_interval = std::chrono::milliseconds(0);
	std::vector<Progress> seen;
	o.progress = [&](const Progress &p) { seen.push_back(p); };
	CopyResult c = copy_beneath(r.s, "big", r.d, "big", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_geq(seen.size(), 4u);
	std::uint64_t last = 0;
	for (const Progress &p : seen) {
		cr_assert_eq(p.bytes_total, 8u << 20);
		cr_assert_eq(p.files_total, 1);
		cr_assert_geq(p.bytes_done, last);
		last = p.bytes_done;
	}
	cr_assert_gt(seen.back().bytes_per_s, 0);
	cr_assert_gt(seen.back().bytes_done, 0);
}

Test(stage_copy, no_progress_for_a_copy_shorter_than_the_interval)
{
	Roots r;
	write_file(r.src + "/f", "data");
	CopyOptions o;
	int calls = 0;
	o.progress = [&](const Progress &) { ++calls; };
	CopyResult c = copy_beneath(r.s, "f", r.d, "f", o);
	cr_assert(c.ok());
	cr_assert_eq(calls, 0);
}

Test(stage_copy, many_small_files_are_copied_by_the_pool)
{
	Roots r;
	make_dir(r.src + "/many");
	for (int d = 0; d < 20; ++d) {
		std::string dir = r.src + "/many/d" + std::to_string(d);
		make_dir(dir, 0750);
		for (int f = 0; f < 100; ++f)
			write_file(dir + "/f" + std::to_string(f),
				   pattern((std::size_t)(f * 37 + d), (unsigned)(d * 1000 + f)), 0640);
		set_times(dir, 1690000000 + d, d);
	}
	for (int threads : {4, 1}) {
		std::string name = "many" + std::to_string(threads);
		CopyOptions o;
		o.threads = threads;
		CopyResult c = copy_beneath(r.s, "many", r.d, name, o);
		cr_assert(c.ok(), "%s", c.error.message.c_str());
		cr_assert_eq(c.stats.files, 2000);
		cr_assert_eq(c.stats.directories, 21);
		for (int d = 0; d < 20; ++d) {
			std::string sd = r.src + "/many/d" + std::to_string(d);
			std::string dd = r.dst + "/" + name + "/d" + std::to_string(d);
			assert_same_times(sd, dd);
			cr_assert_eq(perm(dd), 0750);
			for (int f = 0; f < 100; f += 7)
				assert_same_file(sd + "/f" + std::to_string(f),
						 dd + "/f" + std::to_string(f));
		}
	}
}

Test(stage_copy, a_missing_source_is_the_users_error)
{
	Roots r;
	CopyResult c = copy_beneath(r.s, "nope", r.d, "nope");
	cr_assert_eq(c.error.kind, ErrorKind::not_found);
	cr_assert(!is_infrastructure(c.error.kind));
	assert_both_eq(c.error.message, r.src + "/nope: No such file or directory");
}

Test(stage_copy, an_unreadable_source_is_a_permission_error)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	Roots r;
	chmod(r.scratch.str().c_str(), 0755);
	chmod(r.dst.c_str(), 0777);
	write_file(r.src + "/private", "mine", 0600);
	int kind = in_child([&] {
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			return 100;
		CopyOptions o;
		o.threads = 1;
		CopyResult c = copy_beneath(r.s, "private", r.d, "private", o);
		return (int)c.error.kind;
	});
	cr_assert_neq(kind, 100, "could not become nobody");
	cr_assert_eq(kind, (int)ErrorKind::permission);
}

Test(stage_copy, an_existing_destination_is_refused)
{
	Roots r;
	write_file(r.src + "/f", "new");
	write_file(r.dst + "/f", "old");
	CopyResult c = copy_beneath(r.s, "f", r.d, "f");
	cr_assert_eq(c.error.kind, ErrorKind::invalid);
	assert_both_eq(c.error.message, r.dst + "/f: File exists");
	assert_sv_eq(slurp(r.dst + "/f"), "old");
}

Test(stage_copy, merge_replaces_files_and_never_writes_through_a_link)
{
	Roots r;
	const std::string victim = r.scratch.str() + "/victim";
	write_file(victim, "untouched");
	make_dir(r.src + "/t");
	write_file(r.src + "/t/a", "new a");
	write_file(r.src + "/t/b", "new b");
	make_dir(r.dst + "/t");
	write_file(r.dst + "/t/a", "old a");
	cr_assert_eq(symlink(victim.c_str(), (r.dst + "/t/b").c_str()), 0);
	CopyOptions o;
	o.merge = true;
	CopyResult c = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	assert_sv_eq(slurp(r.dst + "/t/a"), "new a");
	assert_sv_eq(slurp(r.dst + "/t/b"), "new b");
	cr_assert(S_ISREG(lstat_of(r.dst + "/t/b").st_mode));
	assert_sv_eq(slurp(victim), "untouched");
}

// A NUL ends the name the kernel sees: a destination "..\0x" is not ".."
// to a comparison, but with merge the copy went into the destination
// root's parent.
Test(stage_copy, a_destination_name_with_a_nul_is_refused)
{
	Roots r;
	make_dir(r.src + "/t");
	write_file(r.src + "/t/f", "data");
	CopyOptions o;
	o.merge = true;
	CopyResult c = copy_beneath(r.s, "t", r.d, std::string("..\0x", 4), o);
	cr_assert_eq(c.error.kind, ErrorKind::invalid, "%s", c.error.message.c_str());
	cr_assert(!exists(r.scratch.str() + "/f"), "copied outside the destination root");
}

Test(stage_copy, a_too_deep_tree_is_refused)
{
	Roots r;
	std::string p = r.src + "/deep";
	make_dir(p);
	for (int i = 0; i < 5; ++i) {
		p += "/d";
		make_dir(p);
	}
	CopyOptions o;
	o.max_depth = 3;
	CopyResult c = copy_beneath(r.s, "deep", r.d, "deep", o);
	cr_assert_eq(c.error.kind, ErrorKind::invalid);
	cr_assert(contains(c.error.message, "more than 3 directory levels deep"), "%s",
		  c.error.message.c_str());
	cr_assert(!exists(r.dst + "/deep"));
}

Test(stage_copy, a_full_disk_is_an_infrastructure_error, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to mount a small tmpfs");
	Roots r;
	write_file(r.src + "/big", pattern(4u << 20, 8));
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	int status = in_child([&] {
		close(fds[0]);
		// A private mount namespace: the tmpfs is seen by this child
		// only and goes with it.
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
		    mount("tmpfs", r.dst.c_str(), "tmpfs", 0, "size=1m,mode=0755") != 0)
			return 100;
		OpenResult d = open_root(r.dst);
		if (!d.ok())
			return 101;
		Root dst{d.fd.get(), r.dst};
		CopyResult c = copy_beneath(r.s, "big", dst, "big");
		std::string line = std::to_string((int)c.error.kind) + "\n" + c.error.message;
		ssize_t n = write(fds[1], line.data(), line.size());
		(void)n;
		return 0;
	});
	close(fds[1]);
	std::string out;
	char buf[512];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof buf)) > 0)
		out.append(buf, (std::size_t)n);
	close(fds[0]);
	if (status == 100)
		cr_skip_test("cannot mount a tmpfs in a private mount namespace here");
	cr_assert_eq(status, 0);
	std::size_t nl = out.find('\n');
	cr_assert_neq(nl, std::string::npos, "%s", out.c_str());
	cr_assert_eq(std::stoi(out.substr(0, nl)), (int)ErrorKind::disk_full, "%s", out.c_str());
	cr_assert(is_infrastructure(ErrorKind::disk_full));
	assert_both_eq(out.substr(nl + 1),
		       r.dst + "/big: No space left on device (node-local disk full)");
	cr_assert(!exists(r.dst + "/big"), "the tmpfs went with the child");
}

Test(stage_copy, summary_and_progress_lines)
{
	CopyStats s;
	s.files = 3;
	s.directories = 2;
	s.symlinks = 1;
	s.skipped = 1;
	s.bytes = 1u << 30;
	s.seconds = 12.5;
	assert_sv_eq(copy_summary(s), "3 files, 2 directories, 1 symbolic link, 1 skipped, "
				      "1.0 GiB in 12.5 s (81.9 MiB/s)");
	CopyStats one;
	one.files = 1;
	one.bytes = 512;
	assert_sv_eq(copy_summary(one), "1 file, 512 B in 0.0 s");
	Progress p;
	p.bytes_done = 512u << 20;
	p.bytes_total = 1u << 30;
	p.files_done = 3;
	p.files_total = 7;
	p.seconds = 6;
	p.bytes_per_s = (512.0 * 1024 * 1024) / 6;
	assert_sv_eq(progress_line(p), "512.0 MiB of 1.0 GiB (50%), 3 of 7 files, 85.3 MiB/s, 6.0 s");
	assert_sv_eq(human_bytes(1536), "1.5 KiB");
	assert_sv_eq(human_bytes(0), "0 B");
}

Test(stage_copy, error_kinds_tell_the_user_from_the_node)
{
	cr_assert_eq(kind_of_errno(ENOENT), ErrorKind::not_found);
	cr_assert_eq(kind_of_errno(EACCES), ErrorKind::permission);
	cr_assert_eq(kind_of_errno(ENOSPC), ErrorKind::disk_full);
	cr_assert_eq(kind_of_errno(EIO), ErrorKind::io);
	cr_assert_eq(kind_of_errno(EDQUOT), ErrorKind::limit);
	for (ErrorKind k : {ErrorKind::not_found, ErrorKind::permission, ErrorKind::escape,
			    ErrorKind::invalid, ErrorKind::limit, ErrorKind::cancelled})
		cr_assert(!is_infrastructure(k), "%s", std::string(error_kind_name(k)).c_str());
	for (ErrorKind k : {ErrorKind::timeout, ErrorKind::disk_full, ErrorKind::io,
			    ErrorKind::internal})
		cr_assert(is_infrastructure(k), "%s", std::string(error_kind_name(k)).c_str());
	assert_sv_eq(show_path("/home/shared/a b"), "/home/shared/a b");
	assert_sv_eq(show_path("/home/shared/a\nb"), "'/home/shared/a\\nb'");
}

// ---------------------------------------------------------------- file hook

namespace {

// A hook that places each file itself: creates it, fills it through the
// engine, sets mode and times; records what it was given.
struct RecordingHook {
	std::mutex mu;
	std::vector<std::string> names; // "<src_path> -> <dst_path>"
	std::atomic<int> calls{0};

	FileHook hook()
	{
		return [this](int src_fd, const SourceFile &sf, int dst_dirfd,
			      const std::string &dst_name, const std::string &src_path,
			      const std::string &dst_path, const FillFn &fill) -> Error {
			++calls;
			struct stat st;
			if (fstat(src_fd, &st) != 0 || !S_ISREG(st.st_mode) ||
			    (std::uint64_t)st.st_size != sf.size || (std::uint64_t)st.st_ino != sf.ino)
				return make_error(ErrorKind::internal, src_path, "wrong source");
			{
				std::lock_guard<std::mutex> g(mu);
				names.push_back(src_path + " -> " + dst_path);
			}
			int fd = openat(dst_dirfd, dst_name.c_str(),
					O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0)
				return errno_error(dst_path, errno);
			if (!fill(fd)) {
				close(fd);
				return make_error(ErrorKind::io, dst_path, "fill failed");
			}
			fchmod(fd, sf.mode & 0777);
			struct timespec ts[2] = {{(time_t)(sf.atime_ns / 1000000000),
						  (long)(sf.atime_ns % 1000000000)},
						 {(time_t)(sf.mtime_ns / 1000000000),
						  (long)(sf.mtime_ns % 1000000000)}};
			futimens(fd, ts);
			close(fd);
			return Error{};
		};
	}
};

} // namespace

Test(stage_copy, the_file_hook_places_every_regular_file_and_nothing_else)
{
	Roots r;
	const std::string t = r.src + "/tree";
	make_dir(t);
	write_file(t + "/a", "alpha\n", 0640);
	make_dir(t + "/sub");
	write_file(t + "/sub/b", pattern(300000, 3), 0600);
	cr_assert_eq(symlink("a", (t + "/link").c_str()), 0);
	// Sparse: a hole between two data blocks.
	{
		int fd = open((t + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(pwrite(fd, "x", 1, 0), 1);
		cr_assert_eq(pwrite(fd, "y", 1, 8 << 20), 1);
		close(fd);
	}
	for (int f = 0; f < 40; ++f)
		write_file(t + "/sub/f" + std::to_string(f), pattern((std::size_t)f * 101, (unsigned)f));
	set_times(t + "/a", 1700000000, 77);
	RecordingHook rec;
	CopyOptions o;
	o.threads = 4;
	o.file_hook = rec.hook();
	CopyResult c = copy_beneath(r.s, "tree", r.d, "out", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(rec.calls.load(), 43, "once per regular file: %d", rec.calls.load());
	cr_assert_eq(c.stats.files, 43);
	cr_assert_eq(c.stats.symlinks, 1);
	cr_assert_eq(c.stats.directories, 2);
	for (const auto &n : rec.names)
		cr_assert(!contains(n, "link") && !contains(n, "/sub ->"), "%s", n.c_str());
	cr_assert(std::find(rec.names.begin(), rec.names.end(),
			    t + "/sub/b -> " + r.dst + "/out/sub/b") != rec.names.end());
	const std::string o2 = r.dst + "/out";
	assert_same_file(t + "/a", o2 + "/a");
	assert_same_times(t + "/a", o2 + "/a");
	cr_assert_eq(perm(o2 + "/a"), 0640);
	assert_same_file(t + "/sub/b", o2 + "/sub/b");
	assert_same_file(t + "/sparse", o2 + "/sparse");
	cr_assert_lt(lstat_of(o2 + "/sparse").st_blocks * 512, 8 << 20, "fill keeps holes");
	for (int f = 0; f < 40; ++f)
		assert_same_file(t + "/sub/f" + std::to_string(f), o2 + "/sub/f" + std::to_string(f));
	cr_assert(S_ISLNK(lstat_of(o2 + "/link").st_mode), "symbolic links stay the engine's");
	std::uint64_t total = 6 + 300000 + (8 << 20) + 1;
	for (int f = 0; f < 40; ++f)
		total += (std::uint64_t)f * 101;
	cr_assert_eq(c.stats.bytes, total);

	// A single file as the source goes through the hook too.
	RecordingHook one;
	o.file_hook = one.hook();
	c = copy_beneath(r.s, "tree/a", r.d, "single", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(one.calls.load(), 1);
	assert_same_file(t + "/a", r.dst + "/single");
}

Test(stage_copy, a_file_placed_without_fill_counts_its_size_and_the_limit_holds)
{
	Roots r;
	make_dir(r.src + "/t");
	write_file(r.src + "/t/a", pattern(1000, 1));
	write_file(r.src + "/t/b", pattern(2000, 2));
	CopyOptions o;
	o.threads = 1;
	std::atomic<int> calls{0};
	o.file_hook = [&](int, const SourceFile &sf, int dirfd, const std::string &name,
			  const std::string &, const std::string &dst_path, const FillFn &) {
		++calls;
		// Placed from elsewhere (as a cache hit is): the right size, no fill.
		int fd = openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)sf.size) != 0)
			return errno_error(dst_path, errno);
		close(fd);
		return Error{};
	};
	CopyResult c = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert(c.ok(), "%s", c.error.message.c_str());
	cr_assert_eq(calls.load(), 2);
	cr_assert_eq(c.stats.files, 2);
	cr_assert_eq(c.stats.bytes, 3000);
}

Test(stage_copy, an_error_from_the_file_hook_fails_the_copy_with_it)
{
	Roots r;
	make_dir(r.src + "/t");
	for (int f = 0; f < 30; ++f)
		write_file(r.src + "/t/f" + std::to_string(f), pattern(100, (unsigned)f));
	CopyOptions o;
	o.threads = 4;
	std::atomic<int> calls{0};
	o.file_hook = [&](int, const SourceFile &, int, const std::string &name,
			  const std::string &src_path, const std::string &,
			  const FillFn &) -> Error {
		++calls;
		if (name == "f7")
			return make_error(ErrorKind::disk_full, src_path, "cache full", ENOSPC);
		return Error{};
	};
	CopyResult c = copy_beneath(r.s, "t", r.d, "t", o);
	cr_assert(!c.ok());
	cr_assert_eq(c.error.kind, ErrorKind::disk_full);
	cr_assert_eq(c.error.err, ENOSPC);
	assert_both_eq(c.error.message, r.src + "/t/f7: cache full");

	// A fill that fails (here: cancelled meanwhile) is the engine's
	// error, whatever the hook says after it.
	write_file(r.src + "/big", pattern(5000, 9));
	std::atomic<bool> cancel{false};
	CopyOptions l;
	l.cancel = &cancel;
	l.file_hook = [&](int, const SourceFile &, int dirfd, const std::string &name,
			  const std::string &, const std::string &dst_path,
			  const FillFn &fill) -> Error {
		cancel.store(true);
		int fd = openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno_error(dst_path, errno);
		bool ok = fill(fd);
		close(fd);
		return ok ? Error{} : make_error(ErrorKind::io, dst_path, "hook's own");
	};
	c = copy_beneath(r.s, "big", r.d, "big", l);
	cr_assert_eq(c.error.kind, ErrorKind::cancelled, "%s", c.error.message.c_str());
}
