#include "common/doctor/slurm_conf.hpp"

#include <cstdint>

#include "common/text.hpp"

namespace slurmpi::doctor {

namespace {

bool is_space(char c)
{
	// isspace() in the C locale, as parse_config.c uses it.
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

std::string_view trim(std::string_view s)
{
	while (!s.empty() && is_space(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && is_space(s.back()))
		s.remove_suffix(1);
	return s;
}

// _strip_comments (parse_config.c:394-412): cut at the first '#' preceded
// by an even number of contiguous backslashes.
std::string_view strip_comment(std::string_view line)
{
	std::size_t bs = 0;
	for (std::size_t i = 0; i < line.size(); i++) {
		if (line[i] == '#' && bs % 2 == 0)
			return line.substr(0, i);
		bs = line[i] == '\\' ? bs + 1 : 0;
	}
	return line;
}

// _strip_continuation (parse_config.c:346-370): if the line ends in an odd
// number of backslashes (white space after them allowed), the part before
// the last backslash and true; else the line and false.
std::pair<std::string_view, bool> strip_continuation(std::string_view line)
{
	std::size_t end = line.size();
	while (end > 0 && is_space(line[end - 1]))
		end--;
	std::size_t bs = 0;
	while (end > bs && line[end - 1 - bs] == '\\')
		bs++;
	if (bs % 2 == 1)
		return {line.substr(0, end - 1), true};
	return {line, false};
}

// _strip_escapes (parse_config.c:418-428): every '\' dropped, the byte after
// it kept as is.
std::string strip_escapes(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	for (std::size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\') {
			if (++i == s.size())
				break;
		}
		out += s[i];
	}
	return out;
}

struct Pair {
	std::string key, value;
	std::size_t end; // where the rest of the line starts
};

// One match of keyvalue_pattern (parse_config.c:92-97) at `pos`.
std::optional<Pair> next_pair(std::string_view s, std::size_t pos)
{
	std::size_t i = pos;
	while (i < s.size() && is_space(s[i]))
		i++;
	std::size_t ks = i;
	while (i < s.size() && is_key_char(s[i]))
		i++;
	if (i == ks)
		return std::nullopt;
	std::string key(s.substr(ks, i - ks));
	while (i < s.size() && is_space(s[i]))
		i++;
	if (i < s.size() && (s[i] == '-' || s[i] == '*' || s[i] == '+' || s[i] == '/'))
		i++;
	if (i >= s.size() || s[i] != '=')
		return std::nullopt;
	i++;
	while (i < s.size() && is_space(s[i]))
		i++;
	if (i >= s.size())
		return std::nullopt;
	if (s[i] == '"') {
		std::size_t close = s.find('"', i + 1);
		if (close != std::string_view::npos &&
		    (close + 1 == s.size() || is_space(s[close + 1])))
			return Pair{key, std::string(s.substr(i + 1, close - i - 1)), close + 1};
	}
	std::size_t vs = i;
	while (i < s.size() && !is_space(s[i]))
		i++;
	return Pair{key, std::string(s.substr(vs, i - vs)), i};
}

// The keys whose handler reads the rest of the line as more key=value
// pairs (S_P_ARRAY with s_p_parse_line in slurm_conf_options,
// read_config.c:433-438; SlurmctldHost's handler takes none).
bool takes_a_line(std::string_view key)
{
	for (std::string_view k :
	     {"DownNodes", "FrontendName", "NodeName", "NodeSet", "PartitionName"})
		if (iequals(k, key))
			return true;
	return false;
}

struct Parser {
	SlurmConf conf;
	std::string file;
	std::size_t error_count = 0;

	void error(int line, std::string_view what)
	{
		error_count++;
		if (conf.errors.size() < kConfMaxErrors - 1)
			conf.errors.push_back(file + ":" + std::to_string(line) + ": " +
					      std::string(what));
		else if (conf.errors.size() == kConfMaxErrors - 1)
			conf.errors.push_back(file + ": more errors left out");
	}

	// One logical line: `raw` with comments cut and continuations
	// joined, escapes still in.
	void logical(int line, std::string_view raw)
	{
		std::string_view text = trim(raw);
		if (text.empty())
			return;
		std::string s = strip_escapes(raw);
		// _parse_include_directive (parse_config.c:1180-1192): "include"
		// at the very start, any case, then white space.
		if (s.size() > 7 && iequals(std::string_view(s).substr(0, 7), "include") &&
		    is_space(s[7])) {
			std::string_view rest = trim(std::string_view(s).substr(7));
			std::size_t sp = 0;
			while (sp < rest.size() && !is_space(rest[sp]))
				sp++;
			if (sp == 0)
				error(line, "Include without a file name");
			else if (conf.includes.size() >= kConfMaxIncludes)
				error(line, "too many Include lines");
			else
				conf.includes.emplace_back(rest.substr(0, sp));
			return;
		}
		if (conf.entries.size() >= kConfMaxEntries) {
			error(line, "too many lines; the rest is not read");
			return;
		}
		ConfEntry e;
		e.file = file;
		e.line = line;
		e.text = std::string(text);
		std::size_t pos = 0;
		while (auto p = next_pair(s, pos)) {
			if (e.kv.size() >= kConfMaxPairs) {
				error(line, "too many key=value pairs on one line");
				break;
			}
			e.kv.emplace_back(std::move(p->key), std::move(p->value));
			pos = p->end;
		}
		std::string_view left = trim(std::string_view(s).substr(pos));
		// As s_p_parse_file's "Parse error in file %s line %d"
		// (parse_config.c:1285-1296).
		if (!left.empty() && e.kv.size() < kConfMaxPairs)
			error(line, "parse error at " + quoted(left));
		else if (e.kv.size() > 1 && !takes_a_line(e.kind()))
			// A key that is no line key takes its value alone; the
			// rest is a parse error (s_p_parse_file's leftover,
			// parse_config.c:1285-1296). Kept here all the same.
			error(line, "parse error: " + quoted(e.kind()) +
					    " takes one key=value, the line has more");
		if (!e.kv.empty())
			conf.entries.push_back(std::move(e));
	}
};

} // namespace

bool iequals(std::string_view a, std::string_view b)
{
	if (a.size() != b.size())
		return false;
	for (std::size_t i = 0; i < a.size(); i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

std::optional<std::string> ConfEntry::get(std::string_view key) const
{
	for (auto it = kv.rbegin(); it != kv.rend(); ++it)
		if (iequals(it->first, key))
			return it->second;
	return std::nullopt;
}

std::string_view ConfEntry::kind() const
{
	return kv.empty() ? std::string_view() : std::string_view(kv.front().first);
}

std::optional<std::string> SlurmConf::param(std::string_view key) const
{
	for (auto it = entries.rbegin(); it != entries.rend(); ++it)
		if (iequals(it->kind(), key))
			return it->kv.front().second;
	return std::nullopt;
}

std::vector<const ConfEntry *> SlurmConf::of_kind(std::string_view first_key) const
{
	std::vector<const ConfEntry *> out;
	for (const ConfEntry &e : entries)
		if (iequals(e.kind(), first_key))
			out.push_back(&e);
	return out;
}

SlurmConf parse_slurm_conf(std::string_view text, std::string_view file)
{
	Parser p;
	p.file = std::string(file);
	if (text.size() > kConfMaxBytes) {
		p.error(0, "larger than " + std::to_string(kConfMaxBytes) +
				   " bytes; only the start is read");
		text = text.substr(0, kConfMaxBytes);
	}
	std::string logical;
	bool too_long = false;
	int first = 0, number = 0;
	std::size_t pos = 0;
	while (pos < text.size()) {
		std::size_t nl = text.find('\n', pos);
		std::size_t end = nl == std::string_view::npos ? text.size() : nl;
		std::string_view phys = text.substr(pos, end - pos);
		pos = nl == std::string_view::npos ? text.size() : nl + 1;
		number++;
		if (!first)
			first = number;
		auto [part, more] = strip_continuation(strip_comment(phys));
		if (!too_long && logical.size() + part.size() > kConfMaxLine) {
			too_long = true;
			logical.clear();
		}
		// Joined as they are: _get_next_line reads the next line in
		// where the backslash was (parse_config.c:473-476).
		if (!too_long)
			logical += part;
		if (more && pos < text.size())
			continue;
		if (too_long)
			p.error(first, "line longer than " + std::to_string(kConfMaxLine) +
					       " bytes; left out");
		else
			p.logical(first, logical);
		logical.clear();
		too_long = false;
		first = 0;
	}
	return std::move(p.conf);
}

std::string format_entry(const std::vector<std::pair<std::string, std::string>> &kv)
{
	std::string out;
	for (const auto &[k, v] : kv) {
		if (!out.empty())
			out += ' ';
		out += k;
		out += '=';
		bool space = v.empty();
		for (char c : v)
			space = space || is_space(c);
		if (space)
			out += '"' + v + '"';
		else
			out += v;
	}
	return out;
}

namespace {

struct Range {
	std::uint32_t lo, hi;
	std::size_t width;
};

// One host name pattern (no top-level ','): literal parts and bracket
// groups, expanded into `out`.
bool expand_one(std::string_view item, std::size_t max, std::vector<std::string> &out)
{
	if (item.empty())
		return false;
	std::vector<std::string> literals{""};
	std::vector<std::vector<Range>> groups;
	std::size_t combos = 1;
	std::size_t i = 0;
	while (i < item.size()) {
		char c = item[i];
		if (c == ']')
			return false;
		if (c != '[') {
			literals.back() += c;
			i++;
			continue;
		}
		std::size_t close = item.find(']', i + 1);
		if (close == std::string_view::npos)
			return false;
		std::string_view body = item.substr(i + 1, close - i - 1);
		if (body.find('[') != std::string_view::npos)
			return false;
		std::vector<Range> ranges;
		std::size_t count = 0;
		std::size_t s = 0;
		while (s <= body.size()) {
			std::size_t comma = body.find(',', s);
			if (comma == std::string_view::npos)
				comma = body.size();
			std::string_view r = body.substr(s, comma - s);
			std::size_t dash = r.find('-');
			std::string_view los = r.substr(0, dash);
			std::string_view his =
				dash == std::string_view::npos ? los : r.substr(dash + 1);
			auto lo = parse_u32(los), hi = parse_u32(his);
			if (!lo || !hi || *lo > *hi)
				return false;
			// In 64 bits: "[0-4294967295]" is 2^32 names, 0 in a 32-bit
			// size_t (armhf), which then divided by zero below.
			std::uint64_t n = std::uint64_t(*hi) - *lo + 1;
			if (n > max || count + n > max)
				return false;
			count += static_cast<std::size_t>(n);
			ranges.push_back({*lo, *hi, los.size()});
			s = comma + 1;
		}
		if (combos > max / count)
			return false;
		combos *= count;
		groups.push_back(std::move(ranges));
		literals.emplace_back();
		i = close + 1;
	}
	// Nothing may follow the last group: "pi[1-2]x" is an error for Slurm
	// (hostlist.c:1807-1809, only ',' or the end after the last ']').
	if (!groups.empty() && !literals.back().empty())
		return false;
	if (out.size() + combos > max)
		return false;
	// Every combination, the first group varying slowest.
	std::vector<std::string> names{literals[0]};
	for (std::size_t g = 0; g < groups.size(); g++) {
		std::vector<std::string> next;
		for (const std::string &prefix : names)
			for (const Range &r : groups[g])
				for (std::uint64_t v = r.lo; v <= r.hi; v++) {
					std::string num = std::to_string(v);
					if (num.size() < r.width)
						num.insert(0, r.width - num.size(), '0');
					next.push_back(prefix + num + literals[g + 1]);
				}
		names = std::move(next);
	}
	for (std::string &n : names)
		out.push_back(std::move(n));
	return true;
}

} // namespace

std::optional<std::vector<std::string>> expand_hostlist(std::string_view list, std::size_t max)
{
	std::vector<std::string> out;
	if (list.empty())
		return std::nullopt;
	for (char c : list)
		if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
			return std::nullopt;
	std::size_t start = 0, depth = 0;
	for (std::size_t i = 0; i <= list.size(); i++) {
		if (i < list.size() && list[i] == '[')
			depth++;
		else if (i < list.size() && list[i] == ']' && depth > 0)
			depth--;
		else if (i == list.size() || (list[i] == ',' && depth == 0)) {
			if (!expand_one(list.substr(start, i - start), max, out))
				return std::nullopt;
			start = i + 1;
		}
	}
	return out;
}

} // namespace slurmpi::doctor
