#include "common/thermal_report.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace slurmpi {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char *kKey = "pi_thermal";

ordered_json entry_json(const NodeSummary &n)
{
	ordered_json j;
	j["steps"] = n.steps;
	add_step_stats_fields(j, n.stats);
	return j;
}

std::string dump(const ordered_json &j)
{
	// Names come from Slurm; replace bad UTF-8 rather than throw.
	return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// An entry back as a summary: the record parser checks the same fields.
std::optional<NodeSummary> entry_summary(const ordered_json &e, const std::string &node,
					 std::string *why)
{
	if (!e.is_object()) {
		*why = "not an object";
		return std::nullopt;
	}
	auto steps = e.find("steps");
	if (steps == e.end() || !steps->is_array()) {
		*why = "field \"steps\" missing or wrong";
		return std::nullopt;
	}
	NodeSummary out;
	for (const auto &st : *steps) {
		if (!st.is_string()) {
			*why = "field \"steps\" missing or wrong";
			return std::nullopt;
		}
		out.steps.push_back(st.get<std::string>());
	}
	ordered_json rec = e;
	rec.erase("steps");
	rec["v"] = 1;
	rec["step"] = "";
	rec["node"] = node;
	auto r = parse_step_record(dump(rec), why);
	if (!r)
		return std::nullopt;
	out.stats = r->stats;
	return out;
}

// The AdminComment as JSON: an object, or empty (null json); nullopt and
// *why when it is something else.
std::optional<ordered_json> comment_json(std::string_view current, std::string *why)
{
	bool blank = std::all_of(current.begin(), current.end(), [](char c) {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r';
	});
	if (blank)
		return ordered_json::object();
	if (int depth = json_depth(current); depth > kAdminCommentMaxDepth) {
		*why = "AdminComment nests " + std::to_string(depth) +
		       " levels deep, over the limit of " +
		       std::to_string(kAdminCommentMaxDepth) + "; left as it is";
		return std::nullopt;
	}
	ordered_json j = ordered_json::parse(current.begin(), current.end(), nullptr, false);
	if (j.is_discarded() || !j.is_object()) {
		*why = "AdminComment is not a JSON object (" + quoted(current) +
		       "); left as it is";
		return std::nullopt;
	}
	auto it = j.find(kKey);
	if (it != j.end() && !(it->is_object() && it->contains("nodes") &&
			       (*it)["nodes"].is_object())) {
		*why = std::string("AdminComment's \"") + kKey +
		       "\" is not slurm-pi's; left as it is";
		return std::nullopt;
	}
	return j;
}

} // namespace

std::string node_summary_json(const NodeSummary &s) { return dump(entry_json(s)); }

CommentMerge merge_admin_comment(std::string_view current, const std::string &node,
				 const NodeSummary &s)
{
	CommentMerge out;
	auto j = comment_json(current, &out.reason);
	if (!j)
		return out;
	ordered_json &part = (*j)[kKey];
	if (!part.is_object()) {
		part = ordered_json::object();
		part["v"] = 1;
		part["nodes"] = ordered_json::object();
	}
	ordered_json &nodes = part["nodes"];
	auto old = nodes.find(node);
	std::string ignored;
	std::optional<NodeSummary> have;
	if (old != nodes.end())
		have = entry_summary(*old, node, &ignored);
	if (!have || have->steps.size() < s.steps.size())
		nodes[node] = entry_json(s);
	out.ok = true;
	out.text = dump(*j);
	return out;
}

CommentRead read_admin_comment(std::string_view current)
{
	CommentRead out;
	std::string why;
	auto j = comment_json(current, &why);
	if (!j) {
		out.problems.push_back(why);
		return out;
	}
	auto part = j->find(kKey);
	if (part == j->end())
		return out;
	for (auto it = (*part)["nodes"].begin(); it != (*part)["nodes"].end(); ++it) {
		auto s = entry_summary(it.value(), it.key(), &why);
		if (s)
			out.nodes[it.key()] = std::move(*s);
		else
			out.problems.push_back("entry of node " + slurmpi::quoted(it.key()) + ": " + why);
	}
	return out;
}

bool admin_comment_has(std::string_view current, const std::string &node,
		       const NodeSummary &s)
{
	CommentRead r = read_admin_comment(current);
	auto it = r.nodes.find(node);
	return it != r.nodes.end() && it->second.steps.size() >= s.steps.size();
}

std::string report_text(std::uint32_t job_id, const std::vector<std::string> &job_nodes,
			const std::map<std::string, NodeSummary> &nodes)
{
	std::vector<std::string> order = job_nodes;
	for (const auto &[name, s] : nodes)
		if (std::find(order.begin(), order.end(), name) == order.end())
			order.push_back(name);
	std::string out = "slurm-pi thermal report for job " + std::to_string(job_id) +
			  " (" + std::to_string(order.size()) +
			  (order.size() == 1 ? " node" : " nodes") + "):\n";
	for (const std::string &name : order) {
		auto it = nodes.find(name);
		out += name + ": ";
		if (it == nodes.end())
			out += "unknown: no summary from this node (no job step ran there, "
			       "or it did not reach slurmctld)";
		else
			out += node_summary_text(it->second);
		out += "\n";
	}
	return out;
}

PublishResult publish_summary(const JobComment &c, const std::string &node,
			      const NodeSummary &s, int settle_ms, int budget_ms)
{
	PublishResult res;
	const std::int64_t deadline = c.now_ms() + budget_ms;
	std::int64_t max_gap = 0;
	// Spread the writers of one step before the first read.
	c.sleep_ms(c.random(std::max(1, settle_ms / 2)));
	// Read AdminComment into res.last_text: whether the node's entry is
	// there, or nullopt (res.error set) when it cannot be read.
	auto read_has = [&]() -> std::optional<bool> {
		std::string why;
		std::optional<std::string> cur = c.read(&why);
		if (!cur) {
			res.error = "reading the job's AdminComment: " + why;
			return std::nullopt;
		}
		res.last_text = std::move(*cur);
		res.ok = admin_comment_has(res.last_text, node, s);
		return res.ok;
	};
	for (int attempt = 0;; ++attempt) {
		std::int64_t t0 = c.now_ms();
		std::optional<bool> has = read_has();
		if (!has || *has)
			return res;
		if (attempt > 0 && c.now_ms() >= deadline) {
			res.error = "the node's entry was replaced by other nodes' " +
				    std::to_string(res.writes) + " times in " +
				    std::to_string(budget_ms) + " ms; gave up";
			return res;
		}
		CommentMerge m = merge_admin_comment(res.last_text, node, s);
		if (!m.ok) {
			res.error = m.reason;
			return res;
		}
		std::string why;
		if (!c.write(m.text, &why)) {
			res.error = "updating the job's AdminComment: " + why;
			return res;
		}
		++res.writes;
		max_gap = std::max(max_gap, c.now_ms() - t0);
		std::int64_t settle = std::max<std::int64_t>(settle_ms, 2 * max_gap);
		c.sleep_ms(static_cast<int>(std::min<std::int64_t>(settle, budget_ms)));
		// Then read again (next round): still there, or write again
		// after a random pause that grows with each try.
		has = read_has();
		if (!has || *has)
			return res;
		c.sleep_ms(c.random(std::max(1, settle_ms) << std::min(attempt, 4)));
	}
}

} // namespace slurmpi
