#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/user_write.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

// The writer drops to another user, which only root can: as anyone else
// these tests are skipped.
namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// Both sides named, as Criterion evaluates its arguments more than once.
#define assert_both_eq(actual, expected)                                  \
	do {                                                              \
		std::string a_(actual), e_(expected);                     \
		cr_assert_str_eq(a_.c_str(), e_.c_str());                 \
	} while (0)

UserCreds nobody() { return UserCreds{kNobody, kNogroup, {kNogroup}}; }

std::string make_file(const ScratchDir &d, const char *name, uid_t uid, mode_t mode,
		      const char *content = "job output\n")
{
	std::string p = (d.path() / name).string();
	int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	cr_assert_eq(chown(p.c_str(), uid, uid), 0);
	cr_assert_eq(chmod(p.c_str(), mode), 0);
	return p;
}

void need_root()
{
	if (geteuid() != 0)
		cr_skip_test("needs root to change to another user");
}

} // namespace

Test(user_write, appends_as_the_user)
{
	need_root();
	ScratchDir d("user_write");
	chmod(d.path().c_str(), 0755);
	std::string p = make_file(d, "out", kNobody, 0600);
	std::string why = append_as_user(nobody(), p, "report\n", 5000);
	cr_assert(why.empty(), "%s", why.c_str());
	assert_sv_eq(slurp(p), "job output\nreport\n");
	struct stat st;
	cr_assert_eq(stat(p.c_str(), &st), 0);
	cr_assert_eq(st.st_uid, kNobody);
	cr_assert_eq(geteuid(), 0u, "the caller's credentials never change");
}

Test(user_write, a_file_the_user_cannot_write_is_not_written)
{
	need_root();
	ScratchDir d("user_write");
	chmod(d.path().c_str(), 0755);
	std::string p = make_file(d, "roots", 0, 0644);
	std::string why = append_as_user(nobody(), p, "report\n", 5000);
	assert_both_eq(why, "'" + p + "': cannot open as uid 65534: Permission denied");
	assert_sv_eq(slurp(p), "job output\n");
}

Test(user_write, a_symlink_is_not_followed)
{
	need_root();
	ScratchDir d("user_write");
	chmod(d.path().c_str(), 0755);
	std::string target = make_file(d, "target", kNobody, 0666);
	std::string link = (d.path() / "link").string();
	cr_assert_eq(symlink(target.c_str(), link.c_str()), 0);
	std::string why = append_as_user(nobody(), link, "report\n", 5000);
	assert_both_eq(why, "'" + link + "': is a symbolic link; not followed");
	assert_sv_eq(slurp(target), "job output\n");
}

Test(user_write, a_missing_file_is_not_created)
{
	need_root();
	ScratchDir d("user_write");
	chmod(d.path().c_str(), 0777);
	std::string p = (d.path() / "gone").string();
	std::string why = append_as_user(nobody(), p, "report\n", 5000);
	assert_both_eq(why, "'" + p + "': cannot open as uid 65534: No such file or directory");
	cr_assert_neq(access(p.c_str(), F_OK), 0);
}

Test(user_write, only_regular_files)
{
	need_root();
	std::string why = append_as_user(nobody(), "/dev/null", "report\n", 5000);
	assert_sv_eq(why, "'/dev/null': not a regular file; not written");
	ScratchDir d("user_write");
	chmod(d.path().c_str(), 0755);
	std::string fifo = (d.path() / "fifo").string();
	cr_assert_eq(mkfifo(fifo.c_str(), 0666), 0);
	cr_assert_eq(chmod(fifo.c_str(), 0666), 0);
	// No reader: a non-blocking open fails at once instead of waiting.
	why = append_as_user(nobody(), fifo, "report\n", 5000);
	assert_both_eq(why, "'" + fifo + "': cannot open as uid 65534: No such device or address");
}

Test(user_write, the_users_groups_are_used)
{
	need_root();
	ScratchDir d("user_write");
	chmod(d.path().c_str(), 0755);
	// Group-writable by gid 4242, owned by root: writable only through
	// the supplementary group.
	std::string p = make_file(d, "group", 0, 0620);
	cr_assert_eq(chown(p.c_str(), 0, 4242), 0);
	UserCreds with{kNobody, kNogroup, {kNogroup, 4242}};
	std::string why = append_as_user(with, p, "x\n", 5000);
	cr_assert(why.empty(), "%s", why.c_str());
	why = append_as_user(nobody(), p, "y\n", 5000);
	cr_assert(contains(why, "Permission denied"), "%s", why.c_str());
	assert_sv_eq(slurp(p), "job output\nx\n");
}

Test(user_write, relative_paths_are_refused)
{
	std::string why = append_as_user(nobody(), "out.txt", "x\n", 5000);
	assert_sv_eq(why, "'out.txt': not an absolute path; not written");
}
