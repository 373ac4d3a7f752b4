// Errors of the staging engine (common/stage/), as values: no function of
// the engine throws. Each error has a kind, so that spank_pi_stage can tell
// a user's mistake (fail the job, leave the node up) from a failure of the
// node or the share (act as the admin configured: fail, requeue or drain),
// and a message that names the path and says why.
//
// Messages have no component prefix: the plugin adds its own and the
// option, giving e.g.
//   slurm-pi stage: --stage-in: /home/shared/in.dat: No such file or directory
// Paths appear as they are when every byte is printable ASCII, otherwise
// quoted() (common/text.hpp), so a file name cannot break a log line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slurmpi::stage {

enum class ErrorKind {
	none,
	// The user's: fail the job, leave the node up.
	not_found,  // ENOENT, ENOTDIR: missing source, or it vanished
	permission, // EACCES, EPERM: the job's user may not read or write it
	escape,     // a '..' or symbolic link leads outside the trusted root
	invalid,    // not a file or directory, already exists, too deep, ...
	limit,      // the per-job size limit, or the user's disk quota
	// Neither: the job (or the plugin) asked to stop.
	cancelled,
	// The node's or the share's: what the admin configured.
	timeout,   // the copy deadline passed (a slow or hung share)
	disk_full, // ENOSPC on the destination: node-local disk full
	io,        // EIO, ESTALE, EROFS, ETIMEDOUT, ...: broken disk or share
	internal,  // out of memory or descriptors, threads, the unexpected
};

// "not found", "permission", "escape", "invalid", "limit", "cancelled",
// "timeout", "disk full", "io", "internal", or "none".
std::string_view error_kind_name(ErrorKind kind);

// The kind error_kind_name() names, exactly; nullopt for anything else
// (for reading a result back from the copy child).
std::optional<ErrorKind> error_kind_from_name(std::string_view name);

// Whether an error of this kind is a failure of the node or of the share
// rather than the user's mistake: timeout, disk_full, io and internal.
// cancelled is neither (false).
bool is_infrastructure(ErrorKind kind);

// The kind an errno means for a file the engine reads or writes. ENOSPC
// is disk_full and EDQUOT limit; an errno not listed is internal.
ErrorKind kind_of_errno(int err);

struct Error {
	ErrorKind kind = ErrorKind::none;
	int err = 0;         // the errno behind it, 0 if none
	std::string message; // "<path>: <why>"; empty when kind == none

	bool ok() const { return kind == ErrorKind::none; }
};

// `path` for a message: as it is when every byte is printable ASCII
// (0x20-0x7e), else quoted(path, 4096).
std::string show_path(std::string_view path);

// `show_path(path) + ": " + why`, of `kind`, with errno `err` (0 if none).
Error make_error(ErrorKind kind, std::string_view path, std::string_view why,
		 int err = 0);

// The error for a failed system call on `path`: kind_of_errno(err) and
// "<path>: <strerror>", e.g. "/home/shared/in.dat: No such file or
// directory". With a `full_note`, ENOSPC reads e.g. "<path>: No space left
// on device (node-local disk full)".
Error errno_error(std::string_view path, int err, std::string_view full_note = {});

// `dir` + "/" + `name`, without doubling a '/' ("" + name is name).
std::string join_path(std::string_view dir, std::string_view name);

} // namespace slurmpi::stage
