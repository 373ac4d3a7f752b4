#include "common/stage/cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "common/stage/fd.hpp"
#include "common/text.hpp"

namespace slurmpi::stage {

namespace {


constexpr std::size_t kHexWidth = 16;
constexpr std::size_t kEntryNameLen = 4 * kHexWidth + 3;
constexpr std::string_view kLockSuffix = ".lock";
constexpr std::string_view kTempInfix = ".tmp.";

// Temp names are <entry>.tmp.<pid>.<serial>.<ns>: the serial is the
// process's, not a UserCache's, so that two caches in one process (one per
// copy worker) never pick the same name for one entry.
std::atomic<std::uint64_t> temp_serial{0};
std::uint64_t next_temp_serial() { return temp_serial.fetch_add(1, std::memory_order_relaxed); }
constexpr std::size_t kTempTailMax = 40;

void append_hex16(std::string &out, std::uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int shift = 60; shift >= 0; shift -= 4)
		out.push_back(digits[(v >> shift) & 0xf]);
}

// Exactly 16 lower-case hex digits.
std::optional<std::uint64_t> parse_hex16(std::string_view s)
{
	if (s.size() != kHexWidth)
		return std::nullopt;
	std::uint64_t v = 0;
	for (char c : s) {
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return std::nullopt;
		v = (v << 4) | static_cast<std::uint64_t>(d);
	}
	return v;
}

std::int64_t ns_of(const struct timespec &ts)
{
	return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

struct timespec ts_of(std::int64_t ns)
{
	struct timespec ts;
	ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
	ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
	if (ts.tv_nsec < 0) {
		ts.tv_nsec += 1000000000L;
		ts.tv_sec -= 1;
	}
	return ts;
}

// An entry's mode: the source's permission bits, read-only, readable by
// its owner (a 0200 source would otherwise make an entry nobody can serve).
mode_t entry_mode(mode_t source) { return (source & 0555) | 0400; }

// A staged copy's mode: the source's permission bits without setuid/setgid.
mode_t copy_mode(mode_t source) { return source & 01777; }

std::string set_mode_times(int fd, mode_t mode, std::int64_t atime_ns, std::int64_t mtime_ns)
{
	if (fchmod(fd, mode) != 0)
		return "chmod: " + errno_string(errno);
	struct timespec ts[2] = {ts_of(atime_ns), ts_of(mtime_ns)};
	if (futimens(fd, ts) != 0)
		return "set times: " + errno_string(errno);
	return "";
}

// One path component that openat() will take as a name in the directory.
bool is_plain_name(const std::string &name)
{
	return !name.empty() && name != "." && name != ".." &&
	       name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

void sleep_ms(long ms)
{
	struct timespec ts{ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

// flock(fd, op) within `timeout_ms`, polling with a growing pause (1 to 50
// ms): flock itself cannot time out.
bool lock_within(int fd, int op, int timeout_ms)
{
	using clock = std::chrono::steady_clock;
	const auto deadline = clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
	long pause = 1;
	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return false;
		auto now = clock::now();
		if (now >= deadline)
			return false;
		long left = static_cast<long>(
			std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
		sleep_ms(std::max(1L, std::min(pause, left)));
		pause = std::min(pause * 2, 50L);
	}
}

// Whether `name` in `dirfd` still names the file open at `fd`.
bool names_fd(int dirfd, const std::string &name, int fd)
{
	struct stat a, b;
	if (fstat(fd, &a) != 0 || fstatat(dirfd, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Opens a lock file (creating it if `create`): a regular file owned by
// `owner`, never through a symlink. -1 with `*why` otherwise (ENOENT:
// `*why` is empty).
UniqueFd open_lock(int dirfd, const std::string &name, bool create, uid_t owner, std::string *why)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	if (create)
		flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	UniqueFd fd(openat(dirfd, name.c_str(), flags, 0600));
	if (!fd.valid()) {
		int e = errno;
		if (e == ENOENT && !create)
			why->clear();
		else if (e == ELOOP)
			*why = quoted(name, 128) + ": a symbolic link; not followed";
		else
			*why = quoted(name, 128) + ": " + errno_string(e);
		return UniqueFd();
	}
	struct stat st;
	if (fstat(fd.get(), &st) != 0) {
		*why = quoted(name, 128) + ": " + errno_string(errno);
		return UniqueFd();
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != owner) {
		*why = quoted(name, 128) + ": not a regular file owned by uid " +
		       std::to_string(owner);
		return UniqueFd();
	}
	return fd;
}

// Why lock_within() failed with `err` on the lock file `name`.
std::string lock_failure(const std::string &name, int timeout_ms, int err)
{
	if (err == EWOULDBLOCK || err == EINTR)
		return "busy: another stage held " + quoted(name, 128) + " for " +
		       std::to_string(timeout_ms) + " ms";
	return quoted(name, 128) + ": flock: " + errno_string(err);
}

// The lock file `name`, created if missing, locked with `op` (LOCK_SH or
// LOCK_EX) within `timeout_ms`, and still the file of that name once
// locked (trim() may have removed it meanwhile: then again, a few times).
UniqueFd take_lock(int dirfd, const std::string &name, int op, int timeout_ms, uid_t owner,
	     std::string *why)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		UniqueFd fd = open_lock(dirfd, name, true, owner, why);
		if (!fd.valid())
			return fd;
		if (!lock_within(fd.get(), op, timeout_ms)) {
			*why = lock_failure(name, timeout_ms, errno);
			return UniqueFd();
		}
		if (names_fd(dirfd, name, fd.get()))
			return fd;
	}
	*why = quoted(name, 128) + ": removed under us again and again";
	return UniqueFd();
}

// Marks the entry used now (the LRU clock). Best effort.
void touch(int lock_fd) { futimens(lock_fd, nullptr); }

enum class EntryState { ok, absent, bad };

// The entry `name`, if it is what the key says: a regular file, not a
// symlink, owned by the key's uid, read-only, with the key's size and
// mtime. The fd is read-only.
EntryState open_entry(int dirfd, const std::string &name, const CacheKey &key, UniqueFd *out)
{
	UniqueFd fd(openat(dirfd, name.c_str(),
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
	if (!fd.valid())
		return errno == ENOENT ? EntryState::absent : EntryState::bad;
	struct stat st;
	if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != key.uid ||
	    (st.st_mode & 0222) != 0 || static_cast<std::uint64_t>(st.st_size) != key.size ||
	    ns_of(st.st_mtim) != key.mtime_ns)
		return EntryState::bad;
	*out = std::move(fd);
	return EntryState::ok;
}

// copy_file_range with explicit offsets (the fds' positions do not
// matter), falling back to pread/pwrite when the kernel or the file
// systems refuse.
std::string default_copy(int src, int dst)
{
	constexpr std::size_t kChunk = 8u << 20;
	loff_t in = 0, out = 0;
	bool range = true;
	for (;;) {
		if (range) {
			ssize_t n = copy_file_range(src, &in, dst, &out, kChunk, 0);
			if (n > 0)
				continue;
			if (n == 0)
				return "";
			if (errno == EINTR)
				continue;
			if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
			    errno != EOPNOTSUPP && errno != EPERM)
				return "copy: " + errno_string(errno);
			range = false;
		}
		char buf[1 << 16];
		ssize_t n = pread(src, buf, sizeof buf, in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return "read: " + errno_string(errno);
		if (n == 0)
			return "";
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(dst, buf + done, static_cast<std::size_t>(n - done), out);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return "write: " + errno_string(w < 0 ? errno : EIO);
			done += w;
			out += w;
		}
		in += n;
	}
}

// Base must be a directory owned by root or the caller, closed to group
// and others for writing.
std::string check_base(int basefd, const std::string &base)
{
	struct stat st;
	if (fstat(basefd, &st) != 0)
		return quoted(base, 256) + ": " + errno_string(errno);
	if (!S_ISDIR(st.st_mode))
		return quoted(base, 256) + ": not a directory";
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return quoted(base, 256) + ": owned by uid " + std::to_string(st.st_uid) +
		       ", not by root";
	if ((st.st_mode & 022) != 0)
		return quoted(base, 256) + ": writable by group or others";
	return "";
}

UniqueFd open_dir(int at, const std::string &path, std::string *why, const std::string &shown)
{
	UniqueFd fd(openat(at, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd.valid()) {
		int e = errno;
		// O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR.
		struct stat st;
		bool link = e == ELOOP || (e == ENOTDIR &&
					   fstatat(at, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					   S_ISLNK(st.st_mode));
		*why = quoted(shown, 256) + ": " +
		       (link ? std::string("a symbolic link; not followed") : errno_string(e));
		errno = e;
	}
	return fd;
}

// The names in the directory `dirfd` (without . and ..); nullopt if it
// cannot be read.
std::optional<std::vector<std::string>> names_in(int dirfd)
{
	int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return std::nullopt;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		::close(dup_fd);
		return std::nullopt;
	}
	rewinddir(d);
	std::vector<std::string> out;
	while (struct dirent *e = readdir(d)) {
		std::string_view n = e->d_name;
		if (n != "." && n != "..")
			out.emplace_back(n);
	}
	closedir(d);
	return out;
}

// A decimal uid as a directory name: digits only, no leading zero, fits.
std::optional<uid_t> parse_uid(std::string_view s)
{
	if (s.size() > 1 && s[0] == '0')
		return std::nullopt;
	auto v = parse_u32(s);
	if (!v || *v >= std::numeric_limits<uid_t>::max())
		return std::nullopt;
	return static_cast<uid_t>(*v);
}

} // namespace

std::optional<CacheKey> key_of(int src_fd, uid_t uid, std::string path, std::string *why)
{
	// Only an fd open for reading proves the user may read the file now:
	// O_PATH checks no read permission.
	int fl = fcntl(src_fd, F_GETFL);
	if (fl == -1 || (fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY) {
		if (why)
			*why = quoted(path, 256) + ": " +
			       (fl == -1 ? errno_string(errno) : std::string("not open for reading"));
		return std::nullopt;
	}
	struct stat st;
	if (fstat(src_fd, &st) != 0) {
		if (why)
			*why = quoted(path, 256) + ": " + errno_string(errno);
		return std::nullopt;
	}
	if (!S_ISREG(st.st_mode)) {
		if (why)
			*why = quoted(path, 256) + ": not a regular file";
		return std::nullopt;
	}
	CacheKey k;
	k.uid = uid;
	k.dev = static_cast<std::uint64_t>(st.st_dev);
	k.ino = static_cast<std::uint64_t>(st.st_ino);
	k.size = static_cast<std::uint64_t>(st.st_size);
	k.mtime_ns = ns_of(st.st_mtim);
	k.atime_ns = ns_of(st.st_atim);
	k.mode = st.st_mode & 07777;
	k.path = std::move(path);
	return k;
}

std::string entry_name(const CacheKey &key)
{
	std::string out;
	out.reserve(kEntryNameLen);
	append_hex16(out, key.dev);
	out.push_back('-');
	append_hex16(out, key.ino);
	out.push_back('-');
	append_hex16(out, key.size);
	out.push_back('-');
	append_hex16(out, static_cast<std::uint64_t>(key.mtime_ns));
	return out;
}

std::optional<ParsedCacheName> parse_cache_name(std::string_view name)
{
	if (name.size() < kEntryNameLen)
		return std::nullopt;
	std::string_view e = name.substr(0, kEntryNameLen);
	std::string_view rest = name.substr(kEntryNameLen);
	std::uint64_t v[4];
	for (std::size_t i = 0; i < 4; i++) {
		std::size_t at = i * (kHexWidth + 1);
		if (i > 0 && e[at - 1] != '-')
			return std::nullopt;
		auto x = parse_hex16(e.substr(at, kHexWidth));
		if (!x)
			return std::nullopt;
		v[i] = *x;
	}
	ParsedCacheName p;
	if (rest.empty()) {
		p.kind = CacheName::entry;
	} else if (rest == kLockSuffix) {
		p.kind = CacheName::lock;
	} else if (rest.substr(0, kTempInfix.size()) == kTempInfix) {
		std::string_view tail = rest.substr(kTempInfix.size());
		if (tail.empty() || tail.size() > kTempTailMax)
			return std::nullopt;
		for (char c : tail)
			if (!(c >= '0' && c <= '9') && c != '.')
				return std::nullopt;
		p.kind = CacheName::temp;
	} else {
		return std::nullopt;
	}
	p.key.dev = v[0];
	p.key.ino = v[1];
	p.key.size = v[2];
	p.key.mtime_ns = static_cast<std::int64_t>(v[3]);
	p.entry = std::string(e);
	return p;
}

void CacheStats::add(const CacheResult &r)
{
	switch (r.outcome) {
	case CacheOutcome::hit: hits++; break;
	case CacheOutcome::miss: misses++; break;
	case CacheOutcome::bypass: bypasses++; break;
	}
	if (!r.error.empty()) {
		errors++;
		return;
	}
	if (r.outcome == CacheOutcome::hit)
		bytes_saved += r.bytes;
	else
		bytes_fetched += r.bytes;
}

std::string describe(const CacheStats &s)
{
	auto n = [](std::uint64_t v, const char *one, const char *many) {
		return std::to_string(v) + " " + (v == 1 ? one : many);
	};
	return "cache: " + n(s.hits, "hit", "hits") + ", " + n(s.misses, "miss", "misses") +
	       ", " + std::to_string(s.bypasses) + " bypassed, " + std::to_string(s.errors) +
	       " failed; " + std::to_string(s.bytes_saved) + " bytes saved, " +
	       std::to_string(s.bytes_fetched) + " fetched";
}

std::string prepare_user_dir(const std::string &base, uid_t uid, gid_t gid)
{
	if (base.empty() || base[0] != '/')
		return quoted(base, 256) + ": not an absolute path";
	if (mkdir(base.c_str(), 0755) != 0 && errno != EEXIST)
		return quoted(base, 256) + ": mkdir: " + errno_string(errno);
	std::string why;
	UniqueFd basefd = open_dir(AT_FDCWD, base, &why, base);
	if (!basefd.valid())
		return why;
	why = check_base(basefd.get(), base);
	if (!why.empty())
		return why;
	std::string name = std::to_string(uid);
	std::string shown = base + "/" + name;
	if (mkdirat(basefd.get(), name.c_str(), 0700) != 0 && errno != EEXIST)
		return quoted(shown, 256) + ": mkdir: " + errno_string(errno);
	UniqueFd dir = open_dir(basefd.get(), name, &why, shown);
	if (!dir.valid())
		return why;
	struct stat st;
	if (fstat(dir.get(), &st) != 0)
		return quoted(shown, 256) + ": " + errno_string(errno);
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(dir.get(), uid, gid) != 0)
		return quoted(shown, 256) + ": chown: " + errno_string(errno);
	if ((st.st_mode & 07777) != 0700 && fchmod(dir.get(), 0700) != 0)
		return quoted(shown, 256) + ": chmod: " + errno_string(errno);
	return "";
}

// ---------------------------------------------------------------- Lease

Lease::Lease(Lease &&o) noexcept
	: entry_fd_(std::exchange(o.entry_fd_, -1)), lock_fd_(std::exchange(o.lock_fd_, -1)),
	  hit_(o.hit_)
{
}

Lease &Lease::operator=(Lease &&o) noexcept
{
	if (this != &o) {
		release();
		entry_fd_ = std::exchange(o.entry_fd_, -1);
		lock_fd_ = std::exchange(o.lock_fd_, -1);
		hit_ = o.hit_;
	}
	return *this;
}

Lease::~Lease() { release(); }

void Lease::release()
{
	if (entry_fd_ >= 0)
		::close(entry_fd_);
	if (lock_fd_ >= 0)
		::close(lock_fd_); // drops the flock
	entry_fd_ = lock_fd_ = -1;
}

// ---------------------------------------------------------------- UserCache

UserCache::UserCache(CacheConfig cfg, uid_t uid, int dirfd)
	: cfg_(std::move(cfg)), uid_(uid), dirfd_(dirfd)
{
}

UserCache::UserCache(UserCache &&o) noexcept
	: cfg_(std::move(o.cfg_)), uid_(o.uid_), dirfd_(std::exchange(o.dirfd_, -1)),
	  stats_(o.stats_)
{
}

UserCache &UserCache::operator=(UserCache &&o) noexcept
{
	if (this != &o) {
		if (dirfd_ >= 0)
			::close(dirfd_);
		cfg_ = std::move(o.cfg_);
		uid_ = o.uid_;
		dirfd_ = std::exchange(o.dirfd_, -1);
		stats_ = o.stats_;
	}
	return *this;
}

UserCache::~UserCache()
{
	if (dirfd_ >= 0)
		::close(dirfd_);
}

std::optional<UserCache> UserCache::open(const CacheConfig &cfg, uid_t uid, std::string *why)
{
	std::string local;
	if (!why)
		why = &local;
	if (geteuid() != uid) {
		*why = "the cache for uid " + std::to_string(uid) + " is used as that user, not uid " +
		       std::to_string(geteuid());
		return std::nullopt;
	}
	if (cfg.base.empty() || cfg.base[0] != '/') {
		*why = quoted(cfg.base, 256) + ": not an absolute path";
		return std::nullopt;
	}
	UniqueFd basefd = open_dir(AT_FDCWD, cfg.base, why, cfg.base);
	if (!basefd.valid())
		return std::nullopt;
	*why = check_base(basefd.get(), cfg.base);
	if (!why->empty())
		return std::nullopt;
	std::string name = std::to_string(uid);
	std::string shown = cfg.base + "/" + name;
	UniqueFd dir = open_dir(basefd.get(), name, why, shown);
	if (!dir.valid() && errno == ENOENT) {
		// Only where the caller owns <base> (a user's own cache, tests);
		// under a root-owned base, prepare_user_dir() makes it.
		// EEXIST: another stage made it just now.
		if (mkdirat(basefd.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
			*why = quoted(shown, 256) + ": mkdir: " + errno_string(errno);
			return std::nullopt;
		}
		dir = open_dir(basefd.get(), name, why, shown);
	}
	if (!dir.valid())
		return std::nullopt;
	struct stat st;
	if (fstat(dir.get(), &st) != 0) {
		*why = quoted(shown, 256) + ": " + errno_string(errno);
		return std::nullopt;
	}
	if (st.st_uid != uid) {
		*why = quoted(shown, 256) + ": owned by uid " + std::to_string(st.st_uid) +
		       ", not " + std::to_string(uid);
		return std::nullopt;
	}
	if ((st.st_mode & 077) != 0 && fchmod(dir.get(), 0700) != 0) {
		*why = quoted(shown, 256) + ": open to others and chmod failed: " + errno_string(errno);
		return std::nullopt;
	}
	why->clear();
	return UserCache(cfg, uid, dir.release());
}

std::optional<Lease> UserCache::acquire(const CacheKey &key, const FetchFn &fetch,
					CacheResult *res)
{
	*res = CacheResult{};
	res->bytes = key.size;
	auto bypass = [&](std::string why) -> std::optional<Lease> {
		res->outcome = CacheOutcome::bypass;
		res->note = std::move(why);
		return std::nullopt;
	};
	if (key.uid != uid_)
		return bypass("the key is uid " + std::to_string(key.uid) + "'s, the cache uid " +
			      std::to_string(uid_) + "'s");
	if (cfg_.max_bytes != 0 && key.size > cfg_.max_bytes)
		return bypass("larger than the cache (" + std::to_string(key.size) + " > " +
			      std::to_string(cfg_.max_bytes) + " bytes)");
	const std::string name = entry_name(key);
	const std::string lock_name = name + std::string(kLockSuffix);
	std::string why;

	// A hit: the entry, held under its (shared) lock.
	auto hit = [&](UniqueFd &entry, UniqueFd &lock) {
		touch(lock.get());
		Lease l;
		l.entry_fd_ = entry.release();
		l.lock_fd_ = lock.release();
		l.hit_ = true;
		res->outcome = CacheOutcome::hit;
		return l;
	};

	// A hit needs only the shared lock.
	UniqueFd lock = take_lock(dirfd_, lock_name, LOCK_SH, cfg_.lock_timeout_ms, uid_, &why);
	if (!lock.valid())
		return bypass(why);
	UniqueFd entry;
	if (open_entry(dirfd_, name, key, &entry) == EntryState::ok)
		return hit(entry, lock);

	// A miss: fill it under the exclusive lock, unless another stage did
	// while we waited for it. The shared lock is converted on the same fd
	// (three system calls a file fewer than opening the lock again, which
	// counts for many small files); flock converts by dropping and then
	// taking, so trim() may have removed the lock file meanwhile: then
	// the lock is taken afresh.
	if (!lock_within(lock.get(), LOCK_EX, cfg_.lock_timeout_ms))
		return bypass(lock_failure(lock_name, cfg_.lock_timeout_ms, errno));
	if (!names_fd(dirfd_, lock_name, lock.get())) {
		lock = take_lock(dirfd_, lock_name, LOCK_EX, cfg_.lock_timeout_ms, uid_, &why);
		if (!lock.valid())
			return bypass(why);
	}
	EntryState state = open_entry(dirfd_, name, key, &entry);
	if (state == EntryState::ok) {
		flock(lock.get(), LOCK_SH); // not atomic, but the fd stays valid
		return hit(entry, lock);
	}
	if (state == EntryState::bad && unlinkat(dirfd_, name.c_str(), 0) != 0 &&
	    unlinkat(dirfd_, name.c_str(), AT_REMOVEDIR) != 0)
		return bypass(quoted(name, 128) + ": not a usable entry and cannot be removed: " +
			      errno_string(errno));

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	const std::string tmp_name = name + std::string(kTempInfix) + std::to_string(getpid()) +
				     "." + std::to_string(next_temp_serial()) + "." +
				     std::to_string(ns_of(now) % 1000000000000LL);
	UniqueFd tmp(openat(dirfd_, tmp_name.c_str(),
		      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600));
	if (!tmp.valid())
		return bypass(quoted(tmp_name, 128) + ": " + errno_string(errno));
	res->outcome = CacheOutcome::miss;
	std::string failed = fetch(tmp.get());
	if (!failed.empty()) {
		unlinkat(dirfd_, tmp_name.c_str(), 0);
		res->error = std::move(failed);
		res->fetch_failed = true;
		return std::nullopt;
	}
	struct stat st{};
	if (fstat(tmp.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != key.size) {
		unlinkat(dirfd_, tmp_name.c_str(), 0);
		res->error = quoted(key.path, 256) + ": changed while it was read (" +
			     std::to_string(st.st_size) + " bytes, not " +
			     std::to_string(key.size) + ")";
		res->err = EAGAIN;
		return std::nullopt;
	}
	// From here on the content is complete: if the cache cannot keep it,
	// the lease still serves it (unlinked, through its fd).
	Lease l;
	std::string keep = set_mode_times(tmp.get(), entry_mode(key.mode), key.atime_ns,
					  key.mtime_ns);
	if (keep.empty() && renameat(dirfd_, tmp_name.c_str(), dirfd_, name.c_str()) != 0)
		keep = "rename: " + errno_string(errno);
	if (!keep.empty()) {
		unlinkat(dirfd_, tmp_name.c_str(), 0);
		res->note = "fetched but not kept: " + keep;
	}
	flock(lock.get(), LOCK_SH);
	touch(lock.get());
	l.entry_fd_ = tmp.release();
	l.lock_fd_ = lock.release();
	l.hit_ = false;
	return l;
}

std::string UserCache::place(const Lease &lease, const CacheKey &key, int dst_dirfd,
			     const std::string &dst_name, const CopyFn &copy, bool *linked,
			     int *err)
{
	*linked = false;
	*err = 0;
	if (!lease.valid()) {
		*err = EBADF;
		return "no cache entry to place";
	}
	if (!is_plain_name(dst_name)) {
		*err = EINVAL;
		return quoted(dst_name, 256) + ": not a single file name";
	}
	if (cfg_.placement == Placement::link) {
		// The checked inode itself, not whatever the name says now.
		char proc[64];
		std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", lease.fd());
		if (linkat(AT_FDCWD, proc, dst_dirfd, dst_name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
			*linked = true;
			return "";
		}
		if (errno == EEXIST) {
			*err = EEXIST;
			return quoted(dst_name, 256) + ": " + errno_string(EEXIST);
		}
		// EXDEV (scratch on another file system), ENOENT (an entry that
		// was not kept), EMLINK, EPERM, no /proc: copy instead.
	}
	struct stat st;
	if (fstat(lease.fd(), &st) != 0) {
		*err = errno;
		return "cache entry: " + errno_string(*err);
	}
	UniqueFd out(openat(dst_dirfd, dst_name.c_str(),
		      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600));
	if (!out.valid()) {
		*err = errno;
		return quoted(dst_name, 256) + ": " + errno_string(*err);
	}
	std::string why;
	if (ioctl(out.get(), FICLONE, lease.fd()) != 0) {
		if (lseek(lease.fd(), 0, SEEK_SET) != 0)
			why = "cache entry: seek: " + errno_string(errno);
		else
			why = copy ? copy(lease.fd(), out.get()) : default_copy(lease.fd(), out.get());
	}
	if (why.empty())
		why = set_mode_times(out.get(), copy_mode(key.mode), ns_of(st.st_atim),
				     ns_of(st.st_mtim));
	if (!why.empty()) {
		*err = errno ? errno : EIO;
		unlinkat(dst_dirfd, dst_name.c_str(), 0);
		return quoted(dst_name, 256) + ": " + why;
	}
	return "";
}

CacheResult UserCache::stage(const CacheKey &key, const FetchFn &fetch, int dst_dirfd,
			     const std::string &dst_name, const CopyFn &copy)
{
	CacheResult res;
	std::optional<Lease> lease = acquire(key, fetch, &res);
	if (!lease) {
		if (res.outcome == CacheOutcome::bypass && res.error.empty())
			res = fetch_direct(key, fetch, dst_dirfd, dst_name, res.note);
		stats_.add(res);
		return res;
	}
	bool linked = false;
	int err = 0;
	std::string why = place(*lease, key, dst_dirfd, dst_name, copy, &linked, &err);
	res.linked = linked;
	if (!why.empty()) {
		res.error = std::move(why);
		res.err = err;
	}
	stats_.add(res);
	return res;
}

CacheResult fetch_direct(const CacheKey &key, const FetchFn &fetch, int dst_dirfd,
			 const std::string &dst_name, std::string note)
{
	CacheResult res;
	res.outcome = CacheOutcome::bypass;
	res.note = std::move(note);
	res.bytes = key.size;
	if (!is_plain_name(dst_name)) {
		res.err = EINVAL;
		res.error = quoted(dst_name, 256) + ": not a single file name";
		return res;
	}
	UniqueFd out(openat(dst_dirfd, dst_name.c_str(),
		      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600));
	if (!out.valid()) {
		res.err = errno;
		res.error = quoted(dst_name, 256) + ": " + errno_string(res.err);
		return res;
	}
	std::string why = fetch(out.get());
	if (!why.empty()) {
		res.fetch_failed = true;
	} else {
		why = set_mode_times(out.get(), copy_mode(key.mode), key.atime_ns, key.mtime_ns);
		if (!why.empty()) {
			res.err = errno;
			why = quoted(dst_name, 256) + ": " + why;
		}
	}
	if (!why.empty()) {
		unlinkat(dst_dirfd, dst_name.c_str(), 0);
		res.error = std::move(why);
	}
	return res;
}

// ---------------------------------------------------------------- trim

namespace {

struct Candidate {
	std::size_t dir; // index into the open user directories
	uid_t uid;
	std::string name;
	std::uint64_t size;
	std::int64_t last_use_ns;
	dev_t dev;
	ino_t ino;
};

// Removes `name` (and its lock) in `dirfd` if its lock can be taken
// exclusively without waiting. A missing lock file means no one holds it.
// Returns false when it is in use.
bool remove_unlocked(int dirfd, uid_t uid, const std::string &entry, const std::string &name,
		     bool and_lock)
{
	std::string why;
	const std::string lock_name = entry + std::string(kLockSuffix);
	UniqueFd lock = open_lock(dirfd, lock_name, false, uid, &why);
	if (lock.valid()) {
		if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0 || !names_fd(dirfd, lock_name, lock.get()))
			return false;
	} else if (!why.empty()) {
		// Not a lock file we can use (a symlink, another owner): no stage
		// can hold it either; remove it, never follow it.
		unlinkat(dirfd, lock_name.c_str(), 0);
	}
	unlinkat(dirfd, name.c_str(), 0);
	if (and_lock && lock.valid())
		unlinkat(dirfd, lock_name.c_str(), 0);
	return true;
}

} // namespace

TrimResult trim(const std::string &base, std::uint64_t max_bytes)
{
	TrimResult r;
	std::string why;
	UniqueFd basefd = open_dir(AT_FDCWD, base, &why, base);
	if (!basefd.valid()) {
		r.error = why;
		return r;
	}
	auto users = names_in(basefd.get());
	if (!users) {
		r.error = quoted(base, 256) + ": cannot be listed: " + errno_string(errno);
		return r;
	}
	struct timespec now_ts;
	clock_gettime(CLOCK_REALTIME, &now_ts);
	const std::int64_t now = ns_of(now_ts);

	std::vector<UniqueFd> dirs;
	std::vector<Candidate> all;
	for (const std::string &u : *users) {
		auto uid = parse_uid(u);
		if (!uid)
			continue;
		UniqueFd dir(openat(basefd.get(), u.c_str(),
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		struct stat dst;
		if (!dir.valid() || fstat(dir.get(), &dst) != 0 || dst.st_uid != *uid)
			continue; // another user's (as a user), or not a cache directory
		auto names = names_in(dir.get());
		if (!names)
			continue;
		const int dfd = dir.get();
		const std::size_t di = dirs.size();
		dirs.push_back(std::move(dir));
		std::vector<std::string> locks;
		std::vector<std::string> entries;
		for (const std::string &n : *names) {
			auto p = parse_cache_name(n);
			if (!p)
				continue;
			if (p->kind == CacheName::lock) {
				locks.push_back(n);
				continue;
			}
			if (p->kind == CacheName::temp) {
				// A temp file whose entry is not locked is no one's fill.
				if (remove_unlocked(dfd, *uid, p->entry, n, false))
					r.removed_other++;
				continue;
			}
			struct stat st;
			if (fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (!S_ISREG(st.st_mode)) {
				if (!S_ISDIR(st.st_mode) &&
				    remove_unlocked(dfd, *uid, n, n, true))
					r.removed_other++;
				continue;
			}
			entries.push_back(n);
			// The user owns the file: a sparse one could claim any
			// size and make trim evict everyone else's entries.
			// Count what it holds on disk, at most its size.
			const std::uint64_t size = std::min(
				static_cast<std::uint64_t>(st.st_size),
				static_cast<std::uint64_t>(st.st_blocks) * 512);
			std::int64_t last = 0;
			struct stat lst;
			std::string lock_name = n + std::string(kLockSuffix);
			if (fstatat(dfd, lock_name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0)
				last = ns_of(lst.st_mtim);
			if (last > now + 60 * 1000000000LL)
				last = 0; // a clock pushed into the future buys nothing
			all.push_back(Candidate{di, *uid, n, size, last, st.st_dev, st.st_ino});
			r.entries++;
			r.bytes_before += size;
		}
		// Lock files of no entry: a failed fill, or an evicted entry whose
		// lock a stage held at the time.
		std::sort(entries.begin(), entries.end());
		for (const std::string &l : locks) {
			std::string e = l.substr(0, kEntryNameLen);
			if (std::binary_search(entries.begin(), entries.end(), e))
				continue;
			std::string lwhy;
			UniqueFd lock = open_lock(dfd, l, false, *uid, &lwhy);
			if (!lock.valid()) {
				if (!lwhy.empty() && unlinkat(dfd, l.c_str(), 0) == 0)
					r.removed_other++;
				continue;
			}
			struct stat est;
			if (flock(lock.get(), LOCK_EX | LOCK_NB) == 0 &&
			    names_fd(dfd, l, lock.get()) &&
			    fstatat(dfd, e.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0 &&
			    errno == ENOENT && unlinkat(dfd, l.c_str(), 0) == 0)
				r.removed_other++;
		}
	}

	std::stable_sort(all.begin(), all.end(), [](const Candidate &a, const Candidate &b) {
		return a.last_use_ns < b.last_use_ns;
	});
	std::uint64_t total = r.bytes_before;
	for (const Candidate &c : all) {
		if (total <= max_bytes)
			break;
		const int dfd = dirs[c.dir].get();
		const std::string lock_name = c.name + std::string(kLockSuffix);
		std::string lwhy;
		UniqueFd lock = open_lock(dfd, lock_name, false, c.uid, &lwhy);
		if (lock.valid() && (flock(lock.get(), LOCK_EX | LOCK_NB) != 0 ||
				  !names_fd(dfd, lock_name, lock.get()))) {
			r.in_use++;
			continue;
		}
		// Still the file that was counted (a stage may have replaced it).
		struct stat st;
		if (fstatat(dfd, c.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    st.st_dev != c.dev || st.st_ino != c.ino)
			continue;
		if (unlinkat(dfd, c.name.c_str(), 0) != 0)
			continue;
		if (lock.valid() || !lwhy.empty())
			unlinkat(dfd, lock_name.c_str(), 0);
		total -= c.size;
		r.evicted++;
		r.bytes_evicted += c.size;
	}
	r.bytes_after = total;
	return r;
}

} // namespace slurmpi::stage
