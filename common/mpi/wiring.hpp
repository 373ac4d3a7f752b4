// spank_pi_mpi: the decisions behind Open MPI's wiring on a Pi cluster,
// pure: no I/O, no Slurm headers. The plugin (plugins/spank_pi_mpi/)
// gathers the facts (interfaces, the route to slurmctld, the job's
// environment, which files exist) and acts on what these functions decide.
//
//   plugstack.conf: iface= pml= btl= pmix-default= pmix-lib= openmpi=
//   user options:   --mpi-iface=auto|NAME|CIDR   (env SLURM_PI_MPI_IFACE)
//                   --mpi-wiring=on|off          (env SLURM_PI_MPI_WIRING)
//
// What goes wrong on a Pi cluster without it: Open MPI's TCP BTL and OOB
// use every interface that is up, so a docker0 (the same address on every
// node) or a wlan0 (a subnet the nodes cannot reach each other on) makes
// ranks connect to the wrong peer or to nothing, and the job hangs. Debian
// builds Open MPI with UCX, openib and OFI; on a Pi only TCP exists, and
// probing the others costs start-up time and prints warnings.
//
// Messages: every message returned here is complete and ready to log or
// to print into a job's output, in the form `slurm-pi mpi: <where>: <what>`,
// values quoted with quoted() (common/text.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurmpi {

// `slurm-pi mpi: <where>: <what>`: the one place the prefix is written.
std::string mpi_message(std::string_view where, std::string_view what);

// ---------------------------------------------------------------- addresses

// An IPv4 address with its prefix length: an interface's address
// (10.0.0.5/24) or a network (10.0.0.0/24). `addr` in host byte order.
struct Ipv4Prefix {
	std::uint32_t addr = 0;
	int prefix = 32;
	bool operator==(const Ipv4Prefix &) const = default;
};

// "a.b.c.d" (four decimal numbers 0-255, no leading zeros beyond "0",
// nothing else) in host byte order.
std::optional<std::uint32_t> parse_ipv4(std::string_view s);
std::string format_ipv4(std::uint32_t addr);
// "a.b.c.d/N", N in 0-32. Host bits may be set ("10.0.0.5/24", as Open
// MPI accepts); network() clears them.
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view s);
std::string format_ipv4_prefix(const Ipv4Prefix &p);
// The network of `p`: host bits cleared.
Ipv4Prefix network(const Ipv4Prefix &p);
// Whether `addr` lies in network `net` (host bits of `net` ignored).
bool in_network(std::uint32_t addr, const Ipv4Prefix &net);

// ---------------------------------------------------------------- interface choice

// Which interface Open MPI is told to use.
struct IfaceSpec {
	enum class Kind {
		// The interface that carries this node's route to the slurmctld
		// host (the network the cluster's daemons already talk over).
		Auto,
		// An interface name, e.g. eth0 (must be up, with an IPv4 address,
		// on every node of the job).
		Name,
		// A network: on each node, the interface with an address in it.
		Net,
	};
	Kind kind = Kind::Auto;
	std::string name;  // Kind::Name
	Ipv4Prefix net{};  // Kind::Net, host bits cleared
	bool operator==(const IfaceSpec &) const = default;
};

// "auto", an interface name (1-15 bytes of [A-Za-z0-9_.-], not "." or
// "..": what Linux allows minus what a shell or Open MPI's list syntax
// would mangle), or an IPv4 network "a.b.c.d/N". On error, nullopt and
// `why` says what is wrong, without a prefix (the caller names the source).
std::optional<IfaceSpec> parse_iface_spec(std::string_view s, std::string *why);
// The text parse_iface_spec() reads back: "auto", the name, or the network.
std::string format_iface_spec(const IfaceSpec &s);

// One interface of the node, as getifaddrs() shows it (IPv4 only).
struct NetIface {
	std::string name;
	bool up = false;        // IFF_UP
	bool loopback = false;  // IFF_LOOPBACK
	std::vector<Ipv4Prefix> addrs;  // the interface's own addresses
};

// What the node's facts say about a spec.
struct IfaceChoice {
	// Empty on error. Otherwise what *_if_include gets: the interface's
	// network as a CIDR for Auto (the same text on every node of a
	// subnet, whatever each node calls its interface: eth0, end0...), the
	// name for Name, the network for Net.
	std::string value;
	// The interface on this node that the value selects.
	std::string iface;
	// On error, a complete message naming the node and the interface or
	// network, and what to do.
	std::string error;
	bool ok() const { return error.empty(); }
};

// Resolves `spec` on node `node` with its interfaces `ifaces`.
// For Auto, `route_src` is the local address the kernel would use to reach
// the slurmctld host `controller` (nullopt when that is not known, e.g. the
// name does not resolve); `why_no_route` says why, for the message.
// `source` names where the spec came from ("--mpi-iface", "plugstack.conf
// iface=") for messages.
IfaceChoice resolve_iface(const IfaceSpec &spec, const std::vector<NetIface> &ifaces,
			  std::optional<std::uint32_t> route_src, std::string_view controller,
			  std::string_view why_no_route, std::string_view node,
			  std::string_view source);

// ---------------------------------------------------------------- plugstack.conf

// The Open MPI major versions whose names this knows: 4 (bookworm, 4.1)
// and 5 (trixie, 5.0: the OOB moved into PRRTE, vader is now sm).
inline constexpr int kOpenMpiMin = 4;
inline constexpr int kOpenMpiMax = 5;

struct MpiArgs {
	// iface=auto|NAME|CIDR
	IfaceSpec iface;
	// pml=: Open MPI's point-to-point layer; "" = leave Open MPI's own
	// choice (pml=default). Default ob1: on a Pi, TCP through the BTLs.
	std::string pml = "ob1";
	// btl=: the byte transfer layers; "" = Open MPI's own choice
	// (btl=default). Default: self, shared memory, TCP, in the names of
	// the configured Open MPI (default_btl()).
	std::string btl;
	// pmix-default=yes|no: srun without --mpi uses PMIx when neither
	// SLURM_MPI_TYPE nor slurm.conf's MpiDefault says otherwise.
	bool pmix_default = true;
	// pmix-lib=: the library Slurm's mpi/pmix loads (Debian: libpmix.so in
	// /usr/lib/<multiarch>/pmix2/lib, from libpmix-dev). Absolute.
	std::string pmix_lib;
	// openmpi=4|5: which Open MPI's names to set.
	int openmpi = 4;
};

struct MpiArgsResult {
	// With errors, keys that were fine hold their values and the others
	// their defaults; the plugin then reports the errors and sets nothing.
	MpiArgs args;
	// Complete messages: `slurm-pi mpi: plugstack.conf: ...`, naming the
	// argument and what is allowed.
	std::vector<std::string> errors;
	bool ok() const { return errors.empty(); }
};

// The default btl= list for an Open MPI major version.
std::string default_btl(int openmpi);

// Parses the plugin's arguments (av[0..ac-1]): key=value, each known key
// at most once. `pmix_lib` and `openmpi` are the build's defaults
// (configure: the Slurm build's libpmix path, the Open MPI it found).
MpiArgsResult parse_mpi_args(const std::vector<std::string> &args, std::string_view pmix_lib,
			     int openmpi);

// The arguments that parse_mpi_args() turns into `a`, one per key, for the
// plugin's log line and the round trip in the tests.
std::vector<std::string> format_mpi_args(const MpiArgs &a);

// --mpi-wiring / SLURM_PI_MPI_WIRING: "on" or "off" (also yes/no, 1/0).
// nullopt and `why` otherwise.
std::optional<bool> parse_wiring(std::string_view s, std::string *why);

// ---------------------------------------------------------------- environment

struct EnvVar {
	std::string name;
	std::string value;
	bool operator==(const EnvVar &) const = default;
};

// The variable that records what the plugin set, so that a later step
// (srun inside the batch script, mpirun's daemons) can tell the plugin's
// values from the user's: "NAME=VALUE NAME=VALUE ...".
inline constexpr std::string_view kWiredVar = "SLURM_PI_MPI_WIRED";

struct WiringPlan {
	// To set, in order (the last one is kWiredVar).
	std::vector<EnvVar> set;
	// Variables left alone because the user set them (name=value), and
	// ones left out because the user set the opposite list (an
	// *_if_exclude): for the plugin's debug log.
	std::vector<std::string> kept;
};

// What to set for Open MPI `a.openmpi` (4 or 5) with the interface
// resolve_iface() chose (value "" = no interface setting) and args' pml
// and btl. `current` gives a variable's value in the step's environment,
// nullopt if unset. The names, checked against Debian's 4.1.4 and 5.0.7
// (ompi_info --all --parsable, prte_info --all):
//   4: OMPI_MCA_btl_tcp_if_include=VALUE  OMPI_MCA_oob_tcp_if_include=VALUE
//   5: OMPI_MCA_btl_tcp_if_include=VALUE  PRTE_MCA_prte_if_include=IFACE
//   both: OMPI_MCA_pml, OMPI_MCA_btl (vader is sm in 5's default_btl()).
// Open MPI 5's OOB is PRRTE's: it ignores OMPI_MCA_oob_*, and reads
// prte_if_include (oob_tcp_if_include and oob_tcp_include are deprecated
// synonyms that win over it when both are set). It gets the interface's
// name, not the network: PRRTE 3.0.8, in Open MPI 5.0.7, looks a network
// up by the wrong interface index, warns "Did not find interface matching
// this subnet" and then uses every interface (fixed in PRRTE 3.0.9, Open
// MPI 5.0.8). prterun hands its PRTE_MCA_* to the daemons it starts, so
// the batch node's name applies on every node of an mpirun.
//   - A variable the user set is never changed, nor one whose synonym the
//     user set. A variable counts as the plugin's own when kWiredVar
//     records it with its current value; then it gets this step's value
//     (a --mpi-iface on an srun inside a batch script wins over the
//     script's wiring).
//   - An *_if_include is not set when the user set the matching
//     *_if_exclude (or a synonym of it): Open MPI refuses both.
WiringPlan plan_wiring(const MpiArgs &a, const IfaceChoice &iface,
		       const std::function<std::optional<std::string>(std::string_view)> &current);

// The record in kWiredVar's format, parsed: NAME=VALUE pairs; malformed
// entries are skipped (the variable is the user's to change).
std::vector<EnvVar> parse_wired(std::string_view s);

// ---------------------------------------------------------------- checks

// What keeps srun --mpi=pmix from starting on a node: Slurm's mpi/pmix
// plugin file or the library it loads. "" when both exist.
//   plugin: PluginDir/mpi_pmix.so, from slurm-wlm-basic-plugins;
//   lib:    pmix-lib=, from libpmix-dev.
std::string pmix_problem(std::string_view node, std::string_view plugin_path, bool plugin_exists,
			 std::string_view lib_path, bool lib_exists);

// Whether a batch script runs Open MPI's launcher: a word mpirun, mpiexec,
// orterun or prterun (also as a path's last component) outside a comment.
bool script_runs_mpirun(std::string_view script);

// The message for a job that runs mpirun as root, quoting the refusal of
// Open MPI `openmpi` (4: mpirun's, 5: PRRTE's prterun's).
std::string root_mpirun_message(std::string_view node, int openmpi);

} // namespace slurmpi
