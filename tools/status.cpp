#include "tools/status.hpp"

#include <ctime>
#include <ostream>

#include "common/fs.hpp"
#include "common/nodeconf.hpp"
#include "common/pipeline.hpp"
#include "tools/node_name.hpp"

namespace slurmpi::tool {

namespace {

void list_chips(StatusReport &r, std::string_view root)
{
	if (!is_real_root(root)) {
		r.chips_note = "not listed with --root: libsensors reads only "
			       "this machine's /sys";
		return;
	}
	LibsensorsChips lib;
	if (!lib.ok()) {
		r.chips_note = lib.error();
		r.problems.push_back(lib.error());
		return;
	}
	for (const std::string &p : lib.config_problems())
		r.problems.push_back(p);
	r.chips = lib.chips(&r.problems);
}

} // namespace

void compute_band(StatusReport &r, std::int64_t now)
{
	ThermalState state(r.limits);
	r.band = state.update(thermal_sample(r.reading, now), now);
	r.cause = state.cause();
}

std::vector<std::string> all_problems(const StatusReport &r)
{
	std::vector<std::string> all = r.reading.problems;
	all.insert(all.end(), r.problems.begin(), r.problems.end());
	return all;
}

bool read_anything(const StatusReport &r)
{
	const Reading &x = r.reading;
	return x.temp_c || x.throttled || x.cur_mhz || x.max_mhz ||
	       x.policy_max_mhz || x.fan_rpm || x.fan_pwm;
}

int run_status(const Options &o, const Config &c, std::ostream &out,
	       std::ostream &err, Mailbox *mailbox)
{
	StatusReport r;
	NodeName n = node_name(o.root);
	if (n.name.empty())
		r.problems.push_back(n.error);
	r.node = short_hostname(n.name);
	r.identity = detect_pi(o.root);
	// Pi problems are noise on a machine that is not a Pi.
	if (r.identity.is_pi)
		r.problems.insert(r.problems.end(), r.identity.problems.begin(),
				  r.identity.problems.end());
	std::optional<VcioMailbox> vcio;
	if (!mailbox && is_real_root(o.root) && r.identity.is_pi)
		mailbox = &vcio.emplace(o.root);
	Sampler sampler(o.root, mailbox);
	r.reading = sampler.sample();
	r.limits = c.thermal_limits();
	compute_band(r, static_cast<std::int64_t>(std::time(nullptr)));
	list_chips(r, o.root);

	out << (o.json ? format_status_json(r) : format_status_text(r));
	if (!read_anything(r)) {
		err << "slurm-pi status: no sensor could be read";
		if (!r.identity.is_pi)
			err << " (not a Raspberry Pi: " << r.identity.reason << ")";
		err << "\n";
		return kExitRuntime;
	}
	return kExitOk;
}

} // namespace slurmpi::tool
