// libgpiod 2.x (v2 API, trixie) implementation of the GPIO seam.
//
// configure builds this file for libgpiod >= 2.0 and gpio_gpiod1.cpp for
// 1.6 <= v < 2 (bookworm); the two behave the same, as gpio_gpiod.hpp
// specifies, with the same messages word for word (tests/unit/
// test_gpio_gpiod pins them): change both together.
// What 2.x lacks is done here as 1.6 does it:
//  - gpiod_chip_open_by_label: open every /dev/gpiochip* in name order,
//    failing on the first that cannot be opened (as 1.6's chip iterator
//    does, even when a later chip has the label), ENOENT when none has it;
//  - gpiod_chip_get_line(offset): gpiod_chip_get_line_info() asks the
//    kernel the same question (EINVAL beyond the chip);
//  - struct gpiod_line: each line is its own gpiod_line_request, like a
//    line requested on its own in 1.6.

#include "common/gpio_gpiod.hpp"

#include <gpiod.h>

#include <cerrno>

#include "common/fs.hpp"
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
struct ChipInfoFree {
	void operator()(gpiod_chip_info *i) const { gpiod_chip_info_free(i); }
};
using ChipInfoPtr = std::unique_ptr<gpiod_chip_info, ChipInfoFree>;
struct LineInfoFree {
	void operator()(gpiod_line_info *i) const { gpiod_line_info_free(i); }
};
using LineInfoPtr = std::unique_ptr<gpiod_line_info, LineInfoFree>;
struct LineSettingsFree {
	void operator()(gpiod_line_settings *s) const { gpiod_line_settings_free(s); }
};
struct LineConfigFree {
	void operator()(gpiod_line_config *c) const { gpiod_line_config_free(c); }
};
struct RequestConfigFree {
	void operator()(gpiod_request_config *c) const { gpiod_request_config_free(c); }
};
struct RequestRelease {
	void operator()(gpiod_line_request *r) const { gpiod_line_request_release(r); }
};
using RequestPtr = std::unique_ptr<gpiod_line_request, RequestRelease>;

// One output line, requested on its own; null with errno on failure.
RequestPtr request_output(gpiod_chip *chip, unsigned offset,
			  const std::string &consumer, bool initial)
{
	std::unique_ptr<gpiod_line_settings, LineSettingsFree> settings(
		gpiod_line_settings_new());
	std::unique_ptr<gpiod_line_config, LineConfigFree> line_cfg(
		gpiod_line_config_new());
	std::unique_ptr<gpiod_request_config, RequestConfigFree> req_cfg(
		gpiod_request_config_new());
	if (!settings || !line_cfg || !req_cfg)
		return nullptr;
	if (gpiod_line_settings_set_direction(settings.get(),
					      GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
	    gpiod_line_settings_set_output_value(
		    settings.get(), initial ? GPIOD_LINE_VALUE_ACTIVE
					    : GPIOD_LINE_VALUE_INACTIVE) < 0 ||
	    gpiod_line_config_add_line_settings(line_cfg.get(), &offset, 1,
						settings.get()) < 0)
		return nullptr;
	gpiod_request_config_set_consumer(req_cfg.get(), consumer.c_str());
	return RequestPtr(
		gpiod_chip_request_lines(chip, req_cfg.get(), line_cfg.get()));
}

class GpiodLines final : public GpioLines {
public:
	GpiodLines(ChipPtr chip, std::string label, unsigned num_lines)
		: chip_(std::move(chip)), label_(std::move(label)),
		  num_lines_(num_lines) {}
	// lines_ is declared after chip_: the lines are released before the
	// chip is closed.
	~GpiodLines() override = default;
	GpiodLines(const GpiodLines &) = delete;
	GpiodLines &operator=(const GpiodLines &) = delete;

	// Finds and requests the line for `r`; "" on success, else why not.
	std::string request(GpioRole r, const GpioLineRef &ref,
			    const std::string &consumer, bool initial)
	{
		const std::string what = std::string(gpio_role_key(r)) + " " +
					 quoted(gpio_line_text(ref)) +
					 " on GPIO chip " + quoted(label_);
		unsigned offset = 0;
		errno = 0;
		if (ref.offset) {
			LineInfoPtr info(gpiod_chip_get_line_info(chip_.get(), *ref.offset));
			if (!info) {
				int e = errno;
				return what + ": no such line (the chip has " +
				       std::to_string(num_lines_) + " lines, offsets 0.." +
				       std::to_string(num_lines_ - 1) +
				       "; " + errno_text(e) + "); `gpioinfo " + label_ +
				       "` lists them";
			}
			offset = *ref.offset;
		} else {
			int o = gpiod_chip_get_line_offset_from_name(chip_.get(),
								     ref.name.c_str());
			if (o < 0) {
				int e = errno;
				return what + ": no line of that name (" + errno_text(e) +
				       "); `gpioinfo " + label_ + "` lists the names";
			}
			offset = static_cast<unsigned>(o);
		}
		errno = 0;
		RequestPtr req = request_output(chip_.get(), offset, consumer, initial);
		if (!req) {
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
		lines_[static_cast<int>(r)] = {std::move(req), offset};
		return {};
	}

	bool has(GpioRole r) const override
	{
		return lines_[static_cast<int>(r)].request != nullptr;
	}

	bool set(GpioRole r, bool on, std::string *why) override
	{
		const Line &l = lines_[static_cast<int>(r)];
		if (!l.request) {
			if (why)
				*why = std::string(gpio_role_key(r)) + ": no line configured";
			return false;
		}
		if (gpiod_line_request_set_value(l.request.get(), l.offset,
						 on ? GPIOD_LINE_VALUE_ACTIVE
						    : GPIOD_LINE_VALUE_INACTIVE) == 0)
			return true;
		if (why)
			*why = std::string(gpio_role_key(r)) + " on GPIO chip " +
			       quoted(label_) + ": cannot set it " +
			       (on ? "high" : "low") + ": " + errno_text(errno);
		return false;
	}

private:
	struct Line {
		RequestPtr request;
		unsigned offset = 0;
	};
	ChipPtr chip_;
	std::string label_;
	unsigned num_lines_;
	Line lines_[2];
};

struct OpenChip {
	ChipPtr chip;
	std::string label;
	unsigned num_lines = 0;
};

// Every /dev/gpiochip* opened, in name order, as libgpiod 1.6's chip
// iterator does. False with *err (errno, 0 if none was set) at the first
// that cannot be listed or opened.
bool open_all_chips(std::vector<OpenChip> *chips, int *err)
{
	errno = 0;
	std::optional<std::vector<std::string>> names = list_dir("/dev");
	if (!names) {
		*err = errno;
		return false;
	}
	for (const std::string &n : *names) {
		if (n.rfind("gpiochip", 0) != 0)
			continue;
		errno = 0;
		ChipPtr c(gpiod_chip_open(("/dev/" + n).c_str()));
		ChipInfoPtr info(c ? gpiod_chip_get_info(c.get()) : nullptr);
		if (!info) {
			*err = errno;
			return false;
		}
		const char *label = gpiod_chip_info_get_label(info.get());
		chips->push_back({std::move(c), label ? label : "",
				  static_cast<unsigned>(
					  gpiod_chip_info_get_num_lines(info.get()))});
	}
	return true;
}

// The chip labelled `label` taken out of `chips`; null if none is.
ChipPtr take_chip(std::vector<OpenChip> &chips, const std::string &label,
		  unsigned *num_lines)
{
	for (OpenChip &c : chips)
		if (c.label == label) {
			*num_lines = c.num_lines;
			return std::move(c.chip);
		}
	return nullptr;
}

std::string cannot_open(const std::string &label, int e)
{
	return "cannot open the GPIO chips to find " + quoted(label) + ": " +
	       errno_text(e) +
	       (e == EACCES || e == EPERM ? " (slurmd needs access to /dev/gpiochip*)"
					  : "");
}

// The chip for `label` (or the first of the Pi labels); null with *why.
// The chips not taken are closed on return. As with 1.6's
// gpiod_chip_open_by_label, ENOENT (or no errno) while opening the chips
// counts as "not found", any other error as "cannot open".
ChipPtr open_chip(const std::string &label, std::string *found,
		  unsigned *num_lines, std::string *why)
{
	std::vector<OpenChip> chips;
	int e = ENOENT;
	if (!open_all_chips(&chips, &e)) {
		if (e != ENOENT && e != 0) {
			*why = cannot_open(label.empty() ? kPiGpioChipLabels.front()
							 : label,
					   e);
			return nullptr;
		}
		chips.clear();
	}
	if (!label.empty()) {
		if (ChipPtr c = take_chip(chips, label, num_lines)) {
			*found = label;
			return c;
		}
		*why = "no GPIO chip labelled " + quoted(label) +
		       " (libgpiod: " + errno_text(e) +
		       "); `gpiodetect` lists the chips in [brackets]: set GpioChip to one of those labels";
		return nullptr;
	}
	for (const std::string &l : kPiGpioChipLabels)
		if (ChipPtr c = take_chip(chips, l, num_lines)) {
			*found = l;
			return c;
		}
	*why = "GpioChip is empty and no Raspberry Pi GPIO chip was found (tried " +
	       join(kPiGpioChipLabels, ", ") +
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
	unsigned num_lines = 0;
	ChipPtr chip = open_chip(req.chip_label, &label, &num_lines, &w);
	if (!chip)
		return nullptr;
	auto lines = std::make_unique<GpiodLines>(std::move(chip), label, num_lines);
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
