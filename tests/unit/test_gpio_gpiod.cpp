// The libgpiod implementation configure chose (common/gpio_gpiod1.cpp for
// libgpiod 1.6, gpio_gpiod2.cpp for 2.x), as far as a machine without GPIO
// chips allows: every failure to open gives a clear message and no object,
// never a crash. The messages are checked word for word, so that both
// implementations pass only if they say the same. Requesting and driving
// real lines needs a chip (a Pi, or the gpio-sim kernel module) and is not
// exercised here; the tests that need one skip when /dev/gpiochip* exists,
// where their "not found" premise may not hold.

#include <criterion/criterion.h>

#include <filesystem>
#include <string>

#include "common/gpio_gpiod.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

static bool have_gpio_chips()
{
	std::error_code ec;
	for (const auto &e : std::filesystem::directory_iterator("/dev", ec))
		if (e.path().filename().string().rfind("gpiochip", 0) == 0)
			return true;
	return false;
}

static GpioRequest led_request(const char *label)
{
	GpioRequest r;
	r.chip_label = label;
	r.led = parse_gpio_line("GPIO17");
	return r;
}

Test(gpiod, nothing_requested_opens_nothing)
{
	std::string why;
	cr_assert(!open_gpiod_lines(GpioRequest{}, &why));
	assert_sv_eq(why, "no LedLine or FanLine configured");
}

Test(gpiod, missing_chip_label_is_a_clear_error)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	std::string why;
	auto lines = open_gpiod_lines(led_request("slurm-pi-no-such-chip"), &why);
	cr_assert(!lines);
	cr_assert(contains(why, "no GPIO chip labelled 'slurm-pi-no-such-chip'"),
		  "%s", why.c_str());
	cr_assert(contains(why, "gpiodetect"), "%s", why.c_str());
	cr_assert(contains(why, "set GpioChip"), "%s", why.c_str());
}

Test(gpiod, auto_detection_names_the_labels_it_tried)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	GpioRequest r;
	r.fan = parse_gpio_line("18");
	std::string why;
	cr_assert(!open_gpiod_lines(r, &why));
	cr_assert(contains(why, "GpioChip is empty and no Raspberry Pi GPIO chip was found "
				"(tried pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835)"),
		  "%s", why.c_str());
}

Test(gpiod, a_null_why_is_allowed)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	cr_assert(!open_gpiod_lines(led_request("slurm-pi-no-such-chip"), nullptr));
}

Test(gpiod, missing_chip_label_message_word_for_word)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	std::string why, label = "unchanged";
	cr_assert(!open_gpiod_lines(led_request("slurm-pi-no-such-chip"), &why, &label));
	assert_sv_eq(why, "no GPIO chip labelled 'slurm-pi-no-such-chip' (libgpiod: "
			  "No such file or directory); `gpiodetect` lists the chips in "
			  "[brackets]: set GpioChip to one of those labels");
	assert_sv_eq(label, "unchanged");
}

Test(gpiod, auto_detection_message_word_for_word)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	GpioRequest r;
	r.led = parse_gpio_line("GPIO17");
	r.fan = parse_gpio_line("18");
	std::string why, label = "unchanged";
	cr_assert(!open_gpiod_lines(r, &why, &label));
	assert_sv_eq(why, "GpioChip is empty and no Raspberry Pi GPIO chip was found "
			  "(tried pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835); "
			  "`gpiodetect` lists the chips in [brackets]: set GpioChip to "
			  "one of those labels");
	assert_sv_eq(label, "unchanged");
}

Test(gpiod, the_label_is_quoted_in_the_message)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	std::string why;
	cr_assert(!open_gpiod_lines(led_request("it's\nhere"), &why));
	cr_assert(contains(why, "no GPIO chip labelled 'it\\'s\\nhere' ("),
		  "%s", why.c_str());
}

Test(gpiod, a_failure_replaces_an_earlier_why)
{
	if (have_gpio_chips())
		cr_skip_test("this machine has GPIO chips");
	std::string why = "stale";
	cr_assert(!open_gpiod_lines(led_request("slurm-pi-no-such-chip"), &why));
	cr_assert(!contains(why, "stale"), "%s", why.c_str());
}
