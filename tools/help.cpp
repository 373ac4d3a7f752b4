#include "tools/help.hpp"

#include "slurmpi_config.h"

namespace slurmpi::tool {

namespace {

constexpr std::string_view kMainHelp =
	R"(Usage: slurm-pi [OPTION...] COMMAND [OPTION...]

Tools for a Slurm cluster of Raspberry Pis running the slurm-pi plugins.

Commands:
  doctor          check this node (or with --all every node) for the known
                  Pi cluster setup traps, each with its fix
  nodeconf        print the slurm.conf NodeName line for this node
  nodes           list every node of the cluster with its Slurm state and
                  the telemetry task/pi publishes: model, temperature,
                  band, throttle flags, clock, age (--watch to follow)
  status          print this node's model, temperature, thermal band,
                  throttle flags, clock and fan, and where they came from
  help [COMMAND]  print this help, or the help of COMMAND

Options (before or after the command):
  --root DIR      read the machine's files (/sys, /proc) under DIR instead
                  of /: a fixture tree, or a tree copied from another node
                  for inspection
  --config FILE   the slurm-pi.conf to use; default: slurm-pi.conf beside
                  slurm.conf, i.e. in the directory of $SLURM_CONF if it is
                  set, else /etc/slurm/slurm-pi.conf. A missing default
                  file means the documented defaults; a missing FILE given
                  here is an error.
  -h, --help      print help and exit (`slurm-pi COMMAND --help` for one
                  command)
  --version       print the version (and the package's, and the Slurm
                  version it was built for) and exit

Exit status:
  0  success
  1  runtime problem: the machine could not be read (e.g. status found no
     sensor at all, nodeconf could not count the CPUs), or nodes could not
     reach slurmctld
  2  usage error: unknown command or option, missing or bad option value
  3  the config file cannot be used; every error in it is printed
  4  doctor: the worst finding is a warning
  5  doctor: at least one check failed

See slurm-pi(1) for details.
)";

constexpr std::string_view kDoctorHelp =
	R"(Usage: slurm-pi doctor [--all] [--only CHECKS] [--skip CHECKS] [--list]
                      [--json] [--no-color] [--slurm-conf FILE] [--config FILE]

Check a Raspberry Pi cluster's setup for the traps that stop a first job:
each check says ok, warn, fail or skip, what it saw (the file and line, the
value, the command's output) and, when something is wrong, one line that
fixes it. `slurm-pi doctor --list` names the checks:

  slurm.conf.*    PartitionName=default used as the only partition (Slurm
                  reads it as the defaults template and slurmctld exits "No
                  PartitionName information available"), a RealMemory above
                  what the node has (drained "Low RealMemory"), CPUs that do
                  not match the board, memory as a consumable resource
                  without the memory cgroup
  memory.cgroup   the memory controller, which Raspberry Pi OS kernels leave
                  off: the fix is the edited cmdline.txt line
  time.*          the clock is synchronised (a Pi has no RTC); with --all,
                  the nodes' clocks against this one (munge refuses
                  credentials from a clock too far off)
  munge.*         munge.key's owner and mode, munged answering a round
                  trip; with --all, the same key everywhere (by hash, never
                  the key) and a credential made here decoding on every node
  names.*         this node's name resolves to its LAN address, not to
                  Debian's "127.0.1.1 <hostname>" line; with --all, every
                  NodeName resolves to one address everywhere
  shared.dir      --all: the shared directory (/home/shared, or
                  $SLURM_PI_DOCTOR_SHARED) is the same on every node: a
                  token written here is read back there, with a timeout
  power.*         under-voltage now or since boot (the power supply),
                  heat and throttling
  mpi.*           Slurm's mpi/pmix with its libpmix.so, and Open MPI
  slurm-pi.*      the plugins slurm.conf and plugstack.conf name exist and
                  are built for the installed Slurm; slurm-pi.conf parses
  cluster.reach   --all: every node answered (down, drained and unknown
                  nodes are reported, not waited on)

Options:
  --all           check every node of slurm.conf: one job step per node
                  (srun, as you; run it as root so that munge.key can be
                  hashed), then the checks that compare nodes; one table
                  with a NODE column
  --only CHECKS   run only these checks: ids or groups, comma-separated
                  (e.g. munge,time.sync); may be repeated
  --skip CHECKS   leave these out; wins over --only
  --list          print the checks and exit
  --json          print {"worst", "counts", "findings": [{check, verdict,
                  summary, evidence, fix, node}]} instead of the table
  --no-color      no colours even on a terminal (so does a non-empty
                  $NO_COLOR)
  --slurm-conf FILE
                  check this slurm.conf instead of $SLURM_CONF (default
                  /etc/slurm/slurm.conf); for a file you have not started
                  slurmctld from
  --config FILE   the slurm-pi.conf to check (see slurm-pi --help)
  --root DIR      read the machine's files under DIR (a fixture tree); the
                  checks that run programs are skipped

Exit status: 0 every check ok or skipped, 4 the worst is a warning, 5 a
check failed, 2 usage error.
)";

constexpr std::string_view kNodeconfHelp =
	R"(Usage: slurm-pi nodeconf [--root DIR] [--config FILE] [--topology SRC]

Print the slurm.conf NodeName line for this node, like `slurmd -C` but
aware of the Raspberry Pi, after "# " comment lines naming the model and
where each value came from, e.g.

  NodeName=pi1 CPUs=4 Boards=1 SocketsPerBoard=1 CoresPerSocket=4
  ThreadsPerCore=1 RealMemory=3537 Features=pi4b,arm64,mem4g

(one line). The values:

  CPUs, Boards, SocketsPerBoard, CoresPerSocket, ThreadsPerCore
      counted with hwloc as slurmd counts them, so the line matches what
      the node reports. With --root and no --topology: from the model
      table (a Pi is one package of N cores without SMT).
  RealMemory
      MemTotal of /proc/meminfo in MiB minus MemoryReserveMB of
      slurm-pi.conf (default 256), which keeps memory back for slurmd, the
      OS and the page cache; never less than 25% of MemTotal.
  Features
      the model (pi3bplus, pi4b, pi5, pizero2w, ...; none on other
      machines), the Debian architecture of the userland (arm64, armhf,
      amd64) and the memory size (mem512m, mem1g, ..., mem16g) from the
      board's Revision code, else from MemTotal rounded up.
  NodeName
      the short host name; with --root, DIR/etc/hostname if the tree has
      one, else the name of DIR.

Values that cannot be read are left out and explained on "# problem:"
lines; the exit status is then 1.

Options:
  --topology SRC  take the CPU layout from SRC: an hwloc XML file (any SRC
                  that contains '/' or ends in .xml; make one with
                  `lstopo node.xml` on the node) or an hwloc synthetic
                  description such as "package:1 core:4 pu:1"
  --root DIR, --config FILE, --help: see `slurm-pi --help`.
)";

constexpr std::string_view kNodesHelp =
	R"help(Usage: slurm-pi nodes [--watch[=SECONDS]] [--no-color] [--json] [--config FILE]

List every node slurmctld knows (as slurm_load_node() reports them; the
slurm.conf of $SLURM_CONF, else /etc/slurm/slurm.conf) with the telemetry
record task/pi publishes into the node's Extra field. Columns:

  NODE      the node name
  STATE     the Slurm state as sinfo shows it (idle, mixed, allocated,
            drained, draining, down, ...; "*" when not responding)
  MODEL     the Pi model of the record (e.g. 4B, 5, 3B+)
  TEMP      CPU temperature in C
  BAND      cool, warm, hot, critical; "unknown (stale)" when the record
            is older than StaleAfter of slurm-pi.conf (or further ahead
            of this clock), as the scheduler sees it
  CLOCK     ARM clock now / maximum, MHz
  AGE       how long ago the node sampled it (3s, 2m, 1h, 2d)
  THROTTLE  the firmware's throttle flags in words ("none" when all are
            known and clear; "...; others unknown" when the node can read
            only some of them, e.g. hwmon rpi_volt: under-voltage only)
  REASON    why the node is drained or down, when it is

A node without a record, or with one that cannot be read, shows "-" and a
"note:" line under the table says why; so does a stale record.

Options:
  --watch[=SECONDS]  redraw every SECONDS (default 2, 1..86400) until
                  Ctrl-C (SIGINT) or SIGTERM, which exit 0; on a terminal
                  the screen is cleared and the band coloured (cool green,
                  warm yellow, hot red, critical bold red, unknown or stale
                  dim); into a pipe or file each round is plain text. An
                  unreachable slurmctld is shown and retried.
  --no-color      no colours even on a terminal (so does a non-empty
                  $NO_COLOR)
  --json          print a JSON array instead, one object per node with the
                  keys name, state, reason, band, stale, age_s, temp_c,
                  model, throttled, throttled_known, throttle, mhz, max_mhz,
                  mem_mb, ts, record (the parsed record as task/pi wrote it)
                  and note; unknown values are null. Not with --watch.
  --config FILE, --help: see `slurm-pi --help`.

Exit status: 0 listed (also when nodes have no telemetry); 1 slurmctld
could not be asked (the message names SLURM_CONF); 2 usage error; 3 the
config file cannot be used.
)help";

constexpr std::string_view kStatusHelp =
	R"(Usage: slurm-pi status [--json] [--root DIR] [--config FILE]

Print this node's telemetry as task/pi samples it: model, CPU temperature,
thermal band, throttle flags in words, ARM clock (current and maximum MHz),
fan (Pi 5), the sensor chips libsensors sees (not with --root), the files
and devices read, and every problem met. Nothing is
changed and no program is run; the firmware mailbox (/dev/vcio) is asked
for the throttle flags when it can be opened (usually root only), else the
kernel's files are read.

The band is computed with the thresholds of slurm-pi.conf (WarmTemp,
HotTemp, CriticalTemp): cool, warm, hot, critical (also when throttled or
under-voltage now), or unknown when there is no temperature.

Options:
  --json          print one JSON object instead, for scripts: keys node,
                  model, temp_c, band, band_cause, limits, throttled,
                  throttle_source, throttle_known, throttle_flags, mhz,
                  max_mhz, policy_max_mhz, board_max_mhz, fan_rpm, fan_pwm,
                  chips, sources, problems; a value that could not be read
                  is null
  --root DIR, --config FILE, --help: see `slurm-pi --help`.

Exit status: 0, also when some values are missing (see problems); 1 when
no sensor could be read at all.
)";

} // namespace

std::string_view help_text(Command topic)
{
	switch (topic) {
	case Command::doctor:
		return kDoctorHelp;
	case Command::nodeconf:
		return kNodeconfHelp;
	case Command::nodes:
		return kNodesHelp;
	case Command::status:
		return kStatusHelp;
	case Command::help:
	case Command::none:
		break;
	}
	return kMainHelp;
}

std::string_view version_text()
{
	// "slurm-pi 0.1.0 (Debian package 0.1.0-1, built for Slurm 22.05.8)":
	// the upstream version comes from packaging/debian/changelog, the
	// package's from debian/rules (configure --with-package-version).
	static const std::string text = [] {
		std::string t = PACKAGE_STRING " (";
		if (std::string_view(SLURMPI_PACKAGE_VERSION).empty())
			t += "built for Slurm ";
		else
			t += "Debian package " SLURMPI_PACKAGE_VERSION ", built for Slurm ";
		return t + SLURMPI_SLURM_VERSION ")\n";
	}();
	return text;
}

} // namespace slurmpi::tool
