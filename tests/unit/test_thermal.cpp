#include <criterion/criterion.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "common/thermal.hpp"

using namespace slurmpi;

static constexpr std::int64_t kNow = 1795938087;

static ThermalSample at(double t)
{
	ThermalSample s;
	s.temp_c = t;
	s.time = kNow;
	return s;
}

// Feed temperatures one by one; check the band after each.
static void walk(ThermalState &st, std::initializer_list<double> temps,
		 std::initializer_list<Band> want)
{
	cr_assert_eq(temps.size(), want.size());
	auto w = want.begin();
	for (double t : temps) {
		Band got = st.update(at(t), kNow);
		std::string g(band_name(got)), e(band_name(*w));
		cr_assert(got == *w, "at %.1f C: got %s, want %s", t, g.c_str(),
			  e.c_str());
		++w;
	}
}

Test(thermal, band_names_round_trip)
{
	for (Band b : {Band::cool, Band::warm, Band::hot, Band::critical,
		       Band::unknown})
		cr_assert(band_from_name(band_name(b)) == b);
	std::string c(band_name(Band::critical));
	cr_assert_str_eq(c.c_str(), "critical");
	for (const char *bad : {"", "Cool", "HOT", "warm ", "tepid"})
		cr_assert(!band_from_name(bad), "accepted '%s'", bad);
}

Test(thermal, starts_unknown_and_unchanged)
{
	ThermalState st;
	cr_assert(st.band() == Band::unknown);
	cr_assert(!st.changed());
	cr_assert(st.cause() == BandCause::no_data);
}

Test(thermal, plain_thresholds_from_unknown)
{
	struct {
		double t;
		Band b;
	} cases[] = {{-5, Band::cool},     {59.9, Band::cool},
		     {60, Band::warm},     {69.9, Band::warm},
		     {70, Band::hot},      {79.9, Band::hot},
		     {80, Band::critical}, {90, Band::critical}};
	for (auto c : cases) {
		ThermalState st;
		cr_assert(st.update(at(c.t), kNow) == c.b, "at %.1f", c.t);
		cr_assert(st.cause() == BandCause::temperature);
	}
}

Test(thermal, hovering_at_a_threshold_does_not_flap)
{
	ThermalState st;
	walk(st, {70, 69.5, 70.2, 68.1, 69.9, 67.0, 70.0},
	     {Band::hot, Band::hot, Band::hot, Band::hot, Band::hot, Band::hot,
	      Band::hot});
	// Only one change in all of that: the first sample.
	st.update(at(69), kNow);
	cr_assert(!st.changed());
}

Test(thermal, goes_down_only_below_threshold_minus_hysteresis)
{
	ThermalState st;
	walk(st, {75, 67, 66.9}, {Band::hot, Band::hot, Band::warm});
	cr_assert(st.changed());
	cr_assert(st.previous() == Band::hot);
}

Test(thermal, sequence_up_and_down_through_all_bands)
{
	ThermalState st;
	walk(st,
	     {40, 59, 60, 65, 70, 79, 80, 85, 78, 77, 76.9, 72, 67, 66.5, 57,
	      56.9, 60},
	     {Band::cool, Band::cool, Band::warm, Band::warm, Band::hot,
	      Band::hot, Band::critical, Band::critical, Band::critical,
	      Band::critical, Band::hot, Band::hot, Band::hot, Band::warm,
	      Band::warm, Band::cool, Band::warm});
}

Test(thermal, going_up_skips_bands_at_once)
{
	ThermalState st;
	walk(st, {40, 82}, {Band::cool, Band::critical});
}

Test(thermal, a_big_drop_lands_in_the_band_whose_window_holds_it)
{
	// From critical straight to 58: warm's window (>= 57) still holds it.
	ThermalState a;
	walk(a, {85, 58}, {Band::critical, Band::warm});
	ThermalState b;
	walk(b, {85, 50}, {Band::critical, Band::cool});
	ThermalState c;
	walk(c, {85, 68}, {Band::critical, Band::hot});
}

Test(thermal, zero_hysteresis_drops_just_below_the_threshold)
{
	ThermalLimits l;
	l.hysteresis = 0;
	ThermalState st(l);
	walk(st, {60, 59.9, 60}, {Band::warm, Band::cool, Band::warm});
}

Test(thermal, limits_come_from_the_caller)
{
	ThermalLimits l;
	l.warm = 50;
	l.hot = 65;
	l.critical = 75;
	l.hysteresis = 5;
	ThermalState st(l);
	walk(st, {50, 65, 75, 70.5, 69.9, 60.1, 59.9},
	     {Band::warm, Band::hot, Band::critical, Band::critical, Band::hot,
	      Band::hot, Band::warm});
}

Test(thermal, throttled_now_is_critical_whatever_the_temperature)
{
	ThermalState st;
	ThermalSample s = at(45);
	s.throttled_now = true;
	cr_assert(st.update(s, kNow) == Band::critical);
	cr_assert(st.cause() == BandCause::throttled);
	s.temp_c.reset();
	cr_assert(st.update(s, kNow) == Band::critical);
	cr_assert(!st.changed());
}

Test(thermal, undervoltage_now_is_critical_and_named_as_the_cause)
{
	ThermalState st;
	ThermalSample s = at(45);
	s.undervoltage_now = true;
	s.throttled_now = true; // bit 2 set by under-voltage alone (0x50005)
	cr_assert(st.update(s, kNow) == Band::critical);
	cr_assert(st.cause() == BandCause::undervoltage);
	std::string why(band_cause_name(st.cause()));
	cr_assert_str_eq(why.c_str(), "under-voltage");
}

Test(thermal, leaving_critical_after_flags_clear_obeys_hysteresis)
{
	ThermalState st;
	ThermalSample s = at(78);
	s.throttled_now = true;
	st.update(s, kNow);
	cr_assert(st.update(at(78), kNow) == Band::critical);
	cr_assert(st.cause() == BandCause::temperature);
	cr_assert(st.update(at(45), kNow) == Band::cool);
}

Test(thermal, no_temperature_is_unknown)
{
	ThermalState st;
	walk(st, {65}, {Band::warm});
	ThermalSample s;
	s.time = kNow;
	cr_assert(st.update(s, kNow) == Band::unknown);
	cr_assert(st.changed());
	cr_assert(st.cause() == BandCause::no_data);
}

Test(thermal, non_finite_temperature_is_unknown)
{
	for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
		ThermalState st;
		cr_assert(st.update(at(bad), kNow) == Band::unknown);
		cr_assert(st.cause() == BandCause::no_data);
	}
}

Test(thermal, stale_sample_is_unknown_even_if_throttled)
{
	ThermalLimits l;
	l.stale_after = 300;
	ThermalState st(l);
	ThermalSample s = at(85);
	s.throttled_now = true;
	s.time = kNow - 301;
	cr_assert(st.update(s, kNow) == Band::unknown);
	cr_assert(st.cause() == BandCause::stale);
	s.time = kNow - 300; // exactly StaleAfter old: still fresh
	cr_assert(st.update(s, kNow) == Band::critical);
}

Test(thermal, history_is_forgotten_after_unknown)
{
	ThermalState st;
	walk(st, {72}, {Band::hot});
	ThermalSample s = at(69);
	s.time = kNow - 1000;
	cr_assert(st.update(s, kNow) == Band::unknown);
	// 69 would have kept "hot" by hysteresis; after unknown it is plain.
	cr_assert(st.update(at(69), kNow) == Band::warm);
}

Test(thermal, is_stale_both_ways_and_without_overflow)
{
	cr_assert(!is_stale(kNow, kNow, 300));
	cr_assert(!is_stale(kNow - 300, kNow, 300));
	cr_assert(is_stale(kNow - 301, kNow, 300));
	cr_assert(!is_stale(kNow + 300, kNow, 300));
	cr_assert(is_stale(kNow + 301, kNow, 300));
	cr_assert(is_stale(0, kNow, 300));
	cr_assert(is_stale(std::numeric_limits<std::int64_t>::max(), kNow, 300));
}
