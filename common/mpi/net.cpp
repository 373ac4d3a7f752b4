// The node's network facts for spank_pi_mpi and slurm-pi doctor: see
// net.hpp.
#include "common/mpi/net.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "common/text.hpp"

namespace slurmpi {

std::vector<NetIface> interfaces(std::string *why)
{
	std::vector<NetIface> out;
	struct ifaddrs *list = nullptr;
	if (::getifaddrs(&list) != 0) {
		*why = "getifaddrs: " + errno_string(errno);
		return out;
	}
	std::map<std::string, std::size_t> index;
	for (auto *a = list; a; a = a->ifa_next) {
		if (!a->ifa_name)
			continue;
		auto [it, fresh] = index.try_emplace(a->ifa_name, out.size());
		if (fresh) {
			NetIface i;
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
		*why = "socket: " + errno_string(errno);
	} else if (::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		*why = "no route to " +
		       format_ipv4(ntohl(
			       reinterpret_cast<const sockaddr_in *>(res->ai_addr)->sin_addr.s_addr)) +
		       ": " + errno_string(errno);
	} else {
		sockaddr_in local = {};
		socklen_t len = sizeof local;
		if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len) == 0)
			src = ntohl(local.sin_addr.s_addr);
		else
			*why = "getsockname: " + errno_string(errno);
	}
	if (fd >= 0)
		::close(fd);
	::freeaddrinfo(res);
	return src;
}

} // namespace slurmpi
