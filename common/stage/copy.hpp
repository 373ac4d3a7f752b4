// The staging copy engine: one regular file or one directory tree from
// beneath a source root to beneath a destination root, with open fds, so
// that spank_pi_stage can call it in a child that already runs as the
// job's user (the engine itself never changes credentials).
//
// What it promises:
// - Paths are resolved with open_beneath() (common/stage/resolve.hpp):
//   nothing is read or written outside the two roots. The source path may
//   follow symbolic links that stay beneath its root; inside a tree the
//   engine never follows a symbolic link (every open has O_NOFOLLOW).
// - Two passes: a scan of the whole source (fstatat, no file opened) that
//   counts files and bytes and checks the size limit before anything is
//   written, then the copy. Entries that appear after the scan are not
//   copied; ones that vanish or change type are an error (not_found).
// - Regular files: copy_file_range(2), falling back per file to
//   sendfile(2) and then to pread/pwrite when the kernel or the file
//   systems refuse (EXDEV, EINVAL, ENOSYS, EOPNOTSUPP). Sparse files stay
//   sparse: only the data extents (SEEK_DATA/SEEK_HOLE) are copied, and
//   the size is set with ftruncate. Files are copied by a pool of
//   `threads` workers, which is what makes many small files fast; the
//   calling thread walks the tree, creates directories and symbolic links
//   and reports progress.
// - Modes: the permission bits and the sticky bit are copied; setuid and
//   setgid bits are never copied (a warning says so, once per entry).
//   Owners are not copied (new entries belong to whoever runs the copy),
//   nor ACLs and extended attributes. Hard links become separate files.
// - Times: access and modification times (ns) of files, directories and
//   symbolic links. Directories are created mode 0700 and get their own
//   mode and times once everything inside them is written.
// - Symbolic links in a tree are copied as symbolic links with the same
//   target text (as cp -a and rsync -a do), or skipped with a warning
//   (TreeSymlinks::skip). They are never followed, so a link that points
//   outside copies no data from there.
// - FIFOs, sockets and device nodes in a tree are skipped with a warning
//   and never opened (opening a FIFO would block). Named directly as the
//   source, they are an error (invalid).
// - The destination must not exist (invalid, "File exists"), unless
//   `merge`: then existing directories are reused and existing files and
//   symbolic links replaced (unlinked, never written through). Missing
//   parent directories of the destination are created (mode 0700).
// - Stops between chunks (at most `chunk_bytes`) when the size limit
//   would be exceeded, the deadline has passed or `cancel` is set; what
//   was written stays (the caller removes it with remove_tree()).
//   A read that hangs in the kernel (a dead NFS server) does not return
//   to check: run the engine in a child that the caller can kill.
// - ENOSPC on the destination is ErrorKind::disk_full with the
//   `full_note` in the message; missing sources, permissions, escapes are
//   the user's kinds (common/stage/error.hpp).
// - Allocates and starts threads: in a process forked from a threaded one
//   (slurmstepd), this relies on glibc's malloc being usable after fork.
// Errors are values; no exception leaves these functions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stage/error.hpp"
#include "common/stage/resolve.hpp"

namespace slurmpi::stage {

// Progress of one copy, given to the progress callback.
struct Progress {
	std::uint64_t bytes_done = 0;  // file bytes copied (holes count as done)
	std::uint64_t bytes_total = 0; // sum of the sizes found by the scan
	std::uint64_t files_done = 0;
	std::uint64_t files_total = 0;
	double seconds = 0;      // since the copy started
	double bytes_per_s = 0;  // bytes_done / seconds (0 before any time)
};

enum class TreeSymlinks {
	copy, // make a symbolic link with the same target text
	skip, // leave it out, with a warning
};

// How file data moves; each falls back to the next where refused.
enum class CopyMethod {
	copy_file_range, // in the kernel, and reflinks where the file system can
	sendfile,        // in the kernel (splice)
	read_write,      // pread/pwrite through a 1 MiB buffer
};

// A regular file the engine is about to copy, as fstat saw it on the open
// source fd: the fields a file hook needs, in fixed-width types (this
// header carries no struct stat, off_t or ino_t: the library is built with
// 64-bit file offsets and its callers need not be).
struct SourceFile {
	std::uint64_t dev = 0;
	std::uint64_t ino = 0;
	std::uint64_t size = 0;
	std::int64_t atime_ns = 0;
	std::int64_t mtime_ns = 0;
	unsigned mode = 0; // st_mode, type bits included
};

// The engine's own data copy of the file a hook was given, into `dst_fd`:
// an empty regular file open for writing (at any offset: positions are
// explicit). Sparse files stay sparse (the size is set with ftruncate), and
// the size limit, deadline and cancel flag are checked between chunks; the
// bytes count in the copy's progress and stats. True when the data is
// complete. On false the engine has already recorded the error (the copy
// fails with it, whatever the hook then returns). Call it at most once.
using FillFn = std::function<bool(int dst_fd)>;

// Takes over placing one regular file: called on a worker thread (several
// at once with threads > 1) for every regular file of the copy, the top
// one included, never for directories, symbolic links or skipped entries.
// `src_fd` is the open source (read-only, the hook must not close it),
// `dst_dirfd` the destination directory, `dst_name` the new entry's name in
// it (one component; with `merge`, an entry that was in the way is already
// removed), `src_path` and `dst_path` the paths for messages. The hook
// creates the entry, fills it (through `fill`, or by other means: a cache
// hit reads no source at all), gives it its mode and times and returns an
// Error of kind none; on failure it returns the error, which fails the
// copy. A file placed without `fill` counts its whole size as copied.
using FileHook = std::function<Error(int src_fd, const SourceFile &src, int dst_dirfd,
				     const std::string &dst_name, const std::string &src_path,
				     const std::string &dst_path, const FillFn &fill)>;

struct CopyOptions {
	// Workers that copy files; 1 copies on the calling thread only.
	int threads = 4;
	// Largest total of file sizes (apparent sizes, st_size) to copy; 0 is
	// no limit. Checked by the scan before any byte is written, and again
	// as bytes are copied (a file may grow).
	std::uint64_t max_bytes = 0;
	// When to give up (ErrorKind::timeout); none if unset.
	std::optional<std::chrono::steady_clock::time_point> deadline;
	// Set by another thread (or a signal handler) to stop (cancelled).
	const std::atomic<bool> *cancel = nullptr;
	// Called on the calling thread at most every `progress_interval`,
	// not at all for copies that end sooner.
	std::function<void(const Progress &)> progress;
	std::chrono::milliseconds progress_interval{5000};
	TreeSymlinks symlinks = TreeSymlinks::copy;
	// Symbolic links in the source path itself (not inside the tree).
	Symlinks source_path_symlinks = Symlinks::beneath;
	bool merge = false;
	// Deepest directory level below the source; deeper is invalid.
	int max_depth = 128;
	// Bytes per copy call, between checks of limit, deadline, cancel.
	std::size_t chunk_bytes = 8u << 20;
	// Said after ENOSPC on the destination.
	std::string full_note = "node-local disk full";
	// Kept at most this many warnings (the rest are only counted).
	std::size_t max_warnings = 50;
	// For tests and bench/: how paths are resolved, the first copy method.
	ResolveMethod method = ResolveMethod::automatic;
	CopyMethod copy_method = CopyMethod::copy_file_range;
	// When set, places every regular file instead of the engine (see
	// FileHook): how stage-in goes through the node-local cache.
	FileHook file_hook;
};

struct CopyStats {
	std::uint64_t files = 0;       // regular files copied
	std::uint64_t directories = 0; // created (or reused, with merge)
	std::uint64_t symlinks = 0;    // made
	std::uint64_t skipped = 0;     // left out with a warning
	std::uint64_t bytes = 0;       // file bytes (apparent size) copied
	double seconds = 0;
};

struct CopyResult {
	Error error;                       // kind none on success
	CopyStats stats;                   // what was done, also on error
	std::vector<std::string> warnings; // "<path>: <what>", at most max_warnings
	std::uint64_t warnings_dropped = 0; // beyond max_warnings
	bool ok() const { return error.ok(); }
};

// Copies `src_rel` beneath `src` (a regular file or a directory) to
// `dst_rel` beneath `dst` (the new entry's path). Paths in messages are
// join_path(root.name, ...). See the top of this file for the rules.
CopyResult copy_beneath(const Root &src, std::string_view src_rel, const Root &dst,
			std::string_view dst_rel, const CopyOptions &options = {});

// "3 files, 2 directories, 1 symbolic link, 1 skipped, 1.0 GiB in 12.3 s
// (83.2 MiB/s)"; parts that are 0 (but files and bytes) are left out.
std::string copy_summary(const CopyStats &stats);

// "512.0 MiB of 1.0 GiB (50%), 3 of 7 files, 85.3 MiB/s, 6.0 s"
std::string progress_line(const Progress &p);

// Bytes in binary units with one decimal: "512 B", "1.5 KiB", "1.0 GiB".
std::string human_bytes(double bytes);

} // namespace slurmpi::stage
