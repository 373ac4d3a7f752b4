#include "common/board_table.hpp"
#include "tests/unit/helpers.hpp"

#include <criterion/criterion.h>

#include <set>
#include <string>

using namespace slurmpi;

// ---------------------------------------------------------------------------
// Model table.

Test(models, pi4b_pi5_pi3bplus_zero2w_facts)
{
	const ModelInfo *m4 = model_by_type(0x11);
	cr_assert_not_null(m4);
	assert_sv_eq(m4->key, "4B");
	assert_sv_eq(m4->feature, "pi4b");
	assert_sv_eq(m4->soc, "BCM2711");
	cr_assert_eq(m4->cores, 4u);
	cr_assert_eq(m4->default_mhz, 1500u);
	cr_assert_eq(m4->max_mhz, 1800u);
	cr_assert_float_eq(m4->speed_score, 1.0, 1e-9);

	const ModelInfo *m5 = model_by_type(0x17);
	assert_sv_eq(m5->key, "5");
	assert_sv_eq(m5->feature, "pi5");
	cr_assert_eq(m5->cores, 4u);
	cr_assert_eq(m5->default_mhz, 2400u);
	cr_assert_eq(m5->max_mhz, 2400u);

	const ModelInfo *m3 = model_by_type(0x0d);
	assert_sv_eq(m3->key, "3B+");
	assert_sv_eq(m3->feature, "pi3bplus");
	cr_assert_eq(m3->default_mhz, 1400u);

	const ModelInfo *z = model_by_type(0x12);
	assert_sv_eq(z->key, "Zero2W");
	assert_sv_eq(z->feature, "pizero2w");
	cr_assert_eq(z->cores, 4u);
	cr_assert_eq(z->default_mhz, 1000u);

	cr_assert_eq(model_by_type(0x13)->default_mhz, 1800u);
	cr_assert_eq(model_by_type(0x08)->default_mhz, 1200u);
	cr_assert_eq(model_by_type(0x09)->cores, 1u);
}

Test(models, speed_scores_rank_the_generations)
{
	const char *order[] = {"5", "400", "4B", "3B+", "3B", "Zero2W", "2B", "Zero", "B"};
	for (std::size_t i = 0; i + 1 < std::size(order); i++) {
		const ModelInfo *a = model_by_key(order[i]);
		const ModelInfo *b = model_by_key(order[i + 1]);
		cr_assert(a && b);
		cr_assert_gt(a->speed_score, b->speed_score, "%s vs %s", order[i], order[i + 1]);
	}
}

Test(models, every_entry_is_consistent)
{
	std::set<std::string_view> keys, features;
	for (const ModelInfo &m : all_models()) {
		cr_assert(keys.insert(m.key).second, "duplicate key %s", m.key.data());
		cr_assert(features.insert(m.feature).second, "duplicate feature");
		cr_assert_eq(model_by_type(m.type), &m);
		cr_assert_eq(model_by_key(m.key), &m);
		cr_assert_not(revision_type_name(m.type).empty());
		cr_assert(m.compatible.substr(0, 12) == "raspberrypi,");
		const ModelInfo *bc = model_by_compatible(m.compatible);
		cr_assert(bc && bc->compatible == m.compatible);
		cr_assert(m.cores == 1 || m.cores == 4);
		cr_assert(m.default_mhz >= 700 && m.default_mhz <= m.max_mhz);
		cr_assert_gt(m.speed_score, 0.0);
		cr_assert_not(m.source.empty());
		cr_assert_not(m.core.empty());
		cr_assert_not(m.name.empty());
		for (char c : m.feature)
			cr_assert((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'),
				  "feature %s must be a plain Slurm feature", m.feature.data());
	}
	// Every board the brief lists has an entry.
	for (unsigned t : {0x00u, 0x01u, 0x02u, 0x03u, 0x04u, 0x06u, 0x08u, 0x09u,
			   0x0au, 0x0cu, 0x0du, 0x0eu, 0x10u, 0x11u, 0x12u, 0x13u,
			   0x14u, 0x15u, 0x17u, 0x18u, 0x19u, 0x1au})
		cr_assert_not_null(model_by_type(t), "type 0x%x", t);
}

Test(models, lookups_that_miss)
{
	cr_assert_null(model_by_type(0x05), "Alpha: no clock data");
	cr_assert_null(model_by_type(0x1b), "CM0: no clock data");
	cr_assert_null(model_by_type(0xff));
	cr_assert_null(model_by_compatible("raspberrypi,6-model-b"));
	cr_assert_null(model_by_compatible("brcm,bcm2711"));
	cr_assert_null(model_by_compatible(""));
	cr_assert_null(model_by_key("4b"));
	assert_sv_eq(model_by_compatible("raspberrypi,model-b-rev2")->key, "B");
	assert_sv_eq(model_by_compatible("raspberrypi,5-compute-module")->key, "CM5");
}

Test(models, board_max_mhz_depends_on_4b_revision)
{
	const ModelInfo &m4 = *model_by_type(0x11);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xc03111)), 1500u);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xc03112)), 1500u);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xc03114)), 1800u);
	cr_assert_eq(board_max_mhz(m4, decode_revision(0xd03115)), 1800u);
	cr_assert_eq(board_max_mhz(m4, Revision{}), 1800u);
	cr_assert_eq(board_max_mhz(*model_by_type(0x13), decode_revision(0xc03130)), 1800u);
	cr_assert_eq(board_max_mhz(*model_by_type(0x17), decode_revision(0xd04170)), 2400u);
}
