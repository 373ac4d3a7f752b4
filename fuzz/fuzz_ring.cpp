// libFuzzer target: the sample ring file as slurmstepd reads it and as
// slurmd's writer finds it at start. The input is the whole file.
//
// Properties: the reader never trusts a bad file (an error, or samples that
// fit the slot count and the asked window); the writer recreates whatever
// it cannot use, after which the reader accepts the file and finds the
// sample just written. The file lives under $SLURM_PI_FUZZ_TMP (fuzz/run.sh
// makes and removes it) or a fresh /tmp directory.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/ring.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

std::string g_path;
constexpr std::uint32_t kSlots = 16;

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	std::string dir;
	if (const char *tmp = std::getenv("SLURM_PI_FUZZ_TMP"); tmp && *tmp) {
		dir = tmp;
	} else {
		char d[] = "/tmp/slurm-pi-fuzz-ring.XXXXXX";
		FUZZ_CHECK(mkdtemp(d) != nullptr, "mkdtemp");
		dir = d;
	}
	g_path = dir + "/slurm-pi.ring";
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	unlink(g_path.c_str());
	{
		std::ofstream out(g_path, std::ios::binary | std::ios::trunc);
		out.write(reinterpret_cast<const char *>(data),
			  static_cast<std::streamsize>(size));
		FUZZ_CHECK(out.good(), "cannot write %s", g_path.c_str());
	}
	chmod(g_path.c_str(), 0644);

	constexpr std::int64_t since = 100, until = 1000;
	RingRead rd = read_ring(g_path, since, until);
	if (!rd.ok) {
		FUZZ_CHECK(!rd.error.empty(), "refused without a reason");
	} else {
		FUZZ_CHECK(rd.slots >= kRingMinSlots && rd.slots <= kRingMaxSlots,
			   "accepted %u slots", rd.slots);
		FUZZ_CHECK(rd.samples.size() <= rd.slots, "%zu samples in %u slots",
			   rd.samples.size(), rd.slots);
		for (const RingSample &s : rd.samples)
			FUZZ_CHECK(s.time >= since && s.time <= until,
				   "sample at %lld outside the window",
				   static_cast<long long>(s.time));
	}

	RingWriter w(g_path, kSlots);
	RingSample s;
	s.time = 500;
	s.temp_mc = 61500;
	RingWriter::Result res = w.append(s);
	FUZZ_CHECK(res.ok, "the writer could not use or replace the file: %s",
		   res.error.c_str());
	rd = read_ring(g_path, 0, INT64_MAX);
	FUZZ_CHECK(rd.ok, "the writer's file is refused: %s", rd.error.c_str());
	FUZZ_CHECK(!rd.samples.empty() && rd.samples.back().time == 500,
		   "the sample just written is not the newest");
	return 0;
}
