#include "common/text.hpp"

#include <algorithm>
#include <cstring>

namespace slurmpi {

namespace {

constexpr char kDigits[] = "0123456789abcdef";

} // namespace

std::string quoted(std::string_view s, std::size_t max)
{
	const bool cut = s.size() > max;
	if (cut)
		s = s.substr(0, max);
	std::string out;
	out.reserve(s.size() + 2);
	out.push_back('\'');
	for (unsigned char c : s) {
		switch (c) {
		case '\'':
			out += "\\'";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\t':
			out += "\\t";
			break;
		case '\r':
			out += "\\r";
			break;
		default:
			if (c >= 0x20 && c <= 0x7e) {
				out.push_back(static_cast<char>(c));
			} else {
				out += "\\x";
				out.push_back(kDigits[c >> 4]);
				out.push_back(kDigits[c & 0xf]);
			}
		}
	}
	out.push_back('\'');
	if (cut)
		out += "...";
	return out;
}

std::string hex(std::uint32_t value, int width)
{
	std::string out;
	do {
		out.insert(out.begin(), kDigits[value & 0xf]);
		value >>= 4;
	} while (value);
	if (width > 0 && out.size() < static_cast<std::size_t>(width))
		out.insert(0, static_cast<std::size_t>(width) - out.size(), '0');
	return out;
}

std::string errno_string(int err)
{
	char buf[128];
	// GNU strerror_r may return a static string instead of filling buf.
	const char *msg = strerror_r(err, buf, sizeof(buf));
	return msg ? std::string(msg) : std::string("errno ") + std::to_string(err);
}

std::string join(const std::vector<std::string> &v, std::string_view sep)
{
	std::string out;
	for (std::size_t i = 0; i < v.size(); i++) {
		if (i)
			out += sep;
		out += v[i];
	}
	return out;
}

int json_depth(std::string_view text)
{
	int depth = 0, deepest = 0;
	bool in_string = false, escaped = false;
	for (char c : text) {
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			deepest = std::max(deepest, ++depth);
		} else if ((c == ']' || c == '}') && depth > 0) {
			--depth;
		}
	}
	return deepest;
}

} // namespace slurmpi

namespace slurmpi {

std::optional<std::uint32_t> parse_u32(std::string_view s)
{
	if (s.empty() || s.size() > 10)
		return std::nullopt;
	std::uint64_t v = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return std::nullopt;
		v = v * 10 + static_cast<std::uint64_t>(c - '0');
	}
	if (v > 0xffffffffu)
		return std::nullopt;
	return static_cast<std::uint32_t>(v);
}

} // namespace slurmpi
