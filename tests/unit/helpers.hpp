// Small helpers shared by the Criterion unit tests.
#pragma once

#include <criterion/criterion.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

// Criterion keeps the pointer it is given, so compare through a named copy
// rather than a temporary's c_str().
#define assert_sv_eq(actual, ...)                                  \
	do {                                                       \
		std::string actual_copy_(actual);                  \
		cr_assert_str_eq(actual_copy_.c_str(), __VA_ARGS__); \
	} while (0)

// The whole content of a small file ("" if it cannot be read).
inline std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

inline bool contains(std::string_view hay, std::string_view needle)
{
	return hay.find(needle) != std::string_view::npos;
}

// A unique scratch directory /tmp/<prefix>.XXXXXX, removed with everything
// in it when it goes out of scope. A test may chmod entries (even to 000):
// the owner gets rwx back on every entry first, so the tree is still removed.
// A failed assertion ends the test without unwinding and may leave it behind.
class ScratchDir {
public:
	explicit ScratchDir(std::string_view prefix)
	{
		std::string tmpl = "/tmp/" + std::string(prefix) + ".XXXXXX";
		char *d = mkdtemp(tmpl.data());
		cr_assert_not_null(d, "mkdtemp %s failed", tmpl.c_str());
		str_ = d;
		path_ = str_;
	}
	~ScratchDir()
	{
		try {
			restore_owner_access(path_);
			std::error_code ec;
			std::filesystem::remove_all(path_, ec);
		} catch (...) {
			// Only allocation can throw here; leave the tree in /tmp.
		}
	}
	ScratchDir(const ScratchDir &) = delete;
	ScratchDir &operator=(const ScratchDir &) = delete;

	const std::filesystem::path &path() const { return path_; }
	const std::string &str() const { return str_; }

private:
	// Gives the owner rwx on `dir` and on everything below it, so that
	// directories can be listed and emptied. Symbolic links are not
	// followed. Errors are ignored: remove_all does what it still can.
	static void restore_owner_access(const std::filesystem::path &dir)
	{
		namespace fs = std::filesystem;
		std::error_code ec;
		fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
		fs::directory_iterator it(dir, ec), end;
		for (; !ec && it != end; it.increment(ec)) {
			std::error_code st_ec;
			fs::file_status st = it->symlink_status(st_ec);
			if (st_ec || fs::is_symlink(st))
				continue;
			if (fs::is_directory(st)) {
				restore_owner_access(it->path());
			} else {
				std::error_code perm_ec;
				fs::permissions(it->path(), fs::perms::owner_all,
						fs::perm_options::add, perm_ec);
			}
		}
	}

	std::string str_;
	std::filesystem::path path_;
};
