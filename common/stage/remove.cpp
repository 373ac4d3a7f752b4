#include "common/stage/remove.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include "common/stage/fd.hpp"

namespace slurmpi::stage {

namespace {

class Remover {
public:
	Remover(const RemoveOptions &opt, RemoveResult &res) : opt_(opt), res_(res) {}

	// Removes `name` in `parent`; `path` is how messages show it.
	void remove(int parent, const std::string &name, const std::string &path, int depth,
		    dev_t dev, bool top)
	{
		// The type is a guess (it may change): a directory is opened
		// with O_NOFOLLOW | O_DIRECTORY, which fails on anything else;
		// anything else goes with unlinkat(flags 0), which never
		// follows a link and fails with EISDIR on a directory.
		struct stat lst;
		if (::fstatat(parent, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				failed(path, errno);
			return;
		}
		if (!S_ISDIR(lst.st_mode)) {
			if (::unlinkat(parent, name.c_str(), 0) == 0) {
				++res_.removed;
				return;
			}
			if (errno == ENOENT)
				return;
			if (errno != EISDIR) {
				failed(path, errno);
				return;
			}
		}
		UniqueFd fd(::openat(parent, name.c_str(),
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (!fd.valid()) {
			int err = errno;
			if (err == ENOENT)
				return;
			if (err == ENOTDIR || err == ELOOP) {
				// No longer a directory.
				if (::unlinkat(parent, name.c_str(), 0) == 0)
					++res_.removed;
				else if (errno != ENOENT)
					failed(path, errno);
				return;
			}
			failed(path, err);
			return;
		}
		struct stat st;
		if (::fstat(fd.get(), &st) != 0) {
			failed(path, errno);
			return;
		}
		if (top)
			dev = st.st_dev;
		if (st.st_dev != dev) {
			failed_why(path, "another file system is mounted here; not entered");
			return;
		}
		if (depth > opt_.max_depth) {
			failed_why(path, "more than " + std::to_string(opt_.max_depth) +
						 " directory levels deep; not removed");
			return;
		}
		if ((st.st_mode & 0700) != 0700)
			(void)::fchmod(fd.get(), (st.st_mode & 07777) | 0700);
		for (int tries = 0;; ++tries) {
			const std::uint64_t before = failures_;
			empty(fd.get(), path, depth, dev);
			if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0) {
				++res_.removed;
				return;
			}
			int err = errno;
			if (err == ENOENT)
				return;
			if (err == ENOTEMPTY || err == EEXIST) {
				// Something inside could not go: that says why.
				if (failures_ > before)
					return;
				// Entries appeared while it was emptied.
				if (tries < opt_.relist_tries)
					continue;
			}
			failed(path, err);
			return;
		}
	}

private:
	// Removes everything in the open directory `dir`.
	void empty(int dir, const std::string &path, int depth, dev_t dev)
	{
		int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			failed(path, errno);
			return;
		}
		DIR *d = ::fdopendir(fd);
		if (!d) {
			int err = errno;
			::close(fd);
			failed(path, err);
			return;
		}
		std::unique_ptr<DIR, int (*)(DIR *)> guard(d, ::closedir);
		// Names first, then removals: removing while reading may skip
		// entries on some file systems.
		std::vector<std::string> names;
		for (;;) {
			errno = 0;
			struct dirent *e = ::readdir(d);
			if (!e) {
				if (errno)
					failed(path, errno);
				break;
			}
			if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, ".."))
				continue;
			names.emplace_back(e->d_name);
		}
		guard.reset();
		for (const auto &n : names)
			remove(dir, n, join_path(path, n), depth + 1, dev, false);
	}

	void failed(const std::string &path, int err)
	{
		record(errno_error(path, err));
	}

	void failed_why(const std::string &path, const std::string &why)
	{
		record(make_error(ErrorKind::invalid, path, why));
	}

	void record(Error e)
	{
		++failures_;
		if (res_.failures.size() < opt_.max_failures)
			res_.failures.push_back(e.message);
		else
			++res_.failures_dropped;
		if (res_.error.ok())
			res_.error = std::move(e);
	}

	const RemoveOptions &opt_;
	RemoveResult &res_;
	std::uint64_t failures_ = 0;
};

} // namespace

RemoveResult remove_tree(int parent_fd, std::string_view name, std::string_view shown,
			 const RemoveOptions &options)
{
	RemoveResult res;
	try {
		if (name.empty() || name == "." || name == ".." ||
		    name.find('/') != std::string_view::npos ||
		    name.find('\0') != std::string_view::npos) {
			res.error = make_error(ErrorKind::invalid, shown,
					       "not a single name in its directory; not removed");
			res.failures.push_back(res.error.message);
			return res;
		}
		Remover r(options, res);
		r.remove(parent_fd, std::string(name), std::string(shown), 0, 0, true);
	} catch (const std::exception &e) {
		if (res.error.ok())
			res.error = make_error(ErrorKind::internal, shown, e.what());
	} catch (...) {
		if (res.error.ok())
			res.error = make_error(ErrorKind::internal, shown, "unexpected failure");
	}
	return res;
}

} // namespace slurmpi::stage
