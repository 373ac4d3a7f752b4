// RunResult as one line of JSON and back: the copy child (the job's user)
// writes it into a pipe, the plugin (root) reads it. The reader's input is
// the user's to shape, so nothing in it is trusted: the size and nesting
// are bounded before nlohmann parses (its copy and compare recurse per
// level), every field must be present with its type and range, and no
// other field may be there.
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/stage/run.hpp"
#include "common/text.hpp"

namespace slurmpi::stage {

namespace {

using nlohmann::json;

constexpr int kVersion = 1;
constexpr std::size_t kMaxText = 1u << 20;     // the whole line
constexpr int kMaxDepth = 3;                    // {"error": {...}} is 2
constexpr std::size_t kMaxWarnings = 1000;      // far above any max_warnings
constexpr std::size_t kMaxString = 64u << 10;   // one message, note or item

// Reads fields of one JSON object, counting them so that unknown ones are
// found; the first problem is kept in `bad`.
class Fields {
public:
	Fields(const json &j, std::string where) : j_(j), where_(std::move(where)) {}

	bool ok() const { return bad_.empty(); }
	const std::string &bad() const { return bad_; }

	const json *field(const char *key)
	{
		if (!ok())
			return nullptr;
		auto it = j_.find(key);
		if (it == j_.end()) {
			fail(key, "missing");
			return nullptr;
		}
		++seen_;
		return &*it;
	}

	void u64(const char *key, std::uint64_t *out)
	{
		if (const json *v = field(key)) {
			if (v->is_number_unsigned())
				*out = v->get<std::uint64_t>();
			else
				fail(key, "not a non-negative integer");
		}
	}

	void str(const char *key, std::string *out)
	{
		if (const json *v = field(key)) {
			if (!v->is_string())
				fail(key, "not a string");
			else if (v->get_ref<const std::string &>().size() > kMaxString)
				fail(key, "too long");
			else
				*out = v->get<std::string>();
		}
	}

	void seconds(const char *key, double *out)
	{
		if (const json *v = field(key)) {
			double d = v->is_number() ? v->get<double>() : -1;
			if (!(std::isfinite(d) && d >= 0))
				fail(key, "not a number of seconds");
			else
				*out = d;
		}
	}

	// After the reads: no field beyond those read.
	void no_others()
	{
		if (ok() && seen_ != j_.size())
			bad_ = where_ + "has a field that is not known";
	}

	void fail(const char *key, const char *what)
	{
		if (ok())
			bad_ = where_ + "field \"" + key + "\" " + what;
	}

private:
	const json &j_;
	std::string where_;
	std::size_t seen_ = 0;
	std::string bad_;
};

// A field that must be an object; nullptr (and `bad` set) if not.
const json *object_field(Fields &f, const char *key)
{
	const json *v = f.field(key);
	if (v && !v->is_object()) {
		f.fail(key, "not an object");
		return nullptr;
	}
	return v;
}

bool read_error(const json &j, Error *e, std::string *bad)
{
	Fields f(j, "error: ");
	std::string kind;
	f.str("kind", &kind);
	std::uint64_t err = 0;
	f.u64("errno", &err);
	f.str("message", &e->message);
	f.no_others();
	if (f.ok()) {
		std::optional<ErrorKind> k = error_kind_from_name(kind);
		if (!k)
			f.fail("kind", "not a kind of error");
		else if (err > 4095) // errno values are small positive numbers
			f.fail("errno", "out of range");
		else if ((*k == ErrorKind::none) != e->message.empty())
			f.fail("message", "does not go with the kind");
		else {
			e->kind = *k;
			e->err = static_cast<int>(err);
		}
	}
	*bad = f.bad();
	return f.ok();
}

bool read_stats(const json &j, CopyStats *s, std::string *bad)
{
	Fields f(j, "stats: ");
	f.u64("files", &s->files);
	f.u64("directories", &s->directories);
	f.u64("symlinks", &s->symlinks);
	f.u64("skipped", &s->skipped);
	f.u64("bytes", &s->bytes);
	f.seconds("seconds", &s->seconds);
	f.no_others();
	*bad = f.bad();
	return f.ok();
}

bool read_cache(const json &j, CacheStats *s, std::string *bad)
{
	Fields f(j, "cache: ");
	f.u64("hits", &s->hits);
	f.u64("misses", &s->misses);
	f.u64("bypasses", &s->bypasses);
	f.u64("errors", &s->errors);
	f.u64("bytes_saved", &s->bytes_saved);
	f.u64("bytes_fetched", &s->bytes_fetched);
	f.no_others();
	*bad = f.bad();
	return f.ok();
}

std::optional<RunResult> parse(std::string_view text, std::string *why)
{
	if (text.size() > kMaxText) {
		*why = "longer than " + std::to_string(kMaxText) + " bytes";
		return std::nullopt;
	}
	if (json_depth(text) > kMaxDepth) {
		*why = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
		return std::nullopt;
	}
	json j = json::parse(text.begin(), text.end(), nullptr, false);
	if (j.is_discarded() || !j.is_object()) {
		*why = "not a JSON object";
		return std::nullopt;
	}
	RunResult r;
	Fields f(j, "");
	std::uint64_t v = 0;
	f.u64("v", &v);
	if (f.ok() && v != kVersion)
		f.fail("v", "is not 1");
	std::string bad;
	if (const json *e = object_field(f, "error"); e && !read_error(*e, &r.error, &bad))
		f.fail("error", "is wrong");
	f.str("item", &r.item);
	if (const json *s = object_field(f, "stats"); s && bad.empty() && !read_stats(*s, &r.stats, &bad))
		f.fail("stats", "is wrong");
	if (const json *c = object_field(f, "cache"); c && bad.empty() && !read_cache(*c, &r.cache, &bad))
		f.fail("cache", "is wrong");
	f.str("cache_note", &r.cache_note);
	if (const json *w = f.field("warnings")) {
		if (!w->is_array() || w->size() > kMaxWarnings) {
			f.fail("warnings", "not an array of at most 1000 strings");
		} else {
			for (const json &s : *w) {
				if (!s.is_string() ||
				    s.get_ref<const std::string &>().size() > kMaxString) {
					f.fail("warnings", "not an array of strings");
					break;
				}
				r.warnings.push_back(s.get<std::string>());
			}
		}
	}
	f.u64("warnings_dropped", &r.warnings_dropped);
	f.no_others();
	if (!bad.empty()) {
		*why = bad;
		return std::nullopt;
	}
	if (!f.ok()) {
		*why = f.bad();
		return std::nullopt;
	}
	// Only a failure names an item.
	if (r.error.ok() && !r.item.empty()) {
		*why = "field \"item\" set without an error";
		return std::nullopt;
	}
	return r;
}

} // namespace

std::string run_result_to_json(const RunResult &r)
{
	try {
		// At most what the reader takes; the rest only counted.
		// In the order written here ("v" first), for a person reading it.
		using ojson = nlohmann::ordered_json;
		ojson warnings = ojson::array();
		std::uint64_t dropped = r.warnings_dropped;
		for (const auto &w : r.warnings) {
			if (warnings.size() < kMaxWarnings && w.size() <= kMaxString)
				warnings.push_back(w);
			else
				++dropped;
		}
		ojson j = {
			{"v", kVersion},
			{"error",
			 {{"kind", std::string(error_kind_name(r.error.kind))},
			  {"errno", static_cast<std::uint64_t>(r.error.err > 0 ? r.error.err : 0)},
			  {"message", r.error.message}}},
			{"item", r.item},
			{"stats",
			 {{"files", r.stats.files},
			  {"directories", r.stats.directories},
			  {"symlinks", r.stats.symlinks},
			  {"skipped", r.stats.skipped},
			  {"bytes", r.stats.bytes},
			  {"seconds", std::isfinite(r.stats.seconds) && r.stats.seconds >= 0
					      ? r.stats.seconds
					      : 0.0}}},
			{"cache",
			 {{"hits", r.cache.hits},
			  {"misses", r.cache.misses},
			  {"bypasses", r.cache.bypasses},
			  {"errors", r.cache.errors},
			  {"bytes_saved", r.cache.bytes_saved},
			  {"bytes_fetched", r.cache.bytes_fetched}}},
			{"cache_note", r.cache_note},
			{"warnings", std::move(warnings)},
			{"warnings_dropped", dropped},
		};
		// Paths that are not UTF-8 (a user's file names) become U+FFFD:
		// the text is for messages, and a dump that throws would lose
		// the whole result.
		return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
	} catch (...) {
		// Only allocation: the reader then reports a broken result.
		return std::string();
	}
}

std::optional<RunResult> run_result_from_json(std::string_view text, std::string *why)
{
	std::string local;
	if (!why)
		why = &local;
	try {
		return parse(text, why);
	} catch (const std::exception &e) {
		*why = e.what();
	} catch (...) {
		*why = "unexpected failure";
	}
	return std::nullopt;
}

} // namespace slurmpi::stage
