#include "common/stage/spec.hpp"

#include <charconv>

#include "common/policy.hpp"
#include "common/text.hpp"

namespace slurmpi {

namespace {

// Paths are longer than option values: show enough of one to find it.
constexpr std::size_t kQuotedPathMax = 256;

constexpr std::string_view kArgsSource = "plugstack.conf";

std::string q(std::string_view s) { return quoted(s, kQuotedPathMax); }

bool has_control(std::string_view s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c == 0x7f)
			return true;
	return false;
}

// Whether some '/'-separated component of `path` is longer than NAME_MAX.
bool long_component(std::string_view path)
{
	std::size_t run = 0;
	for (char c : path) {
		run = c == '/' ? 0 : run + 1;
		if (run > kStageNameMax)
			return true;
	}
	return false;
}

// Whether `path` has a "." or ".." component, as written.
bool has_dot_component(std::string_view path)
{
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		std::string_view c = path.substr(start, end - start);
		if (c == "." || c == "..")
			return true;
		start = end + 1;
	}
	return false;
}

std::string roots_text(const StagePlaces &p)
{
	return "(" + join(p.roots, ", ") + ")";
}

const std::string *root_of(std::string_view path, const StagePlaces &p)
{
	for (const std::string &r : p.roots)
		if (lexically_within(path, r))
			return &r;
	return nullptr;
}

// ---- one item as written: split at the unescaped ':' and unescaped

struct Written {
	std::string src;
	std::optional<std::string> dst;
	std::string error; // without the quoted item in front
};

Written unescape_item(std::string_view raw)
{
	Written w;
	std::string cur;
	for (std::size_t i = 0; i < raw.size(); i++) {
		char c = raw[i];
		if (c == '\\') {
			if (i + 1 == raw.size() ||
			    (raw[i + 1] != ',' && raw[i + 1] != ':' && raw[i + 1] != '\\')) {
				w.error = "a backslash must come before ',', ':' or "
					  "another backslash";
				return w;
			}
			cur.push_back(raw[++i]);
		} else if (c == ':') {
			if (w.dst) {
				w.error = "more than one ':' (a ':' in a path is written " +
					  quoted("\\:") + ")";
				return w;
			}
			w.dst = std::string();
			w.src = std::move(cur);
			cur.clear();
		} else {
			cur.push_back(c);
		}
	}
	if (w.dst)
		w.dst = std::move(cur);
	else
		w.src = std::move(cur);
	return w;
}

// The items of a list, split at unescaped ','; escapes are kept.
std::vector<std::string_view> split_items(std::string_view value)
{
	std::vector<std::string_view> items;
	std::size_t start = 0;
	for (std::size_t i = 0; i < value.size(); i++) {
		if (value[i] == '\\') {
			i++;
		} else if (value[i] == ',') {
			items.push_back(value.substr(start, i - start));
			start = i + 1;
		}
	}
	items.push_back(value.substr(start));
	return items;
}

// Length checks of one part as written; "" if fine. `what` is "source" or
// "destination".
std::string length_error(std::string_view path, std::string_view what)
{
	if (path.size() > kStagePathMax)
		return "the " + std::string(what) + " is longer than " +
		       std::to_string(kStagePathMax) + " bytes";
	if (long_component(path))
		return "the " + std::string(what) + " has a name longer than " +
		       std::to_string(kStageNameMax) + " bytes";
	return {};
}

std::string long_in_scratch(std::string_view what)
{
	return "in the scratch directory, the " + std::string(what) +
	       " would be longer than " + std::to_string(kStagePathMax) + " bytes";
}

// A path inside scratch as written (relative, or absolute inside it),
// normalised and relative; or why not. `what` is "source" or
// "destination".
struct InScratch {
	std::string rel;
	std::string error;
};

InScratch in_scratch(std::string_view path, const StagePlaces &p, std::string_view what)
{
	InScratch r;
	std::string w(what);
	auto n = lexical_normal(path);
	if (!n) {
		r.error = quoted("..") + " in the " + w + " goes above " +
			  (path.starts_with('/') ? quoted("/") : "the scratch directory");
		return r;
	}
	if (n->starts_with('/')) {
		if (p.scratch.empty() || !lexically_within(*n, p.scratch)) {
			r.error = "the " + w + " is not in the job's scratch directory (" +
				  (p.scratch.empty() ? std::string("not known") : p.scratch) + ")";
			return r;
		}
		r.rel = n->size() == p.scratch.size()
				? std::string(".")
				: n->substr(p.scratch == "/" ? 1 : p.scratch.size() + 1);
	} else {
		r.rel = std::move(*n);
	}
	if (scratch_path(p.scratch, r.rel).size() > kStagePathMax)
		r.error = long_in_scratch(what);
	return r;
}

// A path on the share as written (absolute, inside a root), normalised; or
// why not.
struct OnShare {
	std::string path;
	std::string error;
};

OnShare on_share(std::string_view path, const StagePlaces &p, std::string_view what)
{
	OnShare r;
	std::string w(what);
	if (!path.starts_with('/')) {
		r.error = "the " + w + " must be an absolute path in an allowed root " +
			  roots_text(p);
		return r;
	}
	auto n = lexical_normal(path);
	if (!n) {
		r.error = quoted("..") + " in the " + w + " goes above " + quoted("/");
		return r;
	}
	if (!root_of(*n, p)) {
		r.error = "the " + w +
			  (*n != path ? ", " + q(*n) + "," : std::string()) +
			  " is not in an allowed root " + roots_text(p);
		return r;
	}
	r.path = std::move(*n);
	return r;
}

// Two destinations overlap when equal or one inside the other; "" if not.
std::string overlap_error(std::string_view dst, std::string_view other_dst,
			  std::string_view other_raw)
{
	if (dst == other_dst)
		return "the destination " + q(dst) + " is also the destination of " +
		       q(other_raw);
	if (lexically_within(dst, other_dst))
		return "the destination " + q(dst) + " is inside " + q(other_dst) +
		       ", the destination of " + q(other_raw);
	if (lexically_within(other_dst, dst))
		return "the destination " + q(dst) + " holds " + q(other_dst) +
		       ", the destination of " + q(other_raw);
	return {};
}

enum class Direction { in, out };

// One item's checks, after the syntax: "" and `item` filled, or why not.
std::string check_in(const Written &w, const StagePlaces &p, StageItem &item)
{
	OnShare src = on_share(w.src, p, "source");
	if (!src.error.empty())
		return src.error;
	std::string dst;
	if (w.dst) {
		InScratch d = in_scratch(*w.dst, p, "destination");
		if (!d.error.empty())
			return d.error;
		if (d.rel == ".")
			return "the destination is the scratch directory itself; name "
			       "a file or directory in it";
		dst = std::move(d.rel);
	} else {
		dst = std::string(last_component(src.path));
		if (dst.empty())
			return "the source has no name to give its copy; write SRC:DST";
		if (scratch_path(p.scratch, dst).size() > kStagePathMax)
			return long_in_scratch("destination");
	}
	item.src = std::move(src.path);
	item.dst = std::move(dst);
	return {};
}

std::string check_out(const Written &w, const StagePlaces &p, StageItem &item)
{
	InScratch src = in_scratch(w.src, p, "source");
	if (!src.error.empty())
		return src.error;
	std::string dst;
	if (w.dst) {
		OnShare d = on_share(*w.dst, p, "destination");
		if (!d.error.empty())
			return d.error;
		dst = std::move(d.path);
	} else {
		if (src.rel == ".")
			return "the whole scratch directory needs a destination; "
			       "write .:DST";
		auto wd = lexical_normal(p.workdir);
		if (p.workdir.empty() || !wd || !wd->starts_with('/'))
			return "no destination given, and the job's working "
			       "directory is not known; write SRC:DST";
		if (!root_of(*wd, p))
			return "no destination given, and the job's working "
			       "directory, " + q(*wd) + ", is not in an allowed root " +
			       roots_text(p) + "; write SRC:DST";
		dst = scratch_path(*wd, last_component(src.rel));
		std::string why = length_error(dst, "destination");
		if (!why.empty())
			return "no destination given, and in the working directory " +
			       why;
	}
	for (const std::string &r : p.roots)
		if (dst == r)
			return "the destination is the shared root " + r +
			       " itself; name a file or directory in it";
	item.src = std::move(src.rel);
	item.dst = std::move(dst);
	return {};
}

StageList parse_list(Direction dir, std::string_view value, const StagePlaces &p,
		     std::string_view source)
{
	StageList out;
	auto fail = [&](std::string_view what) {
		out.errors.push_back(stage_message(source, what));
	};
	if (value.empty()) {
		fail("an empty value stages nothing");
		return out;
	}
	if (p.roots.empty()) {
		fail("staging is not available: no shared roots are configured "
		     "(roots= in plugstack.conf)");
		return out;
	}
	std::vector<std::string_view> raws = split_items(value);
	if (raws.size() > kStageMaxItems) {
		fail(std::to_string(raws.size()) + " items; at most " +
		     std::to_string(kStageMaxItems) + " (a directory is one item)");
		return out;
	}
	std::vector<std::string_view> accepted_raw; // beside out.items
	for (std::size_t i = 0; i < raws.size(); i++) {
		std::string_view raw = raws[i];
		if (raw.empty()) {
			fail(q(value) + ": item " + std::to_string(i + 1) + " is empty");
			continue;
		}
		auto bad = [&](std::string_view what) {
			fail(q(raw) + ": " + std::string(what));
		};
		if (has_control(raw)) {
			bad("a path may not hold control characters");
			continue;
		}
		Written w = unescape_item(raw);
		if (!w.error.empty()) {
			bad(w.error);
			continue;
		}
		if (w.src.empty()) {
			bad("empty source");
			continue;
		}
		if (w.dst && w.dst->empty()) {
			bad("empty destination");
			continue;
		}
		std::string why = length_error(w.src, "source");
		if (why.empty() && w.dst)
			why = length_error(*w.dst, "destination");
		StageItem item;
		if (why.empty())
			why = dir == Direction::in ? check_in(w, p, item)
						   : check_out(w, p, item);
		for (std::size_t j = 0; why.empty() && j < out.items.size(); j++)
			why = overlap_error(item.dst, out.items[j].dst, accepted_raw[j]);
		if (!why.empty()) {
			bad(why);
			continue;
		}
		out.items.push_back(std::move(item));
		accepted_raw.push_back(raw);
	}
	return out;
}

// ---- plugstack.conf

constexpr std::string_view kKeys[] = {
	"roots", "scratch", "max-size", "copy-timeout", "cache",
	"cache-size", "health-check", "health-timeout", "on-failure",
};

std::string known_keys()
{
	std::string out;
	for (std::string_view k : kKeys) {
		if (!out.empty())
			out += ", ";
		out += k;
	}
	return out;
}

// An admin's directory: absolute, clean, not "/"; normalised into `out`.
// "" or why not.
std::string admin_dir(std::string_view v, std::string &out)
{
	if (has_control(v))
		return q(v) + ": a path may not hold control characters";
	if (!v.starts_with('/'))
		return q(v) + " is not an absolute path";
	if (has_dot_component(v))
		return q(v) + ": " + quoted(".") + " and " + quoted("..") +
		       " are not allowed here";
	if (v.size() > kStagePathMax || long_component(v))
		return q(v) + " is too long";
	auto n = lexical_normal(v);
	if (!n || *n == "/")
		return q(v) + " would take in the whole file system";
	out = std::move(*n);
	return {};
}

enum class SizeStatus { ok, bad, too_large };

SizeStatus read_size(std::string_view s, std::uint64_t &bytes)
{
	int shift = 0;
	if (!s.empty()) {
		switch (s.back()) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		case 'T': case 't': shift = 40; break;
		default: break;
		}
		if (shift)
			s.remove_suffix(1);
	}
	if (s.empty())
		return SizeStatus::bad;
	for (char c : s)
		if (c < '0' || c > '9')
			return SizeStatus::bad;
	std::uint64_t n = 0;
	auto r = std::from_chars(s.data(), s.data() + s.size(), n);
	if (r.ec != std::errc())
		return SizeStatus::too_large;
	if (shift && n > (UINT64_MAX >> shift))
		return SizeStatus::too_large;
	bytes = n << shift;
	return SizeStatus::ok;
}

// "" or why `v` is not a size (without the key).
std::string size_value(std::string_view v, std::uint64_t &field)
{
	switch (read_size(v, field)) {
	case SizeStatus::ok:
		return {};
	case SizeStatus::too_large:
		return q(v) + " is too large";
	case SizeStatus::bad:
		break;
	}
	return q(v) + " is not a size (bytes, or a whole number with K, M, G "
		      "or T, powers of 1024)";
}

std::string seconds_value(std::string_view v, int max, int &field)
{
	long long n = 0;
	auto r = std::from_chars(v.data(), v.data() + v.size(), n);
	if (r.ec == std::errc::invalid_argument || r.ptr != v.data() + v.size())
		return q(v) + " is not a whole number of seconds";
	if (r.ec != std::errc() || n < 1 || n > max)
		return q(v) + " is out of range 1.." + std::to_string(max) + " s";
	field = static_cast<int>(n);
	return {};
}

std::string switch_value(std::string_view v, bool &field)
{
	auto b = parse_report_flag(v);
	if (!b)
		return report_flag_error(v);
	field = *b;
	return {};
}

// "" or why not; `key` is known.
std::string apply_arg(std::string_view key, std::string_view v, StageArgs &a)
{
	if (key == "roots") {
		std::vector<std::string> roots;
		std::size_t start = 0;
		while (true) {
			std::size_t end = v.find(':', start);
			std::string_view one = v.substr(start, end == std::string_view::npos
								       ? std::string_view::npos
								       : end - start);
			if (one.empty())
				return q(v) + ": an empty path (roots are separated by " +
				       quoted(":") + ")";
			std::string n;
			std::string why = admin_dir(one, n);
			if (!why.empty())
				return why;
			roots.push_back(std::move(n));
			if (end == std::string_view::npos)
				break;
			start = end + 1;
		}
		a.roots = std::move(roots);
		return {};
	}
	if (key == "scratch") {
		std::string n;
		std::string why = admin_dir(v, n);
		if (why.empty())
			a.scratch = std::move(n);
		return why;
	}
	if (key == "max-size")
		return size_value(v, a.max_size);
	if (key == "cache-size") {
		std::uint64_t n = 0;
		std::string why = size_value(v, n);
		if (why.empty() && n == 0)
			why = q(v) + " must be more than 0 (cache=no turns the cache off)";
		if (why.empty())
			a.cache_size = n;
		return why;
	}
	if (key == "copy-timeout")
		return seconds_value(v, kStageMaxCopyTimeout, a.copy_timeout);
	if (key == "health-timeout")
		return seconds_value(v, kStageMaxHealthTimeout, a.health_timeout);
	if (key == "cache")
		return switch_value(v, a.cache);
	if (key == "health-check")
		return switch_value(v, a.health_check);
	// on-failure
	auto f = parse_stage_on_failure(v);
	if (!f)
		return q(v) + " is not one of fail, requeue, drain";
	a.on_failure = *f;
	return {};
}

} // namespace

std::string stage_message(std::string_view source, std::string_view what)
{
	std::string out = "slurm-pi stage: ";
	out += source;
	out += ": ";
	out += what;
	return out;
}

// ---------------------------------------------------------------- lexical paths

std::optional<std::string> lexical_normal(std::string_view path)
{
	const bool absolute = path.starts_with('/');
	std::vector<std::string_view> parts;
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		std::string_view c = path.substr(start, end - start);
		if (c == "..") {
			if (parts.empty())
				return std::nullopt;
			parts.pop_back();
		} else if (!c.empty() && c != ".") {
			parts.push_back(c);
		}
		start = end + 1;
	}
	std::string out;
	for (std::string_view c : parts) {
		if (absolute || !out.empty())
			out.push_back('/');
		out += c;
	}
	if (out.empty())
		out = absolute ? "/" : ".";
	return out;
}

bool lexically_within(std::string_view path, std::string_view dir)
{
	if (dir == "/")
		return path.starts_with('/');
	if (dir == ".")
		return !path.starts_with('/');
	return path.starts_with(dir) &&
	       (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string_view last_component(std::string_view normal_path)
{
	if (normal_path == "/" || normal_path == ".")
		return {};
	std::size_t slash = normal_path.rfind('/');
	return slash == std::string_view::npos ? normal_path
					       : normal_path.substr(slash + 1);
}

std::string scratch_path(std::string_view scratch, std::string_view rel)
{
	std::string out(scratch);
	if (rel == "." || rel.empty())
		return out;
	if (!out.ends_with('/'))
		out.push_back('/');
	out += rel;
	return out;
}

// ---------------------------------------------------------------- stage lists

StageList parse_stage_in(std::string_view value, const StagePlaces &places,
			 std::string_view source)
{
	return parse_list(Direction::in, value, places, source);
}

StageList parse_stage_out(std::string_view value, const StagePlaces &places,
			  std::string_view source)
{
	return parse_list(Direction::out, value, places, source);
}

std::string escape_stage_path(std::string_view path)
{
	std::string out;
	out.reserve(path.size());
	for (char c : path) {
		if (c == ',' || c == ':' || c == '\\')
			out.push_back('\\');
		out.push_back(c);
	}
	return out;
}

std::string format_stage_list(const std::vector<StageItem> &items)
{
	std::string out;
	for (const StageItem &it : items) {
		if (!out.empty())
			out.push_back(',');
		out += escape_stage_path(it.src);
		out.push_back(':');
		out += escape_stage_path(it.dst);
	}
	return out;
}

bool is_path_component(std::string_view name)
{
	return !name.empty() && name != "." && name != ".." &&
	       name.find('/') == std::string_view::npos && !has_control(name) &&
	       name.size() <= kStageNameMax;
}

StagePath stage_out_destination(const StageItem &item, std::string_view node,
				std::uint32_t nnodes, std::string_view source)
{
	StagePath r;
	if (nnodes <= 1) {
		r.path = item.dst;
		return r;
	}
	if (!is_path_component(node)) {
		r.error = stage_message(source, "node name " + q(node) +
						" cannot be a directory name");
		return r;
	}
	r.path = item.dst + "/" + std::string(node);
	if (r.path.size() > kStagePathMax) {
		r.error = stage_message(source, q(item.dst) + ": on node " + q(node) +
						" the destination would be longer than " +
						std::to_string(kStagePathMax) + " bytes");
		r.path.clear();
	}
	return r;
}

// ---------------------------------------------------------------- --stage-out-when

std::optional<StageOutWhen> parse_stage_out_when(std::string_view s)
{
	if (s == "always")
		return StageOutWhen::always;
	if (s == "success")
		return StageOutWhen::success;
	return std::nullopt;
}

std::string_view to_string(StageOutWhen w)
{
	return w == StageOutWhen::success ? "success" : "always";
}

std::string stage_out_when_error(std::string_view bad_value)
{
	if (bad_value.empty())
		return "an empty value is not one of always, success";
	return quoted(bad_value) + " is not one of always, success";
}

// ---------------------------------------------------------------- options and environment

std::string_view stage_option_name(StageOption o)
{
	switch (o) {
	case StageOption::stage_in:
		return "--stage-in";
	case StageOption::stage_out:
		return "--stage-out";
	case StageOption::stage_out_when:
		return "--stage-out-when";
	}
	return "--stage-in";
}

std::string_view stage_env_name(StageOption o)
{
	switch (o) {
	case StageOption::stage_in:
		return "SLURM_PI_STAGE_IN";
	case StageOption::stage_out:
		return "SLURM_PI_STAGE_OUT";
	case StageOption::stage_out_when:
		return "SLURM_PI_STAGE_OUT_WHEN";
	}
	return "SLURM_PI_STAGE_IN";
}

StageValue choose_stage_value(StageOption o,
			      std::optional<std::string_view> option_value,
			      std::optional<std::string_view> env_value)
{
	StageValue v;
	if (option_value) {
		v.source = StageValueSource::option;
		v.value = std::string(*option_value);
		v.name = stage_option_name(o);
	} else if (env_value && !env_value->empty()) {
		v.source = StageValueSource::environment;
		v.value = std::string(*env_value);
		v.name = stage_env_name(o);
	}
	return v;
}

// ---------------------------------------------------------------- plugstack.conf

std::optional<StageOnFailure> parse_stage_on_failure(std::string_view s)
{
	if (s == "fail")
		return StageOnFailure::fail;
	if (s == "requeue")
		return StageOnFailure::requeue;
	if (s == "drain")
		return StageOnFailure::drain;
	return std::nullopt;
}

std::string_view to_string(StageOnFailure f)
{
	switch (f) {
	case StageOnFailure::fail:
		return "fail";
	case StageOnFailure::requeue:
		return "requeue";
	case StageOnFailure::drain:
		return "drain";
	}
	return "fail";
}

StageArgsResult parse_stage_args(const std::vector<std::string> &args)
{
	StageArgsResult r;
	std::vector<std::string_view> seen;
	bool roots_ok = true, scratch_ok = true;
	auto fail = [&](std::string_view what) {
		r.errors.push_back(stage_message(kArgsSource, what));
	};
	for (const std::string &arg : args) {
		std::string_view sv = arg;
		std::size_t eq = sv.find('=');
		std::string_view key = sv.substr(0, eq);
		const std::string_view *known = nullptr;
		for (const std::string_view &k : kKeys)
			if (k == key)
				known = &k;
		if (!known) {
			fail("unknown argument " + q(sv) + " (known: " + known_keys() + ")");
			continue;
		}
		std::string k(key);
		if (eq == std::string_view::npos) {
			fail(q(sv) + " is not key=value (" + k + "=...)");
			continue;
		}
		bool twice = false;
		for (std::string_view s : seen)
			twice = twice || s == key;
		if (twice) {
			fail(k + ": given twice");
			continue;
		}
		seen.push_back(*known);
		std::string why = apply_arg(key, sv.substr(eq + 1), r.args);
		if (!why.empty()) {
			fail(k + ": " + why);
			if (key == "roots")
				roots_ok = false;
			if (key == "scratch")
				scratch_ok = false;
		}
	}
	if (roots_ok && scratch_ok) {
		const StageArgs &a = r.args;
		for (const std::string &root : a.roots) {
			if (lexically_within(a.scratch, root)) {
				fail("scratch: " + q(a.scratch) + " is in the shared root " +
				     root + "; scratch must be on the node's own disk");
				break;
			}
			if (lexically_within(root, a.scratch)) {
				fail("scratch: " + q(a.scratch) + " holds the shared root " +
				     root + "; scratch must be on the node's own disk");
				break;
			}
		}
	}
	return r;
}

std::vector<std::string> format_stage_args(const StageArgs &a)
{
	std::vector<std::string> out;
	if (!a.roots.empty())
		out.push_back("roots=" + join(a.roots, ":"));
	out.push_back("scratch=" + a.scratch);
	out.push_back("max-size=" + format_stage_size(a.max_size));
	out.push_back("copy-timeout=" + std::to_string(a.copy_timeout));
	out.push_back("cache=" + std::string(report_flag_name(a.cache)));
	out.push_back("cache-size=" + format_stage_size(a.cache_size));
	out.push_back("health-check=" + std::string(report_flag_name(a.health_check)));
	out.push_back("health-timeout=" + std::to_string(a.health_timeout));
	out.push_back("on-failure=" + std::string(to_string(a.on_failure)));
	return out;
}

std::optional<std::uint64_t> parse_stage_size(std::string_view s)
{
	std::uint64_t n = 0;
	if (read_size(s, n) != SizeStatus::ok)
		return std::nullopt;
	return n;
}

std::string format_stage_size(std::uint64_t bytes)
{
	static constexpr struct {
		int shift;
		char suffix;
	} kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
	if (bytes != 0)
		for (auto u : kUnits)
			if (bytes % (std::uint64_t(1) << u.shift) == 0)
				return std::to_string(bytes >> u.shift) + u.suffix;
	return std::to_string(bytes);
}

StagePlaces stage_places(const StageArgs &a, std::string_view workdir)
{
	StagePlaces p;
	p.roots = a.roots;
	p.scratch = a.scratch;
	p.workdir = std::string(workdir);
	return p;
}

} // namespace slurmpi
