// Rows of `slurm-pi nodes` and their text and JSON forms.
#include "tools/nodes.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/text.hpp"
#include "common/throttle.hpp"

namespace slurmpi::tool {

namespace {

using Json = nlohmann::ordered_json;

// A record whose time is this far ahead of ours gets a note.
constexpr std::int64_t kSkewNoteSeconds = 5;

std::string no_record_note(const TelemetryParse &p)
{
	switch (p.error) {
	case TelemetryError::empty:
		return "no telemetry: Extra is empty (task/pi has not "
		       "published for this node)";
	case TelemetryError::no_pi:
		return "no telemetry: Extra has no \"pi\" record (task/pi has "
		       "not published for this node)";
	case TelemetryError::not_json:
		return "no telemetry: Extra holds text that is not JSON, which "
		       "task/pi leaves alone (" + printable(p.reason) + ")";
	case TelemetryError::none:
	case TelemetryError::not_object:
	case TelemetryError::bad_version:
	case TelemetryError::bad_field:
	case TelemetryError::over_limit:
		break;
	}
	return "telemetry record unreadable: " + printable(p.reason, 200);
}

std::string one_decimal(double v)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.1f", v);
	return buf;
}

std::string join(const std::vector<std::string> &words, std::string_view sep)
{
	std::string s;
	for (const std::string &w : words) {
		if (!s.empty())
			s += sep;
		s += w;
	}
	return s;
}

// The cells of one row, in column order, uncoloured.
enum Column { kName, kState, kModel, kTemp, kBand, kClock, kAge, kThrottle,
	      kReason, kColumns };
constexpr std::array<const char *, kColumns> kHeaders = {
	"NODE", "STATE", "MODEL", "TEMP", "BAND", "CLOCK", "AGE", "THROTTLE",
	"REASON"};

std::string band_cell(const NodeRow &r)
{
	if (!r.record)
		return "-";
	if (r.stale)
		return "unknown (stale)";
	return std::string(band_name(r.band));
}

std::string clock_cell(const Telemetry &t)
{
	if (t.mhz && t.max_mhz)
		return std::to_string(*t.mhz) + "/" + std::to_string(*t.max_mhz) + " MHz";
	if (t.mhz)
		return std::to_string(*t.mhz) + " MHz";
	if (t.max_mhz)
		return "?/" + std::to_string(*t.max_mhz) + " MHz";
	return "-";
}

std::array<std::string, kColumns> cells(const NodeRow &r)
{
	std::array<std::string, kColumns> c;
	c[kName] = printable(r.name, 32);
	c[kState] = r.state.empty() ? "-" : printable(r.state, 32);
	c[kReason] = r.reason.empty() ? "" : printable(r.reason, 80);
	c[kBand] = band_cell(r);
	if (!r.record) {
		for (int i : {kModel, kTemp, kClock, kAge, kThrottle})
			c[i] = "-";
		return c;
	}
	const Telemetry &t = *r.record;
	c[kModel] = t.model ? printable(*t.model, 16) : "-";
	c[kTemp] = t.temp_c ? one_decimal(*t.temp_c) + " C" : "-";
	c[kClock] = clock_cell(t);
	c[kAge] = r.age_s ? format_age(*r.age_s) : "-";
	c[kThrottle] = throttle_text(t);
	return c;
}

// SGR codes for the band cell; "" none.
std::string band_color(const NodeRow &r)
{
	if (!r.record || r.stale)
		return "2"; // dim
	switch (r.band) {
	case Band::cool:
		return "32";
	case Band::warm:
		return "33";
	case Band::hot:
		return "31";
	case Band::critical:
		return "1;31";
	case Band::unknown:
		break;
	}
	return "2";
}

std::string paint(const std::string &text, const std::string &sgr, bool on)
{
	if (!on || sgr.empty())
		return text;
	return "\033[" + sgr + "m" + text + "\033[0m";
}

template <typename T>
Json opt(const std::optional<T> &v)
{
	return v ? Json(*v) : Json(nullptr);
}

Json record_json(const Telemetry &t)
{
	// The record as task/pi writes it: encode_telemetry is the one
	// spelling of it. parse(..., nullptr, false) does not throw.
	Json j = Json::parse(encode_telemetry(t), nullptr, false);
	return j.is_discarded() ? Json(nullptr) : j;
}

} // namespace

std::string printable(std::string_view s, std::size_t max)
{
	static const char kHex[] = "0123456789abcdef";
	std::string out;
	std::size_t n = std::min(s.size(), max);
	for (std::size_t i = 0; i < n; i++) {
		auto ch = static_cast<unsigned char>(s[i]);
		if (ch >= 0x20 && ch < 0x7f) {
			out += static_cast<char>(ch);
		} else {
			out += "\\x";
			out += kHex[ch >> 4];
			out += kHex[ch & 0xf];
		}
	}
	if (s.size() > max)
		out += "...";
	return out;
}

bool reason_applies(std::string_view state)
{
	if (!state.empty() && state.back() == '*')
		state.remove_suffix(1); // not responding: the same state
	for (std::string_view in_service :
	     {"idle", "mixed", "allocated", "completing", "reserved"})
		if (state == in_service)
			return false;
	return true;
}

std::vector<NodeRow> make_rows(std::span<const NodeInput> nodes,
			       std::int64_t now, int stale_after)
{
	std::vector<NodeRow> rows;
	rows.reserve(nodes.size());
	for (const NodeInput &in : nodes) {
		NodeRow r;
		r.name = in.name;
		r.state = in.state;
		if (reason_applies(in.state))
			r.reason = in.reason;
		TelemetryParse p = parse_extra(in.extra);
		if (!p.telemetry) {
			r.note = no_record_note(p);
			rows.push_back(std::move(r));
			continue;
		}
		r.record = std::move(p.telemetry);
		std::int64_t age = now - r.record->ts;
		if (age < -kSkewNoteSeconds)
			r.note = "the record is " + format_age(-age) +
				 " ahead of this machine's clock (clock skew?)";
		r.age_s = std::max<std::int64_t>(age, 0);
		// The scheduler's rule (is_stale): a record further ahead of
		// this clock than StaleAfter is not trusted either.
		r.stale = is_stale(r.record->ts, now, stale_after);
		r.band = r.stale ? Band::unknown : r.record->band;
		if (r.stale && r.note.empty())
			r.note = "stale: the record is " + format_age(*r.age_s) +
				 " old (StaleAfter=" + std::to_string(stale_after) +
				 "); is slurmd with task/pi running?";
		rows.push_back(std::move(r));
	}
	return rows;
}

std::string format_age(std::int64_t seconds)
{
	if (seconds < 60)
		return std::to_string(std::max<std::int64_t>(seconds, 0)) + "s";
	if (seconds < 3600)
		return std::to_string(seconds / 60) + "m";
	if (seconds < 48 * 3600)
		return std::to_string(seconds / 3600) + "h";
	return std::to_string(seconds / 86400) + "d";
}

std::string throttle_text(const Telemetry &t)
{
	if (!t.throttled)
		return "unknown";
	const std::uint32_t known = t.throttled_known;
	if (known == kThrAllBits)
		return describe_throttled(*t.throttled);
	std::vector<std::string> set = throttle_words(*t.throttled & known);
	std::string s;
	if (!set.empty())
		s = join(set, ", ");
	else if (std::vector<std::string> k = throttle_words(known); !k.empty())
		s = "no " + join(k, " or ");
	else
		return "unknown";
	return s + "; others unknown";
}

std::string format_nodes_text(std::span<const NodeRow> rows, const TableStyle &style)
{
	if (rows.empty())
		return "no nodes (slurmctld reports none)\n";
	std::vector<std::array<std::string, kColumns>> table;
	table.reserve(rows.size());
	std::array<std::size_t, kColumns> width{};
	for (int i = 0; i < kColumns; i++)
		width[i] = std::string_view(kHeaders[i]).size();
	for (const NodeRow &r : rows) {
		table.push_back(cells(r));
		for (int i = 0; i < kColumns; i++)
			width[i] = std::max(width[i], table.back()[i].size());
	}
	auto line = [&](const std::array<std::string, kColumns> &c,
			const NodeRow *r) {
		std::string s;
		for (int i = 0; i < kColumns; i++) {
			std::string cell = c[i];
			bool last = i == kColumns - 1;
			if (!last)
				cell.resize(width[i], ' ');
			if (r && i == kBand)
				cell = paint(cell, band_color(*r), style.color);
			else if (r && i == kAge && r->stale)
				cell = paint(cell, "2", style.color);
			s += cell;
			if (!last)
				s += "  ";
		}
		while (!s.empty() && s.back() == ' ')
			s.pop_back();
		return s + "\n";
	};
	std::array<std::string, kColumns> header;
	for (int i = 0; i < kColumns; i++)
		header[i] = kHeaders[i];
	std::string out = line(header, nullptr);
	for (std::size_t k = 0; k < rows.size(); k++)
		out += line(table[k], &rows[k]);
	for (const NodeRow &r : rows)
		if (!r.note.empty())
			out += "note: " + printable(r.name, 32) + ": " + r.note + "\n";
	return out;
}

std::string format_nodes_json(std::span<const NodeRow> rows)
{
	Json a = Json::array();
	for (const NodeRow &r : rows) {
		Json j;
		const Telemetry *t = r.record ? &*r.record : nullptr;
		j["name"] = r.name;
		j["state"] = r.state;
		j["reason"] = r.reason.empty() ? Json(nullptr) : Json(r.reason);
		j["band"] = band_name(r.band);
		j["stale"] = r.stale;
		j["age_s"] = opt(r.age_s);
		j["temp_c"] = t ? opt(t->temp_c) : Json(nullptr);
		j["model"] = t ? opt(t->model) : Json(nullptr);
		j["throttled"] = t && t->throttled ? Json(format_throttled(*t->throttled))
						   : Json(nullptr);
		j["throttled_known"] = t && t->throttled
					       ? Json(format_throttled(t->throttled_known))
					       : Json(nullptr);
		j["throttle"] = t ? Json(throttle_text(*t)) : Json(nullptr);
		j["mhz"] = t ? opt(t->mhz) : Json(nullptr);
		j["max_mhz"] = t ? opt(t->max_mhz) : Json(nullptr);
		j["mem_mb"] = t ? opt(t->mem_mb) : Json(nullptr);
		j["ts"] = t ? Json(t->ts) : Json(nullptr);
		j["record"] = t ? record_json(*t) : Json(nullptr);
		j["note"] = r.note.empty() ? Json(nullptr) : Json(r.note);
		a.push_back(std::move(j));
	}
	// Invalid UTF-8 from an admin's reason becomes U+FFFD, never an
	// exception.
	return a.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} // namespace slurmpi::tool
