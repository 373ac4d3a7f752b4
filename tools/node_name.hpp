// The name a node goes by in slurm.conf: its short host name.
#pragma once

#include <string>
#include <string_view>

namespace slurmpi::tool {

struct NodeName {
	std::string name;   // may be fully qualified; "" when unknown
	std::string source; // "gethostname", "/etc/hostname", "the name of DIR"
	std::string error;  // why name is empty
};

// For the real root ("" or "/"): gethostname(), which is what slurmd uses.
// For a tree: its /etc/hostname, else the last component of `root` (trees
// copied from nodes are usually kept in directories named after them).
NodeName node_name(std::string_view root);

} // namespace slurmpi::tool
