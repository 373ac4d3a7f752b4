#!/bin/bash
# What task/pi's telemetry costs, measured on the emulated cluster side by
# side with what an admin would otherwise run: a shell loop on each node
# that reads the same sensor files with `cat` and pushes them with
# `scontrol update nodename=<node> extra=...` every poll.
#
#   bench/bench_publish.sh [SECONDS]      (root; default 60 s per phase)
#   SLURM_PI_BENCH_POLL=5 bench/bench_publish.sh   (PollInterval, default 1 s)
#
# Phases, each SECONDS long, after `sdiag -r`:
#   steady    every node at 45 C: slurm-pi publishes only its heartbeat
#   flapping  every node's temperature crosses WarmTemp (60 C) every poll
#             (59.5 <-> 60.5 C): the hysteresis keeps the band, so the
#             publish rate must stay near the steady one (target <= 2x)
#   script    the naive loop on every node, one `scontrol update` per poll,
#             as a shell monitor does; task/pi keeps running beside it, so
#             its steady rate is subtracted from the count
# For each it prints UPDATE_NODE RPCs per node-hour (from sdiag), slurmctld's
# mean handling time per update and its share of the poll interval, and
# the CPU time per node-hour of the publisher (task/pi's sampler thread,
# from /proc/<slurmd>/task/<tid>/schedstat; the loop's own CPU from its
# process accounting).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/cluster/lib/common.sh"
secs=${1:-60}
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "bench_publish: '$secs' is not a number of seconds" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench_publish: run as root (it starts the emulated cluster)" >&2; exit 2; }

poll=${SLURM_PI_BENCH_POLL:-1} publish=30
exec 9>"$CLUSTER_LOCK"
flock 9
trap '"$here/tests/cluster/cluster" down >/dev/null 2>&1' EXIT
"$here/tests/cluster/cluster" up -c PollInterval=$poll -c PublishInterval=$publish >/dev/null 2>&1 ||
	{ echo "bench_publish: the cluster did not come up" >&2; exit 1; }
nodes=$(cluster_nodes | wc -l)
set_all() { local n; for n in $(cluster_nodes); do "$here/tests/cluster/cluster" set "$n" "$@" >/dev/null; done; }

# sdiag's count and mean time (us) for one RPC type.
rpc() { sdiag | awk -v t="$1" '$1 == t { for (i = 2; i <= NF; i++) { if ($i ~ /^count:/) c = substr($i, 7); if ($i ~ /^ave_time:/) a = substr($i, 10) } } END { print (c ? c : 0), (a ? a : 0) }'; }

# CPU nanoseconds of every task/pi sampler thread (named slurm-pi) in all
# of the cluster's slurmd processes.
sampler_ns()
{
	local total=0 t
	for t in /proc/[0-9]*/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = slurm-pi ] || continue
		total=$((total + $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}

per_node_hour() { awk -v x="$1" -v n="$nodes" -v s="$secs" 'BEGIN { printf "%.0f", x / n * 3600 / s }'; }

report()
{
	local name=$1 updates=$2 ave_us=$3 cpu_ns=$4
	local per_hour cpu_ms share
	per_hour=$(per_node_hour "$updates")
	cpu_ms=$(awk -v x="$cpu_ns" -v n="$nodes" -v s="$secs" 'BEGIN { printf "%.1f", x / 1e6 / n * 3600 / s }')
	share=$(awk -v a="$ave_us" -v p="$poll" 'BEGIN { printf "%.4f", a / (p * 1e6) * 100 }')
	printf '%-9s %6s updates/node-h  %6s us/update in slurmctld (%s%% of a %ss poll)  publisher CPU %8s ms/node-h\n' \
		"$name" "$per_hour" "$ave_us" "$share" "$poll" "$cpu_ms"
	eval "${name}_per_hour=$per_hour ${name}_cpu=$cpu_ms"
}

phase()
{
	local name=$1 before_ns after_ns upd
	sdiag -r >/dev/null
	before_ns=$(sampler_ns)
	"$2"
	after_ns=$(sampler_ns)
	read -r upd ave < <(rpc REQUEST_UPDATE_NODE)
	report "$name" "$upd" "$ave" "$((after_ns - before_ns))"
}

steady() { set_all temp=45; sleep "$secs"; }
flapping()
{
	local end=$((SECONDS + secs)) t=59.5
	while ((SECONDS < end)); do
		set_all temp=$t
		[ "$t" = 59.5 ] && t=60.5 || t=59.5
		sleep "$poll"
	done
}
# The naive monitor, one per node inside the node: cat the files, then
# scontrol update, every poll. Its CPU is measured with bash's `times`.
script_loop()
{
	local n pids=() f
	for n in $(cluster_nodes); do
		f="$STATE/bench-$n.cpu"
		in_node "$n" bash -c '
			end=$((SECONDS + $1)); z=$(for d in /sys/class/thermal/thermal_zone*; do [ "$(cat $d/type)" = cpu-thermal ] && echo $d; done)
			while ((SECONDS < end)); do
				t=$(cat $z/temp); thr=$(cat /sys/devices/platform/soc/soc:firmware/get_throttled)
				mhz=$(cat /sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq)
				scontrol update nodename=$2 extra="{\"t\":$t,\"thr\":\"$thr\",\"khz\":$mhz}"
				sleep $3
			done
			times >"$4"' bench "$secs" "$n" "$poll" "$f" 9>&- &
		pids+=($!)
	done
	wait "${pids[@]}"
}

echo "bench_publish: $nodes emulated nodes, PollInterval=$poll s, PublishInterval=$publish s, $secs s per phase"
set_all temp=45
sleep 3
phase steady steady
phase flapping flapping
set_all temp=45
# The script phase: slurm-pi keeps publishing its heartbeat beside it, so
# count the script's own updates as total minus slurm-pi's steady rate.
sdiag -r >/dev/null
script_loop
read -r upd ave < <(rpc REQUEST_UPDATE_NODE)
cpu_ns=0
for n in $(cluster_nodes); do
	# `times`, line 2: children's user and system time ("0m1.234s 0m0.567s")
	c=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } } END { printf "%.0f", s * 1e9 }' "$STATE/bench-$n.cpu" 2>/dev/null)
	cpu_ns=$((cpu_ns + ${c:-0}))
	rm -f "$STATE/bench-$n.cpu"
done
script_updates=$((upd - steady_per_hour * nodes * secs / 3600))
report script "$script_updates" "$ave" "$cpu_ns"

target=$((3600 / publish))
echo
awk -v s="$steady_per_hour" -v f="$flapping_per_hour" -v x="$script_per_hour" -v t="$target" \
    -v sc="$steady_cpu" -v xc="$script_cpu" 'BEGIN {
	printf "steady:   %d updates/node-h, target <= %d: %s\n", s, t, (s <= t ? "met" : "NOT met")
	printf "flapping: %.2fx steady, target <= 2x: %s\n", (s ? f / s : 0), (f <= 2 * s ? "met" : "NOT met")
	printf "script/slurm-pi: %.0fx the updates, %.0fx the CPU\n", (s ? x / s : 0), (sc > 0 ? xc / sc : 0)
}'
