#include "common/fs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace slurmpi {

std::string join_root(std::string_view root, std::string_view abs_path)
{
	while (!root.empty() && root.back() == '/')
		root.remove_suffix(1);
	std::string out(root);
	if (abs_path.empty() || abs_path.front() != '/')
		out.push_back('/');
	out.append(abs_path);
	return out;
}

FileRead read_small_file(const std::string &path, std::size_t max_bytes)
{
	FileRead r;
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r.err = errno;
		r.error = errno_string(r.err);
		return r;
	}
	r.data.resize(max_bytes);
	std::size_t got = 0;
	while (got < max_bytes) {
		ssize_t n = ::read(fd, r.data.data() + got, max_bytes - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r.err = errno;
			r.error = errno_string(r.err);
			::close(fd);
			r.data.clear();
			return r;
		}
		if (n == 0)
			break;
		got += static_cast<std::size_t>(n);
	}
	::close(fd);
	r.data.resize(got);
	r.ok = true;
	return r;
}

std::string_view trim_value(std::string_view s)
{
	while (!s.empty() && (s.back() == '\0' || s.back() == '\n' ||
			      s.back() == ' ' || s.back() == '\t' ||
			      s.back() == '\r'))
		s.remove_suffix(1);
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
		s.remove_prefix(1);
	return s;
}

std::optional<std::vector<std::string>> list_dir(const std::string &path)
{
	DIR *d = ::opendir(path.c_str());
	if (!d)
		return std::nullopt;
	std::vector<std::string> names;
	while (struct dirent *e = ::readdir(d)) {
		if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, ".."))
			continue;
		names.emplace_back(e->d_name);
	}
	::closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}

} // namespace slurmpi
