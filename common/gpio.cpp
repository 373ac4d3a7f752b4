#include "common/gpio.hpp"

#include <charconv>

#include "common/text.hpp"

namespace slurmpi {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view v)
{
	for (char c : v)
		if (!is_digit(c))
			return false;
	return !v.empty();
}

// "" if `v` is a name the kernel could have given (printable ASCII, no
// spaces, short enough), else why not.
std::string check_name(std::string_view v)
{
	if (v.size() > kMaxGpioName)
		return quoted(v) + " is longer than " +
		       std::to_string(kMaxGpioName) + " characters";
	for (char c : v)
		if (c <= ' ' || c > '~')
			return quoted(v) +
			       " has a space or a character that is not printable ASCII";
	return {};
}

} // namespace

std::string_view gpio_role_key(GpioRole r)
{
	return r == GpioRole::led ? "LedLine" : "FanLine";
}

std::optional<GpioLineRef> parse_gpio_line(std::string_view v, std::string *why)
{
	auto fail = [&](std::string w) -> std::optional<GpioLineRef> {
		if (why)
			*why = std::move(w);
		return std::nullopt;
	};
	if (v.empty())
		return fail("empty line");
	if (all_digits(v)) {
		unsigned long n = 0;
		auto r = std::from_chars(v.data(), v.data() + v.size(), n);
		if (r.ec != std::errc() || n > kMaxGpioOffset)
			return fail(quoted(v) + " is out of range 0.." +
				    std::to_string(kMaxGpioOffset) + " for a line offset");
		GpioLineRef l;
		l.offset = static_cast<unsigned>(n);
		return l;
	}
	if ((v[0] == '-' || v[0] == '+') && all_digits(v.substr(1)))
		return fail(quoted(v) + " is not a line offset (0.." +
			    std::to_string(kMaxGpioOffset) + ") nor a line name");
	std::string bad = check_name(v);
	if (!bad.empty())
		return fail(bad + " (want a line name such as GPIO17 or an offset such as 17)");
	GpioLineRef l;
	l.name = std::string(v);
	return l;
}

std::string check_gpio_chip_label(std::string_view v)
{
	if (v.empty())
		return {};
	std::string bad = check_name(v);
	return bad.empty() ? bad : bad + " (want a chip label such as pinctrl-bcm2711)";
}

std::string gpio_line_text(const GpioLineRef &l)
{
	return l.offset ? "offset " + std::to_string(*l.offset) : l.name;
}

} // namespace slurmpi
