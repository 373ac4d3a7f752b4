// spank_pi_mpi: the node's facts (see node.hpp).
#include "plugins/spank_pi_mpi/node.hpp"

extern "C" {
#include <slurm/slurm.h>
}

#include <sys/stat.h>
#include <unistd.h>


#include "common/text.hpp"

// Slurm's loaded configuration, in the process that loads the plugin (srun,
// sbatch, salloc, slurmd, slurmstepd: all have libslurmfull). Weak, so that
// a process without it leaves the address null instead of failing the
// plugin's load.
extern "C" slurm_conf_t slurm_conf __attribute__((weak));

namespace pimpi {



std::string controller_host()
{
	if (!&slurm_conf || !slurm_conf.control_addr || !slurm_conf.control_addr[0])
		return "";
	return slurm_conf.control_addr[0];
}



bool file_exists(const std::string &path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string pmix_plugin_path(bool *exists)
{
	std::string dirs = (&slurm_conf && slurm_conf.plugindir) ? slurm_conf.plugindir : "";
	std::string first;
	std::size_t start = 0;
	while (start <= dirs.size() && !dirs.empty()) {
		auto colon = dirs.find(':', start);
		std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos
										   : colon - start);
		if (!dir.empty()) {
			std::string p = dir + "/mpi_pmix.so";
			if (file_exists(p)) {
				*exists = true;
				return p;
			}
			if (first.empty())
				first = p;
		}
		if (colon == std::string::npos)
			break;
		start = colon + 1;
	}
	*exists = false;
	return first.empty() ? "PluginDir/mpi_pmix.so" : first;
}

std::string mpi_default()
{
	if (!&slurm_conf)
		return "";
	// 24.11 stores MpiDefault=none (and openmpi, and no MpiDefault at all)
	// as NULL (read_config.c:4612-4617); 22.05 as the string "none".
	if (!slurm_conf.mpi_default)
		return "none";
	return slurm_conf.mpi_default;
}

} // namespace pimpi
