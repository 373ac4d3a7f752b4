#include "tools/node_name.hpp"

#include <cerrno>
#include <climits>
#include <unistd.h>

#include "common/fs.hpp"

namespace slurmpi::tool {

NodeName node_name(std::string_view root)
{
	NodeName n;
	if (is_real_root(root)) {
		char buf[HOST_NAME_MAX + 1] = {};
		if (::gethostname(buf, sizeof(buf) - 1) != 0) {
			n.error = "gethostname: " + errno_string(errno);
			return n;
		}
		n.name = buf;
		n.source = "gethostname";
		return n;
	}
	FileRead f = read_under(root, "/etc/hostname");
	// The first line; hostname(5) allows nothing else but be lenient.
	std::string_view first = f.ok ? std::string_view(f.data) : std::string_view();
	first = trim_value(first.substr(0, first.find('\n')));
	if (!first.empty()) {
		n.name = std::string(first);
		n.source = "/etc/hostname";
		return n;
	}
	std::string_view dir = root;
	while (dir.size() > 1 && dir.back() == '/')
		dir.remove_suffix(1);
	auto slash = dir.rfind('/');
	n.name = std::string(slash == std::string_view::npos ? dir : dir.substr(slash + 1));
	n.source = "the name of the --root directory (it has no /etc/hostname)";
	if (n.name.empty() || n.name == "." || n.name == "..") {
		n.name.clear();
		n.error = "--root " + std::string(root) +
			  ": no /etc/hostname and no directory name to use";
	}
	return n;
}

} // namespace slurmpi::tool
