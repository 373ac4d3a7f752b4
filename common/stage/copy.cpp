#include "common/stage/copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "common/stage/fd.hpp"

namespace slurmpi::stage {

namespace {

using Clock = std::chrono::steady_clock;

constexpr mode_t kSetIdBits = S_ISUID | S_ISGID;
constexpr std::size_t kQueueMax = 256; // jobs waiting for a worker
constexpr std::size_t kRwBuffer = 1u << 20;

enum class Type : unsigned char { file, dir, link };

// One entry found by the scan. Children of a directory are contiguous:
// nodes[first, first + count).
struct Node {
	std::string name; // "" for the top entry
	std::uint32_t parent = 0;
	std::uint32_t first = 0;
	std::uint32_t count = 0;
	Type type = Type::file;
	mode_t mode = 0;
	std::uint64_t size = 0;
	struct timespec atime {};
	struct timespec mtime {};
};

// The directory open on both sides while anything inside it is pending.
// When the last reference goes (its files copied, its subdirectories
// done, each holding their parent), the destination gets its mode and
// times, so they are set after its content.
struct Engine;
struct DirState {
	Engine *engine = nullptr;
	std::uint32_t node = 0;
	std::shared_ptr<DirState> parent;
	UniqueFd src;
	UniqueFd dst;
	~DirState();
};

struct Job {
	std::shared_ptr<DirState> dir;
	std::uint32_t node = 0;
};

std::uint64_t to_u64(off_t v) { return v > 0 ? static_cast<std::uint64_t>(v) : 0; }

bool is_copy_fallback(int err)
{
	return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

// Errors a copy call gets from the destination side.
bool is_destination_errno(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EFBIG || err == EROFS;
}

std::string what_special(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "is a FIFO; skipped";
	if (S_ISSOCK(mode))
		return "is a socket; skipped";
	if (S_ISCHR(mode))
		return "is a character device; skipped";
	if (S_ISBLK(mode))
		return "is a block device; skipped";
	return "is not a regular file, directory or symbolic link; skipped";
}

struct Engine {
	const CopyOptions &opt;
	std::string src_base; // the source as shown in messages
	std::string dst_base;
	std::vector<Node> nodes;
	std::uint64_t bytes_total = 0;
	std::uint64_t files_total = 0;
	Clock::time_point start = Clock::now();
	Clock::time_point last_progress = start;
	std::thread::id caller = std::this_thread::get_id();

	std::atomic<bool> stop{false};
	std::atomic<std::uint64_t> bytes_done{0};
	std::atomic<std::uint64_t> reserved{0}; // bytes done + being copied
	std::atomic<std::uint64_t> files_done{0};
	std::atomic<std::uint64_t> dirs_done{0};
	std::atomic<std::uint64_t> links_done{0};
	std::atomic<std::uint64_t> skipped{0};

	std::mutex mu; // guards first_error and warnings
	Error first_error;
	std::vector<std::string> warnings;
	std::uint64_t warnings_dropped = 0;

	explicit Engine(const CopyOptions &o) : opt(o) {}

	std::string rel_of(std::uint32_t i) const
	{
		std::vector<const std::string *> parts;
		while (i != 0) {
			parts.push_back(&nodes[i].name);
			i = nodes[i].parent;
		}
		std::string out;
		for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
			if (!out.empty())
				out.push_back('/');
			out += **it;
		}
		return out;
	}
	std::string src_path(std::uint32_t i) const { return join_path(src_base, rel_of(i)); }
	std::string dst_path(std::uint32_t i) const { return join_path(dst_base, rel_of(i)); }

	void fail(Error e)
	{
		std::lock_guard<std::mutex> g(mu);
		if (first_error.ok())
			first_error = std::move(e);
		stop.store(true);
	}
	void fail_src(std::uint32_t i, int err) { fail(errno_error(src_path(i), err)); }
	void fail_dst(std::uint32_t i, int err)
	{
		fail(errno_error(dst_path(i), err, opt.full_note));
	}

	void warn(const std::string &path, std::string_view what)
	{
		std::lock_guard<std::mutex> g(mu);
		if (warnings.size() < opt.max_warnings)
			warnings.push_back(show_path(path) + ": " + std::string(what));
		else
			++warnings_dropped;
	}

	Progress progress() const
	{
		Progress p;
		p.bytes_done = bytes_done.load();
		p.bytes_total = bytes_total;
		p.files_done = files_done.load();
		p.files_total = files_total;
		p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
		p.bytes_per_s = p.seconds > 0 ? static_cast<double>(p.bytes_done) / p.seconds : 0;
		return p;
	}

	// Calls the progress callback when it is due; caller's thread only.
	void tick()
	{
		if (!opt.progress || std::this_thread::get_id() != caller)
			return;
		Clock::time_point now = Clock::now();
		if (now - last_progress < opt.progress_interval)
			return;
		last_progress = now;
		try {
			opt.progress(progress());
		} catch (...) {
			// A callback's failure is not the copy's.
		}
	}

	// Whether to go on: not stopped, not cancelled, before the deadline.
	bool check()
	{
		if (stop.load(std::memory_order_relaxed))
			return false;
		if (opt.cancel && opt.cancel->load()) {
			fail(make_error(ErrorKind::cancelled, src_base, "copy cancelled"));
			return false;
		}
		if (opt.deadline && Clock::now() >= *opt.deadline) {
			fail(make_error(ErrorKind::timeout, src_base,
					"not copied within the time limit (" +
						human_bytes(static_cast<double>(bytes_done.load())) +
						" of " + human_bytes(static_cast<double>(bytes_total)) +
						" copied)"));
			return false;
		}
		tick();
		return true;
	}

	// Claims `n` bytes against the size limit before they are copied.
	bool reserve(std::uint64_t n)
	{
		std::uint64_t now = reserved.fetch_add(n) + n;
		if (opt.max_bytes && now > opt.max_bytes) {
			reserved.fetch_sub(n);
			fail(make_error(ErrorKind::limit, src_base,
					"more than the size limit of " +
						human_bytes(static_cast<double>(opt.max_bytes)) + " (" +
						std::to_string(opt.max_bytes) +
						" bytes); the source grew during the copy"));
			return false;
		}
		return true;
	}

	mode_t kept_mode(mode_t mode) const { return mode & 07777 & ~kSetIdBits; }

	void note_set_id(const std::string &path, mode_t mode)
	{
		if ((mode & kSetIdBits) == kSetIdBits)
			warn(path, "setuid and setgid bits not copied");
		else if (mode & S_ISUID)
			warn(path, "setuid bit not copied");
		else if (mode & S_ISGID)
			warn(path, "setgid bit not copied");
	}

	// ---------------------------------------------------------- scan
	// Adds the children of directory node `di` (open as `fd`, which this
	// takes) and, depth first, theirs. False on error (first_error set).
	bool scan_dir(int fd, std::uint32_t di, int depth)
	{
		DIR *d = ::fdopendir(fd);
		if (!d) {
			int err = errno;
			::close(fd);
			fail_src(di, err);
			return false;
		}
		std::unique_ptr<DIR, int (*)(DIR *)> guard(d, ::closedir);
		std::vector<std::string> names;
		for (;;) {
			errno = 0;
			struct dirent *e = ::readdir(d);
			if (!e) {
				if (errno) {
					fail_src(di, errno);
					return false;
				}
				break;
			}
			if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, ".."))
				continue;
			names.emplace_back(e->d_name);
		}
		std::sort(names.begin(), names.end());
		const int dfd = ::dirfd(d);
		const std::uint32_t first = static_cast<std::uint32_t>(nodes.size());
		std::vector<std::uint32_t> subdirs;
		for (auto &name : names) {
			if (!check())
				return false;
			struct stat st;
			if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
				if (errno == ENOENT)
					continue; // gone before we looked
				fail(errno_error(join_path(src_path(di), name), errno));
				return false;
			}
			const std::string path = join_path(src_path(di), name);
			Node n;
			n.parent = di;
			n.mode = st.st_mode;
			n.size = to_u64(st.st_size);
			n.atime = st.st_atim;
			n.mtime = st.st_mtim;
			if (S_ISREG(st.st_mode)) {
				n.type = Type::file;
				bytes_total += n.size;
				++files_total;
			} else if (S_ISDIR(st.st_mode)) {
				n.type = Type::dir;
			} else if (S_ISLNK(st.st_mode)) {
				if (opt.symlinks == TreeSymlinks::skip) {
					warn(path, "is a symbolic link; skipped");
					++skipped;
					continue;
				}
				n.type = Type::link;
			} else {
				warn(path, what_special(st.st_mode));
				++skipped;
				continue;
			}
			if (n.type != Type::link)
				note_set_id(path, st.st_mode);
			n.name = std::move(name);
			if (n.type == Type::dir)
				subdirs.push_back(static_cast<std::uint32_t>(nodes.size()));
			nodes.push_back(std::move(n));
		}
		nodes[di].first = first;
		nodes[di].count = static_cast<std::uint32_t>(nodes.size()) - first;
		if (opt.max_bytes && bytes_total > opt.max_bytes)
			return over_limit();
		for (std::uint32_t si : subdirs) {
			if (depth + 1 > opt.max_depth) {
				fail(make_error(ErrorKind::invalid, src_path(si),
						"more than " + std::to_string(opt.max_depth) +
							" directory levels deep; not copied"));
				return false;
			}
			int cfd = ::openat(dfd, nodes[si].name.c_str(),
					   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				fail_src(si, errno);
				return false;
			}
			if (!scan_dir(cfd, si, depth + 1))
				return false;
		}
		return true;
	}

	bool over_limit()
	{
		fail(make_error(ErrorKind::limit, src_base,
				"at least " + human_bytes(static_cast<double>(bytes_total)) + " (" +
					std::to_string(bytes_total) +
					" bytes) is more than the size limit of " +
					human_bytes(static_cast<double>(opt.max_bytes)) + " (" +
					std::to_string(opt.max_bytes) + " bytes); nothing copied"));
		return false;
	}

	// ---------------------------------------------------------- files
	// Copies [off, off + len) of src to the same place in dst. Returns
	// false on error or stop; *eof is set when the source ended early.
	bool copy_range(int src, int dst, off_t off, std::uint64_t len, CopyMethod *method,
			std::uint32_t ni, bool *eof)
	{
		static thread_local std::vector<char> buf;
		while (len > 0) {
			if (!check())
				return false;
			std::size_t n = static_cast<std::size_t>(
				std::min<std::uint64_t>(len, std::max<std::size_t>(opt.chunk_bytes, 4096)));
			if (!reserve(n))
				return false;
			ssize_t got = -1;
			int err = 0;
			bool dst_side = false;
			if (*method == CopyMethod::copy_file_range) {
				loff_t in = off, out = off;
				got = ::copy_file_range(src, &in, dst, &out, n, 0);
				if (got < 0 && is_copy_fallback(errno)) {
					reserved.fetch_sub(n);
					*method = CopyMethod::sendfile;
					continue;
				}
				err = errno;
				dst_side = is_destination_errno(err);
			} else if (*method == CopyMethod::sendfile) {
				if (::lseek(dst, off, SEEK_SET) < 0) {
					err = errno;
					dst_side = true;
				} else {
					off_t in = off;
					got = ::sendfile(dst, src, &in, n);
					if (got < 0 && (errno == EINVAL || errno == ENOSYS ||
							errno == EOPNOTSUPP)) {
						reserved.fetch_sub(n);
						*method = CopyMethod::read_write;
						continue;
					}
					err = errno;
					dst_side = is_destination_errno(err);
				}
			} else {
				if (buf.size() < kRwBuffer)
					buf.resize(kRwBuffer);
				n = std::min(n, buf.size());
				got = ::pread(src, buf.data(), n, off);
				err = errno;
				if (got > 0) {
					std::size_t put = 0;
					while (put < static_cast<std::size_t>(got)) {
						ssize_t w = ::pwrite(dst, buf.data() + put,
								     static_cast<std::size_t>(got) - put,
								     off + static_cast<off_t>(put));
						if (w < 0 && errno == EINTR)
							continue;
						if (w <= 0) {
							err = w < 0 ? errno : EIO;
							dst_side = true;
							got = -1;
							break;
						}
						put += static_cast<std::size_t>(w);
					}
				}
			}
			if (got < 0) {
				reserved.fetch_sub(n);
				if (err == EINTR)
					continue;
				if (dst_side)
					fail_dst(ni, err);
				else
					fail_src(ni, err);
				return false;
			}
			reserved.fetch_sub(n - static_cast<std::size_t>(got));
			if (got == 0 && *method == CopyMethod::copy_file_range) {
				// Some file systems answer copy_file_range with 0
				// before the end: let read(2) say whether it is.
				*method = CopyMethod::read_write;
				continue;
			}
			if (got == 0) {
				*eof = true;
				return true;
			}
			bytes_done.fetch_add(static_cast<std::uint64_t>(got));
			off += got;
			len -= static_cast<std::uint64_t>(got);
		}
		return true;
	}

	// Creates the destination file `name` in `dir` for writing.
	int create_file(int dir, std::uint32_t ni)
	{
		const char *name = nodes[ni].name.c_str();
		for (int tries = 0;; ++tries) {
			int fd = ::openat(dir, name,
					  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
					  0600);
			if (fd >= 0)
				return fd;
			int err = errno;
			if (err != EEXIST || !opt.merge || tries > 0) {
				fail_dst(ni, err);
				return -1;
			}
			struct stat st;
			if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode)) {
				fail(make_error(ErrorKind::invalid, dst_path(ni),
						"is a directory where a file is to be copied"));
				return -1;
			}
			if (::unlinkat(dir, name, 0) != 0 && errno != ENOENT) {
				fail_dst(ni, errno);
				return -1;
			}
		}
	}

	// Copies file node `ni` from `src_dir` to `dst_dir`. O_NONBLOCK: a
	// FIFO put in the file's place since the scan does not block the open.
	void copy_file(int src_dir, int dst_dir, std::uint32_t ni)
	{
		if (!check())
			return;
		UniqueFd src(::openat(src_dir, nodes[ni].name.c_str(),
				      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
		if (!src.valid()) {
			if (errno == ELOOP)
				fail(make_error(ErrorKind::not_found, src_path(ni),
						"changed during the copy (now a symbolic link)", ELOOP));
			else
				fail_src(ni, errno);
			return;
		}
		copy_open_file(std::move(src), dst_dir, ni);
	}

	// With merge, removes a file or symbolic link at nodes[ni].name in
	// `dir` (never a directory), for a hook that creates the entry itself.
	bool clear_for_hook(int dir, std::uint32_t ni)
	{
		if (!opt.merge)
			return true;
		const char *name = nodes[ni].name.c_str();
		struct stat st;
		if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return true; // nothing there (or the hook will say what)
		if (S_ISDIR(st.st_mode)) {
			fail(make_error(ErrorKind::invalid, dst_path(ni),
					"is a directory where a file is to be copied"));
			return false;
		}
		if (::unlinkat(dir, name, 0) != 0 && errno != ENOENT) {
			fail_dst(ni, errno);
			return false;
		}
		return true;
	}

	// Copies the data of `src` (described by `st`) into the empty file
	// `dst`, keeping holes. False on error or stop (the error recorded).
	bool fill_data(int src, int dst, const struct stat &st, std::uint32_t ni)
	{
		// Read ahead harder (twice the window), as cp does: what a cold
		// read from a disk or a share is fastest with.
		(void)::posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
		const std::uint64_t size = to_u64(st.st_size);
		CopyMethod method = opt.copy_method;
		bool eof = false;
		// Fewer blocks than the size needs: there may be holes.
		const bool sparse =
			size > 0 && static_cast<std::uint64_t>(st.st_blocks) * 512 < size;
		if (!sparse)
			return copy_range(src, dst, 0, size, &method, ni, &eof);
		off_t pos = 0;
		while (static_cast<std::uint64_t>(pos) < size && !eof) {
			off_t data = ::lseek(src, pos, SEEK_DATA);
			if (data < 0 && errno == ENXIO)
				break; // only a hole is left
			if (data < 0) { // no SEEK_DATA here: all of it
				if (!copy_range(src, dst, pos, size - static_cast<std::uint64_t>(pos),
						&method, ni, &eof))
					return false;
				// Counted as copied: not again as a trailing hole.
				pos = static_cast<off_t>(size);
				break;
			}
			if (static_cast<std::uint64_t>(data) >= size)
				break;
			off_t hole = ::lseek(src, data, SEEK_HOLE);
			if (hole < 0 || static_cast<std::uint64_t>(hole) > size)
				hole = static_cast<off_t>(size);
			// Holes count as copied, so against the limit too.
			if (!reserve(static_cast<std::uint64_t>(data - pos)))
				return false;
			bytes_done.fetch_add(static_cast<std::uint64_t>(data - pos));
			if (!copy_range(src, dst, data, static_cast<std::uint64_t>(hole - data),
					&method, ni, &eof))
				return false;
			pos = hole;
		}
		if (static_cast<std::uint64_t>(pos) < size && !eof) {
			if (!reserve(size - static_cast<std::uint64_t>(pos)))
				return false;
			bytes_done.fetch_add(size - static_cast<std::uint64_t>(pos));
		}
		if (!eof && ::ftruncate(dst, static_cast<off_t>(size)) != 0) {
			fail_dst(ni, errno);
			return false;
		}
		return true;
	}

	// Hands the open file `src` to the caller's file hook.
	void place_by_hook(int src, const struct stat &st, int dst_dir, std::uint32_t ni)
	{
		if (!clear_for_hook(dst_dir, ni))
			return;
		SourceFile sf;
		sf.dev = static_cast<std::uint64_t>(st.st_dev);
		sf.ino = static_cast<std::uint64_t>(st.st_ino);
		sf.size = to_u64(st.st_size);
		sf.atime_ns = static_cast<std::int64_t>(st.st_atim.tv_sec) * 1000000000 +
			      st.st_atim.tv_nsec;
		sf.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
			      st.st_mtim.tv_nsec;
		sf.mode = st.st_mode;
		bool filled = false, fill_ok = false;
		FillFn fill = [&](int dst) {
			if (filled) {
				fail(make_error(ErrorKind::internal, src_path(ni),
						"filled twice by the file hook"));
				return false;
			}
			filled = true;
			fill_ok = check() && fill_data(src, dst, st, ni);
			return fill_ok;
		};
		Error e = opt.file_hook(src, sf, dst_dir, nodes[ni].name, src_path(ni),
					dst_path(ni), fill);
		if (!e.ok()) {
			fail(std::move(e));
			return;
		}
		if (filled && !fill_ok)
			return; // the hook went on after a failed fill: its error stands
		// Placed without reading the source (a cache hit): its size
		// counts as copied, for the limit, progress and stats alike.
		if (!filled) {
			if (!reserve(sf.size))
				return;
			bytes_done.fetch_add(sf.size);
		}
		files_done.fetch_add(1);
	}

	// Copies the open file `src` to the new file nodes[ni].name in
	// `dst_dir`, then its mode and times.
	void copy_open_file(UniqueFd src, int dst_dir, std::uint32_t ni)
	{
		if (!check())
			return;
		struct stat st;
		if (::fstat(src.get(), &st) != 0) {
			fail_src(ni, errno);
			return;
		}
		if (!S_ISREG(st.st_mode)) {
			fail(make_error(ErrorKind::not_found, src_path(ni),
					"changed during the copy (no longer a regular file)"));
			return;
		}
		if (opt.file_hook) {
			place_by_hook(src.get(), st, dst_dir, ni);
			return;
		}
		UniqueFd dst(create_file(dst_dir, ni));
		if (!dst.valid())
			return;
		if (!fill_data(src.get(), dst.get(), st, ni))
			return;
		if (::fchmod(dst.get(), kept_mode(st.st_mode)) != 0) {
			fail_dst(ni, errno);
			return;
		}
		const struct timespec times[2] = {st.st_atim, st.st_mtim};
		if (::futimens(dst.get(), times) != 0) {
			fail_dst(ni, errno);
			return;
		}
		// NFS and others report write errors at close.
		if (::close(dst.release()) != 0) {
			fail_dst(ni, errno);
			return;
		}
		files_done.fetch_add(1);
	}

	void make_link(int src_dir, int dst_dir, std::uint32_t ni)
	{
		const Node &n = nodes[ni];
		std::string target(256, '\0');
		for (;;) {
			ssize_t len = ::readlinkat(src_dir, n.name.c_str(), target.data(),
						   target.size());
			if (len < 0) {
				if (errno == EINVAL)
					fail(make_error(ErrorKind::not_found, src_path(ni),
							"changed during the copy (no longer a "
							"symbolic link)"));
				else
					fail_src(ni, errno);
				return;
			}
			if (static_cast<std::size_t>(len) < target.size()) {
				target.resize(static_cast<std::size_t>(len));
				break;
			}
			target.resize(target.size() * 2);
		}
		for (int tries = 0;; ++tries) {
			if (::symlinkat(target.c_str(), dst_dir, n.name.c_str()) == 0)
				break;
			int err = errno;
			struct stat st;
			if (err != EEXIST || !opt.merge || tries > 0 ||
			    (::fstatat(dst_dir, n.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			     S_ISDIR(st.st_mode)) ||
			    (::unlinkat(dst_dir, n.name.c_str(), 0) != 0 && errno != ENOENT)) {
				fail_dst(ni, err);
				return;
			}
		}
		const struct timespec times[2] = {n.atime, n.mtime};
		if (::utimensat(dst_dir, n.name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
			fail_dst(ni, errno);
			return;
		}
		links_done.fetch_add(1);
	}

	// Creates (or, with merge, reuses) directory `ni` in `dst_dir`,
	// mode 0700 until its content is done; returns it open, or -1.
	int make_dir(int dst_dir, std::uint32_t ni)
	{
		const char *name = nodes[ni].name.c_str();
		if (::mkdirat(dst_dir, name, 0700) != 0 && !(errno == EEXIST && opt.merge)) {
			fail_dst(ni, errno);
			return -1;
		}
		int fd = ::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			// With merge, a file or a symbolic link in the way.
			fail_dst(ni, errno == ELOOP ? ENOTDIR : errno);
			return -1;
		}
		dirs_done.fetch_add(1);
		return fd;
	}

	void finish_dir(std::uint32_t ni, int dst)
	{
		if (stop.load())
			return;
		const Node &n = nodes[ni];
		if (::fchmod(dst, kept_mode(n.mode)) != 0) {
			fail_dst(ni, errno);
			return;
		}
		const struct timespec times[2] = {n.atime, n.mtime};
		if (::futimens(dst, times) != 0)
			fail_dst(ni, errno);
	}
};

DirState::~DirState()
{
	try {
		if (engine && dst.valid())
			engine->finish_dir(node, dst.get());
	} catch (...) {
		// Only allocation can throw here: the mode stays 0700.
	}
}

// Workers that run copy_file() for queued jobs. A bounded queue: the
// walker waits (reporting progress) while it is full.
class Pool {
public:
	Pool(Engine &engine, int threads) : engine_(engine)
	{
		try {
			for (int i = 0; i < threads; ++i)
				threads_.emplace_back([this] { run(); });
		} catch (...) {
			close(); // join those that started
			throw;
		}
	}
	// Normally closed already; on the way out of an exception, the
	// workers drop what is left.
	~Pool()
	{
		engine_.stop.store(true);
		close();
	}

	// False when the copy stops.
	bool push(Job job)
	{
		std::unique_lock<std::mutex> lk(mu_);
		while (queue_.size() >= kQueueMax) {
			lk.unlock(); // the progress callback runs in check()
			if (!engine_.check())
				return false;
			lk.lock();
			if (queue_.size() < kQueueMax)
				break;
			space_.wait_for(lk, std::chrono::milliseconds(100));
		}
		queue_.push_back(std::move(job));
		work_.notify_one();
		return true;
	}

	// Waits until every job is done (or dropped after a stop).
	void wait_idle()
	{
		std::unique_lock<std::mutex> lk(mu_);
		while (!queue_.empty() || busy_ > 0) {
			lk.unlock();
			engine_.check();
			lk.lock();
			idle_.wait_for(lk, std::chrono::milliseconds(100));
		}
	}

	void close()
	{
		{
			std::lock_guard<std::mutex> g(mu_);
			closing_ = true;
		}
		work_.notify_all();
		for (auto &t : threads_)
			if (t.joinable())
				t.join();
		threads_.clear();
	}

private:
	void run()
	{
		for (;;) {
			{
				Job job;
				{
					std::unique_lock<std::mutex> lk(mu_);
					work_.wait(lk, [this] { return closing_ || !queue_.empty(); });
					if (queue_.empty())
						return;
					job = std::move(queue_.front());
					queue_.pop_front();
					++busy_;
				}
				space_.notify_one();
				try {
					if (!engine_.stop.load())
						engine_.copy_file(job.dir->src.get(), job.dir->dst.get(),
								  job.node);
				} catch (const std::exception &e) {
					engine_.fail(make_error(ErrorKind::internal,
								engine_.src_path(job.node), e.what()));
				} catch (...) {
					engine_.fail(make_error(ErrorKind::internal,
								engine_.src_path(job.node),
								"unexpected failure"));
				}
				// The job (and maybe its directory) goes before
				// the job counts as done.
			}
			std::lock_guard<std::mutex> g(mu_);
			--busy_;
			if (queue_.empty() && busy_ == 0)
				idle_.notify_all();
		}
	}

	Engine &engine_;
	std::mutex mu_;
	std::condition_variable work_, space_, idle_;
	std::deque<Job> queue_;
	int busy_ = 0;
	bool closing_ = false;
	std::vector<std::thread> threads_;
};

// Copies the children of `dir`, depth first; files go to the pool (or
// are copied here without one).
bool copy_dir(Engine &e, const std::shared_ptr<DirState> &dir, Pool *pool)
{
	const Node &d = e.nodes[dir->node];
	for (std::uint32_t i = d.first; i < d.first + d.count; ++i) {
		if (!e.check())
			return false;
		const Node &n = e.nodes[i];
		if (n.type == Type::file) {
			if (pool) {
				if (!pool->push(Job{dir, i}))
					return false;
			} else {
				e.copy_file(dir->src.get(), dir->dst.get(), i);
			}
			continue;
		}
		if (n.type == Type::link) {
			e.make_link(dir->src.get(), dir->dst.get(), i);
			continue;
		}
		auto child = std::make_shared<DirState>();
		child->node = i;
		child->parent = dir;
		child->src.reset(::openat(dir->src.get(), n.name.c_str(),
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (!child->src.valid()) {
			e.fail_src(i, errno == ELOOP ? ENOTDIR : errno);
			return false;
		}
		child->dst.reset(e.make_dir(dir->dst.get(), i));
		if (!child->dst.valid())
			return false;
		child->engine = &e;
		if (!copy_dir(e, child, pool))
			return false;
	}
	return !e.stop.load();
}

std::string plural(std::uint64_t n, const char *one, const char *many)
{
	return std::to_string(n) + " " + (n == 1 ? one : many);
}

CopyResult run_copy(const Root &src, std::string_view src_rel, const Root &dst,
		    std::string_view dst_rel, const CopyOptions &opt)
{
	CopyResult res;
	Engine e(opt);
	e.src_base = join_path(src.name, src_rel);
	e.dst_base = join_path(dst.name, dst_rel);
	auto finish = [&]() -> CopyResult & {
		res.stats.files = e.files_done.load();
		res.stats.directories = e.dirs_done.load();
		res.stats.symlinks = e.links_done.load();
		res.stats.skipped = e.skipped.load();
		res.stats.bytes = e.bytes_done.load();
		res.stats.seconds = std::chrono::duration<double>(Clock::now() - e.start).count();
		std::lock_guard<std::mutex> g(e.mu);
		if (res.error.ok())
			res.error = e.first_error;
		res.warnings = e.warnings;
		res.warnings_dropped = e.warnings_dropped;
		return res;
	};

	// The destination: a new name in a directory that exists or is made.
	std::string_view parent_rel, name = dst_rel;
	while (!name.empty() && name.back() == '/')
		name.remove_suffix(1);
	if (std::size_t slash = name.rfind('/'); slash != std::string_view::npos) {
		parent_rel = name.substr(0, slash);
		name = name.substr(slash + 1);
	}
	if (name.empty() || name == "." || name == ".." || (!dst_rel.empty() && dst_rel[0] == '/') ||
	    dst_rel.find('\0') != std::string_view::npos) {
		res.error = make_error(ErrorKind::invalid, e.dst_base,
				       "not a name for a new file or directory beneath " +
					       show_path(dst.name));
		return finish();
	}

	// The source: its type first (O_PATH opens nothing), then opened.
	OpenResult probe = open_beneath(src, src_rel, O_PATH, 0, opt.source_path_symlinks,
					opt.method);
	if (!probe.ok()) {
		res.error = probe.error;
		return finish();
	}
	struct stat st;
	if (::fstat(probe.fd.get(), &st) != 0) {
		res.error = errno_error(e.src_base, errno);
		return finish();
	}
	const bool is_dir = S_ISDIR(st.st_mode);
	if (!is_dir && !S_ISREG(st.st_mode)) {
		std::string what = what_special(st.st_mode);
		what.replace(what.find("skipped"), 7, "not copied");
		res.error = make_error(ErrorKind::invalid, e.src_base, what);
		return finish();
	}
	UniqueFd top;
	if (is_dir) {
		top.reset(::openat(probe.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		if (!top.valid()) {
			res.error = errno_error(e.src_base, errno);
			return finish();
		}
	} else {
		OpenResult r = open_beneath(src, src_rel,
					    O_RDONLY | O_NONBLOCK | O_NOCTTY, 0,
					    opt.source_path_symlinks, opt.method);
		if (!r.ok()) {
			res.error = r.error;
			return finish();
		}
		struct stat again;
		if (::fstat(r.fd.get(), &again) != 0 || again.st_dev != st.st_dev ||
		    again.st_ino != st.st_ino) {
			res.error = make_error(ErrorKind::not_found, e.src_base,
					       "changed while being opened; not copied");
			return finish();
		}
		top = std::move(r.fd);
	}

	Node root;
	root.type = is_dir ? Type::dir : Type::file;
	root.mode = st.st_mode;
	root.size = to_u64(st.st_size);
	root.atime = st.st_atim;
	root.mtime = st.st_mtim;
	e.nodes.push_back(root);
	e.note_set_id(e.src_base, st.st_mode);
	if (is_dir) {
		int fd = ::fcntl(top.get(), F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			res.error = errno_error(e.src_base, errno);
			return finish();
		}
		if (!e.scan_dir(fd, 0, 0))
			return finish();
	} else {
		e.bytes_total = root.size;
		e.files_total = 1;
		if (opt.max_bytes && e.bytes_total > opt.max_bytes) {
			e.over_limit();
			return finish();
		}
	}

	OpenResult parent = make_dirs_beneath(dst, parent_rel, 0700, Symlinks::beneath,
					      opt.method);
	if (!parent.ok()) {
		res.error = parent.error;
		return finish();
	}
	// The top node is shown as the source and destination bases; its
	// name is the destination's (the source is open already).
	e.nodes[0].name = std::string(name);
	if (!is_dir) {
		e.copy_open_file(std::move(top), parent.fd.get(), 0);
		return finish();
	}
	auto topdir = std::make_shared<DirState>();
	topdir->node = 0;
	topdir->src = std::move(top);
	topdir->dst.reset(e.make_dir(parent.fd.get(), 0));
	if (!topdir->dst.valid())
		return finish();
	topdir->engine = &e;
	std::unique_ptr<Pool> pool;
	if (opt.threads > 1 && e.files_total > 1)
		pool = std::make_unique<Pool>(e, std::min(opt.threads, 64));
	copy_dir(e, topdir, pool.get());
	// Its mode and times are set when the last file in it is done.
	topdir.reset();
	if (pool) {
		pool->wait_idle();
		pool->close();
	}
	return finish();
}

} // namespace

std::string human_bytes(double bytes)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;
	while (bytes >= 1024 && u < 5) {
		bytes /= 1024;
		++u;
	}
	char buf[48];
	if (u == 0)
		std::snprintf(buf, sizeof buf, "%.0f B", bytes);
	else
		std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
	return buf;
}

std::string copy_summary(const CopyStats &s)
{
	std::string out = plural(s.files, "file", "files");
	if (s.directories)
		out += ", " + plural(s.directories, "directory", "directories");
	if (s.symlinks)
		out += ", " + plural(s.symlinks, "symbolic link", "symbolic links");
	if (s.skipped)
		out += ", " + std::to_string(s.skipped) + " skipped";
	char buf[64];
	std::snprintf(buf, sizeof buf, " in %.1f s", s.seconds);
	out += ", " + human_bytes(static_cast<double>(s.bytes)) + buf;
	if (s.seconds > 0)
		out += " (" + human_bytes(static_cast<double>(s.bytes) / s.seconds) + "/s)";
	return out;
}

std::string progress_line(const Progress &p)
{
	std::string out = human_bytes(static_cast<double>(p.bytes_done)) + " of " +
			  human_bytes(static_cast<double>(p.bytes_total));
	if (p.bytes_total > 0) {
		char buf[32];
		std::snprintf(buf, sizeof buf, " (%.0f%%)",
			      100.0 * static_cast<double>(p.bytes_done) /
				      static_cast<double>(p.bytes_total));
		out += buf;
	}
	out += ", " + std::to_string(p.files_done) + " of " + plural(p.files_total, "file", "files");
	char buf[64];
	std::snprintf(buf, sizeof buf, ", %.1f s", p.seconds);
	out += ", " + human_bytes(p.bytes_per_s) + "/s" + buf;
	return out;
}

CopyResult copy_beneath(const Root &src, std::string_view src_rel, const Root &dst,
			std::string_view dst_rel, const CopyOptions &options)
{
	try {
		return run_copy(src, src_rel, dst, dst_rel, options);
	} catch (const std::exception &e) {
		CopyResult r;
		r.error = make_error(ErrorKind::internal, join_path(src.name, src_rel), e.what());
		return r;
	} catch (...) {
		CopyResult r;
		r.error = make_error(ErrorKind::internal, join_path(src.name, src_rel),
				     "unexpected failure");
		return r;
	}
}

} // namespace slurmpi::stage
