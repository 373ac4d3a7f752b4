// slurm-pi: the command-line tool of the slurm-pi plugins. See
// slurm-pi(1) (tools/slurm-pi.1) and `slurm-pi --help`.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include "tools/cli.hpp"
#include "tools/run.hpp"

int main(int argc, char **argv)
{
	try {
		std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
		slurmpi::tool::Terminal term;
		term.is_tty = ::isatty(STDOUT_FILENO) == 1;
		const char *no_color = std::getenv("NO_COLOR");
		term.no_color = no_color && *no_color;
		int rc = slurmpi::tool::run_tool(args, std::cout, std::cerr,
						 std::getenv("SLURM_CONF"), term);
		std::cout.flush();
		if (!std::cout) {
			// A full disk or a closed pipe must not look like success.
			std::cerr << "slurm-pi: cannot write the output\n";
			return slurmpi::tool::kExitRuntime;
		}
		return rc;
	} catch (const std::exception &e) {
		std::cerr << "slurm-pi: " << e.what() << "\n";
	} catch (...) {
		std::cerr << "slurm-pi: unexpected error\n";
	}
	return slurmpi::tool::kExitRuntime;
}
