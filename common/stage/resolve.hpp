// Opening a path beneath a trusted directory (an allowed shared root, the
// scratch base) so that nothing leads out of it: not '..', not an absolute
// symbolic link, not a relative one that climbs above the root, not a
// symbolic link in a middle component, not a /proc "magic" link.
//
// How: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS (by
// syscall(SYS_openat2): glibc 2.36 has no wrapper). Where the kernel has no
// openat2 (ENOSYS, before Linux 5.6, or a seccomp filter that hides it),
// or where openat2 keeps answering EAGAIN (renames racing a '..'),
// the same rules by a walk, one component at a time from the root's fd:
// each component opened with O_PATH | O_NOFOLLOW, '..' taken back along the
// walked directories (never above the root), a symbolic link read with
// readlinkat() and its text walked in its place. The walk holds an fd for
// every directory it passed, so '..' never leaves them; unlike openat2 it
// cannot see a directory being renamed out of the root while it walks
// (staging runs as the job's user, who could read that directory anyway).
//
// Symbolic links inside the root: followed while they stay beneath it
// (RESOLVE_BENEATH semantics), so a share may hold `data -> datasets/v3`.
// An absolute link target is always refused, even one that names a place
// inside the root (the kernel does the same). Symlinks::refuse refuses
// every symbolic link in the path instead (RESOLVE_NO_SYMLINKS).
// O_NOFOLLOW in `flags` applies to the last component only, as with open(2).
// Mount points beneath the root are crossed.
//
// Refusals say why, naming the path as the caller spells it:
//   /home/shared/link: leads outside /home/shared
//   /home/shared/a/b: leads outside /home/shared (at /home/shared/a)
//   /home/shared/link: is a symbolic link; not followed
// All errors are values (never exceptions); see common/stage/error.hpp.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/stage/error.hpp"
#include "common/stage/fd.hpp"

namespace slurmpi::stage {

// A trusted directory: an open fd (borrowed; O_PATH or O_RDONLY, a
// directory) and the absolute path it is shown as in messages.
struct Root {
	int fd = -1;
	std::string name; // e.g. "/home/shared"
};

enum class Symlinks {
	beneath, // follow symbolic links that stay beneath the root
	refuse,  // refuse every symbolic link in the path (ELOOP, "escape")
};

enum class ResolveMethod {
	automatic, // openat2, or the walk when the kernel has no openat2
	openat2,   // openat2 only (ENOSYS is returned as an internal error)
	walk,      // the walk only (what older kernels get; for tests)
};

struct OpenResult {
	UniqueFd fd;
	Error error; // kind none on success
	bool ok() const { return error.ok(); }
};

// Opens the root directory itself: `path` must be absolute; it is opened
// with O_PATH | O_DIRECTORY, following symbolic links (roots come from the
// admin's configuration, not from users). The result's fd is the Root's.
OpenResult open_root(const std::string &path);

// Opens `rel` beneath `root` with open(2) `flags` (O_CLOEXEC is always
// added) and `mode` (used with O_CREAT or O_TMPFILE). `rel` is relative
// ("a/b/c"; "", "." and "./" mean the root itself); an absolute `rel`, or
// one holding a NUL byte, is refused (invalid). Errors name join_path(root.name, rel):
//   escape:    '..' or a symbolic link leads outside; a symbolic link
//              with Symlinks::refuse or in the last component with
//              O_NOFOLLOW (without O_PATH); a magic link; a loop;
//   not_found, permission, ...: the errno of the component that failed.
// Opening a FIFO for reading without O_NONBLOCK blocks, as open(2) does:
// open with O_PATH first and look (fstat) when the type is not known.
OpenResult open_beneath(const Root &root, std::string_view rel, int flags,
			mode_t mode = 0, Symlinks symlinks = Symlinks::beneath,
			ResolveMethod method = ResolveMethod::automatic);

// Opens the directory `rel` beneath `root` (O_RDONLY | O_DIRECTORY),
// creating each missing component with `mode` (as mkdir -p does, subject
// to the umask) on the way; components resolve as with open_beneath().
// A component that exists and is not a directory is an error (not_found,
// ENOTDIR).
OpenResult make_dirs_beneath(const Root &root, std::string_view rel, mode_t mode,
			     Symlinks symlinks = Symlinks::beneath,
			     ResolveMethod method = ResolveMethod::automatic);

// Whether this kernel answers openat2 (false after it returned ENOSYS once).
bool have_openat2();

// `path` relative to `root_path`, lexically: both absolute, `path` equal
// to `root_path` or below it ("/home/shared/a/b" under "/home/shared" is
// "a/b"; the root itself is "."). Empty if `path` is not below the root or
// has a ".." component (which a lexical check cannot judge). Repeated and
// trailing slashes and "." components are ignored. Symbolic links are not
// looked at: open_beneath() does that.
std::string relative_beneath(std::string_view root_path, std::string_view path);

} // namespace slurmpi::stage
