// libFuzzer target: the job's AdminComment as --thermal-report reads it
// (read_admin_comment), puts a node's summary into it (merge_admin_comment)
// and reports it (report_text). The input is the AdminComment, then, after
// a NUL (Slurm's AdminComment is a C string, so it never holds one), lines
// of the per-job record: each node's lines are merged into its summary, as
// task/pi does, and the summaries are merged into the comment one after
// the other, as the nodes of a job publish. Without record lines, one
// summary for pi1 is merged.
//
// Properties (thermal_report.hpp): an AdminComment that is neither empty
// nor a JSON object, whose "pi_thermal" is not slurm-pi's or that nests
// deeper than kAdminCommentMaxDepth is refused, never rewritten, and read
// as one problem; a merge that succeeds returns a JSON object that
// keeps every other top-level key, every other key of "pi_thermal" and
// every other node's entry as they were, and holds the node's entry, read
// back as the summary written (or the one it kept, which covers more
// steps); merging again changes nothing. A comment of slurm-pi's is also
// tried with one of its values replaced by one of another type.
// Everything runs on a thread with
// a 1 MiB stack, the size of Slurm's daemon threads, as in
// fuzz_telemetry.cpp: nlohmann copies and writes JSON recursively, and an
// AdminComment nesting too deep must be refused before it is copied.

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/thermal_report.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;
using nlohmann::ordered_json;

namespace {

constexpr const char *kKey = "pi_thermal";

// One decimal, as add_step_stats_fields() writes a temperature.
std::optional<double> tenth(std::optional<double> v)
{
	if (v)
		*v = std::round(*v * 10) / 10;
	return v;
}

// Whether `got`, read back from an entry, is `s` as written: temperatures
// to one decimal, temp_samples the samples when a temperature is known
// (step_stats.hpp, StepRecord).
bool reads_back_as(const NodeSummary &got, const NodeSummary &s)
{
	const StepStats &a = got.stats, &b = s.stats;
	return got.steps == s.steps && a.start == b.start && a.end == b.end &&
	       a.samples == b.samples && a.max_c == tenth(b.max_c) &&
	       a.mean_c == tenth(b.mean_c) &&
	       a.temp_samples == (a.max_c ? a.samples : 0) &&
	       a.throttled_samples == b.throttled_samples &&
	       a.throttle_known_samples == b.throttle_known_samples &&
	       a.undervoltage == b.undervoltage && a.min_mhz == b.min_mhz;
}

// How deep a document nests (arrays and objects), without recursion.
int depth_of(const ordered_json &doc)
{
	int deepest = 0;
	std::vector<std::pair<const ordered_json *, int>> todo{{&doc, 0}};
	while (!todo.empty()) {
		auto [j, depth] = todo.back();
		todo.pop_back();
		if (!j->is_structured())
			continue;
		deepest = std::max(deepest, depth + 1);
		for (const ordered_json &child : *j)
			todo.emplace_back(&child, depth + 1);
	}
	return deepest;
}

// What the header says of an AdminComment: blank (becomes ours), a JSON
// object with no "pi_thermal" or slurm-pi's one (an object whose "nodes"
// is an object) within kAdminCommentMaxDepth, or anything else, which is
// not ours to change.
enum class Kind { blank, ours, foreign };

Kind kind_of(std::string_view text, ordered_json *doc)
{
	if (std::all_of(text.begin(), text.end(), [](char c) {
		    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
	    })) {
		*doc = ordered_json::object();
		return Kind::blank;
	}
	*doc = ordered_json::parse(text.begin(), text.end(), nullptr, false);
	if (doc->is_discarded() || !doc->is_object() ||
	    depth_of(*doc) > kAdminCommentMaxDepth)
		return Kind::foreign;
	auto part = doc->find(kKey);
	if (part == doc->end())
		return Kind::ours;
	if (!part->is_object())
		return Kind::foreign;
	auto nodes = part->find("nodes");
	return nodes != part->end() && nodes->is_object() ? Kind::ours : Kind::foreign;
}

void check_read(std::string_view text, Kind kind, const ordered_json &doc)
{
	CommentRead r = read_admin_comment(text);
	if (kind == Kind::foreign) {
		FUZZ_CHECK(r.nodes.empty() && r.problems.size() == 1,
			   "a foreign AdminComment read as %zu nodes, %zu problems",
			   r.nodes.size(), r.problems.size());
		return;
	}
	auto part = doc.find(kKey);
	if (part == doc.end()) {
		FUZZ_CHECK(r.nodes.empty() && r.problems.empty(),
			   "no \"pi_thermal\", yet %zu nodes, %zu problems",
			   r.nodes.size(), r.problems.size());
		return;
	}
	// Each entry is a node or a problem.
	const ordered_json &nodes = part->at("nodes");
	FUZZ_CHECK(r.nodes.size() + r.problems.size() == nodes.size(),
		   "%zu entries read as %zu nodes and %zu problems", nodes.size(),
		   r.nodes.size(), r.problems.size());
	for (const auto &[name, s] : r.nodes)
		FUZZ_CHECK(nodes.contains(name), "node %s read from nowhere", name.c_str());
}

// Merges `s` for `node` into `current`, checks the result and returns it
// (nullopt when refused).
std::optional<std::string> check_merge(const std::string &current, const std::string &node,
				       const NodeSummary &s)
{
	ordered_json before;
	Kind kind = kind_of(current, &before);
	check_read(current, kind, before);
	CommentMerge m = merge_admin_comment(current, node, s);
	if (kind == Kind::foreign) {
		FUZZ_CHECK(!m.ok, "a foreign AdminComment was rewritten");
		FUZZ_CHECK(m.text.empty(), "refused merge returned text");
		FUZZ_CHECK(!m.reason.empty(), "refused merge without a reason");
		return std::nullopt;
	}
	FUZZ_CHECK(m.ok, "merge refused: %s", m.reason.c_str());
	ordered_json after = ordered_json::parse(m.text, nullptr, false);
	FUZZ_CHECK(!after.is_discarded() && after.is_object(),
		   "merge wrote no JSON object: %s", m.text.c_str());

	// The site's keys, and the rest of ours, as they were.
	for (auto it = before.begin(); it != before.end(); ++it)
		if (it.key() != kKey)
			FUZZ_CHECK(after.contains(it.key()) && after[it.key()] == it.value(),
				   "top-level key %s lost or changed", it.key().c_str());
	FUZZ_CHECK(after.size() == before.size() + (before.contains(kKey) ? 0 : 1),
		   "%zu top-level keys became %zu", before.size(), after.size());
	const ordered_json &part = after.at(kKey);
	FUZZ_CHECK(part.is_object() && part.contains("nodes") && part.at("nodes").is_object(),
		   "\"pi_thermal\" written is not slurm-pi's");
	const ordered_json &nodes = part.at("nodes");
	FUZZ_CHECK(nodes.contains(node), "node %s not written", node.c_str());
	std::optional<NodeSummary> kept;
	if (before.contains(kKey)) {
		const ordered_json &old = before.at(kKey);
		for (auto it = old.begin(); it != old.end(); ++it)
			if (it.key() != "nodes")
				FUZZ_CHECK(part.contains(it.key()) && part.at(it.key()) == it.value(),
					   "key pi_thermal.%s lost or changed", it.key().c_str());
		const ordered_json &old_nodes = old.at("nodes");
		for (auto it = old_nodes.begin(); it != old_nodes.end(); ++it)
			if (it.key() != node)
				FUZZ_CHECK(nodes.contains(it.key()) &&
						   nodes.at(it.key()) == it.value(),
					   "entry of node %s lost or changed", it.key().c_str());
		FUZZ_CHECK(nodes.size() == old_nodes.size() + (old_nodes.contains(node) ? 0 : 1),
			   "%zu entries became %zu", old_nodes.size(), nodes.size());
		CommentRead r = read_admin_comment(current);
		if (auto it = r.nodes.find(node);
		    it != r.nodes.end() && it->second.steps.size() >= s.steps.size())
			kept = it->second;
	}

	// The node's entry reads back: the one kept, or `s` as written.
	CommentRead r = read_admin_comment(m.text);
	auto got = r.nodes.find(node);
	FUZZ_CHECK(got != r.nodes.end(), "the entry of %s written does not read back (%zu problems%s%s)",
		   node.c_str(), r.problems.size(), r.problems.empty() ? "" : ": ",
		   r.problems.empty() ? "" : r.problems.back().c_str());
	if (kept)
		FUZZ_CHECK(nodes.at(node) == before.at(kKey).at("nodes").at(node),
			   "an entry with %zu steps replaced by one with %zu",
			   kept->steps.size(), s.steps.size());
	else
		FUZZ_CHECK(reads_back_as(got->second, s), "the entry of %s reads back changed",
			   node.c_str());
	FUZZ_CHECK(admin_comment_has(m.text, node, s), "admin_comment_has: no");

	CommentMerge again = merge_admin_comment(m.text, node, s);
	FUZZ_CHECK(again.ok && again.text == m.text, "merge not idempotent: %s",
		   again.reason.c_str());
	return m.text;
}

// The comment with one value under "pi_thermal" (itself, "nodes", an
// entry, a field, a step) replaced by one of another type: mutations of the
// text seldom turn an entry's field into another valid JSON type, and each
// of those must be a problem, not a crash. `pick` chooses the value and
// the type; nullopt when the comment has no "pi_thermal".
std::optional<std::string> retyped(const ordered_json &doc, std::uint32_t pick)
{
	using pointer = ordered_json::json_pointer;
	if (!doc.is_object() || !doc.contains(kKey))
		return std::nullopt;
	// Breadth first from "pi_thermal", the first 64 values.
	std::vector<pointer> paths{pointer("/pi_thermal")};
	for (std::size_t i = 0; i < paths.size() && paths.size() < 64; ++i) {
		const ordered_json &v = doc.at(paths[i]);
		if (v.is_object())
			for (auto it = v.begin(); it != v.end(); ++it)
				paths.push_back(paths[i] / it.key());
		else if (v.is_array())
			for (std::size_t k = 0; k < v.size(); ++k)
				paths.push_back(paths[i] / k);
	}
	static const ordered_json kOthers[] = {
		nullptr, 0, -1, 1.5, "0", true, ordered_json::array(), ordered_json::object(),
		ordered_json::array({0}),
	};
	constexpr std::uint32_t n = sizeof kOthers / sizeof kOthers[0];
	ordered_json out = doc;
	out[paths[pick % paths.size()]] = kOthers[pick / paths.size() % n];
	return out.dump();
}

void check_report(const std::string &comment, const std::vector<std::string> &job_nodes)
{
	CommentRead r = read_admin_comment(comment);
	std::string t = report_text(42, job_nodes, r.nodes);
	std::size_t n = job_nodes.size();
	for (const auto &[name, s] : r.nodes)
		if (std::find(job_nodes.begin(), job_nodes.end(), name) == job_nodes.end())
			++n;
	std::string head = "slurm-pi thermal report for job 42 (" + std::to_string(n) +
			   (n == 1 ? " node" : " nodes") + "):\n";
	FUZZ_CHECK(t.starts_with(head), "report begins %.80s", t.c_str());
	FUZZ_CHECK(t.ends_with("\n"), "report does not end a line");
	for (const auto &[name, s] : r.nodes)
		FUZZ_CHECK(t.find("\n" + name + ": " + node_summary_text(s) + "\n") !=
				   std::string::npos,
			   "report without the line of %s", name.c_str());
}

NodeSummary default_summary()
{
	NodeSummary s;
	s.steps = {"batch", "0"};
	s.stats.start = 1795938000;
	s.stats.end = 1795938019;
	s.stats.samples = 20;
	s.stats.temp_samples = 20;
	s.stats.max_c = 84.0;
	s.stats.mean_c = 61.2;
	s.stats.throttled_samples = 7;
	s.stats.throttle_known_samples = 20;
	s.stats.undervoltage = true;
	s.stats.min_mhz = 600;
	return s;
}

void check(std::string_view input)
{
	std::size_t nul = input.find('\0');
	std::string comment(input.substr(0, nul));

	// The record lines after the NUL, by node, as read_job_records() reads
	// them.
	std::map<std::string, std::vector<StepRecord>> records;
	if (nul != std::string_view::npos) {
		std::string_view rest = input.substr(nul + 1);
		while (!rest.empty()) {
			std::size_t nl = rest.find('\n');
			std::string_view line = rest.substr(0, nl);
			rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
			std::string why;
			if (auto r = parse_step_record(line, &why))
				records[r->node].push_back(std::move(*r));
		}
	}
	std::map<std::string, NodeSummary> mine;
	for (auto &[node, recs] : records)
		mine[node] = merge_step_records(std::move(recs));
	if (mine.empty())
		mine["pi1"] = default_summary();

	std::vector<std::string> job_nodes;
	std::optional<std::string> current = comment;
	for (const auto &[node, s] : mine) {
		job_nodes.push_back(node);
		current = check_merge(*current, node, s);
		if (!current)
			break;
	}
	check_report(current ? *current : comment, job_nodes);

	// And a comment of slurm-pi's with one value of another type, chosen
	// by a hash of the input (FNV-1a), so that mutations try them all.
	ordered_json doc;
	if (kind_of(comment, &doc) == Kind::ours) {
		std::uint32_t hash = 2166136261u;
		for (unsigned char c : input)
			hash = (hash ^ c) * 16777619u;
		if (auto variant = retyped(doc, hash))
			check_merge(*variant, mine.begin()->first, mine.begin()->second);
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	fuzz_on_small_stack(fuzz_text(data, size), check);
	return 0;
}
