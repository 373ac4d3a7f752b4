// The node-local stage-in cache (issue 9, part 7): a file staged to this
// node for a user, and unchanged since, is served from a local copy instead
// of being read from the share again.
//
// Layout, all of it on one node-local file system:
//   <base>/                root-owned, not writable by group or others
//   <base>/<uid>/          owned by <uid>, mode 0700 (prepare_user_dir)
//   <base>/<uid>/<E>       an entry: the whole content of one version of
//                          one source file, read-only (mode & 0555 | 0400),
//                          mtime and atime those of the source
//   <base>/<uid>/<E>.lock  its lock file (flock); its mtime is the entry's
//                          last use, the LRU clock
//   <base>/<uid>/<E>.tmp.<pid>.<n>  an entry being filled
// where <E> = entry_name(key): the key's device, inode, size and mtime (ns)
// as four 16-digit lower-case hex numbers joined by '-'.
//
// No index file. Everything the cache knows is in names and inode metadata:
// the key is the entry's name, the LRU clock is the lock file's mtime, the
// size is the entry's st_size. There is nothing to parse but a fixed-format
// name (parse_cache_name(): exact length, lower-case hex, nothing else), so
// a corrupted or hostile directory (the user owns it) can at worst make an
// entry look missing: a miss, never a wrong hit. Every open is relative to
// the directory's fd with O_NOFOLLOW, and an entry is served only if it is a
// regular file owned by the user, read-only, with the key's size and mtime.
// An index would add a parser to fuzz, a second source of truth to keep in
// step with the directory, and a shared file to lock.
//
// The key: uid + source device + inode + size + mtime (ns). The path alone
// is not enough: the same path names a new file after a rename or a
// re-write (same name, other content), and one file has many paths (hard
// links, two mount points of one export, symlinked directories), which
// would miss. Device and inode name the file, size and mtime its version,
// the uid the reader. The limits: a writer that keeps the size and resets
// the mtime to the old nanosecond defeats it (as it does rsync and make);
// an NFS remount may change st_dev (a miss, never a wrong hit). The mode is
// not in the key: the content does not depend on it.
//
// Placement into the job's scratch (Placement):
//   link (default): a hard link to the entry when scratch and cache share a
//     file system (linkat through /proc/self/fd/N, so the very inode that was
//     checked is linked, never a name a user swapped in between); else a
//     reflink (FICLONE) or a copy. A hard link shares the inode: entries are
//     read-only so that a job cannot write into the cache by accident, and
//     the staged file is read-only too. A job that chmods its input and
//     writes it changes its mtime, which makes the entry a miss (and it is
//     replaced) on the next stage; only a job that also resets the mtime to
//     the old nanosecond can feed its own later jobs a changed file. While
//     two of the user's jobs run with links to one entry, one that chmods
//     and writes its input changes the other's too. Entries are per user,
//     so all of this harms only the user who does it, and only on purpose
//     (the file is read-only until they chmod it). This is what makes a
//     warm stage-in O(1) per file on an SD card or USB disk.
//   copy: always an independent file with the source's mode (reflink where
//     the file system has it, else a copy): for jobs that write their inputs.
//
// Concurrency: every user of an entry holds a flock on its lock file, shared
// while it reads the entry, exclusive while it fills it. A stage takes the
// shared lock (within lock_timeout_ms), and on a miss the exclusive one,
// checks again (another job may have filled it meanwhile: then it is a hit),
// fills a temp file through the caller's FetchFn, checks its size and
// renames it to the entry's name. A crash mid-fill leaves only a temp name
// that is never served (and that trim() removes). Nothing is fsynced: a
// fsync per entry made a first stage of 20,000 small files 4.8x slower
// (docs/benchmarks.md), and a power loss cannot make a wrong hit. A file
// system that commits a file's size only with its data (ext4's default
// data=ordered, which Raspberry Pi OS uses; XFS) brings a renamed but
// unwritten entry back shorter than its key (a miss, replaced); the
// flushes a crash leaves undone are of the cache's own copies, and the job
// they were made for read the data through the page cache. Two jobs staging
// the same file: one fetches, the other waits for the lock and then links.
// trim() evicts only entries whose lock it gets exclusively without waiting,
// so an entry in use is never evicted. Lock files are removed only under
// their own exclusive lock; whoever gets a lock checks that the name still
// names the locked inode, and starts again otherwise. Even an entry that is
// unlinked while in use stays readable through the fd a Lease holds.
//
// Who runs what: UserCache runs as the job's user (in the copy child, with
// geteuid() == uid; open() refuses otherwise), so every read of the share
// and every write in the cache is the user's. prepare_user_dir() and trim()
// are root's (slurmd's prolog): they only mkdir/chown/chmod through fds and
// unlinkat names in directories opened with O_NOFOLLOW.
//
// Errors are values; no exception leaves these functions (but std::bad_alloc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace slurmpi::stage {

// One version of one source file, for one user. uid, dev, ino, size and
// mtime_ns are the identity; the rest travels with it.
struct CacheKey {
	uid_t uid = 0;
	std::uint64_t dev = 0;
	std::uint64_t ino = 0;
	std::uint64_t size = 0;
	std::int64_t mtime_ns = 0;
	std::int64_t atime_ns = 0; // given to a new entry; not identity
	mode_t mode = 0644;        // the source's permission bits; not identity
	std::string path;          // the source, for messages only
};

// The key of the open source file `src_fd` (fstat: the file the caller
// opened beneath the allowed root, as the user, so no path is looked up
// twice). nullopt if fstat fails, it is not a regular file or the fd is
// not open for reading (O_PATH checks no read permission); `why` (may be
// null) then says so.
std::optional<CacheKey> key_of(int src_fd, uid_t uid, std::string path, std::string *why);

// <dev>-<ino>-<size>-<mtime_ns as two's complement>, each 16 lower-case hex
// digits: always 67 characters.
std::string entry_name(const CacheKey &key);

// What a name in a user's cache directory is.
enum class CacheName { entry, lock, temp };
struct ParsedCacheName {
	CacheName kind = CacheName::entry;
	CacheKey key;       // uid 0 and path "": names carry neither
	std::string entry;  // the entry's name (for a lock or temp file)
};
// Recognises exactly entry_name(), entry_name() + ".lock" and
// entry_name() + ".tmp." + anything of [0-9.] (at most 40 characters).
// Anything else, including upper-case hex, is nullopt.
std::optional<ParsedCacheName> parse_cache_name(std::string_view name);

enum class Placement { link, copy };

struct CacheConfig {
	std::string base;            // absolute; e.g. /var/cache/slurm-pi/stage
	std::uint64_t max_bytes = 0; // trim() bound; a larger file is not cached; 0 = none
	int lock_timeout_ms = 60000; // how long a stage waits for another job's fill
	Placement placement = Placement::link;
};

// Writes the source's whole content into `dst_fd`: an empty regular file
// open for reading and writing at offset 0. Returns "" or what failed (it
// is passed on as the stage's error). The cache never reads the share: the
// caller's copy engine does, as the user, from the fd it keyed. It should
// fail if the source changed while it read it; the cache also refuses to
// keep a fill whose size is not the key's.
using FetchFn = std::function<std::string(int dst_fd)>;

// Copies the entry `src_fd` (regular, at offset 0) into the empty regular
// file `dst_fd`. Returns "" or what failed. Without one, the cache's own
// loop does it (copy_file_range, else read/write; holes are not kept).
using CopyFn = std::function<std::string(int src_fd, int dst_fd)>;

enum class CacheOutcome {
	hit,    // served from the cache; the share was not read
	miss,   // fetched into the cache, then served from it
	bypass, // fetched straight into the destination; `note` says why
};

struct CacheResult {
	CacheOutcome outcome = CacheOutcome::bypass;
	std::string error;         // "" when the destination is complete
	int err = 0;               // errno behind `error`, when there is one
	bool fetch_failed = false; // `error` is the FetchFn's own message
	bool linked = false;       // placed as a hard link to the entry
	std::uint64_t bytes = 0;   // the file's size
	std::string note;          // why the cache was bypassed, for the log
};

// Counters for the plugin's log line (describe()). Bytes saved are the
// sizes of hits: bytes the share did not have to send.
struct CacheStats {
	std::uint64_t hits = 0;
	std::uint64_t misses = 0;
	std::uint64_t bypasses = 0;
	std::uint64_t errors = 0;
	std::uint64_t bytes_saved = 0;
	std::uint64_t bytes_fetched = 0;
	void add(const CacheResult &r);
};
// A stage runs in a child as the user: it can hand its counters to the
// plugin through a pipe as they are.
static_assert(std::is_trivially_copyable_v<CacheStats>);
// "cache: 2 hits, 1 miss, 0 bypassed, 0 failed; 12582912 bytes saved,
// 4096 fetched"
std::string describe(const CacheStats &s);

// As root (or as the user itself): makes <base> (its last component, mode
// 0755, if missing) and <base>/<uid>, owned by uid:gid, mode 0700; an
// existing one is checked (a directory, not a symlink) and given that owner
// and mode through its fd. <base> must be a directory owned by root or the
// caller, not writable by group or others. Returns "" or what is wrong.
std::string prepare_user_dir(const std::string &base, uid_t uid, gid_t gid);

// The fill or hit a stage holds while it places the entry. Moving only.
// While it lives, the entry is locked (shared) and cannot be evicted.
class Lease {
public:
	Lease() = default;
	Lease(Lease &&o) noexcept;
	Lease &operator=(Lease &&o) noexcept;
	Lease(const Lease &) = delete;
	Lease &operator=(const Lease &) = delete;
	~Lease();
	bool valid() const { return entry_fd_ >= 0; }
	int fd() const { return entry_fd_; } // the entry, read-only use
	bool hit() const { return hit_; }

private:
	friend class UserCache;
	int entry_fd_ = -1;
	int lock_fd_ = -1;
	bool hit_ = false;
	void release();
};

// One user's cache directory, used as that user. One object is used by one
// thread at a time (stats() is a plain counter); threads that stage at
// once each use their own object, opened for the same user: they share
// nothing but the directory, where the locks above keep them apart, and
// temp names are unique in the process.
class UserCache {
public:
	// Opens <base>/<uid> (creating it only if the caller owns <base>).
	// Refuses when geteuid() != uid, when <base> is not a directory owned by
	// root or the caller and closed to group and others, or when the user
	// directory is not a directory owned by uid (a group or other bit is
	// cleared). nullopt and `why` on refusal: stage without the cache.
	static std::optional<UserCache> open(const CacheConfig &cfg, uid_t uid,
					     std::string *why);
	UserCache(UserCache &&o) noexcept;
	UserCache &operator=(UserCache &&o) noexcept;
	UserCache(const UserCache &) = delete;
	UserCache &operator=(const UserCache &) = delete;
	~UserCache();

	// The entry for `key`, filled through `fetch` if it is missing or not
	// as it should be. nullopt when the cache cannot be used for it (another
	// uid's key, larger than max_bytes, busy beyond the timeout, a name the
	// cache cannot use): `res->outcome` is bypass and `res->note` says why;
	// or when `fetch` failed: `res->error`, `res->fetch_failed`.
	std::optional<Lease> acquire(const CacheKey &key, const FetchFn &fetch,
				     CacheResult *res);

	// Puts the leased entry at `dst_name` (one path component) in the
	// directory `dst_dirfd`, as cfg.placement says. The name must not exist.
	// Returns "" or what failed (`*err` the errno); nothing is left at the
	// name on failure. `*linked` says whether it became a hard link.
	std::string place(const Lease &lease, const CacheKey &key, int dst_dirfd,
			   const std::string &dst_name, const CopyFn &copy, bool *linked,
			   int *err);

	// acquire() + place(), or fetch_direct() on a bypass: the one call a
	// stage makes per file. Counts the result in stats().
	CacheResult stage(const CacheKey &key, const FetchFn &fetch, int dst_dirfd,
			  const std::string &dst_name, const CopyFn &copy = {});

	const CacheStats &stats() const { return stats_; }
	const CacheConfig &config() const { return cfg_; }

private:
	UserCache(CacheConfig cfg, uid_t uid, int dirfd);
	CacheConfig cfg_;
	uid_t uid_ = 0;
	int dirfd_ = -1;
	CacheStats stats_;
};

// Without a cache: creates `dst_name` in `dst_dirfd` (must not exist), fills
// it through `fetch`, gives it the key's mode (setuid/setgid cleared) and
// times. Outcome bypass, with `note`. The destination is removed on error.
CacheResult fetch_direct(const CacheKey &key, const FetchFn &fetch, int dst_dirfd,
			 const std::string &dst_name, std::string note);

struct TrimResult {
	std::uint64_t entries = 0;       // entries found
	std::uint64_t bytes_before = 0;  // their sizes
	std::uint64_t bytes_after = 0;
	std::uint64_t evicted = 0;
	std::uint64_t bytes_evicted = 0;
	std::uint64_t in_use = 0;        // over the bound but locked: kept
	std::uint64_t removed_other = 0; // temp files, orphan locks, bad entries
	std::string error;               // "" unless <base> could not be read
};

// Evicts least recently used entries (oldest lock mtime first; a lock mtime
// in the future counts as oldest, so touching one's locks into the future
// does not pin entries) until the entries under <base> total at most
// `max_bytes`, skipping entries in use. Also removes temp files no one is
// filling, lock files without an entry, and entry names that are not
// regular files. As root it sees every user's directory; as a user only
// its own (the others are 0700). Names it does not recognise are left
// alone and not counted. An entry counts as the smaller of its size and
// the disk space it holds (a user's sparse file cannot claim more). Entries
// in use are kept even when that leaves the total above the bound
// (`in_use` says how many); `max_bytes` 0 evicts
// every entry not in use, so a cache without a bound is not trimmed. Run it
// after a job's stage-in (root, in the prolog), when its own entries are
// the most recently used.
TrimResult trim(const std::string &base, std::uint64_t max_bytes);

} // namespace slurmpi::stage
