#include <criterion/criterion.h>

#include <cstdint>
#include <string>

#include "common/drain.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

static constexpr std::int64_t kT0 = 1795938000;

static DrainRules on(std::int64_t grace = 30, std::int64_t resume_after = 300)
{
	return DrainRules{true, grace, resume_after};
}

static NodeDrainState idle() { return {}; }
static NodeDrainState drained(const char *reason) { return {true, reason}; }

Test(drain, reasons_say_why)
{
	assert_sv_eq(drain_reason(BandCause::undervoltage, 50.0, 80),
		     "slurm-pi: under-voltage");
	assert_sv_eq(drain_reason(BandCause::throttled, 84.24, 80),
		     "slurm-pi: throttled at 84.2C");
	assert_sv_eq(drain_reason(BandCause::throttled, std::nullopt, 80),
		     "slurm-pi: throttled");
	assert_sv_eq(drain_reason(BandCause::temperature, 81.5, 80),
		     "slurm-pi: 81.5C, CriticalTemp is 80.0C");
	cr_assert(is_slurm_pi_reason(drain_reason(BandCause::no_data, {}, 80)));
}

Test(drain, our_reason_is_recognised_and_nothing_else)
{
	cr_assert(is_slurm_pi_reason("slurm-pi: under-voltage"));
	cr_assert(is_slurm_pi_reason("slurm-pi:"));
	for (const char *r : {"", "slurm-pi", "Slurm-pi: x", " slurm-pi: x",
			      "admin: slurm-pi: x", "maintenance"})
		cr_assert(!is_slurm_pi_reason(r), "'%s'", r);
}

Test(drain, critical_for_the_grace_period_drains)
{
	DrainTracker d(on(30));
	d.observe(Band::critical, kT0);
	cr_assert(d.due(kT0) == DrainAction::none);
	d.observe(Band::critical, kT0 + 29);
	cr_assert(d.due(kT0 + 29) == DrainAction::none);
	d.observe(Band::critical, kT0 + 30);
	cr_assert(d.due(kT0 + 30) == DrainAction::drain);
	cr_assert(d.confirm(DrainAction::drain, idle()) == DrainAction::drain);
	d.done(DrainAction::drain);
	// Once done, this spell needs no more lookups.
	d.observe(Band::critical, kT0 + 31);
	cr_assert(d.due(kT0 + 31) == DrainAction::none);
}

Test(drain, a_short_spike_does_not_drain)
{
	DrainTracker d(on(30));
	d.observe(Band::critical, kT0);
	d.observe(Band::hot, kT0 + 20);
	d.observe(Band::critical, kT0 + 25);
	d.observe(Band::critical, kT0 + 50);
	cr_assert(d.due(kT0 + 50) == DrainAction::none, "the spell restarted at +25");
	cr_assert(d.due(kT0 + 55) == DrainAction::drain);
}

Test(drain, off_by_default_never_drains)
{
	DrainTracker d(DrainRules{});
	d.observe(Band::critical, kT0);
	d.observe(Band::critical, kT0 + 100000);
	cr_assert(d.due(kT0 + 100000) == DrainAction::none);
}

Test(drain, never_drains_over_an_admins_drain)
{
	DrainTracker d(on(0));
	d.observe(Band::critical, kT0);
	cr_assert(d.due(kT0) == DrainAction::drain);
	cr_assert(d.confirm(DrainAction::drain, drained("disk swap")) ==
		  DrainAction::none);
	// And later, clear, never resumes the admin's drain.
	d.observe(Band::cool, kT0 + 1);
	cr_assert(d.due(kT0 + 1000) == DrainAction::none);
}

Test(drain, resumes_its_own_drain_once_clear_long_enough)
{
	DrainTracker d(on(0, 300));
	d.observe(Band::critical, kT0);
	cr_assert(d.confirm(d.due(kT0), idle()) == DrainAction::drain);
	d.done(DrainAction::drain);
	d.observe(Band::hot, kT0 + 10);
	cr_assert(d.due(kT0 + 309) == DrainAction::none);
	cr_assert(d.due(kT0 + 310) == DrainAction::resume);
	cr_assert(d.confirm(DrainAction::resume,
			    drained("slurm-pi: under-voltage")) == DrainAction::resume);
	d.done(DrainAction::resume);
	cr_assert(d.due(kT0 + 400) == DrainAction::none);
}

Test(drain, an_admin_drain_set_over_ours_is_kept)
{
	DrainTracker d(on(0, 60));
	d.observe(Band::critical, kT0);
	cr_assert(d.confirm(d.due(kT0), idle()) == DrainAction::drain);
	d.done(DrainAction::drain);
	d.observe(Band::cool, kT0 + 1);
	cr_assert(d.due(kT0 + 61) == DrainAction::resume);
	// The admin drained it meanwhile: the reason is no longer ours.
	cr_assert(d.confirm(DrainAction::resume, drained("bad fan, ticket 12")) ==
		  DrainAction::none);
	cr_assert(d.due(kT0 + 1000) == DrainAction::none, "asked again");
}

Test(drain, an_admin_resume_during_the_spell_is_not_overruled)
{
	DrainTracker d(on(0));
	d.observe(Band::critical, kT0);
	cr_assert(d.confirm(d.due(kT0), idle()) == DrainAction::drain);
	d.done(DrainAction::drain);
	d.observe(Band::critical, kT0 + 5);
	cr_assert(d.due(kT0 + 5) == DrainAction::none);
	// A new spell after a clear period drains again.
	d.observe(Band::cool, kT0 + 6);
	d.observe(Band::critical, kT0 + 7);
	cr_assert(d.due(kT0 + 7) == DrainAction::drain);
}

Test(drain, unknown_is_neither_critical_nor_clear)
{
	DrainTracker d(on(30, 60));
	d.observe(Band::critical, kT0);
	d.observe(Band::unknown, kT0 + 20);
	d.observe(Band::critical, kT0 + 40);
	cr_assert(d.due(kT0 + 40) == DrainAction::none);
	d.observe(Band::unknown, kT0 + 41);
	cr_assert(d.due(kT0 + 10000) == DrainAction::none,
		  "no data is not a reason to resume");
}

Test(drain, after_a_restart_checks_once_for_an_old_drain_of_its_own)
{
	DrainTracker d(on(30, 60));
	d.observe(Band::cool, kT0);
	cr_assert(d.due(kT0 + 60) == DrainAction::resume);
	// Not drained: nothing to do, and no more lookups.
	cr_assert(d.confirm(DrainAction::resume, idle()) == DrainAction::none);
	cr_assert(d.due(kT0 + 120) == DrainAction::none);
}

Test(drain, a_failed_action_stays_due)
{
	DrainTracker d(on(0));
	d.observe(Band::critical, kT0);
	cr_assert(d.confirm(d.due(kT0), idle()) == DrainAction::drain);
	// No done(): the update RPC failed.
	d.observe(Band::critical, kT0 + 1);
	cr_assert(d.due(kT0 + 1) == DrainAction::drain);
}
