#include <criterion/criterion.h>

#include <pthread.h>

#include <cmath>
#include <limits>
#include <string>

#include "common/telemetry.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

static Telemetry full()
{
	Telemetry t;
	t.band = Band::warm;
	t.ts = 1795938087;
	t.temp_c = 61.5;
	t.throttled = 0;
	t.mhz = 1500;
	t.max_mhz = 1800;
	t.model = "4B";
	t.mem_mb = 4096;
	return t;
}

static const char *kFull =
	"{\"v\":1,\"t\":61.5,\"band\":\"warm\",\"thr\":\"0x0\",\"mhz\":1500,"
	"\"max_mhz\":1800,\"model\":\"4B\",\"mem\":4096,\"ts\":1795938087}";

// Parse and expect failure of `kind` with `reason`.
static void expect_fail(const std::string &extra, TelemetryError kind,
			const char *reason)
{
	TelemetryParse p = parse_extra(extra);
	cr_assert(!p.telemetry, "parsed: %s", extra.c_str());
	cr_assert(p.error == kind, "kind %d for: %s (%s)", static_cast<int>(p.error),
		  extra.c_str(), p.reason.c_str());
	cr_assert_str_eq(p.reason.c_str(), reason);
}

static bool contains_text(const std::string &hay, const char *needle)
{
	return hay.find(needle) != std::string::npos;
}

// Merge and expect a refusal that leaves Extra alone, with `reason`.
static void expect_refused(const std::string &existing, const char *reason)
{
	ExtraMerge m = merge_extra(existing, full());
	cr_assert(!m.ok, "merged: %s", existing.c_str());
	cr_assert(m.extra.empty());
	cr_assert_str_eq(m.reason.c_str(), reason);
}

static std::string with_pi(const std::string &inner)
{
	return "{\"pi\":" + inner + "}";
}

// ---- encoding

Test(telemetry, encodes_the_contract_example_exactly)
{
	std::string inner = encode_telemetry(full());
	cr_assert_str_eq(inner.c_str(), kFull);
	// Criterion evaluates its arguments more than once: no temporaries.
	std::string extra = encode_extra(full()), want = with_pi(kFull);
	cr_assert_str_eq(extra.c_str(), want.c_str());
}

Test(telemetry, leaves_out_unknown_optional_fields)
{
	Telemetry t;
	t.band = Band::unknown;
	t.ts = 5;
	std::string s = encode_telemetry(t);
	cr_assert_str_eq(s.c_str(), "{\"v\":1,\"band\":\"unknown\",\"ts\":5}");
}

Test(telemetry, temperature_has_one_decimal)
{
	struct {
		double in;
		const char *out;
	} cases[] = {{61.54, "61.5"}, {61.56, "61.6"}, {61.0, "61.0"},
		     {47.123456, "47.1"}, {-0.04, "0.0"}, {-3.25, "-3.3"}};
	for (auto c : cases) {
		Telemetry t;
		t.temp_c = c.in;
		std::string want = std::string("{\"v\":1,\"t\":") + c.out +
				   ",\"band\":\"unknown\",\"ts\":0}";
		std::string got = encode_telemetry(t);
		cr_assert_str_eq(got.c_str(), want.c_str());
	}
}

Test(telemetry, non_finite_temperature_is_left_out)
{
	Telemetry t;
	t.temp_c = std::numeric_limits<double>::quiet_NaN();
	std::string s = encode_telemetry(t);
	cr_assert_str_eq(s.c_str(), "{\"v\":1,\"band\":\"unknown\",\"ts\":0}");
}

Test(telemetry, throttle_word_is_lower_case_hex)
{
	Telemetry t = full();
	t.throttled = 0x50005;
	std::string s = encode_telemetry(t);
	cr_assert(s.find("\"thr\":\"0x50005\"") != std::string::npos, "%s", s.c_str());
}

Test(telemetry, bad_utf8_in_model_does_not_throw)
{
	Telemetry t = full();
	t.model = "4B\xff";
	std::string s = encode_telemetry(t);
	cr_assert(!s.empty());
	cr_assert(parse_extra(with_pi(s)).telemetry.has_value());
}

// ---- round trip

Test(telemetry, round_trips_full_and_minimal_records)
{
	Telemetry min;
	min.band = Band::critical;
	min.ts = 0;
	Telemetry hot = full();
	hot.band = Band::hot;
	hot.temp_c = 73.2;
	hot.throttled = 0xe000f;
	for (const Telemetry &t : {full(), min, hot}) {
		TelemetryParse p = parse_extra(encode_extra(t));
		cr_assert(p.telemetry.has_value(), "%s", p.reason.c_str());
		cr_assert(*p.telemetry == t);
		cr_assert(p.error == TelemetryError::none);
	}
}

Test(telemetry, parses_the_contract_example_among_other_keys)
{
	TelemetryParse p = parse_extra("{\"site\":{\"rack\":2},\"pi\":" +
				       std::string(kFull) + ",\"z\":[1]}");
	cr_assert(p.telemetry.has_value(), "%s", p.reason.c_str());
	cr_assert(*p.telemetry == full());
}

Test(telemetry, accepts_whitespace_nulls_integers_and_unknown_fields)
{
	TelemetryParse p = parse_extra(
		" {\n \"pi\" : {\"v\": 1, \"band\": \"hot\", \"ts\": 7, \"t\": 71,"
		" \"mhz\": null, \"fan_rpm\": 2100} }\n");
	cr_assert(p.telemetry.has_value(), "%s", p.reason.c_str());
	cr_assert(p.telemetry->band == Band::hot);
	cr_assert(p.telemetry->temp_c == 71.0);
	cr_assert(!p.telemetry->mhz);
}

// ---- parse failures

Test(telemetry, empty_extra)
{
	expect_fail("", TelemetryError::empty, "Extra is empty");
	expect_fail(" \n\t", TelemetryError::empty, "Extra is empty");
}

Test(telemetry, garbage_and_truncated_json)
{
	TelemetryParse p = parse_extra("rack 3, PSU replaced");
	cr_assert(p.error == TelemetryError::not_json);
	cr_assert(p.reason.rfind("Extra is not JSON: ", 0) == 0, "%s", p.reason.c_str());
	cr_assert(p.reason.find("json.exception") == std::string::npos);

	std::string whole = with_pi(kFull);
	for (std::size_t cut : {std::size_t{1}, std::size_t{10}, whole.size() - 1}) {
		TelemetryParse q = parse_extra(whole.substr(0, cut));
		cr_assert(q.error == TelemetryError::not_json, "cut %zu: %s", cut,
			  q.reason.c_str());
	}
}

Test(telemetry, not_an_object_or_no_pi)
{
	expect_fail("[1,2]", TelemetryError::not_object,
		    "Extra is a JSON array, not an object");
	expect_fail("\"pi\"", TelemetryError::not_object,
		    "Extra is a JSON string, not an object");
	expect_fail("null", TelemetryError::not_object,
		    "Extra is a JSON null, not an object");
	expect_fail("{\"site\":1}", TelemetryError::no_pi, "Extra has no \"pi\" key");
	expect_fail("{\"pi\":[1]}", TelemetryError::bad_field,
		    "pi: expected an object, got [1]");
}

Test(telemetry, wrong_or_missing_version)
{
	expect_fail(with_pi("{\"band\":\"cool\",\"ts\":1}"),
		    TelemetryError::bad_version, "pi.v: missing");
	expect_fail(with_pi("{\"v\":2,\"band\":\"cool\",\"ts\":1}"),
		    TelemetryError::bad_version,
		    "pi.v: version 2 is not supported (this reader knows 1)");
	expect_fail(with_pi("{\"v\":\"1\",\"band\":\"cool\",\"ts\":1}"),
		    TelemetryError::bad_version,
		    "pi.v: expected an integer, got \"1\"");
	expect_fail(with_pi("{\"v\":1.5,\"band\":\"cool\",\"ts\":1}"),
		    TelemetryError::bad_version, "pi.v: expected an integer, got 1.5");
}

Test(telemetry, required_fields_missing)
{
	expect_fail(with_pi("{\"v\":1,\"ts\":1}"), TelemetryError::bad_field,
		    "pi.band: missing");
	expect_fail(with_pi("{\"v\":1,\"band\":null,\"ts\":1}"),
		    TelemetryError::bad_field, "pi.band: missing");
	expect_fail(with_pi("{\"v\":1,\"band\":\"cool\"}"), TelemetryError::bad_field,
		    "pi.ts: missing");
}

Test(telemetry, wrong_types_and_values)
{
	struct {
		const char *inner;
		const char *reason;
	} cases[] = {
		{"{\"v\":1,\"band\":3,\"ts\":1}", "pi.band: expected a string, got 3"},
		{"{\"v\":1,\"band\":\"tepid\",\"ts\":1}",
		 "pi.band: \"tepid\" is not a band"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":\"now\"}",
		 "pi.ts: expected an integer, got \"now\""},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":-1}",
		 "pi.ts: -1 is out of range 0..9223372036854775807"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"t\":\"hot\"}",
		 "pi.t: expected a number, got \"hot\""},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"thr\":5}",
		 "pi.thr: expected a string \"0x...\", got 5"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"thr\":\"0xzz\"}",
		 "pi.thr: not a hex number: '0xzz'"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"mhz\":1500.5}",
		 "pi.mhz: expected an integer, got 1500.5"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"max_mhz\":-1}",
		 "pi.max_mhz: -1 is out of range 0..2147483647"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"mem\":4294967296}",
		 "pi.mem: 4294967296 is out of range 0..2147483647"},
		{"{\"v\":1,\"band\":\"cool\",\"ts\":1,\"model\":4}",
		 "pi.model: expected a string, got 4"},
	};
	for (auto c : cases)
		expect_fail(with_pi(c.inner), TelemetryError::bad_field, c.reason);
}

Test(telemetry, long_bad_values_are_shortened)
{
	std::string big(200, 'x');
	TelemetryParse p = parse_extra(
		with_pi("{\"v\":1,\"band\":\"" + big + "\",\"ts\":1}"));
	cr_assert(p.error == TelemetryError::bad_field);
	cr_assert(p.reason.size() < 80, "%s", p.reason.c_str());
}

// ---- merge

Test(telemetry, merge_into_empty_or_null)
{
	std::string want = with_pi(kFull);
	for (const char *existing : {"", "  \n", "null", " null "}) {
		ExtraMerge m = merge_extra(existing, full());
		cr_assert(m.ok, "'%s': %s", existing, m.reason.c_str());
		cr_assert_str_eq(m.extra.c_str(), want.c_str());
	}
}

Test(telemetry, merge_keeps_other_keys_in_their_order)
{
	ExtraMerge m = merge_extra("{\"zone\":\"b\", \"asset\":{\"id\":17,\"tags\":[\"x\"]}}",
				   full());
	cr_assert(m.ok, "%s", m.reason.c_str());
	std::string want = "{\"zone\":\"b\",\"asset\":{\"id\":17,\"tags\":[\"x\"]},"
			   "\"pi\":" + std::string(kFull) + "}";
	cr_assert_str_eq(m.extra.c_str(), want.c_str());
}

Test(telemetry, merge_replaces_pi_in_place)
{
	Telemetry t = full();
	t.band = Band::hot;
	t.temp_c = 71.0;
	ExtraMerge m = merge_extra("{\"a\":1,\"pi\":{\"v\":1,\"t\":50.0},\"b\":2}", t);
	cr_assert(m.ok, "%s", m.reason.c_str());
	cr_assert(m.extra.rfind("{\"a\":1,\"pi\":{\"v\":1,\"t\":71.0,\"band\":\"hot\"", 0) == 0,
		  "%s", m.extra.c_str());
	cr_assert(m.extra.find(",\"b\":2}") == m.extra.size() - 7, "%s", m.extra.c_str());
	TelemetryParse p = parse_extra(m.extra);
	cr_assert(p.telemetry && *p.telemetry == t);
}

Test(telemetry, merge_replaces_a_pi_key_that_is_not_ours)
{
	ExtraMerge m = merge_extra("{\"pi\":3.14}", full());
	std::string want = with_pi(kFull);
	cr_assert(m.ok);
	cr_assert_str_eq(m.extra.c_str(), want.c_str());
}

Test(telemetry, merge_is_idempotent)
{
	ExtraMerge a = merge_extra("{\"site\":1}", full());
	ExtraMerge b = merge_extra(a.extra, full());
	cr_assert(b.ok);
	cr_assert_str_eq(a.extra.c_str(), b.extra.c_str());
}

Test(telemetry, merge_refuses_free_text)
{
	ExtraMerge m = merge_extra("rack 3\nPSU replaced 2024-05", full());
	cr_assert(!m.ok);
	cr_assert(m.extra.empty());
	cr_assert_str_eq(m.reason.c_str(),
			 "Extra holds text that is not JSON (rack 3 PSU replaced "
			 "2024-05); leaving it alone");
}

Test(telemetry, merge_refuses_truncated_json)
{
	ExtraMerge m = merge_extra("{\"site\":1", full());
	cr_assert(!m.ok);
	cr_assert(m.reason.find("not JSON") != std::string::npos, "%s", m.reason.c_str());
}

Test(telemetry, merge_refuses_json_that_is_not_an_object)
{
	struct {
		const char *existing;
		const char *reason;
	} cases[] = {
		{"[1,2]", "Extra holds a JSON array ([1,2]), not an object; leaving it alone"},
		{"\"note\"", "Extra holds a JSON string (\"note\"), not an object; leaving it alone"},
		{"42", "Extra holds a JSON number (42), not an object; leaving it alone"},
		{"true", "Extra holds a JSON boolean (true), not an object; leaving it alone"},
	};
	for (auto c : cases) {
		ExtraMerge m = merge_extra(c.existing, full());
		cr_assert(!m.ok, "%s", c.existing);
		cr_assert(m.extra.empty());
		cr_assert_str_eq(m.reason.c_str(), c.reason);
	}
}

// ---- thr_known: which throttle bits the node can read

Test(telemetry, thr_known_round_trips_and_masks_unknown_bits)
{
	TelemetryParse p = parse_extra(
		R"({"pi":{"v":1,"band":"cool","thr":"0x5","thr_known":"0x1","ts":1}})");
	cr_assert(p.telemetry, "%s", p.reason.c_str());
	cr_assert_eq(p.telemetry->throttled_known, 0x1u);
	cr_assert_eq(*p.telemetry->throttled, 0x1u, "bit 2 is unknown, not set");
	p = parse_extra(R"({"pi":{"v":1,"band":"cool","thr":"0x0","ts":1}})");
	cr_assert(p.telemetry);
	cr_assert_eq(p.telemetry->throttled_known, kThrAllBits);
}

Test(telemetry, thr_known_errors_are_named)
{
	TelemetryParse p = parse_extra(
		R"({"pi":{"v":1,"band":"cool","thr_known":"0x1","ts":1}})");
	cr_assert(!p.telemetry);
	assert_sv_eq(p.reason, "pi.thr_known: given without pi.thr");
	p = parse_extra(
		R"({"pi":{"v":1,"band":"cool","thr":"0x0","thr_known":5,"ts":1}})");
	cr_assert(!p.telemetry);
	cr_assert(contains(p.reason, "pi.thr_known: expected a string"), "%s",
		  p.reason.c_str());
}

// ---- limits (hostile Extra)

// Slurm's threads have about 1 MiB of stack: run there, as in the daemons.
struct OnSmallStack {
	std::string extra;
	TelemetryParse parse;
	ExtraMerge merge;
};

static void *parse_and_merge(void *arg)
{
	auto *job = static_cast<OnSmallStack *>(arg);
	job->parse = parse_extra(job->extra);
	job->merge = merge_extra(job->extra, full());
	return nullptr;
}

static void run_on_1mib_stack(OnSmallStack &job)
{
	pthread_attr_t attr;
	cr_assert_eq(pthread_attr_init(&attr), 0);
	cr_assert_eq(pthread_attr_setstacksize(&attr, 1024 * 1024), 0);
	pthread_t thread;
	cr_assert_eq(pthread_create(&thread, &attr, parse_and_merge, &job), 0);
	cr_assert_eq(pthread_join(thread, nullptr), 0);
	pthread_attr_destroy(&attr);
}

Test(telemetry, deep_nesting_is_refused_without_crashing)
{
	// 100000 levels is 200 KB: over the size limit too, which is checked
	// first; 30000 levels (60 KB) is within it and reaches the depth check.
	// Before the limits, 12000 levels overflowed a 1 MiB stack in dump().
	for (int levels : {100000, 30000}) {
		OnSmallStack job;
		job.extra = "{\"site\":" + std::string(levels, '[') +
			    std::string(levels, ']') + "}";
		run_on_1mib_stack(job);
		cr_assert(!job.parse.telemetry);
		cr_assert(job.parse.error == TelemetryError::over_limit, "%d: %s",
			  levels, job.parse.reason.c_str());
		cr_assert(!job.merge.ok);
		cr_assert(job.merge.extra.empty());
	}
	OnSmallStack job;
	job.extra = "{\"site\":" + std::string(30000, '[') +
		    std::string(30000, ']') + "}";
	run_on_1mib_stack(job);
	cr_assert_str_eq(job.parse.reason.c_str(),
			 "Extra nests 30001 levels deep, over the limit of 32");
	cr_assert_str_eq(job.merge.reason.c_str(),
			 "Extra nests 30001 levels deep, over the limit of 32; "
			 "leaving it alone");
}

Test(telemetry, depth_limit_is_exact_and_ignores_brackets_in_strings)
{
	// 32 levels: the outer object, "pi", and 30 arrays in an unknown field.
	std::string ok_inner = "{\"v\":1,\"band\":\"cool\",\"ts\":1,\"x\":" +
			       std::string(30, '[') + std::string(30, ']') + "}";
	TelemetryParse p = parse_extra(with_pi(ok_inner));
	cr_assert(p.telemetry.has_value(), "%s", p.reason.c_str());

	std::string deep_inner = "{\"v\":1,\"band\":\"cool\",\"ts\":1,\"x\":" +
				 std::string(31, '[') + std::string(31, ']') + "}";
	expect_fail(with_pi(deep_inner), TelemetryError::over_limit,
		    "Extra nests 33 levels deep, over the limit of 32");

	// Brackets inside strings, also after escaped quotes, do not count.
	std::string text = "{\"site\":\"" + std::string(100, '[') +
			   "\\\"" + std::string(100, '{') + "\",\"pi\":" + kFull + "}";
	TelemetryParse q = parse_extra(text);
	cr_assert(q.telemetry.has_value(), "%s", q.reason.c_str());
	ExtraMerge m = merge_extra(text, full());
	cr_assert(m.ok, "%s", m.reason.c_str());
}

Test(telemetry, oversized_extra_is_refused)
{
	// Valid JSON, just too much of it.
	std::string big = "{\"site\":\"" + std::string(kExtraMaxBytes, 'x') +
			  "\",\"pi\":" + kFull + "}";
	std::string want = "Extra is " + std::to_string(big.size()) +
			   " bytes, over the limit of 65536";
	expect_fail(big, TelemetryError::over_limit, want.c_str());
	want += "; leaving it alone";
	expect_refused(big, want.c_str());

	// Exactly at the limit is read.
	std::string head = "{\"pi\":" + std::string(kFull) + ",\"site\":\"";
	std::string at = head + std::string(kExtraMaxBytes - head.size() - 2, 'x') +
			 "\"}";
	cr_assert_eq(at.size(), kExtraMaxBytes);
	TelemetryParse p = parse_extra(at);
	cr_assert(p.telemetry.has_value(), "%s", p.reason.c_str());
}

Test(telemetry, merge_refuses_a_result_over_the_size_limit)
{
	// Within the limit, but not with the record added: what merge writes
	// must be readable by parse_extra.
	std::string existing = "{\"site\":\"" +
			       std::string(kExtraMaxBytes - 20, 'x') + "\"}";
	ExtraMerge m = merge_extra(existing, full());
	cr_assert(!m.ok);
	cr_assert(m.extra.empty());
	cr_assert(m.reason.rfind("Extra would be ", 0) == 0, "%s", m.reason.c_str());
	cr_assert(contains_text(m.reason, "over the limit of 65536; leaving it alone"),
		  "%s", m.reason.c_str());
}

Test(telemetry, number_beyond_a_double_is_over_limit)
{
	// Valid JSON that nlohmann cannot hold: it throws out_of_range, not
	// parse_error.
	expect_fail("{\"site\":1e999,\"pi\":" + std::string(kFull) + "}",
		    TelemetryError::over_limit,
		    "Extra holds a number out of range: number overflow parsing "
		    "'1e999'");
	expect_fail(with_pi("{\"v\":1,\"band\":\"cool\",\"ts\":1,\"t\":-1e999}"),
		    TelemetryError::over_limit,
		    "Extra holds a number out of range: number overflow parsing "
		    "'-1e999'");
}

Test(telemetry, merge_refuses_a_number_beyond_a_double_and_keeps_extra)
{
	// The admin's key cannot be written back as it was, so merge leaves
	// Extra alone (telemetry is not published until the admin fixes it)
	// and says why; other keys are never dropped or rewritten.
	expect_refused("{\"site\":1e999,\"rack\":2}",
		       "Extra holds a number out of range (number overflow "
		       "parsing '1e999'); leaving it alone");
	// A large number a double can hold is kept.
	ExtraMerge k = merge_extra("{\"site\":1e300}", full());
	cr_assert(k.ok, "%s", k.reason.c_str());
	cr_assert(k.extra.rfind("{\"site\":1e+300,\"pi\":", 0) == 0, "%s",
		  k.extra.c_str());
}

Test(telemetry, temperature_out_of_the_sensor_range_is_a_bad_field)
{
	struct {
		const char *t;
		const char *reason;
	} cases[] = {
		{"150.1", "pi.t: 150.1 is out of range -40..150 C"},
		{"-40.5", "pi.t: -40.5 is out of range -40..150 C"},
		{"1e300", "pi.t: 1e+300 is out of range -40..150 C"},
		{"100000", "pi.t: 100000 is out of range -40..150 C"},
		{"-273", "pi.t: -273 is out of range -40..150 C"},
	};
	for (auto c : cases)
		expect_fail(with_pi(std::string("{\"v\":1,\"band\":\"cool\",\"ts\":1,\"t\":") +
				    c.t + "}"),
			    TelemetryError::bad_field, c.reason);
	// The ends of the range are in it.
	for (const char *t : {"150", "150.0", "-40", "-40.0", "0"}) {
		TelemetryParse p = parse_extra(with_pi(
			std::string("{\"v\":1,\"band\":\"cool\",\"ts\":1,\"t\":") + t + "}"));
		cr_assert(p.telemetry.has_value(), "%s: %s", t, p.reason.c_str());
	}
}
