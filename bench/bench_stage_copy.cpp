// The copy engine (common/stage/copy.hpp) as a command, for
// bench/bench_stage.sh, which times it against cp -a and rsync -a.
//
//   bench_stage_copy copy SRC_DIR NAME DST_DIR NAME [THREADS [CACHE_DIR]]
//       copies SRC_DIR/NAME to DST_DIR/NAME, prints the summary; with
//       CACHE_DIR, as a stage-in does (run_stage_in(), common/stage/run.hpp:
//       SRC_DIR the root, DST_DIR the scratch) through the node cache at
//       CACHE_DIR (a directory of the caller's, closed to group and
//       others), placing hits as hard links, and prints the cache's
//       counters too
//   bench_stage_copy make-small DIR COUNT
//       writes COUNT files of 1-16 KiB (fixed pseudo-random sizes and
//       bytes) into DIR/dNNN/, 200 a directory
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/stage/copy.hpp"
#include "common/stage/run.hpp"

using namespace slurmpi::stage;

namespace {

int usage()
{
	std::fprintf(stderr, "usage: bench_stage_copy copy SRC_DIR NAME DST_DIR NAME [THREADS]\n"
			     "       bench_stage_copy copy SRC_DIR NAME DST_DIR NAME THREADS CACHE_DIR\n"
			     "       bench_stage_copy make-small DIR COUNT\n");
	return 2;
}

// The copy of copy(), as a stage-in through the cache at `cache_dir`.
int stage(char **argv, int threads, const char *cache_dir)
{
	RunOptions o;
	o.copy.threads = threads;
	o.cache = CacheConfig{};
	o.cache->base = cache_dir;
	o.uid = geteuid();
	const std::string root = argv[2];
	RunResult r = run_stage_in({root}, {{join_path(root, argv[3]), argv[5]}}, argv[4], o);
	if (!r.ok() || !r.cache_note.empty()) {
		std::fprintf(stderr, "bench_stage_copy: %s (%s)%s\n",
			     r.ok() ? "" : r.error.message.c_str(),
			     std::string(error_kind_name(r.error.kind)).c_str(),
			     r.cache_note.empty() ? "" : ("; cache: " + r.cache_note).c_str());
		return 1;
	}
	std::printf("%s; %s\n", copy_summary(r.stats).c_str(), describe(r.cache).c_str());
	return 0;
}

int copy(int argc, char **argv)
{
	if (argc < 6)
		return usage();
	if (argc > 7)
		return stage(argv, std::atoi(argv[6]), argv[7]);
	OpenResult s = open_root(argv[2]), d = open_root(argv[4]);
	if (!s.ok() || !d.ok()) {
		std::fprintf(stderr, "bench_stage_copy: %s\n",
			     (s.ok() ? d : s).error.message.c_str());
		return 1;
	}
	CopyOptions o;
	if (argc > 6)
		o.threads = std::atoi(argv[6]);
	CopyResult r = copy_beneath(Root{s.fd.get(), argv[2]}, argv[3],
				    Root{d.fd.get(), argv[4]}, argv[5], o);
	if (!r.ok()) {
		std::fprintf(stderr, "bench_stage_copy: %s (%s)\n", r.error.message.c_str(),
			     std::string(error_kind_name(r.error.kind)).c_str());
		return 1;
	}
	std::printf("%s\n", copy_summary(r.stats).c_str());
	return 0;
}

int make_small(int argc, char **argv)
{
	if (argc < 4)
		return usage();
	std::string dir = argv[2];
	long count = std::atol(argv[3]);
	std::uint32_t x = 12345;
	auto next = [&x] {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		return x;
	};
	std::vector<char> buf(16384);
	for (long i = 0; i < count; ++i) {
		char sub[32];
		std::snprintf(sub, sizeof sub, "/d%03ld", i / 200);
		std::string d = dir + sub;
		if (i % 200 == 0 && mkdir(d.c_str(), 0755) != 0) {
			std::perror(d.c_str());
			return 1;
		}
		std::size_t size = 1024 + next() % (15 * 1024);
		for (std::size_t k = 0; k < size; ++k)
			buf[k] = static_cast<char>(next());
		std::string p = d + "/f" + std::to_string(i);
		int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf.data(), size) != static_cast<ssize_t>(size)) {
			std::perror(p.c_str());
			return 1;
		}
		close(fd);
	}
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	std::string cmd = argv[1];
	if (cmd == "copy")
		return copy(argc, argv);
	if (cmd == "make-small")
		return make_small(argc, argv);
	return usage();
}
