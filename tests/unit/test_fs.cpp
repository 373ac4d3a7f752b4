#include <criterion/criterion.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

// A scratch directory removed when the test ends, with string shorthands.
struct TmpDir {
	ScratchDir dir{"slurmpi-test-fs"};
	const std::string &path = dir.str();
	operator const std::string &() const { return path; }
	std::string operator+(const char *leaf) const { return path + leaf; }
};

Test(fs, join_root_handles_empty_slash_and_trailing_slashes)
{
	cr_assert(join_root("", "/sys/x") == "/sys/x");
	cr_assert(join_root("/", "/sys/x") == "/sys/x");
	cr_assert(join_root("/fx/pi4b", "/sys/x") == "/fx/pi4b/sys/x");
	cr_assert(join_root("/fx/pi4b//", "/sys/x") == "/fx/pi4b/sys/x");
	cr_assert(join_root("/fx", "sys/x") == "/fx/sys/x");
}

Test(fs, reads_a_file_whole)
{
	TmpDir d;
	std::ofstream(d + "/v") << "42000\n";
	FileRead r = read_small_file(d + "/v");
	cr_assert(r.ok);
	cr_assert_str_eq(r.data.c_str(), "42000\n");
	cr_assert_eq(r.err, 0);
	cr_assert(read_under(d.path, "/v").ok);
}

Test(fs, missing_file_says_why)
{
	FileRead r = read_small_file("/nonexistent/slurm-pi/file");
	cr_assert(!r.ok);
	cr_assert_eq(r.err, ENOENT);
	cr_assert_str_eq(r.error.c_str(), "No such file or directory");
}

Test(fs, directory_in_place_of_a_file_is_an_error)
{
	TmpDir d;
	FileRead r = read_small_file(d.path);
	cr_assert(!r.ok);
	cr_assert_eq(r.err, EISDIR);
}

Test(fs, truncates_at_max_bytes)
{
	TmpDir d;
	std::ofstream(d + "/big") << std::string(10000, 'x');
	FileRead r = read_small_file(d + "/big", 100);
	cr_assert(r.ok);
	cr_assert_eq(r.data.size(), 100u);
}

Test(fs, empty_file_reads_as_empty)
{
	TmpDir d;
	std::ofstream(d + "/e");
	FileRead r = read_small_file(d + "/e");
	cr_assert(r.ok);
	cr_assert(r.data.empty());
}

Test(fs, trim_value_strips_nul_and_newlines)
{
	using namespace std::string_literals;
	cr_assert(trim_value("Raspberry Pi 4 Model B Rev 1.4\0"s) ==
		  "Raspberry Pi 4 Model B Rev 1.4");
	cr_assert(trim_value("  61500\n") == "61500");
	cr_assert(trim_value("\n\0\n"s).empty());
}

Test(fs, list_dir_sorts_and_skips_dots)
{
	TmpDir d;
	std::ofstream(d + "/b");
	std::ofstream(d + "/a");
	auto names = list_dir(d.path);
	cr_assert(names.has_value());
	cr_assert_eq(names->size(), 2u);
	cr_assert_str_eq((*names)[0].c_str(), "a");
	cr_assert_str_eq((*names)[1].c_str(), "b");
	cr_assert(!list_dir(d + "/nope").has_value());
}
