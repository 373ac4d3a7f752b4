#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/stage/run.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;
using namespace slurmpi::stage;

namespace {

void write_file(const std::string &path, const std::string &content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "create %s", path.c_str());
	cr_assert_eq(write(fd, content.data(), content.size()), (ssize_t)content.size());
	close(fd);
	cr_assert_eq(chmod(path.c_str(), mode), 0);
}

void make_dir(const std::string &path, mode_t mode = 0755)
{
	cr_assert_eq(mkdir(path.c_str(), mode), 0, "mkdir %s", path.c_str());
}

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

struct stat lstat_of(const std::string &path)
{
	struct stat st;
	cr_assert_eq(lstat(path.c_str(), &st), 0, "lstat %s", path.c_str());
	return st;
}

// Bytes that differ from file to file.
std::string pattern(std::size_t size, unsigned seed)
{
	std::string s(size, '\0');
	std::uint32_t x = seed * 2654435761u + 1;
	for (std::size_t i = 0; i < size; ++i) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		s[i] = static_cast<char>(x);
	}
	return s;
}

// <tmp>/share (the one root), <tmp>/scratch (the job's scratch),
// <tmp>/cache (the cache base).
struct Env {
	ScratchDir tmp{"stage_run"};
	std::string share = tmp.str() + "/share";
	std::string scratch = tmp.str() + "/scratch";
	std::string cache = tmp.str() + "/cache";
	std::vector<std::string> roots{share};

	Env()
	{
		make_dir(share);
		make_dir(scratch, 0700);
		make_dir(cache, 0755);
	}

	RunOptions with_cache() const
	{
		RunOptions o;
		o.cache = CacheConfig{};
		o.cache->base = cache;
		o.uid = geteuid();
		return o;
	}
};

// Criterion keeps the pointers: compare named copies.
#define assert_str(actual, expected)                              \
	do {                                                      \
		std::string a_(actual), e_(expected);             \
		cr_assert_str_eq(a_.c_str(), e_.c_str());         \
	} while (0)

#define assert_run_ok(r) cr_assert((r).ok(), "%s: %s", (r).item.c_str(), (r).error.message.c_str())

// A tree of `n` small files in `dirs` directories under `top`; their total size.
std::uint64_t make_tree(const std::string &top, int n, int dirs)
{
	make_dir(top);
	std::uint64_t total = 0;
	for (int d = 0; d < dirs; ++d)
		make_dir(top + "/d" + std::to_string(d));
	for (int f = 0; f < n; ++f) {
		std::size_t size = static_cast<std::size_t>(f * 53 % 4000 + 1);
		write_file(top + "/d" + std::to_string(f % dirs) + "/f" + std::to_string(f),
			   pattern(size, static_cast<unsigned>(f)), 0640);
		total += size;
	}
	return total;
}

void assert_same_tree(const std::string &a, const std::string &b, int n, int dirs)
{
	for (int f = 0; f < n; ++f) {
		std::string rel = "/d" + std::to_string(f % dirs) + "/f" + std::to_string(f);
		cr_assert(slurp(a + rel) == slurp(b + rel), "%s differs", (b + rel).c_str());
		cr_assert(!slurp(b + rel).empty(), "%s is empty", (b + rel).c_str());
	}
}

} // namespace

// ---------------------------------------------------------------- stage-in

Test(stage_run, stage_in_copies_a_file_and_a_tree_into_scratch)
{
	Env e;
	write_file(e.share + "/in.dat", pattern(5000, 1), 0640);
	std::uint64_t total = make_tree(e.share + "/tree", 30, 3);
	std::vector<StageItem> items{{e.share + "/in.dat", "data/in.dat"},
				     {e.share + "/tree", "tree"}};
	RunResult r = run_stage_in(e.roots, items, e.scratch, RunOptions{});
	assert_run_ok(r);
	cr_assert(r.item.empty());
	cr_assert_eq(r.stats.files, 31);
	cr_assert_eq(r.stats.bytes, 5000 + total);
	cr_assert_eq(r.stats.directories, 4);
	cr_assert(slurp(e.scratch + "/data/in.dat") == pattern(5000, 1));
	cr_assert_eq(lstat_of(e.scratch + "/data/in.dat").st_mode & 07777, 0640u);
	assert_same_tree(e.share + "/tree", e.scratch + "/tree", 30, 3);
	cr_assert_eq(r.cache.hits + r.cache.misses, 0u, "no cache configured");
	cr_assert(r.cache_note.empty());
}

Test(stage_run, an_item_outside_every_root_is_an_escape)
{
	Env e;
	write_file(e.tmp.str() + "/other", "x");
	std::vector<StageItem> items{{e.tmp.str() + "/other", "other"}};
	RunResult r = run_stage_in(e.roots, items, e.scratch, RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::escape, "%s", r.error.message.c_str());
	assert_str(r.item, e.tmp.str() + "/other");
	cr_assert(!exists(e.scratch + "/other"));
}

Test(stage_run, the_longest_root_containing_an_item_is_the_one_it_must_stay_beneath)
{
	Env e;
	make_dir(e.share + "/inner");
	write_file(e.share + "/secret", "s");
	cr_assert_eq(symlink("../secret", (e.share + "/inner/link").c_str()), 0);
	std::vector<StageItem> items{{e.share + "/inner/link", "x"}};
	// Beneath the share alone the link stays inside it ...
	RunResult r = run_stage_in(e.roots, items, e.scratch, RunOptions{});
	assert_run_ok(r);
	// ... but with share/inner a root too, the item is judged beneath
	// that one, which the link leaves.
	std::vector<std::string> roots{e.share, e.share + "/inner"};
	items[0].dst = "y";
	r = run_stage_in(roots, items, e.scratch, RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::escape, "%s", r.error.message.c_str());
	cr_assert(!exists(e.scratch + "/y"));
}

Test(stage_run, a_missing_source_stops_the_run_and_names_the_item)
{
	Env e;
	write_file(e.share + "/a", "a");
	write_file(e.share + "/c", "c");
	std::vector<StageItem> items{
		{e.share + "/a", "a"}, {e.share + "/missing", "b"}, {e.share + "/c", "c"}};
	RunResult r = run_stage_in(e.roots, items, e.scratch, RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::not_found, "%s", r.error.message.c_str());
	assert_str(r.item, e.share + "/missing");
	cr_assert(contains(r.error.message, e.share + "/missing"), "%s", r.error.message.c_str());
	cr_assert(exists(e.scratch + "/a"), "items before it stay (the caller removes them)");
	cr_assert(!exists(e.scratch + "/c"), "items after it are not run");
	cr_assert_eq(r.stats.files, 1, "stats count what was done");
}

Test(stage_run, the_size_limit_counts_all_items_of_the_run)
{
	Env e;
	write_file(e.share + "/a", pattern(3000, 1));
	write_file(e.share + "/b", pattern(3000, 2));
	std::vector<StageItem> items{{e.share + "/a", "a"}, {e.share + "/b", "b"}};
	RunOptions o;
	o.max_bytes = 5000; // each item alone fits
	RunResult r = run_stage_in(e.roots, items, e.scratch, o);
	cr_assert_eq(r.error.kind, ErrorKind::limit, "%s", r.error.message.c_str());
	assert_str(r.item, e.share + "/b");
	cr_assert(contains(r.error.message, "items before it"), "%s", r.error.message.c_str());
	cr_assert(!exists(e.scratch + "/b"), "nothing of b written");
	cr_assert_eq(r.stats.bytes, 3000);

	// Exactly used up: an item with data after it fails too, an empty
	// one does not.
	write_file(e.share + "/empty", "");
	o.max_bytes = 3000;
	std::vector<StageItem> more{{e.share + "/a", "a2"}, {e.share + "/empty", "e"}};
	r = run_stage_in(e.roots, more, e.scratch, o);
	assert_run_ok(r);
	more.push_back({e.share + "/b", "b2"});
	more[0].dst = "a3";
	more[1].dst = "e3";
	r = run_stage_in(e.roots, more, e.scratch, o);
	cr_assert_eq(r.error.kind, ErrorKind::limit, "%s", r.error.message.c_str());
	assert_str(r.item, e.share + "/b");
}

Test(stage_run, a_missing_scratch_directory_fails_before_any_item)
{
	Env e;
	write_file(e.share + "/a", "a");
	RunResult r = run_stage_in(e.roots, {{e.share + "/a", "a"}}, e.scratch + "/nope",
				   RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::not_found, "%s", r.error.message.c_str());
	cr_assert(r.item.empty());
}

// ---------------------------------------------------------------- stage-in with the cache

Test(stage_run, a_tree_staged_twice_through_the_cache_by_four_threads_hits_the_second_time)
{
	Env e;
	const int n = 200, dirs = 8;
	std::uint64_t total = make_tree(e.share + "/many", n, dirs);
	RunOptions o = e.with_cache();
	o.copy.threads = 4;
	std::vector<StageItem> items{{e.share + "/many", "first"}};
	RunResult r = run_stage_in(e.roots, items, e.scratch, o);
	assert_run_ok(r);
	cr_assert(r.cache_note.empty(), "%s", r.cache_note.c_str());
	cr_assert_eq(r.cache.misses, (std::uint64_t)n, "misses %llu",
		     (unsigned long long)r.cache.misses);
	cr_assert_eq(r.cache.hits, 0u);
	cr_assert_eq(r.cache.bypasses + r.cache.errors, 0u);
	cr_assert_eq(r.cache.bytes_fetched, total);
	cr_assert_eq(r.stats.files, (std::uint64_t)n);
	cr_assert_eq(r.stats.bytes, total);
	assert_same_tree(e.share + "/many", e.scratch + "/first", n, dirs);

	items[0].dst = "second";
	r = run_stage_in(e.roots, items, e.scratch, o);
	assert_run_ok(r);
	cr_assert_eq(r.cache.hits, (std::uint64_t)n, "hits %llu",
		     (unsigned long long)r.cache.hits);
	cr_assert_eq(r.cache.misses + r.cache.bypasses + r.cache.errors, 0u);
	cr_assert_eq(r.cache.bytes_saved, total);
	cr_assert_eq(r.cache.bytes_fetched, 0u);
	cr_assert_eq(r.stats.bytes, total, "a hit counts as staged");
	assert_same_tree(e.share + "/many", e.scratch + "/second", n, dirs);
	// Placed as hard links to the entries (scratch and cache share /tmp).
	cr_assert_geq(lstat_of(e.scratch + "/second/d0/f0").st_nlink, 2u);

	// Only temp-free entries and locks are left in the user's directory.
	std::string udir = e.cache + "/" + std::to_string(geteuid());
	int entries = 0;
	for (const auto &de : std::filesystem::directory_iterator(udir)) {
		std::string name = de.path().filename();
		cr_assert(!contains(name, ".tmp."), "left behind: %s", name.c_str());
		entries += !contains(name, ".lock");
	}
	cr_assert_eq(entries, n);
}

Test(stage_run, a_single_file_hit_is_served_after_the_source_changed_nothing)
{
	Env e;
	write_file(e.share + "/one", pattern(10000, 5), 0600);
	RunOptions o = e.with_cache();
	RunResult r = run_stage_in(e.roots, {{e.share + "/one", "a"}}, e.scratch, o);
	assert_run_ok(r);
	cr_assert_eq(r.cache.misses, 1u);
	r = run_stage_in(e.roots, {{e.share + "/one", "b"}}, e.scratch, o);
	assert_run_ok(r);
	cr_assert_eq(r.cache.hits, 1u);
	cr_assert_eq(r.cache.bytes_saved, 10000u);
	cr_assert(slurp(e.scratch + "/b") == pattern(10000, 5));

	// A changed source (new mtime) is a miss again, with the new content.
	write_file(e.share + "/one", pattern(10000, 6), 0600);
	struct timespec ts[2] = {{1600000000, 0}, {1600000000, 1}};
	cr_assert_eq(utimensat(AT_FDCWD, (e.share + "/one").c_str(), ts, 0), 0);
	r = run_stage_in(e.roots, {{e.share + "/one", "c"}}, e.scratch, o);
	assert_run_ok(r);
	cr_assert_eq(r.cache.misses, 1u);
	cr_assert(slurp(e.scratch + "/c") == pattern(10000, 6));
}

Test(stage_run, a_cache_that_cannot_be_opened_is_said_and_the_stage_goes_on)
{
	Env e;
	write_file(e.share + "/a", "alpha");
	RunOptions o = e.with_cache();
	o.cache->base = "relative/base";
	RunResult r = run_stage_in(e.roots, {{e.share + "/a", "a"}}, e.scratch, o);
	assert_run_ok(r);
	cr_assert(!r.cache_note.empty());
	cr_assert_eq(r.cache.hits + r.cache.misses, 0u);
	cr_assert(slurp(e.scratch + "/a") == "alpha");
}

// ---------------------------------------------------------------- stage-out

Test(stage_run, stage_out_on_one_node_goes_to_dst_and_a_rerun_overwrites)
{
	Env e;
	make_dir(e.scratch + "/out");
	write_file(e.scratch + "/out/result", "first");
	write_file(e.scratch + "/log.txt", "log1");
	std::vector<StageItem> items{{"out", e.share + "/results/out"},
				     {"log.txt", e.share + "/log.txt"}};
	RunResult r = run_stage_out(e.roots, items, e.scratch, "pi1", 1, RunOptions{});
	assert_run_ok(r);
	cr_assert(slurp(e.share + "/results/out/result") == "first");
	cr_assert(slurp(e.share + "/log.txt") == "log1");

	write_file(e.scratch + "/out/result", "second run");
	write_file(e.scratch + "/log.txt", "log2");
	r = run_stage_out(e.roots, items, e.scratch, "pi1", 1, RunOptions{});
	assert_run_ok(r);
	cr_assert(slurp(e.share + "/results/out/result") == "second run");
	cr_assert(slurp(e.share + "/log.txt") == "log2");
}

Test(stage_run, stage_out_on_many_nodes_goes_to_dst_per_node)
{
	Env e;
	write_file(e.scratch + "/r.txt", "from pi2");
	std::vector<StageItem> items{{"r.txt", e.share + "/res"}};
	RunResult r = run_stage_out(e.roots, items, e.scratch, "pi2", 3, RunOptions{});
	assert_run_ok(r);
	cr_assert(slurp(e.share + "/res/pi2") == "from pi2");
	write_file(e.scratch + "/r.txt", "from pi3");
	r = run_stage_out(e.roots, items, e.scratch, "pi3", 3, RunOptions{});
	assert_run_ok(r);
	cr_assert(slurp(e.share + "/res/pi3") == "from pi3");
	cr_assert(slurp(e.share + "/res/pi2") == "from pi2");

	// A node name that is no directory name is refused, unprefixed.
	r = run_stage_out(e.roots, items, e.scratch, "a/b", 3, RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::invalid);
	assert_str(r.item, "r.txt");
	cr_assert(!contains(r.error.message, "slurm-pi stage:"), "%s", r.error.message.c_str());
}

Test(stage_run, stage_out_of_dot_copies_the_scratch_directory_itself)
{
	Env e;
	write_file(e.scratch + "/a", "A");
	make_dir(e.scratch + "/sub");
	write_file(e.scratch + "/sub/b", "B");
	RunResult r = run_stage_out(e.roots, {{".", e.share + "/all"}}, e.scratch, "pi1", 1,
				    RunOptions{});
	assert_run_ok(r);
	cr_assert(slurp(e.share + "/all/a") == "A");
	cr_assert(slurp(e.share + "/all/sub/b") == "B");
	cr_assert_eq(r.stats.files, 2);
}

Test(stage_run, stage_out_outside_the_roots_and_missing_sources_fail)
{
	Env e;
	write_file(e.scratch + "/a", "A");
	RunResult r = run_stage_out(e.roots, {{"a", e.tmp.str() + "/elsewhere"}}, e.scratch,
				    "pi1", 1, RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::escape);
	assert_str(r.item, "a");
	r = run_stage_out(e.roots, {{"nope", e.share + "/x"}}, e.scratch, "pi1", 1, RunOptions{});
	cr_assert_eq(r.error.kind, ErrorKind::not_found);
	assert_str(r.item, "nope");
}

// ---------------------------------------------------------------- JSON

Test(stage_run, a_result_survives_the_json_round_trip)
{
	RunResult r;
	r.error = make_error(ErrorKind::disk_full, "/var/tmp/x", "No space left on device", 28);
	r.item = "/home/shared/in";
	r.stats = CopyStats{3, 2, 1, 4, 123456789012ull, 1.5};
	r.cache.hits = 7;
	r.cache.misses = 8;
	r.cache.bypasses = 9;
	r.cache.errors = 10;
	r.cache.bytes_saved = 11;
	r.cache.bytes_fetched = 18446744073709551615ull;
	r.cache_note = "no cache: why";
	r.warnings = {"a: setuid bit not copied", "b \"quoted\""};
	r.warnings_dropped = 5;
	std::string text = run_result_to_json(r);
	cr_assert(text.find('\n') == std::string::npos, "one line");
	std::string why;
	std::optional<RunResult> back = run_result_from_json(text, &why);
	cr_assert(back.has_value(), "%s: %s", why.c_str(), text.c_str());
	cr_assert_eq(back->error.kind, ErrorKind::disk_full);
	cr_assert_eq(back->error.err, 28);
	assert_str(back->error.message, r.error.message);
	assert_str(back->item, r.item);
	cr_assert_eq(back->stats.files, 3);
	cr_assert_eq(back->stats.directories, 2);
	cr_assert_eq(back->stats.symlinks, 1);
	cr_assert_eq(back->stats.skipped, 4);
	cr_assert_eq(back->stats.bytes, 123456789012ull);
	cr_assert_float_eq(back->stats.seconds, 1.5, 1e-12);
	cr_assert_eq(back->cache.hits, 7);
	cr_assert_eq(back->cache.bytes_fetched, 18446744073709551615ull);
	assert_str(back->cache_note, "no cache: why");
	cr_assert(back->warnings == r.warnings);
	cr_assert_eq(back->warnings_dropped, 5);

	RunResult ok;
	back = run_result_from_json(run_result_to_json(ok), &why);
	cr_assert(back.has_value(), "%s", why.c_str());
	cr_assert(back->ok());
}

Test(stage_run, hostile_json_is_refused_with_a_reason)
{
	RunResult r;
	r.error = make_error(ErrorKind::io, "/p", "Input/output error", 5);
	r.item = "/home/shared/x";
	const std::string good = run_result_to_json(r);
	auto refused = [](const std::string &text, const char *what) {
		std::string why;
		std::optional<RunResult> back = run_result_from_json(text, &why);
		cr_assert(!back.has_value(), "%s accepted: %.200s", what, text.c_str());
		cr_assert(!why.empty(), "%s: no reason", what);
	};
	auto replaced = [&](const std::string &from, const std::string &to) {
		std::string t = good;
		std::size_t at = t.find(from);
		cr_assert_neq(at, std::string::npos, "%s not in %s", from.c_str(), t.c_str());
		return t.replace(at, from.size(), to);
	};
	refused("", "empty");
	refused("[]", "an array");
	refused("{\"v\":1", "truncated");
	refused(replaced("\"v\":1", "\"v\":2"), "another version");
	refused(replaced("\"kind\":\"io\"", "\"kind\":\"fire\""), "unknown kind");
	refused(replaced("\"kind\":\"io\"", "\"kind\":\"IO\""), "kind in other case");
	refused(replaced("\"errno\":5", "\"errno\":-5"), "negative errno");
	refused(replaced("\"errno\":5", "\"errno\":99999"), "huge errno");
	refused(replaced("\"errno\":5", "\"errno\":\"5\""), "errno as a string");
	refused(replaced("\"files\":0", "\"files\":1.5"), "fraction");
	refused(replaced("\"files\":0", "\"files\":-1"), "negative count");
	refused(replaced("\"bytes\":0", "\"bytes\":184467440737095516160"), "beyond 64 bits");
	refused(replaced("\"seconds\":0.0", "\"seconds\":-1.0"), "negative seconds");
	refused(replaced("\"item\":", "\"x\":1,\"item\":"), "unknown field");
	refused(replaced("\"hits\":0,", ""), "missing field");
	refused(replaced("\"warnings\":[]", "\"warnings\":[1]"), "warning not a string");
	refused(replaced("\"warnings\":[]", "\"warnings\":\"w\""), "warnings not an array");
	refused(replaced("\"error\":{\"kind\":\"io\",\"errno\":5,\"message\":\"/p: Input/output error\"}",
			 "\"error\":\"io\""),
		"error not an object");
	refused(replaced("\"cache_note\":\"\"", "\"cache_note\":null"), "note not a string");
	refused(replaced("\"item\":\"/home/shared/x\"", "\"item\":[\"/home/shared/x\"]"),
		"item not a string");
	refused(replaced("\"message\":\"/p: Input/output error\"", "\"message\":\"\""),
		"an error without a message");
	RunResult ok;
	ok.item = "x"; // only a failure names an item
	refused(run_result_to_json(ok), "item without an error");
	refused(std::string(60, '[') + std::string(60, ']'), "deep");
	refused(replaced("\"warnings\":[]", "\"warnings\":[[[[[\"x\"]]]]]"), "deep inside");
	std::string huge = replaced("\"cache_note\":\"\"",
				    "\"cache_note\":\"" + std::string(2u << 20, 'a') + "\"");
	refused(huge, "huge");
	refused(std::string("{\"v\":1}") + std::string(10, ' ') + "x", "trailing garbage");
}
