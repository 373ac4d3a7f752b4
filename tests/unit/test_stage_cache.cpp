#include <criterion/criterion.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "common/stage/cache.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi::stage;

namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

void write_file(const std::string &path, const std::string &content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "create %s: %s", path.c_str(), strerror(errno));
	cr_assert_eq(write(fd, content.data(), content.size()), (ssize_t)content.size());
	close(fd);
	chmod(path.c_str(), mode);
}

void set_mtime(const std::string &path, time_t sec, long nsec = 0)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
	cr_assert_eq(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

struct stat stat_of(const std::string &path)
{
	struct stat st;
	cr_assert_eq(lstat(path.c_str(), &st), 0, "lstat %s: %s", path.c_str(), strerror(errno));
	return st;
}

// The file holds exactly `want` (Criterion keeps the pointers it is given:
// long temporaries are compared here, not through cr_assert_str_eq).
void assert_content(const std::string &path, const std::string &want)
{
	std::string got = slurp(path);
	cr_assert(got == want, "%s: %zu bytes, not the %zu expected", path.c_str(), got.size(),
		  want.size());
}

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

// A cache base, a share (src/) and a job's scratch (dst/) in one scratch
// directory, all readable by others (for the tests that become nobody).
struct Env {
	ScratchDir d{"stage_cache"};
	std::string base = d.str() + "/cache";
	std::string src = d.str() + "/share";
	std::string dst = d.str() + "/scratch";
	int dst_fd = -1;
	Env()
	{
		chmod(d.str().c_str(), 0755);
		cr_assert_eq(mkdir(base.c_str(), 0755), 0);
		cr_assert_eq(mkdir(src.c_str(), 0755), 0);
		cr_assert_eq(mkdir(dst.c_str(), 0777), 0);
		chmod(dst.c_str(), 0777);
		dst_fd = open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(dst_fd, 0);
	}
	~Env() { close(dst_fd); }
	CacheConfig config(std::uint64_t max = 0) const
	{
		CacheConfig c;
		c.base = base;
		c.max_bytes = max;
		c.lock_timeout_ms = 10000;
		return c;
	}
	std::string user_dir(uid_t uid = geteuid()) const
	{
		return base + "/" + std::to_string(uid);
	}
	std::string entry_path(const CacheKey &k) const
	{
		return user_dir(k.uid) + "/" + entry_name(k);
	}
	std::string share(const std::string &name, const std::string &content) const
	{
		std::string p = src + "/" + name;
		write_file(p, content);
		return p;
	}
};

CacheKey key_for(const std::string &path, uid_t uid = geteuid())
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s", path.c_str());
	std::string why;
	auto k = key_of(fd, uid, path, &why);
	close(fd);
	cr_assert(k.has_value(), "%s", why.c_str());
	return *k;
}

// Copies `path` into the fill's fd, counting its calls (threads) or
// appending a byte to `count_file` (processes), after `delay_ms`.
FetchFn fetch_file(const std::string &path, std::atomic<int> *count, int delay_ms = 0,
		   std::string count_file = "")
{
	return [=](int dst) -> std::string {
		if (count)
			(*count)++;
		if (!count_file.empty()) {
			int c = open(count_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
			if (c >= 0) {
				(void)!write(c, "x", 1);
				close(c);
			}
		}
		if (delay_ms > 0)
			usleep(static_cast<useconds_t>(delay_ms) * 1000);
		std::string data = slurp(path);
		const char *p = data.data();
		std::size_t left = data.size();
		while (left > 0) {
			ssize_t n = write(dst, p, left);
			if (n <= 0)
				return "write failed";
			p += n;
			left -= static_cast<std::size_t>(n);
		}
		return "";
	};
}

UserCache open_cache(const Env &e, std::uint64_t max = 0, Placement pl = Placement::link)
{
	CacheConfig c = e.config(max);
	c.placement = pl;
	std::string why;
	auto cache = UserCache::open(c, geteuid(), &why);
	cr_assert(cache.has_value(), "open: %s", why.c_str());
	return std::move(*cache);
}

void assert_ok(const CacheResult &r, CacheOutcome want)
{
	cr_assert(r.error.empty(), "stage failed: %s", r.error.c_str());
	cr_assert_eq((int)r.outcome, (int)want, "outcome %d, not %d (note: %s)", (int)r.outcome,
		     (int)want, r.note.c_str());
}

void need_root()
{
	if (geteuid() != 0)
		cr_skip_test("needs root to act as another user");
}

} // namespace

// ------------------------------------------------------------------ names

Test(stage_cache, entry_names_round_trip)
{
	CacheKey k;
	k.dev = 0x803;
	k.ino = 0x1234abcd;
	k.size = 4096;
	k.mtime_ns = -5; // before 1970: two's complement
	std::string n = entry_name(k);
	cr_assert_eq(n.size(), 67u);
	assert_sv_eq(n, "0000000000000803-000000001234abcd-0000000000001000-fffffffffffffffb");
	auto p = parse_cache_name(n);
	cr_assert(p.has_value());
	cr_assert_eq((int)p->kind, (int)CacheName::entry);
	cr_assert_eq(p->key.dev, k.dev);
	cr_assert_eq(p->key.ino, k.ino);
	cr_assert_eq(p->key.size, k.size);
	cr_assert_eq(p->key.mtime_ns, k.mtime_ns);
	auto l = parse_cache_name(n + ".lock");
	cr_assert(l.has_value() && l->kind == CacheName::lock);
	assert_sv_eq(l->entry, n.c_str());
	auto t = parse_cache_name(n + ".tmp.123.0.456");
	cr_assert(t.has_value() && t->kind == CacheName::temp);
}

Test(stage_cache, odd_names_are_not_cache_names)
{
	std::string n = entry_name(CacheKey{});
	const std::string bad[] = {
		"", "0", n.substr(1), n + "x", n + ".lock.", n + ".lck", n + ".tmp.",
		n + ".tmp.12a", n + ".tmp./x", n + ".tmp." + std::string(41, '1'),
		"0000000000000000+0000000000000000-0000000000000000-0000000000000000",
		"000000000000000A-0000000000000000-0000000000000000-0000000000000000",
		"00000000000000 0-0000000000000000-0000000000000000-0000000000000000",
		std::string(67, '-'), "../" + n,
	};
	for (const std::string &b : bad)
		cr_assert(!parse_cache_name(b).has_value(), "accepted '%s'", b.c_str());
}

// ------------------------------------------------------------------ hits

Test(stage_cache, hit_after_fill)
{
	Env e;
	std::string src = e.share("in.dat", std::string(10000, 'a'));
	UserCache cache = open_cache(e);
	std::atomic<int> fetched{0};
	CacheKey k = key_for(src);

	CacheResult r1 = cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "job1.dat");
	assert_ok(r1, CacheOutcome::miss);
	CacheResult r2 = cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "job2.dat");
	assert_ok(r2, CacheOutcome::hit);
	cr_assert_eq(fetched.load(), 1, "the share is read once");
	assert_content(e.dst + "/job2.dat", std::string(10000, 'a'));

	// A hard link to a read-only entry with the source's mtime.
	cr_assert(r2.linked);
	struct stat entry = stat_of(e.entry_path(k)), placed = stat_of(e.dst + "/job2.dat");
	cr_assert_eq(entry.st_ino, placed.st_ino);
	cr_assert_eq(placed.st_mode & 0777, 0444u);
	cr_assert_eq(placed.st_mtim.tv_sec, stat_of(src).st_mtim.tv_sec);
	cr_assert_eq(placed.st_mtim.tv_nsec, stat_of(src).st_mtim.tv_nsec);

	const CacheStats &s = cache.stats();
	cr_assert_eq(s.hits, 1u);
	cr_assert_eq(s.misses, 1u);
	cr_assert_eq(s.bytes_saved, 10000u);
	cr_assert_eq(s.bytes_fetched, 10000u);
	assert_sv_eq(describe(s), "cache: 1 hit, 1 miss, 0 bypassed, 0 failed; "
				  "10000 bytes saved, 10000 fetched");
}

Test(stage_cache, copy_placement_gives_an_independent_writable_file)
{
	Env e;
	std::string src = e.share("in.dat", "input\n");
	chmod(src.c_str(), 0640);
	UserCache cache = open_cache(e, 0, Placement::copy);
	CacheKey k = key_for(src);
	assert_ok(cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "a"), CacheOutcome::miss);
	CacheResult r = cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "b");
	assert_ok(r, CacheOutcome::hit);
	cr_assert(!r.linked);
	struct stat placed = stat_of(e.dst + "/b");
	cr_assert_neq(placed.st_ino, stat_of(e.entry_path(k)).st_ino);
	cr_assert_eq(placed.st_mode & 07777, 0640u);
	cr_assert_eq(placed.st_mtim.tv_nsec, stat_of(src).st_mtim.tv_nsec);
	write_file(e.dst + "/b", "changed by the job\n", 0640);
	assert_sv_eq(slurp(e.entry_path(k)), "input\n");
}

// Scratch on another file system than the cache (here tmpfs): no hard
// link is possible, so the hit is a copy, with the source's mode.
Test(stage_cache, a_scratch_on_another_file_system_gets_a_copy)
{
	Env e;
	char tmpl[] = "/dev/shm/stage_cache.XXXXXX";
	if (!mkdtemp(tmpl))
		cr_skip_test("no /dev/shm to stand in for another file system");
	std::string other = tmpl;
	if (stat_of(other).st_dev == stat_of(e.dst).st_dev) {
		rmdir(other.c_str());
		cr_skip_test("/dev/shm is on the same file system as /tmp");
	}
	int other_fd = open(other.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(other_fd, 0);
	std::string src = e.share("in.dat", std::string(20000, 'x'));
	chmod(src.c_str(), 0640);
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "a"), CacheOutcome::miss);
	CacheResult r = cache.stage(k, fetch_file(src, &fetched), other_fd, "b");
	std::string b = other + "/b";
	struct stat st = stat_of(b);
	std::string got = slurp(b);
	close(other_fd);
	std::error_code ec;
	std::filesystem::remove_all(other, ec);
	assert_ok(r, CacheOutcome::hit);
	cr_assert(!r.linked);
	cr_assert_eq(fetched.load(), 1);
	cr_assert(got == std::string(20000, 'x'));
	cr_assert_eq(st.st_mode & 07777, 0640u);
	cr_assert_eq(st.st_mtim.tv_nsec, stat_of(src).st_mtim.tv_nsec);
}

Test(stage_cache, an_existing_destination_is_an_error)
{
	Env e;
	std::string src = e.share("in.dat", "input\n");
	write_file(e.dst + "/taken", "mine\n");
	UserCache cache = open_cache(e);
	CacheResult r = cache.stage(key_for(src), fetch_file(src, nullptr), e.dst_fd, "taken");
	cr_assert_eq(r.err, EEXIST);
	cr_assert(contains(r.error, "File exists"), "%s", r.error.c_str());
	assert_sv_eq(slurp(e.dst + "/taken"), "mine\n");
	cr_assert_eq(cache.stats().errors, 1u);
}

// ------------------------------------------------------------------ misses

Test(stage_cache, miss_after_the_source_changes_size)
{
	Env e;
	std::string src = e.share("in.dat", "one\n");
	UserCache cache = open_cache(e);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(key_for(src), fetch_file(src, &fetched), e.dst_fd, "a"),
		  CacheOutcome::miss);
	struct stat before = stat_of(src);
	write_file(src, "one two\n");
	set_mtime(src, before.st_mtim.tv_sec, before.st_mtim.tv_nsec); // only the size differs
	assert_ok(cache.stage(key_for(src), fetch_file(src, &fetched), e.dst_fd, "b"),
		  CacheOutcome::miss);
	cr_assert_eq(fetched.load(), 2);
	assert_sv_eq(slurp(e.dst + "/b"), "one two\n");
}

Test(stage_cache, miss_after_the_source_changes_mtime)
{
	Env e;
	std::string src = e.share("in.dat", "abc\n");
	set_mtime(src, 1700000000, 1);
	UserCache cache = open_cache(e);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(key_for(src), fetch_file(src, &fetched), e.dst_fd, "a"),
		  CacheOutcome::miss);
	write_file(src, "xyz\n"); // same size, same inode
	set_mtime(src, 1700000000, 2); // one nanosecond later
	assert_ok(cache.stage(key_for(src), fetch_file(src, &fetched), e.dst_fd, "b"),
		  CacheOutcome::miss);
	cr_assert_eq(fetched.load(), 2);
	assert_sv_eq(slurp(e.dst + "/b"), "xyz\n");
}

Test(stage_cache, miss_after_the_source_is_replaced)
{
	Env e;
	std::string src = e.share("in.dat", "abc\n");
	set_mtime(src, 1700000000, 0);
	UserCache cache = open_cache(e);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(key_for(src), fetch_file(src, &fetched), e.dst_fd, "a"),
		  CacheOutcome::miss);
	// A new file of the same size and mtime, renamed over the path: only
	// the inode differs, and the path alone would serve the old content.
	std::string next = e.share("in.dat.new", "xyz\n");
	set_mtime(next, 1700000000, 0);
	cr_assert_eq(rename(next.c_str(), src.c_str()), 0);
	assert_ok(cache.stage(key_for(src), fetch_file(src, &fetched), e.dst_fd, "b"),
		  CacheOutcome::miss);
	cr_assert_eq(fetched.load(), 2);
	assert_sv_eq(slurp(e.dst + "/b"), "xyz\n");
}

// ------------------------------------------------------------------ eviction

Test(stage_cache, lru_evicts_the_least_recently_used_first_within_the_bound)
{
	Env e;
	UserCache cache = open_cache(e);
	CacheKey k[3];
	const char *names[] = {"a", "b", "c"};
	for (int i = 0; i < 3; i++) {
		std::string src = e.share(names[i], std::string(4096, 'a' + i));
		k[i] = key_for(src);
		assert_ok(cache.stage(k[i], fetch_file(src, nullptr), e.dst_fd, names[i]),
			  CacheOutcome::miss);
	}
	// Last uses: b most recent, then c, then a.
	set_mtime(e.entry_path(k[0]) + ".lock", 1000);
	set_mtime(e.entry_path(k[1]) + ".lock", 3000);
	set_mtime(e.entry_path(k[2]) + ".lock", 2000);

	TrimResult t = trim(e.base, 3 * 4096);
	cr_assert(t.error.empty(), "%s", t.error.c_str());
	cr_assert_eq(t.entries, 3u);
	cr_assert_eq(t.evicted, 0u, "within the bound: nothing to do");

	t = trim(e.base, 2 * 4096);
	cr_assert_eq(t.evicted, 1u);
	cr_assert_eq(t.bytes_after, 2u * 4096);
	cr_assert(!exists(e.entry_path(k[0])), "a, the oldest, goes first");
	cr_assert(!exists(e.entry_path(k[0]) + ".lock"));
	cr_assert(exists(e.entry_path(k[1])) && exists(e.entry_path(k[2])));

	t = trim(e.base, 4096 + 100);
	cr_assert_eq(t.evicted, 1u);
	cr_assert_leq(t.bytes_after, 4096u + 100);
	cr_assert(!exists(e.entry_path(k[2])), "then c");
	cr_assert(exists(e.entry_path(k[1])), "b, the most recent, stays");

	// A job's hard link outlives the eviction of its entry.
	assert_content(e.dst + "/a", std::string(4096, 'a'));
}

Test(stage_cache, a_hit_renews_an_entry)
{
	Env e;
	UserCache cache = open_cache(e);
	std::string a = e.share("a", std::string(4096, 'a'));
	std::string b = e.share("b", std::string(4096, 'b'));
	CacheKey ka = key_for(a), kb = key_for(b);
	assert_ok(cache.stage(ka, fetch_file(a, nullptr), e.dst_fd, "a1"), CacheOutcome::miss);
	assert_ok(cache.stage(kb, fetch_file(b, nullptr), e.dst_fd, "b1"), CacheOutcome::miss);
	set_mtime(e.entry_path(ka) + ".lock", 1000);
	set_mtime(e.entry_path(kb) + ".lock", 2000);
	assert_ok(cache.stage(ka, fetch_file(a, nullptr), e.dst_fd, "a2"), CacheOutcome::hit);
	TrimResult t = trim(e.base, 4096);
	cr_assert_eq(t.evicted, 1u);
	cr_assert(exists(e.entry_path(ka)), "a was used last");
	cr_assert(!exists(e.entry_path(kb)));
}

Test(stage_cache, a_lock_time_in_the_future_does_not_pin_an_entry)
{
	Env e;
	UserCache cache = open_cache(e);
	std::string a = e.share("a", std::string(4096, 'a'));
	std::string b = e.share("b", std::string(4096, 'b'));
	CacheKey ka = key_for(a), kb = key_for(b);
	assert_ok(cache.stage(ka, fetch_file(a, nullptr), e.dst_fd, "a1"), CacheOutcome::miss);
	assert_ok(cache.stage(kb, fetch_file(b, nullptr), e.dst_fd, "b1"), CacheOutcome::miss);
	set_mtime(e.entry_path(ka) + ".lock", time(nullptr) + 365 * 86400);
	TrimResult t = trim(e.base, 4096);
	cr_assert_eq(t.evicted, 1u);
	cr_assert(!exists(e.entry_path(ka)));
	cr_assert(exists(e.entry_path(kb)));
}

Test(stage_cache, an_entry_in_use_survives_eviction)
{
	Env e;
	UserCache cache = open_cache(e);
	std::string a = e.share("a", std::string(4096, 'a'));
	std::string b = e.share("b", std::string(4096, 'b'));
	CacheKey ka = key_for(a), kb = key_for(b);
	assert_ok(cache.stage(ka, fetch_file(a, nullptr), e.dst_fd, "a1"), CacheOutcome::miss);
	assert_ok(cache.stage(kb, fetch_file(b, nullptr), e.dst_fd, "b1"), CacheOutcome::miss);
	set_mtime(e.entry_path(ka) + ".lock", 1000); // a is the oldest...
	CacheResult res;
	{
		auto lease = cache.acquire(ka, fetch_file(a, nullptr), &res); // ...but in use
		cr_assert(lease.has_value() && lease->hit());
		TrimResult t = trim(e.base, 0);
		cr_assert_eq(t.in_use, 1u);
		cr_assert_eq(t.evicted, 1u);
		cr_assert_eq(t.bytes_after, 4096u, "over the bound only by what is in use");
		cr_assert(exists(e.entry_path(ka)));
		cr_assert(!exists(e.entry_path(kb)));
		bool linked = false;
		int err = 0;
		std::string why = cache.place(*lease, ka, e.dst_fd, "a2", {}, &linked, &err);
		cr_assert(why.empty(), "%s", why.c_str());
	}
	TrimResult t = trim(e.base, 0);
	cr_assert_eq(t.in_use, 0u);
	cr_assert_eq(t.evicted, 1u, "released: evicted now");
	cr_assert(!exists(e.entry_path(ka)));
	assert_content(e.dst + "/a2", std::string(4096, 'a'));
}

Test(stage_cache, a_file_larger_than_the_cache_is_fetched_directly)
{
	Env e;
	std::string src = e.share("big", std::string(5000, 'z'));
	chmod(src.c_str(), 0750);
	UserCache cache = open_cache(e, 4096);
	std::atomic<int> fetched{0};
	CacheKey k = key_for(src);
	CacheResult r = cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "big");
	assert_ok(r, CacheOutcome::bypass);
	cr_assert(contains(r.note, "larger than the cache"), "%s", r.note.c_str());
	cr_assert_eq(fetched.load(), 1);
	assert_content(e.dst + "/big", std::string(5000, 'z'));
	cr_assert_eq(stat_of(e.dst + "/big").st_mode & 07777, 0750u);
	cr_assert(!exists(e.entry_path(k)));
	cr_assert_eq(cache.stats().bypasses, 1u);
}

// ------------------------------------------------------------------ concurrency

Test(stage_cache, two_concurrent_filler_threads_fetch_once)
{
	Env e;
	std::string src = e.share("in.dat", std::string(100000, 'q'));
	CacheKey k = key_for(src);
	std::atomic<int> fetched{0};
	CacheResult r[2];
	auto job = [&](int i) {
		std::string why;
		auto cache = UserCache::open(e.config(), geteuid(), &why);
		if (!cache) {
			r[i].error = why;
			return;
		}
		r[i] = cache->stage(k, fetch_file(src, &fetched, 300), e.dst_fd,
				    "job" + std::to_string(i));
	};
	std::thread t0(job, 0), t1(job, 1);
	t0.join();
	t1.join();
	cr_assert_eq(fetched.load(), 1, "one job reads the share, the other waits");
	cr_assert(r[0].error.empty() && r[1].error.empty(), "%s / %s", r[0].error.c_str(),
		  r[1].error.c_str());
	cr_assert_eq((int)r[0].outcome + (int)r[1].outcome,
		     (int)CacheOutcome::hit + (int)CacheOutcome::miss);
	assert_content(e.dst + "/job0", std::string(100000, 'q'));
	assert_content(e.dst + "/job1", std::string(100000, 'q'));
}

Test(stage_cache, two_concurrent_filler_processes_fetch_once)
{
	Env e;
	std::string src = e.share("in.dat", std::string(100000, 'p'));
	std::string counter = e.d.str() + "/fetches";
	CacheKey k = key_for(src);
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			auto cache = UserCache::open(e.config(), geteuid(), nullptr);
			if (!cache)
				_exit(2);
			CacheResult r = cache->stage(k, fetch_file(src, nullptr, 300, counter),
						     e.dst_fd, "job" + std::to_string(i));
			_exit(r.error.empty() ? 10 + (int)r.outcome : 3);
		}
	}
	int outcomes = 0;
	for (pid_t p : pids) {
		int status = 0;
		cr_assert_eq(waitpid(p, &status, 0), p);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) >= 10, "status %d", status);
		outcomes += WEXITSTATUS(status) - 10;
	}
	cr_assert_eq(outcomes, (int)CacheOutcome::hit + (int)CacheOutcome::miss);
	assert_sv_eq(slurp(counter), "x");
	assert_content(e.dst + "/job0", std::string(100000, 'p'));
	assert_content(e.dst + "/job1", std::string(100000, 'p'));
}

Test(stage_cache, a_fill_held_beyond_the_timeout_is_bypassed)
{
	Env e;
	std::string src = e.share("in.dat", "data\n");
	CacheConfig c = e.config();
	c.lock_timeout_ms = 100;
	auto cache = UserCache::open(c, geteuid(), nullptr);
	cr_assert(cache.has_value());
	CacheKey k = key_for(src);
	// Another stage's fill: the exclusive lock, held.
	std::string lock = e.entry_path(k) + ".lock";
	int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	std::atomic<int> fetched{0};
	CacheResult r = cache->stage(k, fetch_file(src, &fetched), e.dst_fd, "in.dat");
	close(fd);
	assert_ok(r, CacheOutcome::bypass);
	cr_assert(contains(r.note, "busy"), "%s", r.note.c_str());
	cr_assert_eq(fetched.load(), 1);
	assert_sv_eq(slurp(e.dst + "/in.dat"), "data\n");
}

// ------------------------------------------------------------------ crashes

Test(stage_cache, a_half_written_entry_is_not_served)
{
	Env e;
	std::string src = e.share("in.dat", std::string(8192, 'h'));
	CacheKey k = key_for(src);
	// A stage that dies in the middle of its fill.
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		auto cache = UserCache::open(e.config(), geteuid(), nullptr);
		if (!cache)
			_exit(2);
		cache->stage(k, [](int dst) -> std::string {
			(void)!write(dst, std::string(4096, 'h').data(), 4096);
			_exit(9); // the crash
		}, e.dst_fd, "crashed");
		_exit(3);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 9);
	cr_assert(!exists(e.entry_path(k)), "only a temp name is left");

	UserCache cache = open_cache(e);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "next"), CacheOutcome::miss);
	cr_assert_eq(fetched.load(), 1);
	assert_content(e.dst + "/next", std::string(8192, 'h'));

	// trim() removes the dead fill's temp file.
	TrimResult t = trim(e.base, 1u << 30);
	cr_assert_eq(t.removed_other, 1u);
	auto names = std::filesystem::directory_iterator(e.user_dir());
	for (const auto &n : names)
		cr_assert(!contains(n.path().filename().string(), ".tmp."), "%s",
			  n.path().c_str());
}

Test(stage_cache, a_short_entry_under_the_final_name_is_not_served)
{
	Env e;
	std::string src = e.share("in.dat", std::string(8192, 's'));
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	write_file(e.entry_path(k), std::string(100, 's'), 0444);
	set_mtime(e.entry_path(k), k.mtime_ns / 1000000000, k.mtime_ns % 1000000000);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "x"), CacheOutcome::miss);
	cr_assert_eq(fetched.load(), 1);
	assert_content(e.dst + "/x", std::string(8192, 's'));
	cr_assert_eq(stat_of(e.entry_path(k)).st_size, 8192);
}

Test(stage_cache, a_failed_fetch_leaves_nothing)
{
	Env e;
	std::string src = e.share("in.dat", "data\n");
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	CacheResult r = cache.stage(k, [](int) -> std::string { return "in.dat: gone"; },
				    e.dst_fd, "in.dat");
	cr_assert(r.fetch_failed);
	assert_sv_eq(r.error, "in.dat: gone");
	cr_assert(!exists(e.dst + "/in.dat"));
	cr_assert(!exists(e.entry_path(k)));
	for (const auto &n : std::filesystem::directory_iterator(e.user_dir()))
		cr_assert(!contains(n.path().filename().string(), ".tmp."), "%s",
			  n.path().c_str());
	cr_assert_eq(cache.stats().errors, 1u);
}

Test(stage_cache, a_fill_of_the_wrong_size_is_not_kept)
{
	Env e;
	std::string src = e.share("in.dat", "data\n");
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	k.size = 99; // the source changed between fstat and read
	CacheResult r = cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "in.dat");
	cr_assert(contains(r.error, "changed while it was read"), "%s", r.error.c_str());
	cr_assert(!exists(e.entry_path(k)));
	cr_assert(!exists(e.dst + "/in.dat"));
}

// ------------------------------------------------------------------ hostile

Test(stage_cache, a_symlink_in_place_of_an_entry_is_not_followed)
{
	Env e;
	std::string src = e.share("in.dat", "secret\n");
	std::string outside = e.d.str() + "/outside";
	write_file(outside, "secret\n", 0444); // same size and content
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	set_mtime(outside, k.mtime_ns / 1000000000, k.mtime_ns % 1000000000);
	cr_assert_eq(symlink(outside.c_str(), e.entry_path(k).c_str()), 0);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "in.dat"),
		  CacheOutcome::miss);
	cr_assert_eq(fetched.load(), 1);
	struct stat st = stat_of(e.entry_path(k));
	cr_assert(S_ISREG(st.st_mode), "the symlink was replaced, not followed");
	cr_assert_neq(st.st_ino, stat_of(outside).st_ino);
	assert_sv_eq(slurp(outside), "secret\n");
	cr_assert_eq(stat_of(outside).st_nlink, 1u, "never linked into the job");
}

Test(stage_cache, a_symlink_in_place_of_a_lock_is_not_followed)
{
	Env e;
	std::string src = e.share("in.dat", "data\n");
	std::string outside = e.d.str() + "/victim";
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	cr_assert_eq(symlink(outside.c_str(), (e.entry_path(k) + ".lock").c_str()), 0);
	CacheResult r = cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "in.dat");
	assert_ok(r, CacheOutcome::bypass);
	cr_assert(contains(r.note, "symbolic link"), "%s", r.note.c_str());
	cr_assert(!exists(outside), "no file created through the link");
	assert_sv_eq(slurp(e.dst + "/in.dat"), "data\n");
	// trim() removes the bad lock name, and the next stage caches again.
	trim(e.base, 1u << 30);
	cr_assert(!exists(e.entry_path(k) + ".lock"));
	assert_ok(cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "again"),
		  CacheOutcome::miss);
}

// Opening a FIFO for reading would wait for a writer: every open in the
// cache is non-blocking and checks the type.
Test(stage_cache, a_fifo_in_place_of_an_entry_or_a_lock_does_not_block)
{
	Env e;
	std::string a = e.share("a", "data a\n");
	std::string b = e.share("b", "data b\n");
	UserCache cache = open_cache(e);
	CacheKey ka = key_for(a), kb = key_for(b);
	cr_assert_eq(mkfifo(e.entry_path(ka).c_str(), 0600), 0);
	cr_assert_eq(mkfifo((e.entry_path(kb) + ".lock").c_str(), 0600), 0);
	assert_ok(cache.stage(ka, fetch_file(a, nullptr), e.dst_fd, "a"), CacheOutcome::miss);
	cr_assert(S_ISREG(stat_of(e.entry_path(ka)).st_mode), "the FIFO was replaced");
	CacheResult r = cache.stage(kb, fetch_file(b, nullptr), e.dst_fd, "b");
	assert_ok(r, CacheOutcome::bypass);
	cr_assert(contains(r.note, "not a regular file"), "%s", r.note.c_str());
	assert_sv_eq(slurp(e.dst + "/a"), "data a\n");
	assert_sv_eq(slurp(e.dst + "/b"), "data b\n");
	// trim() removes the FIFO lock; then b is cached again.
	trim(e.base, 1u << 30);
	cr_assert(!exists(e.entry_path(kb) + ".lock"));
	assert_ok(cache.stage(kb, fetch_file(b, nullptr), e.dst_fd, "b2"), CacheOutcome::miss);
}

Test(stage_cache, a_writable_or_rewritten_entry_is_a_miss)
{
	Env e;
	std::string src = e.share("in.dat", "good\n");
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	std::atomic<int> fetched{0};
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "a"), CacheOutcome::miss);
	// A job that chmods its hard-linked input and writes it.
	cr_assert_eq(chmod((e.dst + "/a").c_str(), 0644), 0);
	write_file(e.dst + "/a", "evil\n", 0644);
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "b"), CacheOutcome::miss);
	assert_sv_eq(slurp(e.dst + "/b"), "good\n");
	// Read-only again but rewritten: the mtime gives it away.
	cr_assert_eq(chmod(e.entry_path(k).c_str(), 0644), 0);
	write_file(e.entry_path(k), "evil\n", 0444);
	assert_ok(cache.stage(k, fetch_file(src, &fetched), e.dst_fd, "c"), CacheOutcome::miss);
	assert_sv_eq(slurp(e.dst + "/c"), "good\n");
	cr_assert_eq(fetched.load(), 3);
}

Test(stage_cache, garbage_in_the_cache_dir_is_ignored)
{
	Env e;
	std::string src = e.share("in.dat", std::string(4096, 'g'));
	UserCache cache = open_cache(e);
	CacheKey k = key_for(src);
	std::string dir = e.user_dir();
	write_file(dir + "/index", "\x01\x02garbage\xff", 0644);
	write_file(dir + "/" + entry_name(k) + "x", std::string(1 << 16, '?'), 0444);
	cr_assert_eq(mkdir((dir + "/" + entry_name(k) + ".lock.d").c_str(), 0700), 0);
	cr_assert_eq(symlink("/etc/passwd", (dir + "/ZZZZ").c_str()), 0);
	assert_ok(cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "a"), CacheOutcome::miss);
	assert_ok(cache.stage(k, fetch_file(src, nullptr), e.dst_fd, "b"), CacheOutcome::hit);
	TrimResult t = trim(e.base, 0);
	cr_assert_eq(t.entries, 1u, "only real entries are counted");
	cr_assert_eq(t.bytes_before, 4096u);
	cr_assert_eq(t.evicted, 1u);
	cr_assert(exists(dir + "/index") && exists(dir + "/ZZZZ"), "unknown names are left alone");
	cr_assert(exists("/etc/passwd"));
}

// ------------------------------------------------------------------ users

Test(stage_cache, open_refuses_another_uid_and_an_open_base)
{
	Env e;
	std::string why;
	cr_assert(!UserCache::open(e.config(), geteuid() + 1, &why).has_value());
	cr_assert(contains(why, "used as that user"), "%s", why.c_str());

	chmod(e.base.c_str(), 0777);
	cr_assert(!UserCache::open(e.config(), geteuid(), &why).has_value());
	cr_assert(contains(why, "writable by group or others"), "%s", why.c_str());
	chmod(e.base.c_str(), 0755);

	std::string elsewhere = e.d.str() + "/elsewhere";
	cr_assert_eq(mkdir(elsewhere.c_str(), 0700), 0);
	cr_assert_eq(symlink(elsewhere.c_str(), e.user_dir().c_str()), 0);
	cr_assert(!UserCache::open(e.config(), geteuid(), &why).has_value());
	cr_assert(contains(why, "symbolic link"), "%s", why.c_str());
}

Test(stage_cache, open_makes_the_user_dir_private)
{
	Env e;
	UserCache cache = open_cache(e);
	cr_assert_eq(stat_of(e.user_dir()).st_mode & 07777, 0700u);
	chmod(e.user_dir().c_str(), 0755);
	UserCache again = open_cache(e);
	cr_assert_eq(stat_of(e.user_dir()).st_mode & 07777, 0700u);
}

Test(stage_cache, prepare_user_dir_makes_a_private_dir_owned_by_the_user)
{
	need_root();
	Env e;
	std::string why = prepare_user_dir(e.base, kNobody, kNogroup);
	cr_assert(why.empty(), "%s", why.c_str());
	struct stat st = stat_of(e.user_dir(kNobody));
	cr_assert_eq(st.st_uid, kNobody);
	cr_assert_eq(st.st_gid, kNogroup);
	cr_assert_eq(st.st_mode & 07777, 0700u);
	// An existing one is put right.
	chmod(e.user_dir(kNobody).c_str(), 0777);
	cr_assert_eq(chown(e.user_dir(kNobody).c_str(), 0, 0), 0);
	why = prepare_user_dir(e.base, kNobody, kNogroup);
	cr_assert(why.empty(), "%s", why.c_str());
	st = stat_of(e.user_dir(kNobody));
	cr_assert_eq(st.st_uid, kNobody);
	cr_assert_eq(st.st_mode & 07777, 0700u);
	// A symlink in its place is refused, not followed.
	std::string elsewhere = e.d.str() + "/elsewhere";
	cr_assert_eq(mkdir(elsewhere.c_str(), 0755), 0);
	cr_assert_eq(symlink(elsewhere.c_str(), e.user_dir(1).c_str()), 0);
	why = prepare_user_dir(e.base, 1, 1);
	cr_assert(contains(why, "symbolic link"), "%s", why.c_str());
	cr_assert_eq(stat_of(elsewhere).st_uid, 0u);
}

// Root fills its entry; nobody stages the same file and must read it from
// the share, cannot open root's cache as its own, and cannot read root's
// directory at all.
Test(stage_cache, another_users_entry_is_not_served)
{
	need_root();
	Env e;
	std::string src = e.share("in.dat", "shared input\n");
	UserCache root_cache = open_cache(e);
	CacheKey root_key = key_for(src, 0);
	assert_ok(root_cache.stage(root_key, fetch_file(src, nullptr), e.dst_fd, "root.dat"),
		  CacheOutcome::miss);
	cr_assert(prepare_user_dir(e.base, kNobody, kNogroup).empty());
	std::string counter = e.d.str() + "/fetches";
	int cfd = open(counter.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	close(cfd);
	chmod(counter.c_str(), 0666);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		gid_t g = kNogroup;
		if (setgroups(1, &g) != 0 || setresgid(kNogroup, kNogroup, kNogroup) != 0 ||
		    setresuid(kNobody, kNobody, kNobody) != 0)
			_exit(2);
		// Root's cache is not nobody's to use.
		if (UserCache::open(e.config(), 0, nullptr).has_value())
			_exit(3);
		// Root's directory is closed to nobody.
		std::string root_entry = e.entry_path(root_key);
		if (open(root_entry.c_str(), O_RDONLY) >= 0 || errno != EACCES)
			_exit(4);
		auto cache = UserCache::open(e.config(), kNobody, nullptr);
		if (!cache)
			_exit(5);
		// The same file, keyed for nobody: its own miss.
		CacheKey k = key_for(src, kNobody);
		CacheResult r = cache->stage(k, fetch_file(src, nullptr, 0, counter), e.dst_fd,
					     "nobody.dat");
		if (!r.error.empty() || r.outcome != CacheOutcome::miss)
			_exit(6);
		// A key for another uid is never looked up.
		r = cache->stage(root_key, fetch_file(src, nullptr, 0, counter), e.dst_fd,
				 "nobody2.dat");
		if (!r.error.empty() || r.outcome != CacheOutcome::bypass)
			_exit(7);
		_exit(0);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	assert_sv_eq(slurp(counter), "xx", "nobody read the share both times");
	struct stat st = stat_of(e.dst + "/nobody.dat");
	cr_assert_eq(st.st_uid, kNobody);
	cr_assert_neq(st.st_ino, stat_of(e.entry_path(root_key)).st_ino);
	st = stat_of(e.entry_path(key_for(src, kNobody)));
	cr_assert_eq(st.st_uid, kNobody, "nobody's entry is nobody's");
}

Test(stage_cache, trim_as_root_sees_every_user)
{
	need_root();
	Env e;
	std::string src = e.share("in.dat", std::string(4096, 'r'));
	UserCache root_cache = open_cache(e);
	assert_ok(root_cache.stage(key_for(src, 0), fetch_file(src, nullptr), e.dst_fd, "r"),
		  CacheOutcome::miss);
	cr_assert(prepare_user_dir(e.base, kNobody, kNogroup).empty());
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		gid_t g = kNogroup;
		if (setgroups(1, &g) != 0 || setresgid(kNogroup, kNogroup, kNogroup) != 0 ||
		    setresuid(kNobody, kNobody, kNobody) != 0)
			_exit(2);
		auto cache = UserCache::open(e.config(), kNobody, nullptr);
		if (!cache)
			_exit(3);
		CacheResult r = cache->stage(key_for(src, kNobody), fetch_file(src, nullptr),
					     e.dst_fd, "n");
		if (!r.error.empty())
			_exit(4);
		// As a user, trim sees only its own directory.
		TrimResult t = trim(e.base, 1u << 30);
		_exit(t.entries == 1 ? 0 : 5);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	TrimResult t = trim(e.base, 4096);
	cr_assert_eq(t.entries, 2u);
	cr_assert_eq(t.evicted, 1u);
	cr_assert_eq(t.bytes_after, 4096u);
}

// A user owns <base>/<uid>/: a sparse file under an entry's name, as large
// as it likes and costing it no disk, with its lock touched to now, must
// not make root's trim() evict every other user's entries.
Test(stage_cache, a_users_sparse_fake_entry_does_not_evict_other_users)
{
	need_root();
	Env e;
	std::string src = e.share("in.dat", std::string(4096, 'r'));
	UserCache root_cache = open_cache(e);
	CacheKey rk = key_for(src, 0);
	assert_ok(root_cache.stage(rk, fetch_file(src, nullptr), e.dst_fd, "r"),
		  CacheOutcome::miss);
	set_mtime(e.entry_path(rk) + ".lock", 1000);
	cr_assert(prepare_user_dir(e.base, kNobody, kNogroup).empty());

	CacheKey fake;
	fake.uid = kNobody;
	fake.dev = 1;
	fake.ino = 2;
	fake.size = std::uint64_t(1) << 40;
	fake.mtime_ns = 3;
	std::string fp = e.entry_path(fake);
	int fd = open(fp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	cr_assert_geq(fd, 0);
	if (ftruncate(fd, (off_t)fake.size) != 0) {
		close(fd);
		cr_skip_test("this file system cannot hold a 1 TiB sparse file");
	}
	close(fd);
	write_file(fp + ".lock", "", 0600);
	cr_assert_eq(chown(fp.c_str(), kNobody, kNogroup), 0);
	cr_assert_eq(chown((fp + ".lock").c_str(), kNobody, kNogroup), 0);

	TrimResult t = trim(e.base, 1u << 20);
	cr_assert(t.error.empty(), "%s", t.error.c_str());
	cr_assert(exists(e.entry_path(rk)), "root's entry was evicted for nobody's hole");
}

// An O_PATH open checks no read permission: a key from one would let a
// user whose read access was taken away (chmod keeps the mtime) be served
// the cached content. key_of() takes only an fd open for reading.
Test(stage_cache, a_key_needs_an_fd_open_for_reading)
{
	Env e;
	std::string src = e.share("in.dat", "data\n");
	int fd = open(src.c_str(), O_PATH | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	std::string why;
	auto k = key_of(fd, geteuid(), src, &why);
	close(fd);
	cr_assert(!k.has_value(), "keyed through an O_PATH fd");
	cr_assert(!why.empty());
	fd = open(src.c_str(), O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	k = key_of(fd, geteuid(), src, &why);
	close(fd);
	cr_assert(!k.has_value(), "keyed through a write-only fd");
}
