// The thermal model of the emulated Pi cluster's heat emulation
// (`tests/cluster/cluster heat on`): how hot an emulated Pi gets for the
// CPU load allocated to it, and how its firmware throttles. Test tooling,
// not part of any plugin: it only writes the fake sensor files that the
// plugins read as they would on a real Pi.
//
// Model (the two-lag model of the project's Pi hardware notes, "Thermal
// behaviour"):
//   P  = P_idle + u (P_full - P_idle) (f / f_max)^2      load fraction u
//   T  = T_amb + w X1 + (1 - w) X2
//   dXi/dt = (R P - Xi) / tau_i                           i = 1, 2
// integrated exactly for piecewise-constant P in steps of at most 1 s.
//
// Firmware (raspberrypi/documentation, computers/raspberry-pi/
// frequency-management.adoc and config_txt/overclocking.adoc): from 80 C
// the Arm clock is stepped down one DVFS level every kStepEvery seconds
// while the temperature still rises, and get_throttled shows 0x2 (Arm
// frequency capped) | 0x8 (soft temperature limit); at 85 C (temp_limit)
// the clock drops to the lowest level and 0x4 (throttled) is set; below
// 78 C the clock steps back up a level every kStepUpEvery seconds. Each
// "now" bit also sets its sticky copy (<< 16). The Pi 3B+/3A+ soft limit
// (temp_soft_limit, 60 C: 1.4 -> 1.2 GHz) caps the clock and sets 0x8
// until the temperature is kSoftHysteresis below it. The step intervals
// and the soft-limit hysteresis are assumptions (the documentation says
// "progressively"); a throttled Pi 4 thus swings between levels, as
// measured clocks under load do.
//
// Constants and their sources are in heat_model.cpp (profiles()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi::heat {

inline constexpr double kThrottleFromC = 80.0;  // firmware starts capping
inline constexpr double kHardLimitC = 85.0;     // temp_limit
inline constexpr double kRecoverBelowC = 78.0;  // clock steps back up
inline constexpr double kStepEvery = 3.0;       // s between steps down
inline constexpr double kStepUpEvery = 10.0;    // s between steps back up
inline constexpr double kSoftHysteresis = 2.0;  // C, 3B+ soft limit
inline constexpr double kMaxSubstep = 1.0;      // s, integration substep

// One Pi model in one enclosure.
struct Profile {
	std::string name;             // "pi4b/case"
	double p_idle_w = 0;          // board power at rest
	double p_full_w = 0;          // every core loaded at f_max
	double r_k_per_w = 0;         // to ambient, fan off
	double r_fan_k_per_w = 0;     // fan running; 0 = no fan
	double fan_on_c = 0;          // fan starts at (Pi 5 curve: 50 C)
	double fan_off_c = 0;         // and stops below (5 C hysteresis)
	double w = 0;                 // share of the fast lag
	double tau1_s = 0, tau2_s = 0;
	std::vector<int> levels_mhz;  // DVFS levels, f_max first
	int idle_mhz = 0;             // clock at rest (ondemand governor)
	double soft_limit_c = 0;      // 0 = none
	int soft_mhz = 0;             // clock cap at the soft limit
};

// Fixture model (pi5, pi4b, pi3bplus, zero2w) and cooling (case, bare,
// heatsink, active). Empty with the reason in *why when unknown.
std::optional<Profile> profile(std::string_view model,
			       std::string_view cooling, std::string *why);
// The cooling names, for messages: "case, bare, heatsink, active".
std::string cooling_names();

// Board power for load u in [0, 1] at clock mhz.
double power_w(const Profile &p, double u, int mhz);

class Node {
public:
	// At rest, in equilibrium with the ambient temperature.
	Node(Profile p, double ambient_c);

	// Advance by dt model seconds with load u (allocated CPUs / CPUs).
	void step(double dt_s, double u);

	double temp_c() const;
	// The clock a busy core runs at now (the current DVFS level).
	int clock_mhz() const;
	// What scaling_cur_freq shows: the clock when busy, the idle clock at
	// rest (never above the clock the firmware allows).
	int reported_mhz(double u) const;
	std::uint32_t throttled() const { return throttled_; }
	// Any "now" bit of the throttle word set.
	bool throttled_now() const { return (throttled_ & 0xfu) != 0; }
	bool fan_on() const { return fan_on_; }
	// Model seconds so far with a "now" bit of the throttle word set
	// (0x2, 0x4 or 0x8; counted per substep).
	double throttled_s() const { return throttled_s_; }
	const Profile &profile() const { return p_; }

private:
	void substep(double dt_s, double u);
	void firmware(double dt_s);
	double r_now() const;

	Profile p_;
	double ambient_c_;
	double x1_ = 0, x2_ = 0;
	std::size_t level_ = 0;
	double since_step_s_ = 0;
	double last_temp_c_ = 0;
	bool fan_on_ = false;
	bool soft_ = false;
	std::uint32_t throttled_ = 0;
	double throttled_s_ = 0;
};

} // namespace slurmpi::heat
