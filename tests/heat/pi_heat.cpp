// pi-heat: the thermal model of `tests/cluster/cluster heat` as a filter.
//
//   pi-heat [--speed X] [--ambient C] [--status FILE] NODE=MODEL/COOLING...
//
// Reads one line per tick on stdin:
//   t=<seconds, e.g. $EPOCHREALTIME> NODE=<allocated CPUs>/<CPUs> ...
// and answers each with one line per node on stdout, in the keys of
// `cluster set`:
//   NODE temp=<C> freq=<MHz> throttled=0x<word>
// Model time runs X times faster than the t= clock (--speed, default 1).
// A node missing from a tick keeps its last load. --status FILE is
// rewritten every tick (a table for `cluster heat status` and bench/).
// The model itself is tests/heat/heat_model.{hpp,cpp}.
#include "tests/heat/heat_model.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace slurmpi::heat;

namespace {

struct Emulated {
	std::string name;
	Node node;
	double u = 0;
	double busy_s = 0;        // model seconds with load > 0
};

[[noreturn]] void usage_error(const std::string &msg)
{
	std::cerr << "pi-heat: " << msg << "\n"
		  << "usage: pi-heat [--speed X] [--ambient C] [--status FILE] "
		     "NODE=MODEL/COOLING...\n";
	std::exit(2);
}

double number(const std::string &opt, const char *s)
{
	char *end = nullptr;
	const double v = std::strtod(s, &end);
	if (!*s || *end || !(v > -100 && v < 1e6))
		usage_error(opt + ": '" + s + "' is not a number");
	return v;
}

void write_status(const std::string &path, const std::vector<Emulated> &nodes,
		  double speed, double model_s)
{
	if (path.empty())
		return;
	const std::string tmp = path + ".new";
	FILE *f = std::fopen(tmp.c_str(), "w");
	if (!f)
		return;
	std::fprintf(f, "# speed %g, %.0f model s\n", speed, model_s);
	std::fprintf(f, "# node profile load temp_c freq_mhz throttled fan "
			"throttled_s busy_s\n");
	for (const auto &e : nodes)
		std::fprintf(f, "%s %s %.2f %.1f %d 0x%x %s %.1f %.1f\n",
			     e.name.c_str(), e.node.profile().name.c_str(), e.u,
			     e.node.temp_c(), e.node.reported_mhz(e.u),
			     e.node.throttled(), e.node.fan_on() ? "on" : "off",
			     e.node.throttled_s(), e.busy_s);
	std::fclose(f);
	std::rename(tmp.c_str(), path.c_str());
}

} // namespace

int main(int argc, char **argv)
{
	double speed = 1, ambient = 25;
	std::string status;
	std::vector<Emulated> nodes;
	std::map<std::string, std::size_t> index;
	for (int i = 1; i < argc; ++i) {
		const std::string a = argv[i];
		if ((a == "--speed" || a == "--ambient" || a == "--status") && i + 1 >= argc)
			usage_error(a + " needs a value");
		if (a == "--speed") {
			speed = number(a, argv[++i]);
			if (speed <= 0)
				usage_error("--speed must be above 0");
		} else if (a == "--ambient") {
			ambient = number(a, argv[++i]);
		} else if (a == "--status") {
			status = argv[++i];
		} else {
			const auto eq = a.find('='), sl = a.find('/');
			if (eq == std::string::npos || sl == std::string::npos || sl < eq)
				usage_error("'" + a + "' is not NODE=MODEL/COOLING");
			std::string why;
			auto p = profile(a.substr(eq + 1, sl - eq - 1), a.substr(sl + 1), &why);
			if (!p)
				usage_error(a.substr(0, eq) + ": " + why);
			index[a.substr(0, eq)] = nodes.size();
			nodes.push_back({a.substr(0, eq), Node(*p, ambient)});
		}
	}
	if (nodes.empty())
		usage_error("no nodes");

	bool started = false;
	double last_t = 0, model_s = 0;
	std::string line;
	while (std::getline(std::cin, line)) {
		std::istringstream in(line);
		std::string tok;
		double t = -1;
		while (in >> tok) {
			const auto eq = tok.find('=');
			if (eq == std::string::npos)
				continue;
			const std::string key = tok.substr(0, eq), val = tok.substr(eq + 1);
			if (key == "t") {
				t = std::strtod(val.c_str(), nullptr);
				continue;
			}
			auto it = index.find(key);
			const auto sl = val.find('/');
			if (it == index.end() || sl == std::string::npos)
				continue;
			const double alloc = std::strtod(val.c_str(), nullptr);
			const double tot = std::strtod(val.c_str() + sl + 1, nullptr);
			if (tot > 0 && alloc >= 0)
				nodes[it->second].u = std::min(1.0, alloc / tot);
		}
		if (t < 0)
			continue;
		if (started && t > last_t) {
			// A stalled poll still lets the time pass, up to 10 min.
			const double dt = std::min(t - last_t, 600.0) * speed;
			model_s += dt;
			for (auto &e : nodes) {
				e.node.step(dt, e.u);
				if (e.u > 0)
					e.busy_s += dt;
			}
		}
		started = true;
		last_t = t;
		for (const auto &e : nodes)
			std::printf("%s temp=%.1f freq=%d throttled=0x%x\n", e.name.c_str(),
				    e.node.temp_c(), e.node.reported_mhz(e.u),
				    e.node.throttled());
		std::fflush(stdout);
		write_status(status, nodes, speed, model_s);
	}
	return 0;
}
