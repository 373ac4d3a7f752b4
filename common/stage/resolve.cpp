#include "common/stage/resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <vector>

namespace slurmpi::stage {

namespace {

// Linux allows 40 symbolic links in one resolution (MAXSYMLINKS).
constexpr int kMaxLinks = 40;
// openat2 gives EAGAIN when a rename raced a '..' under RESOLVE_BENEATH.
constexpr int kAgainTries = 16;

std::atomic<bool> g_no_openat2{false};

std::vector<std::string> split(std::string_view rel)
{
	std::vector<std::string> out;
	std::size_t i = 0;
	while (i < rel.size()) {
		std::size_t j = rel.find('/', i);
		if (j == std::string_view::npos)
			j = rel.size();
		if (j > i)
			out.emplace_back(rel.substr(i, j - i));
		i = j + 1;
	}
	return out;
}

std::string join_comps(const std::vector<std::string> &comps, std::size_t n)
{
	std::string out;
	for (std::size_t i = 0; i < n && i < comps.size(); ++i) {
		if (i)
			out.push_back('/');
		out += comps[i];
	}
	return out;
}

long sys_openat2(int dirfd, const char *path, struct open_how *how)
{
#ifdef SYS_openat2
	return syscall(SYS_openat2, dirfd, path, how, sizeof *how);
#else
	(void)dirfd;
	(void)path;
	(void)how;
	errno = ENOSYS;
	return -1;
#endif
}

bool takes_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

// One resolution by the walk. Also explains what openat2 refused: it
// follows the same rules and names the component at fault.
class Walk {
public:
	Walk(const Root &root, std::string_view rel, Symlinks symlinks)
		: root_(root), rel_(rel), orig_(split(rel)), symlinks_(symlinks)
	{
	}

	OpenResult run(int flags, mode_t mode)
	{
		std::deque<Comp> todo;
		for (std::size_t i = 0; i < orig_.size(); ++i)
			todo.push_back(Comp{orig_[i], i});
		if (todo.empty())
			return open_last(".", flags, mode, 0);
		int links = 0;
		while (!todo.empty()) {
			Comp c = std::move(todo.front());
			todo.pop_front();
			const bool last = todo.empty();
			if (c.name == "." || c.name == "..") {
				if (c.name == "..") {
					if (stack_.empty())
						return escape(c.origin);
					stack_.pop_back();
				}
				if (last)
					return open_last(".", flags, mode, c.origin);
				continue;
			}
			UniqueFd link; // set when c.name is a symbolic link to follow
			if (last) {
				OpenResult r = open_last(c.name, flags, mode, c.origin);
				if (r.ok() || r.error.err != ELOOP || !is_link_error_)
					return r;
				// The last component is a link we may follow.
				link = std::move(link_fd_);
			} else {
				UniqueFd fd(::openat(cur(), c.name.c_str(),
						     O_PATH | O_NOFOLLOW | O_CLOEXEC));
				if (!fd.valid())
					return fail(c.origin, errno);
				struct stat st;
				if (::fstat(fd.get(), &st) != 0)
					return fail(c.origin, errno);
				if (S_ISDIR(st.st_mode)) {
					stack_.push_back(std::move(fd));
					continue;
				}
				if (!S_ISLNK(st.st_mode))
					return fail(c.origin, ENOTDIR);
				link = std::move(fd);
			}
			if (symlinks_ == Symlinks::refuse)
				return not_followed(c.origin);
			if (++links > kMaxLinks)
				return fail(c.origin, ELOOP);
			std::string target;
			if (int err = read_link(link.get(), &target))
				return fail(c.origin, err);
			if (target.empty())
				return fail(c.origin, ENOENT);
			if (target.front() == '/')
				return escape(c.origin);
			std::vector<std::string> parts = split(target);
			for (auto it = parts.rbegin(); it != parts.rend(); ++it)
				todo.push_front(Comp{std::move(*it), c.origin});
			if (todo.empty()) // a target of only slashes: absolute
				return escape(c.origin);
		}
		return fail(orig_.empty() ? 0 : orig_.size() - 1, ENOENT);
	}

private:
	struct Comp {
		std::string name;
		std::size_t origin; // index of the component of rel it came from
	};

	int cur() const { return stack_.empty() ? root_.fd : stack_.back().get(); }

	std::string full() const { return join_path(root_.name, rel_); }

	// "<full>: <why>", adding " (at <prefix>)" when the component at
	// fault is not the whole path.
	Error located(ErrorKind kind, std::size_t origin, std::string why, int err)
	{
		if (origin + 1 < orig_.size()) {
			why += " (at ";
			why += show_path(join_path(root_.name, join_comps(orig_, origin + 1)));
			why += ")";
		}
		return make_error(kind, full(), why, err);
	}

	OpenResult escape(std::size_t origin)
	{
		OpenResult r;
		r.error = located(ErrorKind::escape, origin,
				  "leads outside " + show_path(root_.name), EXDEV);
		return r;
	}

	OpenResult not_followed(std::size_t origin)
	{
		OpenResult r;
		r.error = located(ErrorKind::escape, origin,
				  "is a symbolic link; not followed", ELOOP);
		return r;
	}

	OpenResult fail(std::size_t origin, int err)
	{
		OpenResult r;
		if (err == ELOOP) {
			r.error = located(ErrorKind::escape, origin,
					  "too many levels of symbolic links", ELOOP);
			return r;
		}
		if (origin + 1 < orig_.size()) {
			r.error = errno_error(join_path(root_.name, join_comps(orig_, origin + 1)),
					      err);
			return r;
		}
		r.error = errno_error(full(), err);
		return r;
	}

	// Opens the last component with the caller's flags, never following
	// a symbolic link there itself. A link the caller lets us follow
	// comes back as ELOOP with is_link_error_ set and link_fd_ holding it.
	OpenResult open_last(const std::string &name, int flags, mode_t mode,
			     std::size_t origin)
	{
		is_link_error_ = false;
		const bool nofollow = flags & O_NOFOLLOW;
		OpenResult r;
		int fd = ::openat(cur(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC,
				  takes_mode(flags) ? mode : 0);
		int err = fd < 0 ? errno : 0;
		if (fd >= 0) {
			r.fd.reset(fd);
			if (!(flags & O_PATH) || nofollow)
				return r;
			// O_PATH | O_NOFOLLOW opened a link as itself.
			struct stat st;
			if (::fstat(fd, &st) != 0)
				return fail(origin, errno);
			if (!S_ISLNK(st.st_mode))
				return r;
			link_fd_ = std::move(r.fd);
		} else if (err == ELOOP || err == ENOTDIR || err == EEXIST) {
			// Is it a link? (ELOOP from O_NOFOLLOW; ENOTDIR from
			// O_DIRECTORY on a link; EEXIST from O_CREAT | O_EXCL.)
			UniqueFd l(::openat(cur(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
			struct stat st;
			if (!l.valid() || ::fstat(l.get(), &st) != 0 || !S_ISLNK(st.st_mode) ||
			    err == EEXIST)
				return fail(origin, err);
			link_fd_ = std::move(l);
		} else {
			return fail(origin, err);
		}
		if (nofollow)
			return not_followed(origin);
		is_link_error_ = true;
		r.fd.reset();
		r.error = make_error(ErrorKind::escape, full(), "symbolic link", ELOOP);
		return r;
	}

	static int read_link(int link_fd, std::string *out)
	{
		std::string buf(256, '\0');
		for (;;) {
			ssize_t n = ::readlinkat(link_fd, "", buf.data(), buf.size());
			if (n < 0)
				return errno;
			if (static_cast<std::size_t>(n) < buf.size()) {
				buf.resize(static_cast<std::size_t>(n));
				*out = std::move(buf);
				return 0;
			}
			if (buf.size() >= 65536)
				return ENAMETOOLONG;
			buf.resize(buf.size() * 2);
		}
	}

	const Root &root_;
	std::string_view rel_;
	std::vector<std::string> orig_;
	Symlinks symlinks_;
	std::vector<UniqueFd> stack_; // directories walked below the root
	bool is_link_error_ = false;
	UniqueFd link_fd_;
};

OpenResult by_openat2(const Root &root, std::string_view rel, int flags, mode_t mode,
		      Symlinks symlinks, bool *nosys)
{
	*nosys = false;
	struct open_how how {};
	// openat2 does not add O_LARGEFILE as open(2) does on 32-bit
	// (armhf): without it, files over 2 GiB would fail with EOVERFLOW.
	// With O_PATH it takes nothing but O_DIRECTORY and O_NOFOLLOW.
	int all = flags | O_CLOEXEC;
	if (!(flags & O_PATH))
		all |= O_LARGEFILE;
	how.flags = static_cast<__u64>(static_cast<unsigned>(all));
	how.mode = takes_mode(flags) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	if (symlinks == Symlinks::refuse)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	std::string path = rel.empty() ? std::string(".") : std::string(rel);
	OpenResult r;
	for (int tries = 0;; ++tries) {
		long fd = sys_openat2(root.fd, path.c_str(), &how);
		if (fd >= 0) {
			r.fd.reset(static_cast<int>(fd));
			return r;
		}
		int err = errno;
		if ((err == EAGAIN || err == EINTR) && tries < kAgainTries)
			continue;
		if (err == ENOSYS) {
			*nosys = true;
			r.error = make_error(ErrorKind::internal, join_path(root.name, rel),
					     "openat2 is not available on this kernel", err);
			return r;
		}
		if (err == EXDEV || err == ELOOP) {
			// Let the walk say which component and why; it refuses
			// what openat2 refuses.
			// O_PATH: the walk opens nothing for reading (no FIFO,
			// no device), but then opens a last-component link
			// itself, which is what O_NOFOLLOW refused.
			OpenResult w = Walk(root, rel, symlinks)
					       .run(O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW)), 0);
			if (!w.ok() && w.error.kind == ErrorKind::escape) {
				r.error = std::move(w.error);
				return r;
			}
			struct stat st;
			if (w.ok() && (flags & O_NOFOLLOW) && !(flags & O_PATH) &&
			    ::fstat(w.fd.get(), &st) == 0 && S_ISLNK(st.st_mode)) {
				r.error = make_error(ErrorKind::escape, join_path(root.name, rel),
						     "is a symbolic link; not followed", ELOOP);
				return r;
			}
			r.error = make_error(
				ErrorKind::escape, join_path(root.name, rel),
				err == EXDEV ? "leads outside " + show_path(root.name)
					     : std::string("a symbolic link loop or a /proc magic "
							   "link; not followed"),
				err);
			return r;
		}
		r.error = errno_error(join_path(root.name, rel), err);
		return r;
	}
}

} // namespace

bool have_openat2()
{
	return !g_no_openat2.load(std::memory_order_relaxed);
}

OpenResult open_root(const std::string &path)
{
	OpenResult r;
	if (path.empty() || path.front() != '/') {
		r.error = make_error(ErrorKind::invalid, path, "not an absolute path");
		return r;
	}
	int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		r.error = errno_error(path, errno);
	else
		r.fd.reset(fd);
	return r;
}

OpenResult open_beneath(const Root &root, std::string_view rel, int flags, mode_t mode,
			Symlinks symlinks, ResolveMethod method)
{
	OpenResult r;
	if (!rel.empty() && rel.front() == '/') {
		r.error = make_error(ErrorKind::invalid, rel,
				     "an absolute path where one relative to " +
					     show_path(root.name) + " is needed");
		return r;
	}
	// The kernel stops at a NUL: "..\0x" would be opened as "..".
	if (rel.find('\0') != std::string_view::npos) {
		r.error = make_error(ErrorKind::invalid, join_path(root.name, rel),
				     "a NUL byte in the path");
		return r;
	}
	if (method != ResolveMethod::walk && !g_no_openat2.load(std::memory_order_relaxed)) {
		bool nosys = false;
		r = by_openat2(root, rel, flags, mode, symlinks, &nosys);
		// EAGAIN after every retry: renames on the node keep racing a
		// '..' (a user can loop on rename). The walk is safe against
		// that; it must not become an internal (node) error.
		const bool again = !r.ok() && r.error.err == EAGAIN;
		if ((!nosys && !again) || method == ResolveMethod::openat2)
			return r;
		if (nosys)
			g_no_openat2.store(true, std::memory_order_relaxed);
	} else if (method == ResolveMethod::openat2) {
		r.error = make_error(ErrorKind::internal, join_path(root.name, rel),
				     "openat2 is not available on this kernel", ENOSYS);
		return r;
	}
	return Walk(root, rel, symlinks).run(flags, mode);
}

OpenResult make_dirs_beneath(const Root &root, std::string_view rel, mode_t mode,
			     Symlinks symlinks, ResolveMethod method)
{
	std::vector<std::string> comps = split(rel);
	OpenResult r;
	if ((!rel.empty() && rel.front() == '/') || rel.find('\0') != std::string_view::npos)
		return open_beneath(root, rel, O_RDONLY | O_DIRECTORY, 0, symlinks, method);
	UniqueFd parent;
	for (std::size_t i = 0; i < comps.size(); ++i) {
		std::string prefix = join_comps(comps, i + 1);
		OpenResult p = open_beneath(root, prefix, O_PATH | O_DIRECTORY, 0, symlinks,
					    method);
		if (!p.ok() && p.error.err == ENOENT) {
			int at = parent.valid() ? parent.get() : root.fd;
			if (::mkdirat(at, comps[i].c_str(), mode) != 0 && errno != EEXIST) {
				r.error = errno_error(join_path(root.name, prefix), errno);
				return r;
			}
			p = open_beneath(root, prefix, O_PATH | O_DIRECTORY, 0, symlinks, method);
		}
		if (!p.ok())
			return p;
		parent = std::move(p.fd);
	}
	return open_beneath(root, rel, O_RDONLY | O_DIRECTORY, 0, symlinks, method);
}

std::string relative_beneath(std::string_view root_path, std::string_view path)
{
	if (root_path.empty() || root_path.front() != '/' || path.empty() ||
	    path.front() != '/')
		return "";
	std::vector<std::string> r = split(root_path), p = split(path);
	auto drop_dots = [](std::vector<std::string> &v) {
		std::vector<std::string> out;
		for (auto &c : v)
			if (c != ".")
				out.push_back(std::move(c));
		v = std::move(out);
	};
	drop_dots(r);
	drop_dots(p);
	for (const auto &c : r)
		if (c == "..")
			return "";
	for (const auto &c : p)
		if (c == "..")
			return "";
	if (p.size() < r.size())
		return "";
	for (std::size_t i = 0; i < r.size(); ++i)
		if (r[i] != p[i])
			return "";
	if (p.size() == r.size())
		return ".";
	std::string out;
	for (std::size_t i = r.size(); i < p.size(); ++i) {
		if (!out.empty())
			out.push_back('/');
		out += p[i];
	}
	return out;
}

} // namespace slurmpi::stage
