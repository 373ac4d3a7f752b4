// stagefs: a passthrough FUSE filesystem for the tests, standing in for the
// NFS share of a Pi cluster, with the share's faults on demand. Test
// infrastructure only: it runs as root and is not a security boundary.
//
// USAGE
//   stagefs BACKING MOUNTPOINT [-f] [-o allow_other] [-o FUSE options]
//           [--control=SOCKET] [--stats=FILE] [--stats-interval=MS] [--cached]
//   stagefs ctl SOCKET stats|reset|hang|resume|ping
//
//   Mirrors BACKING read-write at MOUNTPOINT. Run it as root with
//   -o allow_other so that jobs of other users see the mount; it always
//   adds -o default_permissions, so the kernel checks every access against
//   the caller's uid, gid and groups and the modes and owners of BACKING
//   (the daemon, being root, would otherwise let anyone read anything).
//   Files, directories, symlinks and nodes created through the mount are
//   made by the daemon and then given to the caller (its fsuid, and its
//   fsgid unless the parent directory is set-group-ID); the daemon runs
//   with umask 0 because the kernel has already applied the caller's.
//   Inode numbers are BACKING's (use_ino), so a cache that keys on
//   (device, inode, size, mtime) sees stable keys.
//
//   -f keeps it in the foreground (what a test wants: its pid is $!).
//   The control socket, if asked for, exists once the mount is in place:
//   a test waits for it rather than sleeping.
//
// CACHING AND COUNTING
//   Unless --cached is given, stagefs sets direct_io and zero entry,
//   attribute and negative timeouts. direct_io sends every read(2) of an
//   application to the daemon instead of serving it from the kernel's page
//   cache: all nodes of the emulated cluster share one kernel, so with the
//   page cache the second node's (or the second job's) read of a file
//   would never reach the "share" and the byte counter would undercount
//   the traffic a real cluster puts on its NFS link. Zero timeouts make a
//   hang visible at once (a cached stat would not reach the daemon for a
//   second). --cached keeps libfuse's defaults (or -o options) instead.
//   With direct_io, programs on the mount run (private mappings work) but
//   mmap(MAP_SHARED) fails with ENODEV: the kernel allows it only when the
//   daemon asks (FUSE_DIRECT_IO_ALLOW_MMAP), which libfuse 3.14 cannot
//   (3.16 can). Use --cached for a test that needs shared mappings.
//
// STATISTICS (outside the mount, so jobs never see them)
//   bytes_read     bytes returned by read on files
//   read_ops       read requests
//   opens          files opened (existing ones; not directories)
//   creates        files created
//   bytes_written  bytes written
//   write_ops      write requests
//   ops            every request that reached the daemon
//   hung           1 while hung
//   blocked        requests now waiting in the hang
//   seq            how many times the statistics were written or returned
//   One "name=value" a line, in this order, so a shell test can source it.
//
//   `stagefs ctl SOCKET stats` prints them; `stagefs ctl SOCKET reset`
//   prints them and sets the counters to zero: each counter is exchanged
//   atomically, so a byte read concurrently is counted either before or
//   after the reset, never lost or counted twice. A test that needs the
//   bytes of one step resets before it and reads `stats` after it.
//
//   --stats=FILE writes them to FILE (write to FILE.tmp, then rename: a
//   reader never sees half a file) every --stats-interval ms (default 200;
//   0: never on a timer), on SIGUSR1, after every control command, and at
//   exit. Wait for seq to change after a SIGUSR1 if you need it fresh.
//
// FAULTS: A HUNG SHARE
//   What a hung NFS server does to a client with a hard mount (the default;
//   Linux 2.6.25 and later): a process that touches the mount blocks with
//   no timeout, in state D (TASK_KILLABLE); signals it catches or ignores
//   do not end the wait; SIGKILL, or any signal that kills it (timeout's
//   SIGTERM), does.
//
//   1. `stagefs ctl SOCKET hang` (or kill -USR2 the daemon) behaves like
//      that, and is the one to use in tests. Every request from then on
//      waits in the daemon until `stagefs ctl SOCKET resume` (or kill -s
//      RTMIN+1), or until the daemon exits. The kernel never lets a signal
//      end a request the daemon has already read (the caller would stay in
//      D until the daemon answers, unkillable: what a plain FUSE daemon
//      that blocks, such as a stopped bindfs mid-request, does); so while
//      a request waits, the daemon looks every 100 ms at its caller's
//      pending signals (/proc/TID/status) and answers EINTR once SIGKILL is
//      pending (the kernel turns a fatal signal into SIGKILL when it is
//      sent). Measured (test_stagefs.sh and by hand): the caller sleeps in
//      state S until a signal arrives (the one difference from NFS, where
//      it shows D at once); a caught signal sends FUSE_INTERRUPT, which the
//      hang ignores, so the wait goes on, now in state D; `timeout 3 stat`
//      ends with 124 after 3 s; kill -KILL ends a caller within 100 ms.
//      The caller's thread id comes from the kernel in the daemon's pid
//      namespace: run the daemon in the callers' pid namespace (or an
//      ancestor's, with its /proc), or their requests, whose pid reads 0,
//      wait until resume, unkillable (the emulated nodes have no pid
//      namespaces of their own).
//      The control socket keeps answering. Each waiting request holds a
//      libfuse worker thread (up to 64; later ones stay queued in the
//      kernel, where a fatal signal ends them at once).
//
//   2. kill -STOP the daemon also behaves like that, with two catches.
//      Requests stay queued in the kernel; callers sleep in S (D after a
//      caught signal); the kernel drops a queued request when its caller
//      gets a fatal signal, so kill -KILL and timeout end them; kill -CONT
//      resumes. Catches: the control socket does not answer while the
//      daemon is stopped (ctl gives up after 5 s); and a request that
//      arrives while SIGSTOP is being delivered can be taken by a worker
//      thread on its way to the stop, and that caller cannot be killed
//      until the daemon continues or dies. So after kill -STOP, wait until
//      every /proc/PID/task/*/stat shows state T before touching the mount
//      (test_stagefs.sh: stop_daemon).
//
//   The kernel's own FUSE request timeout (/proc/sys/fs/fuse/
//   default_request_timeout, Linux 6.14+) is 0 here: requests wait forever,
//   as on a hard NFS mount. If it is set, the kernel aborts the connection
//   after that many seconds.
//
// CLEANING UP (never leave a process behind that nothing can end)
//   - kill -KILL the daemon (works even while it is stopped): the kernel
//     aborts the connection, every waiting request fails with ENOTCONN
//     ("Transport endpoint is not connected"), then `umount -l MOUNTPOINT`
//     (or `fusermount3 -u -z MOUNTPOINT`) removes the dead mount.
//   - Or abort the connection without killing the daemon:
//     echo 1 > /sys/fs/fuse/connections/N/abort, N being the minor device
//     number of the mount (field 3 of /proc/self/mountinfo is MAJOR:MINOR;
//     never stat the mount to learn it, that hangs). fusectl must be
//     mounted: mount -t fusectl none /sys/fs/fuse/connections.
//   - A lazy unmount alone does NOT release processes already waiting: it
//     detaches the mount but the connection stays up (verified).
//   - Plain kill -TERM of the running daemon makes libfuse leave its loop;
//     requests waiting in the hang are answered ENOTCONN and the daemon
//     removes the mount itself (verified).
//   - Everything in tests: bounded by timeout; start the daemon with
//     `setpriv --pdeathsig KILL` so it dies with the test's shell; in a
//     cleanup trap, kill -KILL the daemon before anything else (umount,
//     rm -rf --one-file-system), since an rm that walks into a hung mount
//     hangs too.
//
// OPERATIONS
//   getattr readlink mknod mkdir unlink rmdir symlink rename (with
//   RENAME_NOREPLACE/EXCHANGE) link chmod chown truncate open create read
//   write statfs flush release fsync opendir readdir releasedir fsyncdir
//   utimens getxattr listxattr setxattr/removexattr (user.* only).
//   Unlinked open files keep working (hard_remove; no .fuse_hidden files).

#define FUSE_USE_VERSION 312
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace {

// ------------------------------------------------------------ options
struct Options {
	char *control = nullptr;
	char *stats = nullptr;
	unsigned stats_interval = 200;
	int cached = 0;
	char *backing = nullptr;
};
Options opts;

const fuse_opt option_spec[] = {
	{"--control=%s", offsetof(Options, control), 0},
	{"--stats=%s", offsetof(Options, stats), 0},
	{"--stats-interval=%u", offsetof(Options, stats_interval), 0},
	{"--cached", offsetof(Options, cached), 1},
	FUSE_OPT_END,
};

int opt_proc(void *, const char *arg, int key, fuse_args *)
{
	// The first non-option argument is the backing directory; the second
	// (the mount point) goes on to libfuse.
	if (key == FUSE_OPT_KEY_NONOPT && !opts.backing) {
		opts.backing = strdup(arg);
		return 0;
	}
	return 1;
}

int root_fd = -1; // the backing directory, O_PATH

// A path from libfuse ("/a/b") relative to the backing directory.
const char *rel(const char *path)
{
	while (*path == '/')
		++path;
	return *path ? path : ".";
}

// ------------------------------------------------------------ statistics
struct Counters {
	std::atomic<uint64_t> bytes_read{0}, read_ops{0}, opens{0}, creates{0},
		bytes_written{0}, write_ops{0}, ops{0};
};
Counters counters;
std::atomic<uint64_t> seq{0};

// ------------------------------------------------------------ hang
std::mutex hang_mu;
std::condition_variable hang_cv;
bool hung = false;          // guarded by hang_mu
std::atomic<bool> hung_flag{false}; // fast path, mirrors hung
std::atomic<unsigned> blocked{0};
fuse *the_fuse = nullptr;

void set_hung(bool on)
{
	{
		std::lock_guard lk(hang_mu);
		hung = on;
		hung_flag = on;
	}
	hang_cv.notify_all();
}

// Does the thread tid have SIGKILL pending (its own or its process's)?
bool kill_pending(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", int(tid));
	FILE *f = fopen(path, "re");
	if (!f)
		return false; // not in our /proc (another pid namespace?): wait
	char line[256];
	bool pending = false;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "SigPnd:", 7) && strncmp(line, "ShdPnd:", 7))
			continue;
		unsigned long long mask = strtoull(line + 7, nullptr, 16);
		if (mask & (1ULL << (SIGKILL - 1)))
			pending = true;
	}
	fclose(f);
	return pending;
}

// Every operation passes here first: counts it, and while the filesystem
// is hung, waits (see FAULTS above). Returns 0 to go on, or -errno.
int gate()
{
	counters.ops.fetch_add(1, std::memory_order_relaxed);
	if (!hung_flag.load())
		return 0;
	const pid_t tid = fuse_get_context()->pid;
	std::unique_lock lk(hang_mu);
	if (!hung)
		return 0;
	++blocked;
	int ret = 0;
	while (hung) {
		hang_cv.wait_for(lk, std::chrono::milliseconds(100));
		if (!hung)
			break;
		if (the_fuse && fuse_session_exited(fuse_get_session(the_fuse))) {
			ret = -ENOTCONN;
			break;
		}
		if (tid > 0 && kill_pending(tid)) {
			ret = -EINTR;
			break;
		}
	}
	--blocked;
	return ret;
}

#define GATE()                        \
	do {                          \
		if (int g_ = gate())  \
			return g_;    \
	} while (0)

std::string stats_text(bool reset)
{
	auto take = [reset](std::atomic<uint64_t> &c) {
		return reset ? c.exchange(0) : c.load();
	};
	std::string s;
	auto line = [&s](const char *name, uint64_t v) {
		s += name;
		s += '=';
		s += std::to_string(v);
		s += '\n';
	};
	line("bytes_read", take(counters.bytes_read));
	line("read_ops", take(counters.read_ops));
	line("opens", take(counters.opens));
	line("creates", take(counters.creates));
	line("bytes_written", take(counters.bytes_written));
	line("write_ops", take(counters.write_ops));
	line("ops", take(counters.ops));
	line("hung", hung_flag.load() ? 1 : 0);
	line("blocked", blocked.load());
	line("seq", ++seq);
	return s;
}

bool write_all(int fd, std::string_view s)
{
	while (!s.empty()) {
		ssize_t n = write(fd, s.data(), s.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		s.remove_prefix(size_t(n));
	}
	return true;
}

std::mutex stats_file_mu;
void write_stats_file()
{
	if (!opts.stats)
		return;
	std::lock_guard lk(stats_file_mu);
	std::string tmp = std::string(opts.stats) + ".tmp";
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	bool ok = write_all(fd, stats_text(false));
	close(fd);
	if (ok)
		rename(tmp.c_str(), opts.stats);
	else
		unlink(tmp.c_str());
}

// ------------------------------------------------------------ ownership
// Give what the daemon (root) just created to the caller. gid follows
// the parent when it is set-group-ID, as the kernel does for everyone.
int give_to_caller(const char *path)
{
	const fuse_context *ctx = fuse_get_context();
	std::string parent(rel(path));
	size_t slash = parent.rfind('/');
	parent = slash == std::string::npos ? "." : parent.substr(0, slash);
	struct stat pst;
	gid_t gid = ctx->gid;
	if (fstatat(root_fd, parent.c_str(), &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (pst.st_mode & S_ISGID))
		gid = gid_t(-1);
	if (fchownat(root_fd, rel(path), ctx->uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

// Opens below the backing directory never leave it, whatever a symlink
// in the backing tree says (the kernel resolves the mount's own symlinks
// before asking us).
//
// openat2 refuses flags it does not know, and the kernel's open flags can
// carry more (__FMODE_EXEC, 0x20, when a program on the mount is executed):
// only the O_ flags that mean something for the backing file go through.
// No O_DIRECT either: alignment is the mount's business.
constexpr int passed_flags = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC |
	O_SYNC | O_NOATIME | O_TRUNC | O_DIRECTORY | O_CREAT | O_EXCL;

int open_beneath(const char *path, int flags, mode_t mode)
{
	flags = (flags & passed_flags) | O_NOFOLLOW;
	open_how how{};
	how.flags = uint64_t(flags) | O_CLOEXEC;
	how.mode = (flags & O_CREAT) ? (mode & 07777) : 0; // no S_IFREG: openat2 is strict
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	for (;;) {
		long fd = syscall(SYS_openat2, root_fd, rel(path), &how, sizeof how);
		if (fd >= 0)
			return int(fd);
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

// ------------------------------------------------------------ operations
void *sfs_init(fuse_conn_info *, fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	if (!opts.cached) {
		cfg->direct_io = 1;
		cfg->entry_timeout = 0;
		cfg->attr_timeout = 0;
		cfg->negative_timeout = 0;
	}
	return nullptr;
}

int sfs_getattr(const char *path, struct stat *st, fuse_file_info *fi)
{
	GATE();
	int r = fi ? fstat(int(fi->fh), st)
		   : fstatat(root_fd, rel(path), st, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? -errno : 0;
}

int sfs_readlink(const char *path, char *buf, size_t size)
{
	GATE();
	if (size == 0)
		return -EINVAL;
	ssize_t n = readlinkat(root_fd, rel(path), buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int sfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	GATE();
	if (mknodat(root_fd, rel(path), mode, rdev) < 0)
		return -errno;
	return give_to_caller(path);
}

int sfs_mkdir(const char *path, mode_t mode)
{
	GATE();
	if (mkdirat(root_fd, rel(path), mode) < 0)
		return -errno;
	return give_to_caller(path);
}

int sfs_unlink(const char *path)
{
	GATE();
	return unlinkat(root_fd, rel(path), 0) < 0 ? -errno : 0;
}

int sfs_rmdir(const char *path)
{
	GATE();
	return unlinkat(root_fd, rel(path), AT_REMOVEDIR) < 0 ? -errno : 0;
}

int sfs_symlink(const char *target, const char *path)
{
	GATE();
	if (symlinkat(target, root_fd, rel(path)) < 0)
		return -errno;
	return give_to_caller(path);
}

int sfs_rename(const char *from, const char *to, unsigned int flags)
{
	GATE();
	long r = syscall(SYS_renameat2, root_fd, rel(from), root_fd, rel(to), flags);
	return r < 0 ? -errno : 0;
}

int sfs_link(const char *from, const char *to)
{
	GATE();
	return linkat(root_fd, rel(from), root_fd, rel(to), 0) < 0 ? -errno : 0;
}

// An O_PATH descriptor of path that is not a symlink (Linux changes no
// mode and no xattr of a symlink; and following one here, as root, could
// leave the backing directory). -errno, or -EOPNOTSUPP for a symlink.
int open_path(const char *path)
{
	int fd = openat(root_fd, rel(path), O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(fd);
		return -EOPNOTSUPP;
	}
	return fd;
}

std::string fd_path(int fd)
{
	return "/proc/self/fd/" + std::to_string(fd);
}

int sfs_chmod(const char *path, mode_t mode, fuse_file_info *fi)
{
	GATE();
	if (fi)
		return fchmod(int(fi->fh), mode) < 0 ? -errno : 0;
	int fd = open_path(path);
	if (fd < 0)
		return fd;
	int r = fchmodat(AT_FDCWD, fd_path(fd).c_str(), mode, 0) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int sfs_chown(const char *path, uid_t uid, gid_t gid, fuse_file_info *fi)
{
	GATE();
	int r = fi ? fchown(int(fi->fh), uid, gid)
		   : fchownat(root_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? -errno : 0;
}

int sfs_truncate(const char *path, off_t size, fuse_file_info *fi)
{
	GATE();
	if (fi)
		return ftruncate(int(fi->fh), size) < 0 ? -errno : 0;
	int fd = open_beneath(path, O_WRONLY, 0);
	if (fd < 0)
		return fd;
	int r = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int sfs_open(const char *path, fuse_file_info *fi)
{
	GATE();
	int fd = open_beneath(path, fi->flags & ~(O_CREAT | O_EXCL), 0);
	if (fd < 0)
		return fd;
	fi->fh = uint64_t(fd);
	counters.opens.fetch_add(1, std::memory_order_relaxed);
	return 0;
}

int sfs_create(const char *path, mode_t mode, fuse_file_info *fi)
{
	GATE();
	int fd = open_beneath(path, fi->flags | O_CREAT, mode);
	if (fd < 0)
		return fd;
	if (int r = give_to_caller(path); r < 0) {
		close(fd);
		return r;
	}
	fi->fh = uint64_t(fd);
	counters.creates.fetch_add(1, std::memory_order_relaxed);
	return 0;
}

int sfs_read(const char *, char *buf, size_t size, off_t off, fuse_file_info *fi)
{
	GATE();
	size_t done = 0;
	while (done < size) {
		ssize_t n = pread(int(fi->fh), buf + done, size - done, off + off_t(done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (done == 0)
				return -errno;
			break;
		}
		if (n == 0)
			break;
		done += size_t(n);
	}
	counters.read_ops.fetch_add(1, std::memory_order_relaxed);
	counters.bytes_read.fetch_add(done, std::memory_order_relaxed);
	return int(done);
}

int sfs_write(const char *, const char *buf, size_t size, off_t off, fuse_file_info *fi)
{
	GATE();
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(int(fi->fh), buf + done, size - done, off + off_t(done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (done == 0)
				return -errno;
			break;
		}
		done += size_t(n);
	}
	counters.write_ops.fetch_add(1, std::memory_order_relaxed);
	counters.bytes_written.fetch_add(done, std::memory_order_relaxed);
	return int(done);
}

int sfs_statfs(const char *, struct statvfs *st)
{
	GATE();
	return fstatvfs(root_fd, st) < 0 ? -errno : 0;
}

int sfs_flush(const char *, fuse_file_info *fi)
{
	GATE();
	// close() of a duplicate reports delayed write errors of the backing
	// filesystem without closing ours.
	int fd = dup(int(fi->fh));
	if (fd < 0)
		return -errno;
	return close(fd) < 0 ? -errno : 0;
}

int sfs_release(const char *, fuse_file_info *fi)
{
	// Not gated: the kernel does not wait for a release, and a hang must
	// not keep backing files open for ever.
	close(int(fi->fh));
	return 0;
}

int sfs_fsync(const char *, int datasync, fuse_file_info *fi)
{
	GATE();
	int r = datasync ? fdatasync(int(fi->fh)) : fsync(int(fi->fh));
	return r < 0 ? -errno : 0;
}

struct Dir {
	DIR *dp;
};

int sfs_opendir(const char *path, fuse_file_info *fi)
{
	GATE();
	int fd = open_beneath(path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	DIR *dp = fdopendir(fd);
	if (!dp) {
		int e = errno;
		close(fd);
		return -e;
	}
	fi->fh = reinterpret_cast<uint64_t>(new Dir{dp});
	return 0;
}

int sfs_readdir(const char *, void *buf, fuse_fill_dir_t filler, off_t,
		fuse_file_info *fi, fuse_readdir_flags)
{
	GATE();
	Dir *d = reinterpret_cast<Dir *>(fi->fh);
	// All entries in one go (offset 0): libfuse keeps them and hands them
	// out as the kernel asks.
	rewinddir(d->dp);
	errno = 0;
	while (dirent *e = readdir(d->dp)) {
		struct stat st{};
		st.st_ino = e->d_ino;
		st.st_mode = mode_t(DTTOIF(e->d_type));
		if (filler(buf, e->d_name, &st, 0, fuse_fill_dir_flags(0)))
			break;
	}
	return errno ? -errno : 0;
}

int sfs_releasedir(const char *, fuse_file_info *fi)
{
	Dir *d = reinterpret_cast<Dir *>(fi->fh);
	closedir(d->dp);
	delete d;
	return 0;
}

int sfs_fsyncdir(const char *, int datasync, fuse_file_info *fi)
{
	GATE();
	int fd = dirfd(reinterpret_cast<Dir *>(fi->fh)->dp);
	int r = datasync ? fdatasync(fd) : fsync(fd);
	return r < 0 ? -errno : 0;
}

int sfs_utimens(const char *path, const timespec tv[2], fuse_file_info *fi)
{
	GATE();
	int r = fi ? futimens(int(fi->fh), tv)
		   : utimensat(root_fd, rel(path), tv, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? -errno : 0;
}

// xattrs through a /proc/self/fd path of an O_PATH descriptor (the *at
// forms need Linux 6.13 and glibc 2.41). None on symlinks.

int sfs_getxattr(const char *path, const char *name, char *value, size_t size)
{
	GATE();
	int fd = open_path(path);
	if (fd == -EOPNOTSUPP)
		return -ENODATA;
	if (fd < 0)
		return fd;
	ssize_t n = getxattr(fd_path(fd).c_str(), name, value, size);
	int e = errno;
	close(fd);
	return n < 0 ? -e : int(n);
}

int sfs_listxattr(const char *path, char *list, size_t size)
{
	GATE();
	int fd = open_path(path);
	if (fd == -EOPNOTSUPP)
		return 0;
	if (fd < 0)
		return fd;
	ssize_t n = listxattr(fd_path(fd).c_str(), list, size);
	int e = errno;
	close(fd);
	return n < 0 ? -e : int(n);
}

bool user_xattr(const char *name)
{
	return strncmp(name, "user.", 5) == 0;
}

int sfs_setxattr(const char *path, const char *name, const char *value,
		 size_t size, int flags)
{
	GATE();
	if (!user_xattr(name))
		return -EOPNOTSUPP;
	int fd = open_path(path);
	if (fd < 0)
		return fd;
	int r = setxattr(fd_path(fd).c_str(), name, value, size, flags);
	int e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

int sfs_removexattr(const char *path, const char *name)
{
	GATE();
	if (!user_xattr(name))
		return -EOPNOTSUPP;
	int fd = open_path(path);
	if (fd < 0)
		return fd;
	int r = removexattr(fd_path(fd).c_str(), name);
	int e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

fuse_operations make_ops()
{
	fuse_operations o{};
	o.getattr = sfs_getattr;
	o.readlink = sfs_readlink;
	o.mknod = sfs_mknod;
	o.mkdir = sfs_mkdir;
	o.unlink = sfs_unlink;
	o.rmdir = sfs_rmdir;
	o.symlink = sfs_symlink;
	o.rename = sfs_rename;
	o.link = sfs_link;
	o.chmod = sfs_chmod;
	o.chown = sfs_chown;
	o.truncate = sfs_truncate;
	o.open = sfs_open;
	o.read = sfs_read;
	o.write = sfs_write;
	o.statfs = sfs_statfs;
	o.flush = sfs_flush;
	o.release = sfs_release;
	o.fsync = sfs_fsync;
	o.setxattr = sfs_setxattr;
	o.getxattr = sfs_getxattr;
	o.listxattr = sfs_listxattr;
	o.removexattr = sfs_removexattr;
	o.opendir = sfs_opendir;
	o.readdir = sfs_readdir;
	o.releasedir = sfs_releasedir;
	o.fsyncdir = sfs_fsyncdir;
	o.init = sfs_init;
	o.create = sfs_create;
	o.utimens = sfs_utimens;
	return o;
}

// ------------------------------------------------------------ control
// One command a connection: a line in, the answer out, then close.
std::string control_command(std::string_view cmd)
{
	while (!cmd.empty() && (cmd.back() == '\n' || cmd.back() == '\r'))
		cmd.remove_suffix(1);
	std::string out;
	if (cmd == "stats")
		out = stats_text(false);
	else if (cmd == "reset")
		out = stats_text(true);
	else if (cmd == "hang") {
		set_hung(true);
		out = "ok\n";
	} else if (cmd == "resume") {
		set_hung(false);
		out = "ok\n";
	} else if (cmd == "ping")
		out = "ok\n";
	else
		return "error: unknown command '" + std::string(cmd) +
		       "' (stats, reset, hang, resume, ping)\n";
	write_stats_file();
	return out;
}

void control_loop(int lfd)
{
	for (;;) {
		int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		timeval tv{5, 0};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		std::string cmd;
		char buf[256];
		while (cmd.find('\n') == std::string::npos && cmd.size() < 1024) {
			ssize_t n = read(c, buf, sizeof buf);
			if (n <= 0)
				break;
			cmd.append(buf, size_t(n));
		}
		write_all(c, control_command(cmd));
		close(c);
	}
}

int control_listen(const char *path)
{
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "stagefs: --control: path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "stagefs: --control=%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

// `stagefs ctl SOCKET COMMAND`: send one command, print the answer.
int ctl_main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: stagefs ctl SOCKET stats|reset|hang|resume|ping\n");
		return 2;
	}
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	if (strlen(argv[2]) >= sizeof sa.sun_path) {
		fprintf(stderr, "stagefs ctl: path too long: %s\n", argv[2]);
		return 2;
	}
	strcpy(sa.sun_path, argv[2]);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	timeval tv{5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) < 0) {
		fprintf(stderr, "stagefs ctl: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	std::string cmd = std::string(argv[3]) + "\n";
	if (!write_all(fd, cmd)) {
		fprintf(stderr, "stagefs ctl: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	std::string out;
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			fprintf(stderr, "stagefs ctl: %s: no answer: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		out.append(buf, size_t(n));
	}
	close(fd);
	fputs(out.c_str(), stdout);
	return out.rfind("error:", 0) == 0 ? 1 : 0;
}

// ------------------------------------------------------------ signals
// SIGUSR1: write the stats file; SIGUSR2: hang; SIGRTMIN+1: resume.
// Blocked in every thread and taken here; SIGINT, SIGTERM and SIGHUP stay
// libfuse's (leave the loop and unmount).
sigset_t our_signals()
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGRTMIN + 1);
	return s;
}

void signal_loop()
{
	sigset_t s = our_signals();
	for (;;) {
		int sig = sigwaitinfo(&s, nullptr);
		if (sig == SIGUSR1)
			write_stats_file();
		else if (sig == SIGUSR2) {
			set_hung(true);
			write_stats_file();
		} else if (sig == SIGRTMIN + 1) {
			set_hung(false);
			write_stats_file();
		}
	}
}

void stats_loop()
{
	for (;;) {
		std::this_thread::sleep_for(std::chrono::milliseconds(opts.stats_interval));
		write_stats_file();
	}
}

void usage()
{
	fprintf(stderr,
		"usage: stagefs BACKING MOUNTPOINT [-f] [-o allow_other] [-o OPTIONS]\n"
		"               [--control=SOCKET] [--stats=FILE] [--stats-interval=MS] [--cached]\n"
		"       stagefs ctl SOCKET stats|reset|hang|resume|ping\n"
		"See the comment at the top of tests/stagefs/stagefs.cpp.\n");
}

} // namespace

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc, argv);

	fuse_args args = FUSE_ARGS_INIT(argc, argv);
	if (fuse_opt_parse(&args, &opts, option_spec, opt_proc) < 0)
		return 2;
	fuse_cmdline_opts cl{};
	if (fuse_parse_cmdline(&args, &cl) < 0)
		return 2;
	if (cl.show_help || !opts.backing || !cl.mountpoint) {
		usage();
		return cl.show_help ? 0 : 2;
	}
	root_fd = open(opts.backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		fprintf(stderr, "stagefs: %s: %s\n", opts.backing, strerror(errno));
		return 1;
	}
	// Permissions are the kernel's, against the caller's credentials.
	fuse_opt_add_arg(&args, "-odefault_permissions");
	std::string fsname = "-ofsname=stagefs:";
	for (const char *p = opts.backing; *p; ++p) {
		if (*p == ',' || *p == '\\')
			fsname += '\\';
		fsname += *p;
	}
	fuse_opt_add_arg(&args, fsname.c_str());
	fuse_opt_add_arg(&args, "-osubtype=stagefs");

	umask(0);
	// Our signals go to signal_loop only; block them before any thread.
	sigset_t ours = our_signals();
	pthread_sigmask(SIG_BLOCK, &ours, nullptr);

	fuse_operations ops = make_ops();
	fuse *f = fuse_new(&args, &ops, sizeof ops, nullptr);
	if (!f)
		return 1;
	the_fuse = f;
	if (fuse_mount(f, cl.mountpoint) != 0) {
		fuse_destroy(f);
		return 1;
	}
	int lfd = -1;
	if (opts.control && (lfd = control_listen(opts.control)) < 0) {
		fuse_unmount(f);
		fuse_destroy(f);
		return 1;
	}
	if (fuse_daemonize(cl.foreground) != 0 ||
	    fuse_set_signal_handlers(fuse_get_session(f)) != 0) {
		fuse_unmount(f);
		fuse_destroy(f);
		return 1;
	}
	// Detached: they run until the process exits.
	std::thread(signal_loop).detach();
	if (lfd >= 0)
		std::thread(control_loop, lfd).detach();
	if (opts.stats) {
		write_stats_file();
		if (opts.stats_interval > 0)
			std::thread(stats_loop).detach();
	}

	int ret;
	if (cl.singlethread)
		ret = fuse_loop(f);
	else {
		fuse_loop_config *lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(lc, cl.clone_fd);
		// Requests waiting in a hang each hold a thread.
		fuse_loop_cfg_set_max_threads(lc, cl.max_threads > 64 ? cl.max_threads : 64);
		if (cl.max_idle_threads != UINT_MAX) // UINT_MAX: not given
			fuse_loop_cfg_set_idle_threads(lc, cl.max_idle_threads);
		ret = fuse_loop_mt(f, lc);
		fuse_loop_cfg_destroy(lc);
	}
	set_hung(false);
	write_stats_file();
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
	if (opts.control)
		unlink(opts.control);
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	// libfuse's loop returns the signal that ended it: a clean exit.
	return ret == 0 || ret == SIGTERM || ret == SIGINT || ret == SIGHUP ? 0 : 1;
}
