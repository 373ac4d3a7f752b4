// libFuzzer target: the text of slurm-pi.conf, as parse_config() reads it.
#include <string>

#include "common/config.hpp"
#include "fuzz/check.hpp"

using namespace slurmpi;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
	ConfigResult r = parse_config(fuzz_text(data, size), "slurm-pi.conf");
	for (const std::string &e : r.errors)
		FUZZ_CHECK(e.starts_with("slurm-pi.conf"),
			   "error without the file name: %s", e.c_str());
	if (r.ok()) {
		const Config &c = r.config;
		// Whatever parses passed the cross-checks of config.cpp.
		FUZZ_CHECK(c.warm_temp < c.hot_temp && c.hot_temp < c.critical_temp,
			   "bands out of order: %g %g %g", c.warm_temp,
			   c.hot_temp, c.critical_temp);
		FUZZ_CHECK(c.hysteresis < c.hot_temp - c.warm_temp &&
				   c.hysteresis < c.critical_temp - c.hot_temp,
			   "hysteresis %g", c.hysteresis);
		FUZZ_CHECK(c.poll_interval > 0 &&
				   c.publish_interval >= c.poll_interval &&
				   c.stale_after > c.publish_interval,
			   "intervals %d %d %d", c.poll_interval,
			   c.publish_interval, c.stale_after);
		c.thermal_limits();
	}
	return 0;
}
