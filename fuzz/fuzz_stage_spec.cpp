// libFuzzer target: spank_pi_stage's parsers (common/stage/spec.hpp): the
// --stage-in and --stage-out lists, the plugstack.conf arguments, and
// --stage-out-when. The first byte chooses:
//   0  a --stage-in list, checked against fixed places
//   1  a --stage-out list, checked against fixed places
//   2  plugstack.conf arguments (first line, split at ' '); when they are
//      accepted, the rest as a --stage-in and a --stage-out list checked
//      against the places they name
//   3  --stage-out-when, and lexical_normal() on the rest
// Properties: nothing throws; every message has the prefix and the source
// and no raw control character; what is accepted is normalised, inside
// its root or scratch (checked here component by component, independently
// of lexically_within), free of destinations that overlap, and comes back
// the same when formatted and parsed again; the multi-node targets of two
// nodes never overlap.
#include <string>
#include <vector>

#include "common/stage/spec.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

namespace {

std::vector<std::string_view> components(std::string_view p)
{
	std::vector<std::string_view> out;
	std::size_t start = 0;
	while (start <= p.size()) {
		std::size_t end = p.find('/', start);
		if (end == std::string_view::npos)
			end = p.size();
		out.push_back(p.substr(start, end - start));
		start = end + 1;
	}
	return out;
}

// `p` is clean: absolute or relative as asked, no empty, "." or ".."
// component (except the lone "/" or "."), no control character.
bool clean(std::string_view p, bool absolute)
{
	if (p.empty() || p.size() > kStagePathMax)
		return false;
	for (unsigned char c : p)
		if (c < 0x20 || c == 0x7f)
			return false;
	if (absolute != p.starts_with('/'))
		return false;
	if (p == "/" || p == ".")
		return true;
	std::vector<std::string_view> cs = components(absolute ? p.substr(1) : p);
	for (std::string_view c : cs)
		if (c.empty() || c == "." || c == ".." || c.size() > kStageNameMax)
			return false;
	return true;
}

// Component-wise "inside or equal", written apart from lexically_within.
bool under(std::string_view path, std::string_view dir)
{
	if (dir == "/")
		return path.starts_with('/');
	std::vector<std::string_view> a = components(path), b = components(dir);
	if (a.size() < b.size())
		return false;
	for (std::size_t i = 0; i < b.size(); i++)
		if (a[i] != b[i])
			return false;
	return true;
}

bool in_a_root(std::string_view p, const StagePlaces &places)
{
	for (const std::string &r : places.roots)
		if (under(p, r))
			return true;
	return false;
}

void check_messages(const std::vector<std::string> &errors, std::string_view source)
{
	std::string prefix = "slurm-pi stage: " + std::string(source) + ": ";
	for (const std::string &e : errors) {
		FUZZ_CHECK(e.starts_with(prefix), "message: %s", e.c_str());
		for (unsigned char c : e)
			FUZZ_CHECK(c >= 0x20 && c != 0x7f, "raw control character in: %s",
				   e.c_str());
	}
}

void check_list(bool in, std::string_view value, const StagePlaces &places)
{
	std::string_view source = in ? "--stage-in" : "SLURM_PI_STAGE_OUT";
	StageList l = in ? parse_stage_in(value, places, source)
			 : parse_stage_out(value, places, source);
	check_messages(l.errors, source);
	if (!l.ok())
		return;
	FUZZ_CHECK(!l.items.empty() && l.items.size() <= kStageMaxItems, "%zu items",
		   l.items.size());
	for (const StageItem &it : l.items) {
		const char *s = it.src.c_str(), *d = it.dst.c_str();
		if (in) {
			FUZZ_CHECK(clean(it.src, true) && in_a_root(it.src, places),
				   "stage-in source %s", s);
			FUZZ_CHECK(clean(it.dst, false) && it.dst != ".",
				   "stage-in destination %s", d);
			std::string abs = scratch_path(places.scratch, it.dst);
			FUZZ_CHECK(abs.size() <= kStagePathMax && under(abs, places.scratch) &&
					   abs != places.scratch,
				   "stage-in destination in scratch %s", abs.c_str());
		} else {
			FUZZ_CHECK(clean(it.src, false), "stage-out source %s", s);
			FUZZ_CHECK(scratch_path(places.scratch, it.src).size() <= kStagePathMax,
				   "stage-out source too long in scratch %s", s);
			FUZZ_CHECK(clean(it.dst, true) && in_a_root(it.dst, places),
				   "stage-out destination %s", d);
			for (const std::string &r : places.roots)
				FUZZ_CHECK(it.dst != r, "stage-out into the root %s", d);
		}
	}
	for (std::size_t i = 0; i < l.items.size(); i++)
		for (std::size_t j = i + 1; j < l.items.size(); j++)
			FUZZ_CHECK(!under(l.items[i].dst, l.items[j].dst) &&
					   !under(l.items[j].dst, l.items[i].dst),
				   "overlapping destinations %s and %s",
				   l.items[i].dst.c_str(), l.items[j].dst.c_str());

	std::string text = format_stage_list(l.items);
	StageList again = in ? parse_stage_in(text, places, source)
			     : parse_stage_out(text, places, source);
	FUZZ_CHECK(again.ok(), "formatted list refused: %s -> %s", text.c_str(),
		   again.errors.empty() ? "" : again.errors[0].c_str());
	FUZZ_CHECK(again.items == l.items, "formatted list parsed differently: %s",
		   text.c_str());

	if (in)
		return;
	// Two nodes: every target of every item, pairwise apart.
	std::vector<std::string> targets;
	for (const StageItem &it : l.items)
		for (std::string_view node : {"pi1", "pi2"}) {
			StagePath p = stage_out_destination(it, node, 2);
			if (!p.ok())
				continue;
			FUZZ_CHECK(under(p.path, it.dst) && p.path != it.dst,
				   "target %s not below %s", p.path.c_str(), it.dst.c_str());
			targets.push_back(p.path);
		}
	for (std::size_t i = 0; i < targets.size(); i++)
		for (std::size_t j = i + 1; j < targets.size(); j++)
			FUZZ_CHECK(!under(targets[i], targets[j]) &&
					   !under(targets[j], targets[i]),
				   "nodes overlap: %s and %s", targets[i].c_str(),
				   targets[j].c_str());
}

void check_args(std::string_view text)
{
	std::size_t nl = text.find('\n');
	std::string_view line = text.substr(0, nl);
	std::vector<std::string> args;
	std::size_t start = 0;
	while (start <= line.size()) {
		std::size_t sp = line.find(' ', start);
		if (sp == std::string_view::npos)
			sp = line.size();
		if (sp > start)
			args.emplace_back(line.substr(start, sp - start));
		start = sp + 1;
	}
	StageArgsResult r = parse_stage_args(args);
	check_messages(r.errors, "plugstack.conf");
	if (!r.ok())
		return;
	const StageArgs &a = r.args;
	for (const std::string &root : a.roots) {
		FUZZ_CHECK(clean(root, true) && root != "/", "root %s", root.c_str());
		FUZZ_CHECK(!under(a.scratch, root) && !under(root, a.scratch),
			   "scratch %s and root %s overlap", a.scratch.c_str(), root.c_str());
	}
	FUZZ_CHECK(clean(a.scratch, true) && a.scratch != "/", "scratch %s", a.scratch.c_str());
	FUZZ_CHECK(a.copy_timeout >= 1 && a.copy_timeout <= kStageMaxCopyTimeout &&
			   a.health_timeout >= 1 && a.health_timeout <= kStageMaxHealthTimeout &&
			   a.cache_size > 0,
		   "numbers out of range");
	StageArgsResult again = parse_stage_args(format_stage_args(a));
	FUZZ_CHECK(again.ok() && again.args == a, "formatted arguments parse differently");

	if (nl == std::string_view::npos || a.roots.empty())
		return;
	std::string_view rest = text.substr(nl + 1);
	StagePlaces p = stage_places(a, a.roots[0] + "/w");
	check_list(true, rest, p);
	check_list(false, rest, p);
}

void check_when_and_normal(std::string_view text)
{
	if (auto w = parse_stage_out_when(text))
		FUZZ_CHECK(to_string(*w) == text, "accepted a variant spelling");
	else
		FUZZ_CHECK(stage_out_when_error(text).ends_with("is not one of always, success"),
			   "message");
	auto n = lexical_normal(text);
	// Refused exactly when some ".." would go above the start: counted
	// here on the components, apart from lexical_normal().
	bool abs = text.starts_with('/');
	std::size_t depth = 0;
	bool above = false;
	for (std::string_view c : components(text)) {
		if (c == "..") {
			if (depth == 0) {
				above = true;
				break;
			}
			depth--;
		} else if (!c.empty() && c != ".") {
			depth++;
		}
	}
	FUZZ_CHECK(n.has_value() == !above, "'..' above the start %s",
		   above ? "accepted" : "refused");
	if (!n)
		return;
	FUZZ_CHECK(n->starts_with('/') == abs, "absolute changed: %s", n->c_str());
	FUZZ_CHECK(lexical_normal(*n) == n, "not idempotent: %s", n->c_str());
	if (*n != "/" && *n != ".")
		for (std::string_view c : components(abs ? std::string_view(*n).substr(1)
							 : std::string_view(*n)))
			FUZZ_CHECK(!c.empty() && c != "." && c != "..", "component in %s",
				   n->c_str());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	if (size == 0)
		return 0;
	std::string_view text = fuzz_text(data + 1, size - 1);
	StagePlaces fixed;
	fixed.roots = {"/home/shared", "/a"};
	fixed.scratch = "/s/42";
	fixed.workdir = "/a/w";
	try {
		switch (data[0] % 4) {
		case 0:
			check_list(true, text, fixed);
			break;
		case 1:
			check_list(false, text, fixed);
			break;
		case 2:
			check_args(text);
			break;
		default:
			check_when_and_normal(text);
			break;
		}
	} catch (const std::exception &e) {
		FUZZ_CHECK(false, "exception: %s", e.what());
	}
	return 0;
}
