// libgpiod 1.6 (v1 API, bookworm) implementation of the GPIO seam.
//
// configure builds this file for libgpiod 1.6 <= v < 2 and
// gpio_gpiod2.cpp for 2.x (trixie); the two behave the same, as
// gpio_gpiod.hpp specifies, with the same messages word for word
// (tests/unit/test_gpio_gpiod pins them): change both together.
// libgpiod 1.6 finds a chip by label itself (gpiod_chip_open_by_label opens
// every /dev/gpiochip* and fails on the first it cannot open); 2.x has no
// such call, so gpio_gpiod2.cpp does that walk.

#include "common/gpio_gpiod.hpp"

#include <gpiod.h>

#include <cerrno>

#include "common/text.hpp"

namespace slurmpi {

namespace {

std::string errno_text(int e)
{
	return e ? errno_string(e) : "unknown error";
}

struct ChipCloser {
	void operator()(gpiod_chip *c) const { gpiod_chip_close(c); }
};
using ChipPtr = std::unique_ptr<gpiod_chip, ChipCloser>;

class GpiodLines final : public GpioLines {
public:
	GpiodLines(ChipPtr chip, std::string label)
		: chip_(std::move(chip)), label_(std::move(label)) {}
	~GpiodLines() override
	{
		for (Line &l : lines_)
			if (l.line)
				gpiod_line_release(l.line);
		// chip_ closes the chip after the lines are released.
	}
	GpiodLines(const GpiodLines &) = delete;
	GpiodLines &operator=(const GpiodLines &) = delete;

	// Finds and requests the line for `r`; "" on success, else why not.
	std::string request(GpioRole r, const GpioLineRef &ref,
			    const std::string &consumer, bool initial)
	{
		const std::string what = std::string(gpio_role_key(r)) + " " +
					 quoted(gpio_line_text(ref)) +
					 " on GPIO chip " + quoted(label_);
		errno = 0;
		gpiod_line *line =
			ref.offset ? gpiod_chip_get_line(chip_.get(), *ref.offset)
				   : gpiod_chip_find_line(chip_.get(), ref.name.c_str());
		if (!line) {
			int e = errno;
			if (ref.offset)
				return what + ": no such line (the chip has " +
				       std::to_string(gpiod_chip_num_lines(chip_.get())) +
				       " lines, offsets 0.." +
				       std::to_string(gpiod_chip_num_lines(chip_.get()) - 1) +
				       "; " + errno_text(e) + "); `gpioinfo " + label_ +
				       "` lists them";
			return what + ": no line of that name (" + errno_text(e) +
			       "); `gpioinfo " + label_ + "` lists the names";
		}
		if (gpiod_line_request_output(line, consumer.c_str(), initial ? 1 : 0) < 0) {
			int e = errno;
			std::string fix = e == EBUSY
				? "; another program holds it (`gpioinfo " + label_ +
					  "` shows its user)"
				: e == EACCES || e == EPERM
				? "; slurmd needs write access to the chip's /dev/gpiochip*"
				: "";
			return what + ": cannot request it as an output: " +
			       errno_text(e) + fix;
		}
		lines_[static_cast<int>(r)] = {line};
		return {};
	}

	bool has(GpioRole r) const override
	{
		return lines_[static_cast<int>(r)].line != nullptr;
	}

	bool set(GpioRole r, bool on, std::string *why) override
	{
		gpiod_line *line = lines_[static_cast<int>(r)].line;
		if (!line) {
			if (why)
				*why = std::string(gpio_role_key(r)) + ": no line configured";
			return false;
		}
		if (gpiod_line_set_value(line, on ? 1 : 0) == 0)
			return true;
		if (why)
			*why = std::string(gpio_role_key(r)) + " on GPIO chip " +
			       quoted(label_) + ": cannot set it " +
			       (on ? "high" : "low") + ": " + errno_text(errno);
		return false;
	}

private:
	struct Line {
		gpiod_line *line = nullptr;
	};
	ChipPtr chip_;
	std::string label_;
	Line lines_[2];
};

// The chip for `label` (or the first of the Pi labels); null with *why.
ChipPtr open_chip(const std::string &label, std::string *found,
		  std::string *why)
{
	if (!label.empty()) {
		errno = 0;
		ChipPtr c(gpiod_chip_open_by_label(label.c_str()));
		if (c) {
			*found = label;
			return c;
		}
		int e = errno;
		*why = e == ENOENT || e == 0
			? "no GPIO chip labelled " + quoted(label) +
				  " (libgpiod: " + errno_text(e) +
				  "); `gpiodetect` lists the chips in [brackets]: set GpioChip to one of those labels"
			: "cannot open the GPIO chips to find " + quoted(label) +
				  ": " + errno_text(e) +
				  (e == EACCES || e == EPERM
					   ? " (slurmd needs access to /dev/gpiochip*)"
					   : "");
		return nullptr;
	}
	std::string tried;
	for (const std::string &l : kPiGpioChipLabels) {
		errno = 0;
		ChipPtr c(gpiod_chip_open_by_label(l.c_str()));
		if (c) {
			*found = l;
			return c;
		}
		int e = errno;
		if (e != ENOENT && e != 0) {
			*why = "cannot open the GPIO chips to find " + quoted(l) +
			       ": " + errno_text(e) +
			       (e == EACCES || e == EPERM
					? " (slurmd needs access to /dev/gpiochip*)"
					: "");
			return nullptr;
		}
		tried += (tried.empty() ? "" : ", ") + l;
	}
	*why = "GpioChip is empty and no Raspberry Pi GPIO chip was found (tried " +
	       tried +
	       "); `gpiodetect` lists the chips in [brackets]: set GpioChip to one of those labels";
	return nullptr;
}

} // namespace

std::unique_ptr<GpioLines> open_gpiod_lines(const GpioRequest &req,
					    std::string *why,
					    std::string *chip_label)
{
	std::string ignored;
	std::string &w = why ? *why : ignored;
	if (!req.led && !req.fan) {
		w = "no LedLine or FanLine configured";
		return nullptr;
	}
	std::string label;
	ChipPtr chip = open_chip(req.chip_label, &label, &w);
	if (!chip)
		return nullptr;
	auto lines = std::make_unique<GpiodLines>(std::move(chip), label);
	if (req.led) {
		w = lines->request(GpioRole::led, *req.led, req.consumer, false);
		if (!w.empty())
			return nullptr;
	}
	if (req.fan) {
		w = lines->request(GpioRole::fan, *req.fan, req.consumer, true);
		if (!w.empty())
			return nullptr;
	}
	if (chip_label)
		*chip_label = label;
	return lines;
}

} // namespace slurmpi
