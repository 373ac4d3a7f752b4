#include "common/telemetry.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <exception>

#include <nlohmann/json.hpp>

#include "common/sensors.hpp"
#include "common/text.hpp"
#include "common/throttle.hpp"

namespace slurmpi {

namespace {

// ordered_json keeps keys in insertion order: the record's field order is
// part of its stable look, and a site's own keys keep the order it chose.
using ojson = nlohmann::ordered_json;

std::string dump(const ojson &j)
{
	// `replace`: a model string with bad UTF-8 must not make dump() throw.
	return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

bool is_blank(std::string_view s)
{
	return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// A value as it appears in the input, short enough for a log line.
std::string show_text(std::string_view s)
{
	constexpr std::size_t max = 40;
	std::string out(s.substr(0, max));
	for (char &c : out)
		if (static_cast<unsigned char>(c) < 0x20)
			c = ' '; // keep the log line one line
	if (s.size() > max)
		out += "...";
	return out;
}

std::string show(const ojson &j)
{
	return show_text(dump(j));
}

// nlohmann's what() starts with "[json.exception.parse_error.101] ", which
// means nothing to an admin.
std::string parse_message(const std::exception &e)
{
	std::string_view w = e.what();
	auto end = w.find("] ");
	if (!w.empty() && w.front() == '[' && end != std::string_view::npos)
		w.remove_prefix(end + 2);
	return std::string(w);
}

// The limits of telemetry.hpp, checked before nlohmann sees the text: ""
// when within them, else the reason. Depth counts [ and { outside strings;
// a backslash in a string escapes the next byte. Malformed text is left
// for the parser to name; this only has to bound the depth of what it
// could build.
std::string over_limits(std::string_view text)
{
	if (text.size() > kExtraMaxBytes)
		return "Extra is " + std::to_string(text.size()) +
		       " bytes, over the limit of " +
		       std::to_string(kExtraMaxBytes);
	int deepest = json_depth(text);
	if (deepest > kExtraMaxDepth)
		return "Extra nests " + std::to_string(deepest) +
		       " levels deep, over the limit of " +
		       std::to_string(kExtraMaxDepth);
	return {};
}

// The parse of text that passed over_limits(); nlohmann's exceptions are
// sorted into not_json (parse_error) and over_limit (a number out of the
// range of a double: out_of_range), the rest left to the caller's catch.
struct Parsed {
	ojson doc;
	TelemetryError error = TelemetryError::none;
	std::string message;
};

Parsed parse_json(std::string_view text)
{
	Parsed p;
	try {
		p.doc = ojson::parse(text);
	} catch (const ojson::parse_error &e) {
		p.error = TelemetryError::not_json;
		p.message = parse_message(e);
	} catch (const ojson::out_of_range &e) {
		p.error = TelemetryError::over_limit;
		p.message = parse_message(e);
	}
	return p;
}

ojson record(const Telemetry &t)
{
	ojson pi = ojson::object();
	pi["v"] = kTelemetryVersion;
	if (t.temp_c) {
		double r = std::round(*t.temp_c * 10.0) / 10.0;
		if (std::isfinite(r))
			pi["t"] = r == 0 ? 0.0 : r; // no "-0.0"
	}
	pi["band"] = std::string(band_name(t.band));
	if (t.throttled) {
		pi["thr"] = format_throttled(*t.throttled & t.throttled_known);
		if (t.throttled_known != kThrAllBits)
			pi["thr_known"] = format_throttled(t.throttled_known);
	}
	if (t.mhz)
		pi["mhz"] = *t.mhz;
	if (t.max_mhz)
		pi["max_mhz"] = *t.max_mhz;
	if (t.model)
		pi["model"] = *t.model;
	if (t.mem_mb)
		pi["mem"] = *t.mem_mb;
	pi["ts"] = t.ts;
	return pi;
}

TelemetryParse fail(TelemetryError e, std::string reason)
{
	TelemetryParse p;
	p.error = e;
	p.reason = std::move(reason);
	return p;
}

// The field, or nullptr when absent or null (both mean "unknown").
const ojson *field(const ojson &pi, const char *key)
{
	auto it = pi.find(key);
	if (it == pi.end() || it->is_null())
		return nullptr;
	return &*it;
}

std::string wrong(const char *key, const char *expected, const ojson &got)
{
	return std::string("pi.") + key + ": expected " + expected + ", got " +
	       show(got);
}

// An integer in [0, max]; "" when fine, else the reason.
std::string read_count(const ojson &v, const char *key, std::int64_t max,
		       std::int64_t &out)
{
	if (!v.is_number_integer())
		return wrong(key, "an integer", v);
	bool neg = !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
	if (neg || (v.is_number_unsigned() &&
		    v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)))
		return std::string("pi.") + key + ": " + show(v) +
		       " is out of range 0.." + std::to_string(max);
	out = v.get<std::int64_t>();
	return {};
}

std::string read_optional_int(const ojson &pi, const char *key,
			      std::optional<int> &out)
{
	const ojson *v = field(pi, key);
	if (!v)
		return {};
	std::int64_t n = 0;
	std::string err = read_count(*v, key, INT_MAX, n);
	if (err.empty())
		out = static_cast<int>(n);
	return err;
}

// A hex word field ("thr", "thr_known"); "" when fine or absent.
std::string read_word(const ojson &pi, const char *key,
		      std::optional<std::uint32_t> &out)
{
	const ojson *v = field(pi, key);
	if (!v)
		return {};
	if (!v->is_string())
		return wrong(key, "a string \"0x...\"", *v);
	std::string why;
	auto word = parse_throttled_hex(v->get_ref<const std::string &>(), &why);
	if (!word)
		return std::string("pi.") + key + ": " + why;
	out = *word;
	return {};
}

std::string read_throttled(const ojson &pi, Telemetry &t)
{
	std::string err = read_word(pi, "thr", t.throttled);
	std::optional<std::uint32_t> known;
	if (err.empty())
		err = read_word(pi, "thr_known", known);
	if (!err.empty())
		return err;
	if (known && !t.throttled)
		return "pi.thr_known: given without pi.thr";
	if (known) {
		t.throttled_known = *known;
		*t.throttled &= *known; // an unknown bit is not set
	}
	return {};
}

// The sensor reader's range (common/sensors.hpp), in C.
std::string read_temp(const ojson &v, std::optional<double> &out)
{
	if (!v.is_number())
		return wrong("t", "a number", v);
	double c = v.get<double>();
	constexpr double lo = kTempMinMilliC / 1000.0;
	constexpr double hi = kTempMaxMilliC / 1000.0;
	if (!std::isfinite(c) || c < lo || c > hi)
		return "pi.t: " + show(v) + " is out of range " +
		       std::to_string(kTempMinMilliC / 1000) + ".." +
		       std::to_string(kTempMaxMilliC / 1000) + " C";
	out = c;
	return {};
}

// Everything after the version check; `pi` is an object.
TelemetryParse parse_record(const ojson &pi)
{
	Telemetry t;

	const ojson *band = field(pi, "band");
	if (!band)
		return fail(TelemetryError::bad_field, "pi.band: missing");
	if (!band->is_string())
		return fail(TelemetryError::bad_field, wrong("band", "a string", *band));
	auto b = band_from_name(band->get_ref<const std::string &>());
	if (!b)
		return fail(TelemetryError::bad_field,
			    "pi.band: " + show(*band) + " is not a band");
	t.band = *b;

	const ojson *ts = field(pi, "ts");
	if (!ts)
		return fail(TelemetryError::bad_field, "pi.ts: missing");
	std::string err = read_count(*ts, "ts", INT64_MAX, t.ts);

	if (const ojson *temp = field(pi, "t"); err.empty() && temp)
		err = read_temp(*temp, t.temp_c);
	if (err.empty())
		err = read_throttled(pi, t);
	if (err.empty())
		err = read_optional_int(pi, "mhz", t.mhz);
	if (err.empty())
		err = read_optional_int(pi, "max_mhz", t.max_mhz);
	if (err.empty())
		err = read_optional_int(pi, "mem", t.mem_mb);
	if (const ojson *model = field(pi, "model"); err.empty() && model) {
		if (model->is_string())
			t.model = model->get<std::string>();
		else
			err = wrong("model", "a string", *model);
	}
	if (!err.empty())
		return fail(TelemetryError::bad_field, std::move(err));

	TelemetryParse p;
	p.telemetry = std::move(t);
	return p;
}

TelemetryParse parse_doc(std::string_view extra)
{
	if (is_blank(extra))
		return fail(TelemetryError::empty, "Extra is empty");
	if (std::string why = over_limits(extra); !why.empty())
		return fail(TelemetryError::over_limit, std::move(why));
	Parsed parsed = parse_json(extra);
	if (parsed.error == TelemetryError::not_json)
		return fail(TelemetryError::not_json,
			    "Extra is not JSON: " + parsed.message);
	if (parsed.error != TelemetryError::none)
		return fail(parsed.error, "Extra holds a number out of range: " +
						  parsed.message);
	const ojson &doc = parsed.doc;
	if (!doc.is_object())
		return fail(TelemetryError::not_object,
			    std::string("Extra is a JSON ") + doc.type_name() +
				    ", not an object");
	auto it = doc.find("pi");
	if (it == doc.end())
		return fail(TelemetryError::no_pi, "Extra has no \"pi\" key");
	const ojson &pi = *it;
	if (!pi.is_object())
		return fail(TelemetryError::bad_field,
			    "pi: expected an object, got " + show(pi));

	const ojson *v = field(pi, "v");
	if (!v)
		return fail(TelemetryError::bad_version, "pi.v: missing");
	if (!v->is_number_integer())
		return fail(TelemetryError::bad_version, wrong("v", "an integer", *v));
	if (*v != kTelemetryVersion)
		return fail(TelemetryError::bad_version,
			    "pi.v: version " + show(*v) + " is not supported (" +
				    "this reader knows " +
				    std::to_string(kTelemetryVersion) + ")");
	return parse_record(pi);
}

} // namespace

std::string encode_telemetry(const Telemetry &t)
{
	try {
		return dump(record(t));
	} catch (...) {
		return {};
	}
}

std::string encode_extra(const Telemetry &t)
{
	try {
		ojson doc = ojson::object();
		doc["pi"] = record(t);
		return dump(doc);
	} catch (...) {
		return {};
	}
}

TelemetryParse parse_extra(std::string_view extra)
{
	try {
		return parse_doc(extra);
	} catch (const std::exception &e) {
		return fail(TelemetryError::bad_field,
			    "telemetry: " + parse_message(e));
	} catch (...) {
		return fail(TelemetryError::bad_field, "telemetry: unexpected error");
	}
}

ExtraMerge merge_extra(std::string_view existing, const Telemetry &t)
{
	ExtraMerge m;
	try {
		ojson doc = ojson::object();
		if (!is_blank(existing)) {
			if (std::string why = over_limits(existing); !why.empty()) {
				m.reason = why + "; leaving it alone";
				return m;
			}
			Parsed parsed = parse_json(existing);
			if (parsed.error == TelemetryError::not_json) {
				m.reason = "Extra holds text that is not JSON (" +
					   show_text(existing) +
					   "); leaving it alone";
				return m;
			}
			if (parsed.error != TelemetryError::none) {
				m.reason = "Extra holds a number out of range (" +
					   parsed.message +
					   "); leaving it alone";
				return m;
			}
			doc = std::move(parsed.doc);
			if (doc.is_null())
				doc = ojson::object();
			if (!doc.is_object()) {
				m.reason = std::string("Extra holds a JSON ") +
					   doc.type_name() + " (" +
					   show_text(existing) +
					   "), not an object; leaving it alone";
				return m;
			}
		}
		doc["pi"] = record(t);
		std::string out = dump(doc);
		if (out.size() > kExtraMaxBytes) {
			m.reason = "Extra would be " + std::to_string(out.size()) +
				   " bytes with the record, over the limit of " +
				   std::to_string(kExtraMaxBytes) +
				   "; leaving it alone";
			return m;
		}
		m.extra = std::move(out);
		m.ok = true;
	} catch (const std::exception &e) {
		m = ExtraMerge{};
		m.reason = "telemetry: " + parse_message(e);
	} catch (...) {
		m = ExtraMerge{};
		m.reason = "telemetry: unexpected error";
	}
	return m;
}

} // namespace slurmpi
