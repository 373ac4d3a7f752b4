// The libgpiod implementation, as far as a machine without GPIO chips
// allows: every failure to open gives a clear message and no object, never
// a crash. Requesting and driving real lines needs a chip (a Pi, or the
// gpio-sim kernel module) and is not exercised here; the tests that need
// one skip when /dev/gpiochip* exists, where their "not found" premise may
// not hold.

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
