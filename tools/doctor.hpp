// `slurm-pi doctor`: a Pi cluster's setup pitfalls, checked on this node
// (doctor_node.cpp) or on every node of slurm.conf through Slurm itself
// (--all: doctor_cluster.cpp runs `doctor --node-report` as a job step on
// each node and adds the checks that compare nodes). The checks are pure
// (common/doctor/); these files gather the facts and print.
#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "common/doctor/finding.hpp"
#include "common/doctor/report.hpp"
#include "tools/cli.hpp"
#include "tools/command.hpp"
#include "tools/nodes_cmd.hpp"

namespace slurmpi::tool {

// Every check, in the order they are shown, for --list, --only and --skip.
std::span<const doctor::CheckInfo> doctor_checks();

// How doctor runs programs (timedatectl, munge, srun...): run_command,
// or a fake in tests. `input` goes to the program's stdin.
struct Runner {
	std::function<CommandResult(const std::vector<std::string> &argv, int timeout_ms,
				    const std::string &input)>
		fn;
	CommandResult operator()(const std::vector<std::string> &argv, int timeout_ms,
				 const std::string &input = {}) const
	{
		return fn(argv, timeout_ms, input);
	}
	explicit operator bool() const { return static_cast<bool>(fn); }
};

// What one node reports about itself for --all (doctor --node-report
// prints it as JSON): its findings and the facts the cross-node checks
// compare.
struct NodeReport {
	std::string node;
	double time = 0;              // its clock, seconds since the epoch
	std::string munge_key_sha256; // "" when the key could not be read
	// Every NodeName of slurm.conf as this node resolves it ("" when it
	// does not), in slurm.conf's order.
	std::vector<std::pair<std::string, std::string>> names;
	// The shared directory's token as this node read it; `shared_error`
	// says why not.
	std::string shared_token;
	std::string shared_error;
	// A credential made where --all ran, decoded here: "ok", or what
	// unmunge said; "" when none was given.
	std::string cred_decode;
	std::vector<doctor::Finding> findings;
};

// The wall clock in seconds since the epoch, to the nanosecond: what a
// node reports and what --all compares it with.
double doctor_clock();

// The slurm.conf doctor reads: --slurm-conf, else $SLURM_CONF, else
// /etc/slurm/slurm.conf.
std::string doctor_slurm_conf_path(const Options &o, const char *slurm_conf_env);

// munged's socket: AuthInfo=socket=PATH in `slurm_conf_path`'s file,
// else munge's default /run/munge/munge.socket.2.
std::string doctor_munge_socket(const std::string &slurm_conf_path);

// This node's report (its findings, filtered by --only/--skip).
NodeReport gather_node(const Options &o, const char *slurm_conf_env, const Runner &run);

std::string node_report_json(const NodeReport &r);
// nullopt for text that is not a node report.
std::optional<NodeReport> parse_node_report(std::string_view json);

// The report as lines for a job step's stdout: slurmstepd forwards a task's
// output in messages of at most 1024 bytes (MAX_MSG_LEN, src/common/
// io_hdr.h:49; line by line, slurmstepd/io.c:1799), and srun interleaves
// the nodes' messages, so a longer line would arrive in pieces mixed with
// other nodes'. Each line is "@slurm-pi-doctor NODE I N PIECE" with at most
// kReportPiece bytes of the JSON: no line reaches 1024 bytes.
inline constexpr std::size_t kReportPiece = 700;
std::vector<std::string> node_report_lines(const NodeReport &r);
// Every complete report in srun's output (other lines are ignored; a node
// whose pieces are not all there is left out).
std::vector<NodeReport> parse_node_report_lines(std::string_view output);

// --all: the reports of every node and the cross-node findings.
std::vector<doctor::Finding> gather_cluster(const Options &o, const char *slurm_conf_env,
					    const Runner &run, const NodeLoader &nodes);

// The command. Exit status: doctor::exit_status() of the worst finding,
// kExitUsage for bad options.
int run_doctor(const Options &o, const char *slurm_conf_env, std::ostream &out,
	       std::ostream &err, const Terminal &term, const Runner &run = {},
	       const NodeLoader &nodes = {});

} // namespace slurmpi::tool
