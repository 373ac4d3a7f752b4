// libFuzzer target: the result of one node's stage-in or stage-out as the
// plugin (root) reads it from the copy child, which runs as the job's user
// (run_result_from_json(), common/stage/run.hpp).
//
// Properties: nothing throws or recurses without bound (run on a 1 MiB
// stack); input refused has a reason; a result accepted is consistent (an
// item only with an error, a message exactly when there is an error, an
// errno in range, seconds finite and not negative) and comes back the same
// through run_result_to_json() and run_result_from_json() again.
#include <cmath>
#include <string>

#include "common/stage/run.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi::stage;

namespace {

bool same(const RunResult &a, const RunResult &b)
{
	return a.error.kind == b.error.kind && a.error.err == b.error.err &&
	       a.error.message == b.error.message && a.item == b.item &&
	       a.stats.files == b.stats.files && a.stats.directories == b.stats.directories &&
	       a.stats.symlinks == b.stats.symlinks && a.stats.skipped == b.stats.skipped &&
	       a.stats.bytes == b.stats.bytes && a.stats.seconds == b.stats.seconds &&
	       a.cache.hits == b.cache.hits && a.cache.misses == b.cache.misses &&
	       a.cache.bypasses == b.cache.bypasses && a.cache.errors == b.cache.errors &&
	       a.cache.bytes_saved == b.cache.bytes_saved &&
	       a.cache.bytes_fetched == b.cache.bytes_fetched && a.cache_note == b.cache_note &&
	       a.warnings == b.warnings && a.warnings_dropped == b.warnings_dropped;
}

void check(std::string_view text)
{
	std::string why;
	std::optional<RunResult> r = run_result_from_json(text, &why);
	if (!r) {
		FUZZ_CHECK(!why.empty(), "refused without a reason");
		return;
	}
	FUZZ_CHECK(r->ok() || !r->error.message.empty(), "an error without a message");
	FUZZ_CHECK(!r->ok() || (r->error.message.empty() && r->item.empty()),
		   "success with a message or an item");
	FUZZ_CHECK(r->error.err >= 0 && r->error.err <= 4095, "errno %d", r->error.err);
	FUZZ_CHECK(std::isfinite(r->stats.seconds) && r->stats.seconds >= 0, "seconds %g",
		   r->stats.seconds);
	const std::string again = run_result_to_json(*r);
	std::optional<RunResult> back = run_result_from_json(again, &why);
	FUZZ_CHECK(back.has_value(), "own output refused: %s", why.c_str());
	FUZZ_CHECK(same(*r, *back), "result changed through JSON");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	fuzz_on_small_stack(fuzz_text(data, size), check);
	return 0;
}
