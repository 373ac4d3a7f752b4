#include <criterion/criterion.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/placement.hpp"
#include "tests/unit/helpers.hpp"

using namespace slurmpi;

static constexpr std::int64_t kNow = 1796030000;

static std::vector<PlacementResult> run(ThermalPolicy p,
					const std::vector<PlacementNode> &nodes,
					PlacementPenalties pen = {})
{
	std::vector<PlacementResult> out(nodes.size());
	place(p, pen, nodes, out);
	return out;
}

static PlacementNode node(Band b, double speed = 1.0, bool required = false)
{
	return PlacementNode{b, speed, required, std::nullopt};
}

Test(placement, strict_leaves_out_hot_and_critical)
{
	auto r = run(ThermalPolicy::strict, {node(Band::cool), node(Band::warm),
					     node(Band::hot), node(Band::critical),
					     node(Band::unknown)});
	bool want[] = {false, false, true, true, false};
	for (std::size_t i = 0; i < r.size(); i++)
		cr_assert_eq(r[i].exclude, want[i], "node %zu", i);
}

Test(placement, balanced_leaves_out_critical_only)
{
	auto r = run(ThermalPolicy::balanced, {node(Band::cool), node(Band::warm),
					       node(Band::hot), node(Band::critical),
					       node(Band::unknown)});
	bool want[] = {false, false, false, true, false};
	for (std::size_t i = 0; i < r.size(); i++)
		cr_assert_eq(r[i].exclude, want[i], "node %zu", i);
}

Test(placement, any_leaves_out_nothing)
{
	auto r = run(ThermalPolicy::any, {node(Band::critical), node(Band::hot)});
	cr_assert(!r[0].exclude && !r[1].exclude);
}

Test(placement, a_node_the_job_named_is_never_left_out)
{
	auto r = run(ThermalPolicy::strict,
		     {node(Band::critical, 1.0, true), node(Band::hot, 1.0, true)});
	cr_assert(!r[0].exclude && !r[1].exclude);
}

Test(placement, balanced_orders_cooler_first_then_faster)
{
	// A cool Pi 3B+ (0.55) before a warm Pi 5 (2.3): the band comes first.
	auto r = run(ThermalPolicy::balanced,
		     {node(Band::cool, 0.55), node(Band::warm, 2.3),
		      node(Band::hot, 2.3), node(Band::cool, 2.3)});
	cr_assert_lt(r[3].rank, r[0].rank, "faster among cool");
	cr_assert_lt(r[0].rank, r[1].rank, "cool before warm");
	cr_assert_lt(r[1].rank, r[2].rank, "warm before hot");
}

Test(placement, hot_is_penalized_more_than_warm_by_the_config)
{
	PlacementPenalties pen{1, 20};
	auto r = run(ThermalPolicy::balanced, {node(Band::warm), node(Band::hot)}, pen);
	cr_assert_lt(r[0].rank, r[1].rank);
	// Penalties 0: bands tie and speed decides.
	r = run(ThermalPolicy::balanced, {node(Band::hot, 1.0), node(Band::cool, 0.5)},
		PlacementPenalties{0, 0});
	cr_assert_lt(r[0].rank, r[1].rank);
}

Test(placement, any_orders_faster_first_band_breaks_ties)
{
	auto r = run(ThermalPolicy::any,
		     {node(Band::hot, 2.3), node(Band::cool, 1.0), node(Band::cool, 2.3)});
	cr_assert_lt(r[0].rank, r[1].rank, "a hot Pi 5 before a cool Pi 4");
	cr_assert_lt(r[2].rank, r[0].rank, "equal speed: the cooler one");
}

Test(placement, unknown_is_scheduled_like_a_cool_node_of_average_speed)
{
	auto r = run(ThermalPolicy::strict, {node(Band::unknown, 0), node(Band::cool, 1.0)});
	cr_assert(!r[0].exclude);
	cr_assert_eq(r[0].rank, r[1].rank);
}

Test(placement, ranks_stay_in_the_low_byte_for_any_input)
{
	PlacementPenalties wild{1000, -5};
	for (ThermalPolicy p : {ThermalPolicy::strict, ThermalPolicy::balanced,
				ThermalPolicy::any})
		for (Band b : {Band::cool, Band::warm, Band::hot, Band::critical,
			       Band::unknown})
			for (double s : {-1.0, 0.0, 0.01, 1.0, 3.0, 1e9, 0.0 / 0.0}) {
				auto r = run(p, {node(b, s)}, wild);
				cr_assert_leq(r[0].rank, 0xfe);
			}
}

Test(placement, stale_or_missing_telemetry_is_unknown)
{
	TelemetryParse p = parse_extra(
		"{\"pi\":{\"v\":1,\"band\":\"hot\",\"ts\":" + std::to_string(kNow - 10) + "}}");
	cr_assert(scheduling_band(p, kNow, 300) == Band::hot);
	cr_assert(scheduling_band(p, kNow + 400, 300) == Band::unknown);
	cr_assert(scheduling_band(parse_extra(""), kNow, 300) == Band::unknown);
	cr_assert(scheduling_band(parse_extra("rack 2"), kNow, 300) == Band::unknown);
	cr_assert(scheduling_band(parse_extra("{\"pi\":{\"v\":1,\"band\":\"critical\"}}"),
				  kNow, 300) == Band::unknown,
		  "a record without ts is not trusted");
}

Test(placement, out_shorter_than_nodes_is_not_overrun)
{
	std::array<PlacementNode, 3> nodes{node(Band::hot), node(Band::hot), node(Band::hot)};
	std::array<PlacementResult, 2> out{};
	place(ThermalPolicy::strict, {}, nodes, out);
	cr_assert(out[0].exclude && out[1].exclude);
}

Test(placement, wait_reason_names_the_bands_and_the_policy_source)
{
	std::string all_hot = placement_wait_reason(ThermalPolicy::strict, "--thermal", 4, 4, 0);
	cr_assert_str_eq(all_hot.c_str(), "slurm-pi: all eligible nodes are hot (--thermal=strict)");
	std::string all_crit = placement_wait_reason(ThermalPolicy::balanced, "DefaultThermalPolicy", 2, 0, 2);
	cr_assert_str_eq(all_crit.c_str(),
			 "slurm-pi: all eligible nodes are critical (DefaultThermalPolicy=balanced)");
	std::string mixed = placement_wait_reason(ThermalPolicy::strict, "--thermal", 3, 2, 1);
	cr_assert_str_eq(mixed.c_str(), "slurm-pi: all eligible nodes are hot or critical (--thermal=strict)");
	std::string some = placement_wait_reason(ThermalPolicy::strict, "--thermal", 4, 1, 1);
	cr_assert_str_eq(some.c_str(),
			 "slurm-pi: 2 of 4 eligible nodes left out as hot or critical (--thermal=strict), "
			 "the rest cannot run the job now");
}

Test(placement, no_reason_when_nothing_was_left_out)
{
	cr_assert(placement_wait_reason(ThermalPolicy::strict, "--thermal", 4, 0, 0).empty());
	cr_assert(placement_wait_reason(ThermalPolicy::any, "--thermal", 0, -3, 0).empty(),
		  "negative counts are nothing left out");
	std::string no_source = placement_wait_reason(ThermalPolicy::strict, nullptr, 1, 1, 0);
	cr_assert_str_eq(no_source.c_str(),
			 "slurm-pi: all eligible nodes are hot (DefaultThermalPolicy=strict)");
}

static PlacementNode at(Band b, double speed, double temp)
{
	PlacementNode n{b, speed, false, std::nullopt};
	n.temp_c = temp;
	return n;
}

Test(placement, within_a_band_the_cooler_of_two_equal_pis_comes_first)
{
	// The heat emulation's case: an idle Pi 4 in a closed case (45 C) and
	// one with a heatsink (34 C), both cool.
	for (ThermalPolicy p : {ThermalPolicy::strict, ThermalPolicy::balanced}) {
		auto r = run(p, {at(Band::cool, 1.0, 45), at(Band::cool, 1.0, 34)});
		cr_assert_lt(r[1].rank, r[0].rank, "34 C before 45 C");
		r = run(p, {at(Band::cool, 1.0, 52), at(Band::cool, 1.0, 47)});
		cr_assert_lt(r[1].rank, r[0].rank, "47 C before 52 C");
		r = run(p, {at(Band::cool, 1.0, 41), at(Band::cool, 1.0, 48)});
		cr_assert_eq(r[0].rank, r[1].rank, "the same 10 C step: a tie");
	}
}

Test(placement, the_band_and_the_model_weigh_more_than_degrees)
{
	auto r = run(ThermalPolicy::balanced,
		     {at(Band::warm, 1.0, 30), at(Band::cool, 1.0, 59)});
	cr_assert_lt(r[1].rank, r[0].rank, "cool at 59 C before warm");
	r = run(ThermalPolicy::balanced,
		{at(Band::cool, 1.0, 34), at(Band::cool, 2.3, 52)});
	cr_assert_lt(r[1].rank, r[0].rank, "a Pi 5 at 52 C before a Pi 4 at 34 C");
	PlacementNode unknown_temp = node(Band::cool, 1.0);
	r = run(ThermalPolicy::strict, {unknown_temp, at(Band::cool, 1.0, 45)});
	cr_assert_eq(r[0].rank, r[1].rank, "an unknown temperature counts as 40-50 C");
	r = run(ThermalPolicy::strict, {at(Band::cool, 1.0, NAN), at(Band::cool, 1.0, 1e308)});
	cr_assert_leq(r[0].rank, 0xfe);
	cr_assert_leq(r[1].rank, 0xfe);
}

Test(placement, temperature_steps_are_ten_degrees_from_40_c)
{
	cr_assert_eq(temperature_step(-20.0), 0);
	cr_assert_eq(temperature_step(39.9), 0);
	cr_assert_eq(temperature_step(40.0), 1);
	cr_assert_eq(temperature_step(49.9), 1);
	cr_assert_eq(temperature_step(50.0), 2);
	cr_assert_eq(temperature_step(60.0), 3);
	cr_assert_eq(temperature_step(95.0), 3);
	cr_assert_eq(temperature_step(std::nullopt), 1);
	cr_assert_eq(temperature_step(NAN), 1);
	cr_assert_eq(temperature_step(-INFINITY), 1);
}
