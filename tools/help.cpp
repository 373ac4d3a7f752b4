#include "tools/help.hpp"

#include "slurmpi_config.h"

namespace slurmpi::tool {

namespace {

constexpr std::string_view kMainHelp =
	R"(Usage: slurm-pi [OPTION...] COMMAND [OPTION...]

Tools for a Slurm cluster of Raspberry Pis running the slurm-pi plugins.

Commands:
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
  --version       print the version and exit

Exit status:
  0  success
  1  runtime problem: the machine could not be read (e.g. status found no
     sensor at all, nodeconf could not count the CPUs), or nodes could not
     reach slurmctld
  2  usage error: unknown command or option, missing or bad option value
  3  the config file cannot be used; every error in it is printed

See slurm-pi(1) for details.
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
	return PACKAGE_STRING "\n";
}

} // namespace slurmpi::tool
