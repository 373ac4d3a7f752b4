// spank_pi_mpi: the node's facts (see node.hpp).
#include "plugins/spank_pi_mpi/node.hpp"

extern "C" {
#include <slurm/slurm.h>
}

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "common/text.hpp"

// Slurm's loaded configuration, in the process that loads the plugin (srun,
// sbatch, salloc, slurmd, slurmstepd: all have libslurmfull). Weak, so that
// a process without it leaves the address null instead of failing the
// plugin's load.
extern "C" slurm_conf_t slurm_conf __attribute__((weak));

namespace pimpi {

std::vector<slurmpi::NetIface> interfaces(std::string *why)
{
	std::vector<slurmpi::NetIface> out;
	struct ifaddrs *list = nullptr;
	if (::getifaddrs(&list) != 0) {
		*why = "getifaddrs: " + slurmpi::errno_string(errno);
		return out;
	}
	std::map<std::string, std::size_t> index;
	for (auto *a = list; a; a = a->ifa_next) {
		if (!a->ifa_name)
			continue;
		auto [it, fresh] = index.try_emplace(a->ifa_name, out.size());
		if (fresh) {
			slurmpi::NetIface i;
			i.name = a->ifa_name;
			out.push_back(std::move(i));
		}
		auto &i = out[it->second];
		i.up = i.up || (a->ifa_flags & IFF_UP);
		i.loopback = i.loopback || (a->ifa_flags & IFF_LOOPBACK);
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		auto *sin = reinterpret_cast<const sockaddr_in *>(a->ifa_addr);
		int prefix = 32;
		if (a->ifa_netmask) {
			auto *m = reinterpret_cast<const sockaddr_in *>(a->ifa_netmask);
			prefix = __builtin_popcount(ntohl(m->sin_addr.s_addr));
		}
		i.addrs.push_back({ntohl(sin->sin_addr.s_addr), prefix});
	}
	::freeifaddrs(list);
	return out;
}

std::string controller_host()
{
	if (!&slurm_conf || !slurm_conf.control_addr || !slurm_conf.control_addr[0])
		return "";
	return slurm_conf.control_addr[0];
}

std::optional<std::uint32_t> route_source(const std::string &host, std::string *why)
{
	if (host.empty()) {
		*why = "no SlurmctldHost in this process's Slurm config";
		return std::nullopt;
	}
	struct addrinfo hints = {};
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	struct addrinfo *res = nullptr;
	int rc = ::getaddrinfo(host.c_str(), "6817", &hints, &res);
	if (rc != 0 || !res) {
		*why = "the name does not resolve to an IPv4 address: " +
		       std::string(rc ? gai_strerror(rc) : "no address");
		return std::nullopt;
	}
	std::optional<std::uint32_t> src;
	int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket: " + slurmpi::errno_string(errno);
	} else if (::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		*why = "no route to " +
		       slurmpi::format_ipv4(ntohl(
			       reinterpret_cast<const sockaddr_in *>(res->ai_addr)->sin_addr.s_addr)) +
		       ": " + slurmpi::errno_string(errno);
	} else {
		sockaddr_in local = {};
		socklen_t len = sizeof local;
		if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len) == 0)
			src = ntohl(local.sin_addr.s_addr);
		else
			*why = "getsockname: " + slurmpi::errno_string(errno);
	}
	if (fd >= 0)
		::close(fd);
	::freeaddrinfo(res);
	return src;
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
	if (!&slurm_conf || !slurm_conf.mpi_default)
		return "";
	return slurm_conf.mpi_default;
}

} // namespace pimpi
