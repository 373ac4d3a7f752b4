#include "common/stage/error.hpp"

#include <cerrno>

#include "common/fs.hpp"
#include "common/text.hpp"

namespace slurmpi::stage {

std::string_view error_kind_name(ErrorKind kind)
{
	switch (kind) {
	case ErrorKind::none: return "none";
	case ErrorKind::not_found: return "not found";
	case ErrorKind::permission: return "permission";
	case ErrorKind::escape: return "escape";
	case ErrorKind::invalid: return "invalid";
	case ErrorKind::limit: return "limit";
	case ErrorKind::cancelled: return "cancelled";
	case ErrorKind::timeout: return "timeout";
	case ErrorKind::disk_full: return "disk full";
	case ErrorKind::io: return "io";
	case ErrorKind::internal: return "internal";
	}
	return "internal";
}

std::optional<ErrorKind> error_kind_from_name(std::string_view name)
{
	for (ErrorKind k : {ErrorKind::none, ErrorKind::not_found, ErrorKind::permission,
			    ErrorKind::escape, ErrorKind::invalid, ErrorKind::limit,
			    ErrorKind::cancelled, ErrorKind::timeout, ErrorKind::disk_full,
			    ErrorKind::io, ErrorKind::internal})
		if (error_kind_name(k) == name)
			return k;
	return std::nullopt;
}

bool is_infrastructure(ErrorKind kind)
{
	switch (kind) {
	case ErrorKind::timeout:
	case ErrorKind::disk_full:
	case ErrorKind::io:
	case ErrorKind::internal:
		return true;
	default:
		return false;
	}
}

ErrorKind kind_of_errno(int err)
{
	switch (err) {
	case 0:
		return ErrorKind::none;
	case ENOENT:
	case ENOTDIR:
		return ErrorKind::not_found;
	case EACCES:
	case EPERM:
		return ErrorKind::permission;
	case EXDEV:
	case ELOOP:
		return ErrorKind::escape;
	case EISDIR:
	case EEXIST:
	case ENOTEMPTY:
	case ENAMETOOLONG:
	case EINVAL:
	case ENXIO:
	case ENODEV:
	case ETXTBSY:
		return ErrorKind::invalid;
	case EDQUOT:
	case EFBIG:
		return ErrorKind::limit;
	case ENOSPC:
		return ErrorKind::disk_full;
	case EIO:
	case ESTALE:
	case EROFS:
	case ETIMEDOUT:
	case ENOTCONN:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ECONNREFUSED:
	case ECONNRESET:
	case EREMOTEIO:
	case ENOLINK:
	case EUCLEAN:
		return ErrorKind::io;
	default:
		return ErrorKind::internal;
	}
}

std::string show_path(std::string_view path)
{
	for (unsigned char c : path)
		if (c < 0x20 || c > 0x7e)
			return quoted(path, 4096);
	if (path.empty())
		return quoted(path);
	return std::string(path);
}

Error make_error(ErrorKind kind, std::string_view path, std::string_view why, int err)
{
	Error e;
	e.kind = kind;
	e.err = err;
	e.message = show_path(path);
	e.message += ": ";
	e.message += why;
	return e;
}

Error errno_error(std::string_view path, int err, std::string_view full_note)
{
	std::string why = errno_string(err);
	if (err == ENOSPC && !full_note.empty()) {
		why += " (";
		why += full_note;
		why += ")";
	}
	return make_error(kind_of_errno(err), path, why, err);
}

std::string join_path(std::string_view dir, std::string_view name)
{
	std::string out(dir);
	if (out.empty())
		return std::string(name);
	if (name.empty())
		return out;
	if (out.back() != '/')
		out.push_back('/');
	out.append(name);
	return out;
}

} // namespace slurmpi::stage
