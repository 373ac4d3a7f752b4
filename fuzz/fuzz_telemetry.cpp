// libFuzzer target: the node's Extra field, as parse_extra() reads it and
// merge_extra() rewrites it. Both run on a thread with a 1 MiB stack, the
// size of Slurm's daemon threads, so unbounded recursion shows up as a
// stack overflow here as it would in slurmctld.

#include <cmath>
#include <string>

#include "common/telemetry.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

// Fields as encode_telemetry() writes them: the temperature to one decimal.
Telemetry as_written(Telemetry t)
{
	if (t.temp_c) {
		double r = std::round(*t.temp_c * 10.0) / 10.0;
		t.temp_c = r == 0 ? 0.0 : r;
	}
	return t;
}

void check_merge(std::string_view existing, const Telemetry &t)
{
	ExtraMerge m = merge_extra(existing, t);
	if (!m.ok) {
		FUZZ_CHECK(m.extra.empty(), "refused merge returned Extra");
		FUZZ_CHECK(!m.reason.empty(), "refused merge without a reason");
		return;
	}
	FUZZ_CHECK(m.extra.size() <= kExtraMaxBytes, "merge wrote %zu bytes",
		   m.extra.size());
	// What merge writes, parse reads back as the record.
	TelemetryParse back = parse_extra(m.extra);
	FUZZ_CHECK(back.telemetry.has_value(), "merged Extra unreadable: %s",
		   back.reason.c_str());
	FUZZ_CHECK(*back.telemetry == as_written(t), "merged record differs");
	// And merging again changes nothing.
	ExtraMerge again = merge_extra(m.extra, t);
	FUZZ_CHECK(again.ok && again.extra == m.extra, "merge not idempotent: %s",
		   again.reason.c_str());
}

void check(std::string_view text)
{
	TelemetryParse p = parse_extra(text);
	if (p.telemetry) {
		FUZZ_CHECK(p.error == TelemetryError::none, "record with error %d",
			   static_cast<int>(p.error));
		const Telemetry &t = *p.telemetry;
		FUZZ_CHECK(!t.temp_c || (*t.temp_c >= -40 && *t.temp_c <= 150),
			   "temperature %g accepted", *t.temp_c);
		FUZZ_CHECK(t.ts >= 0, "negative ts accepted");
		TelemetryParse round = parse_extra(encode_extra(t));
		FUZZ_CHECK(round.telemetry && *round.telemetry == as_written(t),
			   "record does not round-trip: %s", round.reason.c_str());
	} else {
		FUZZ_CHECK(p.error != TelemetryError::none, "no record, no error");
		FUZZ_CHECK(!p.reason.empty(), "no record, no reason");
	}

	Telemetry t;
	t.band = Band::warm;
	t.ts = 1795938087;
	t.temp_c = 61.5;
	t.throttled = 0x50005;
	t.model = "4B";
	check_merge(text, p.telemetry ? *p.telemetry : t);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	fuzz_on_small_stack(fuzz_text(data, size), check);
	return 0;
}
