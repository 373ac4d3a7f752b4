// `slurm-pi nodes`: rows from plain node structs, the table and JSON, the
// Slurm state names, and run_nodes with a fake loader (no slurmctld).
#include <criterion/criterion.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>
#include <slurm/slurm.h>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/helpers.hpp"
#include "tools/nodes.hpp"
#include "tools/nodes_cmd.hpp"

using namespace slurmpi;
using namespace slurmpi::tool;

static constexpr std::int64_t kNow = 1796030777;
static constexpr int kStale = 90;

static std::string extra_at(std::int64_t ts, const std::string &more = "")
{
	return R"({"rack":"a","pi":{"v":1,"t":61.5,"band":"warm","thr":"0x0",)"
	       R"("mhz":1500,"max_mhz":1800,"model":"4B","mem":4096)" +
	       more + ",\"ts\":" + std::to_string(ts) + "}}";
}

static NodeRow one_row(const std::string &extra, const std::string &state = "idle",
		       const std::string &reason = "")
{
	std::vector<NodeInput> in = {{"pi1", state, reason, extra}};
	std::vector<NodeRow> rows = make_rows(in, kNow, kStale);
	cr_assert_eq(rows.size(), 1u);
	return rows[0];
}

// ---- rows

Test(rows, a_fresh_record_gives_its_band_and_age)
{
	NodeRow r = one_row(extra_at(kNow - 3));
	cr_assert(r.record);
	cr_assert(r.band == Band::warm);
	cr_assert_eq(*r.age_s, 3);
	cr_assert(!r.stale);
	assert_sv_eq(r.note, "");
	cr_assert_eq(*r.record->mhz, 1500);
}

Test(rows, older_than_stale_after_is_stale_and_unknown)
{
	NodeRow r = one_row(extra_at(kNow - kStale - 1));
	cr_assert(r.stale);
	cr_assert(r.band == Band::unknown);
	cr_assert(r.record->band == Band::warm, "the record itself is kept");
	cr_assert(contains(r.note, "stale: the record is 1m old (StaleAfter=90)"), "%s",
		  r.note.c_str());
}

Test(rows, exactly_stale_after_is_not_stale)
{
	NodeRow r = one_row(extra_at(kNow - kStale));
	cr_assert(!r.stale);
	cr_assert(r.band == Band::warm);
}

Test(rows, a_record_from_the_future_has_age_zero_and_a_note)
{
	NodeRow r = one_row(extra_at(kNow + 60));
	cr_assert_eq(*r.age_s, 0);
	cr_assert(!r.stale);
	cr_assert(contains(r.note, "1m ahead of this machine's clock"), "%s", r.note.c_str());
	NodeRow small = one_row(extra_at(kNow + 2));
	assert_sv_eq(small.note, "");
}

Test(rows, a_record_further_ahead_than_stale_after_is_stale_as_for_the_scheduler)
{
	NodeRow r = one_row(extra_at(kNow + kStale + 1));
	cr_assert(r.stale);
	cr_assert(r.band == Band::unknown);
	cr_assert(contains(r.note, "ahead of this machine's clock"), "%s", r.note.c_str());
}

Test(rows, no_record_says_why)
{
	NodeRow empty = one_row("");
	cr_assert(!empty.record);
	cr_assert(!empty.age_s);
	cr_assert(empty.band == Band::unknown);
	cr_assert(contains(empty.note, "Extra is empty"), "%s", empty.note.c_str());

	NodeRow other = one_row(R"({"rack":"a"})");
	cr_assert(contains(other.note, "no \"pi\" record"), "%s", other.note.c_str());

	NodeRow text = one_row("rack a, shelf 2");
	cr_assert(contains(text.note, "not JSON"), "%s", text.note.c_str());

	NodeRow bad = one_row(R"({"pi":{"v":1,"band":"warm","ts":"soon"}})");
	cr_assert(contains(bad.note, "telemetry record unreadable: pi.ts"), "%s",
		  bad.note.c_str());
}

Test(rows, hostile_extra_is_only_text)
{
	std::string deep(100000, '[');
	NodeRow r = one_row(deep);
	cr_assert(!r.record);
	cr_assert(contains(r.note, "unreadable"), "%s", r.note.c_str());
	NodeRow esc = one_row("\033[2J\x01 hello");
	std::string text = format_nodes_text(std::vector<NodeRow>{esc}, {});
	cr_assert(!contains(text, "\033"), "%s", text.c_str());
}

Test(rows, order_and_slurm_fields_are_kept)
{
	std::vector<NodeInput> in = {{"pi2", "drained", "admin: test", extra_at(kNow)},
				     {"pi1", "idle", "", ""}};
	std::vector<NodeRow> rows = make_rows(in, kNow, kStale);
	assert_sv_eq(rows[0].name, "pi2");
	assert_sv_eq(rows[0].state, "drained");
	assert_sv_eq(rows[0].reason, "admin: test");
	assert_sv_eq(rows[1].name, "pi1");
}

Test(rows, a_reason_is_shown_only_while_the_node_is_out_of_service)
{
	// 24.11 without accounting storage keeps the reason after a resume.
	cr_assert(one_row(extra_at(kNow), "idle", "slurm-pi: under-voltage").reason.empty());
	cr_assert(one_row(extra_at(kNow), "mixed*", "admin: old").reason.empty());
	cr_assert(one_row("", "allocated", "admin: old").reason.empty());
	assert_sv_eq(one_row(extra_at(kNow), "draining", "admin: fan").reason, "admin: fan");
	assert_sv_eq(one_row(extra_at(kNow), "down*", "Not responding").reason, "Not responding");
	assert_sv_eq(one_row("", "fail", "disk").reason, "disk");
	cr_assert(reason_applies("drained"));
	cr_assert(!reason_applies("reserved"));
	cr_assert(reason_applies("")); // unknown: keep what Slurm says
}

// ---- words

Test(words, ages)
{
	assert_sv_eq(format_age(0), "0s");
	assert_sv_eq(format_age(59), "59s");
	assert_sv_eq(format_age(60), "1m");
	assert_sv_eq(format_age(3599), "59m");
	assert_sv_eq(format_age(3600), "1h");
	assert_sv_eq(format_age(47 * 3600 + 3599), "47h");
	assert_sv_eq(format_age(48 * 3600), "2d");
	assert_sv_eq(format_age(-5), "0s");
}

Test(words, throttle_all_bits_known)
{
	Telemetry t;
	t.throttled = 0;
	assert_sv_eq(throttle_text(t), "none");
	t.throttled = 0x50005;
	assert_sv_eq(throttle_text(t),
		     "under-voltage now, throttled now, under-voltage has occurred, "
		     "throttling has occurred");
	t.throttled.reset();
	assert_sv_eq(throttle_text(t), "unknown");
}

Test(words, throttle_partly_known_never_says_none)
{
	Telemetry t;
	t.throttled = 0;
	t.throttled_known = 0x1;
	assert_sv_eq(throttle_text(t), "no under-voltage now; others unknown");
	t.throttled = 0x1;
	assert_sv_eq(throttle_text(t), "under-voltage now; others unknown");
	// A bit set outside what is known is not believed.
	t.throttled = 0x4;
	assert_sv_eq(throttle_text(t), "no under-voltage now; others unknown");
	t.throttled_known = 0;
	assert_sv_eq(throttle_text(t), "unknown");
}

Test(words, thr_known_from_extra)
{
	NodeRow r = one_row(extra_at(kNow, ",\"thr_known\":\"0x1\""));
	assert_sv_eq(throttle_text(*r.record), "no under-voltage now; others unknown");
}

Test(words, printable_escapes_and_cuts)
{
	assert_sv_eq(printable("admin: test"), "admin: test");
	assert_sv_eq(printable("a\nb\033"), "a\\x0ab\\x1b");
	assert_sv_eq(printable("abcdef", 3), "abc...");
	assert_sv_eq(printable("\xc3\xa9"), "\\xc3\\xa9");
}

// ---- table

static std::string pad(std::string s, std::size_t n)
{
	s.resize(std::max(n, s.size()), ' ');
	return s;
}

Test(table, columns_line_up_with_dashes_for_unknown)
{
	const std::string flags = "under-voltage now, throttled now, "
				  "under-voltage has occurred, throttling has occurred";
	std::vector<NodeInput> in = {
		{"pi1", "idle", "", extra_at(kNow - 3)},
		{"pi2", "drained", "admin: test",
		 R"({"pi":{"v":1,"t":50.0,"band":"critical","thr":"0x50005",)"
		 R"("mhz":600,"max_mhz":1800,"model":"4B","ts":)" +
			 std::to_string(kNow - 125) + "}}"},
		{"pi3", "down*", "Not responding", ""},
	};
	std::vector<NodeRow> rows = make_rows(in, kNow, 300);
	std::string text = format_nodes_text(rows, {});
	const std::size_t w = flags.size() + 2;
	std::string want =
		"NODE  STATE    MODEL  TEMP    BAND      CLOCK          AGE  " +
		pad("THROTTLE", w) + "REASON\n" +
		"pi1   idle     4B     61.5 C  warm      1500/1800 MHz  3s   none\n" +
		"pi2   drained  4B     50.0 C  critical  600/1800 MHz   2m   " + flags +
		"  admin: test\n" +
		"pi3   down*    -      -       -         -              -    " + pad("-", w) +
		"Not responding\n" +
		"note: pi3: no telemetry: Extra is empty (task/pi has not published "
		"for this node)\n";
	assert_sv_eq(text, want.c_str());
}

Test(table, stale_band_reads_unknown_stale)
{
	std::vector<NodeRow> rows = {one_row(extra_at(kNow - 600))};
	std::string text = format_nodes_text(rows, {});
	cr_assert(contains(text, "unknown (stale)  1500/1800 MHz  10m"), "%s", text.c_str());
	cr_assert(contains(text, "note: pi1: stale: the record is 10m old"), "%s", text.c_str());
}

Test(table, colour_only_when_asked)
{
	std::vector<NodeRow> rows = {one_row(extra_at(kNow))};
	cr_assert(!contains(format_nodes_text(rows, {}), "\033["));
	std::string c = format_nodes_text(rows, {.color = true});
	cr_assert(contains(c, "\033[33mwarm"), "%s", c.c_str());

	rows[0].band = Band::critical;
	c = format_nodes_text(rows, {.color = true});
	cr_assert(contains(c, "\033[1;31mcritical"), "%s", c.c_str());
	std::vector<NodeRow> stale = {one_row(extra_at(kNow - 600))};
	c = format_nodes_text(stale, {.color = true});
	cr_assert(contains(c, "\033[2munknown (stale)"), "%s", c.c_str());
}

Test(table, no_nodes)
{
	assert_sv_eq(format_nodes_text({}, {}), "no nodes (slurmctld reports none)\n");
}

// ---- json

Test(json, every_key_in_order_with_nulls_for_unknown)
{
	std::vector<NodeInput> in = {{"pi2", "drained", "admin: test", extra_at(kNow - 4)},
				     {"pi3", "idle", "", "oops"}};
	std::vector<NodeRow> rows = make_rows(in, kNow, kStale);
	auto a = nlohmann::ordered_json::parse(format_nodes_json(rows));
	cr_assert(a.is_array());
	cr_assert_eq(a.size(), 2u);
	const char *keys[] = {"name", "state", "reason", "band", "stale", "age_s",
			      "temp_c", "model", "throttled", "throttled_known",
			      "throttle", "mhz", "max_mhz", "mem_mb", "ts", "record",
			      "note"};
	for (const auto &o : a) {
		cr_assert_eq(o.size(), sizeof(keys) / sizeof(keys[0]));
		std::size_t i = 0;
		for (auto it = o.begin(); it != o.end(); ++it, ++i)
			cr_assert_str_eq(it.key().c_str(), keys[i]);
	}
	const auto &p2 = a[0];
	cr_assert(p2["reason"] == "admin: test");
	cr_assert(p2["band"] == "warm");
	cr_assert(p2["stale"] == false);
	cr_assert(p2["age_s"] == 4);
	cr_assert(p2["temp_c"] == 61.5);
	cr_assert(p2["throttled"] == "0x0");
	cr_assert(p2["throttle"] == "none");
	cr_assert(p2["record"]["band"] == "warm");
	cr_assert(p2["record"]["mem"] == 4096);
	cr_assert(p2["note"].is_null());
	const auto &p3 = a[1];
	cr_assert(p3["reason"].is_null());
	cr_assert(p3["record"].is_null());
	cr_assert(p3["band"] == "unknown");
	cr_assert(p3["age_s"].is_null());
	cr_assert(p3["note"].is_string());
}

Test(json, invalid_utf8_does_not_throw)
{
	std::vector<NodeInput> in = {{"pi1", "drained", "bad \xff byte", ""}};
	std::vector<NodeRow> rows = make_rows(in, kNow, kStale);
	std::string j = format_nodes_json(rows);
	cr_assert(nlohmann::json::accept(j), "%s", j.c_str());
}

// ---- Slurm states

Test(state, names_as_sinfo_shows_them)
{
	assert_sv_eq(slurm_state_name(NODE_STATE_IDLE), "idle");
	assert_sv_eq(slurm_state_name(NODE_STATE_MIXED), "mixed");
	assert_sv_eq(slurm_state_name(NODE_STATE_ALLOCATED), "allocated");
	assert_sv_eq(slurm_state_name(NODE_STATE_DOWN), "down");
	assert_sv_eq(slurm_state_name(NODE_STATE_IDLE | NODE_STATE_DRAIN), "drained");
	assert_sv_eq(slurm_state_name(NODE_STATE_MIXED | NODE_STATE_DRAIN), "draining");
	assert_sv_eq(slurm_state_name(NODE_STATE_ALLOCATED | NODE_STATE_DRAIN), "draining");
	assert_sv_eq(slurm_state_name(NODE_STATE_DOWN | NODE_STATE_NO_RESPOND), "down*");
	assert_sv_eq(slurm_state_name(NODE_STATE_IDLE | NODE_STATE_COMPLETING), "completing");
	assert_sv_eq(slurm_state_name(NODE_STATE_IDLE | NODE_STATE_MAINT), "maint");
	assert_sv_eq(slurm_state_name(NODE_STATE_IDLE | NODE_STATE_POWERED_DOWN), "powered_down");
	assert_sv_eq(slurm_state_name(NODE_STATE_UNKNOWN), "unknown");
}

// ---- run_nodes with a fake loader

struct Ran {
	int rc;
	std::string out, err;
};

static Ran run(const Options &o, const NodeLoader &load, Terminal term = {})
{
	std::ostringstream out, err;
	int rc = run_nodes(o, Config{}, out, err, term, load);
	return {rc, out.str(), err.str()};
}

Test(run, prints_the_table_once)
{
	Options o;
	o.command = Command::nodes;
	Ran r = run(o, [] { return NodeLoad{{{"pi1", "idle", "", ""}}, ""}; });
	cr_assert_eq(r.rc, 0);
	cr_assert(r.out.starts_with("NODE  STATE"), "%s", r.out.c_str());
	cr_assert(contains(r.out, "\npi1   idle"), "%s", r.out.c_str());
	cr_assert(r.err.empty());
}

Test(run, json)
{
	Options o;
	o.command = Command::nodes;
	o.json = true;
	Ran r = run(o, [] { return NodeLoad{{{"pi1", "idle", "", ""}}, ""}; });
	cr_assert_eq(r.rc, 0);
	cr_assert(nlohmann::json::parse(r.out)[0]["name"] == "pi1");
}

Test(run, an_unreachable_controller_is_exit_1_with_the_message)
{
	Options o;
	o.command = Command::nodes;
	Ran r = run(o, [] { return NodeLoad{{}, "cannot read the nodes from slurmctld: x"}; });
	cr_assert_eq(r.rc, 1);
	assert_sv_eq(r.err, "slurm-pi nodes: cannot read the nodes from slurmctld: x\n");
	cr_assert(r.out.empty());
}

Test(run, colour_on_a_terminal_unless_turned_off)
{
	Options o;
	o.command = Command::nodes;
	NodeLoader load = [] { return NodeLoad{{{"pi1", "idle", "", extra_at(kNow)}}, ""}; };
	// The record's ts is in the past of the real clock: stale, so dim.
	cr_assert(contains(run(o, load, {.is_tty = true}).out, "\033[2m"));
	cr_assert(!contains(run(o, load, {.is_tty = false}).out, "\033["));
	cr_assert(!contains(run(o, load, {.is_tty = true, .no_color = true}).out, "\033["));
	o.no_color = true;
	cr_assert(!contains(run(o, load, {.is_tty = true}).out, "\033["));
}

// The signal that ends --watch is raised by the loader itself while
// SIGTERM is blocked: it is pending before the wait starts, so the wait
// returns at once. No timing involved.
Test(run, watch_redraws_until_sigterm)
{
	Options o;
	o.command = Command::nodes;
	o.watch = 1;
	int calls = 0;
	NodeLoader load = [&calls] {
		if (++calls == 2)
			raise(SIGTERM);
		return NodeLoad{{{"pi1", "idle", "", ""}}, ""};
	};
	Ran r = run(o, load, {.is_tty = true});
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(calls, 2);
	// Two screens, each cleared first.
	std::size_t first = r.out.find("\033[H\033[2J");
	cr_assert_neq(first, std::string::npos);
	cr_assert_neq(r.out.find("\033[H\033[2J", first + 1), std::string::npos);
	cr_assert(contains(r.out, "Every 1s: slurm-pi nodes"), "%s", r.out.c_str());
}

Test(run, watch_keeps_going_when_slurmctld_is_away)
{
	Options o;
	o.command = Command::nodes;
	o.watch = 1;
	int calls = 0;
	NodeLoader load = [&calls] {
		calls++;
		raise(SIGINT);
		return NodeLoad{{}, "cannot read the nodes from slurmctld: x"};
	};
	Ran r = run(o, load);
	cr_assert_eq(r.rc, 0, "SIGINT ends --watch cleanly");
	cr_assert(contains(r.out, "slurm-pi nodes: cannot read the nodes from slurmctld: x"));
	cr_assert(!contains(r.out, "\033["), "plain into a pipe: %s", r.out.c_str());
}
