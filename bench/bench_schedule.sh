#!/bin/bash
# Scheduling throughput on the emulated cluster: the same burst of short
# batch jobs under stock select/cons_tres and under select/pi_cons_tres, in
# one run, alternating, and the ratio. Target: pi_cons_tres within 5%.
#
#   bench/bench_schedule.sh [-j JOBS] [-r ROUNDS] [-n NODES] [-m MIX]   (root)
#     -j JOBS    jobs per run (default 1000)
#     -r ROUNDS  rounds; each runs both plugins, the order alternating
#                (cons_tres first in odd rounds), default 3
#     -n NODES   emulated nodes (default 4; 64 works, and is heavy)
#     -m MIX     mixed (default): bands as below; cool: every node cool
#   SLURM_PI_BENCH_LOCK_WAIT  seconds to wait for the cluster lock (1800)
#
# One run: `cluster up -o SelectType=...` (every other setting the same,
# task/pi publishing telemetry in both), node temperatures set to a mix of
# bands (per four nodes: cool 45 C, warm 65 C, hot 72.5 C, cool 45 C; no
# critical node, so both plugins have the same CPUs to fill and only the
# order differs), wait until slurmctld has every node's band; set the
# partition DOWN, submit JOBS individual `sbatch --wrap=true` jobs as the
# job user (two submit loops), then set the partition UP with one command
# and time from there until slurmctld counts all JOBS ended (sdiag,
# polled every 0.2 s), and slurmctld's CPU time over the same span
# (/proc/<pid>/stat: the scheduler's own cost, much less noisy on a shared
# host than wall time). Individual jobs, not an array: an array is one
# record until the scheduler splits it, which changes how it is scheduled.
# The partition is down while the jobs are submitted so that the time
# measured is the scheduler's and the nodes', not sbatch's (1000 sbatch
# runs take longer than 1000 `true` jobs); the submit time and the time
# from the first submit to the last end are printed too.
#
# With pi_cons_tres, slurmctld logs what job_test cost (the plugin's
# counters, logged at shutdown); the bench prints those lines per run.
#
# The cluster lock is held for one round at a time (two cluster runs),
# so that other users of the host get their turn between rounds.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/cluster/lib/common.sh"
. "$here/tests/cluster/lib/jobs.sh"
CLUSTER="$here/tests/cluster/cluster"

jobs=1000 rounds=3 nodes=4 mix=mixed
while getopts "j:r:n:m:" opt; do
	case "$opt" in
	j) jobs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	n) nodes=$OPTARG ;;
	m) mix=$OPTARG ;;
	*) echo "usage: bench/bench_schedule.sh [-j JOBS] [-r ROUNDS] [-n NODES] [-m mixed|cool]" >&2; exit 2 ;;
	esac
done
case "$mix" in mixed|cool) ;; *) echo "bench_schedule: -m '$mix' is not mixed or cool" >&2; exit 2 ;; esac
for v in jobs rounds nodes; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench_schedule: -${v:0:1} '${!v}' is not a positive number" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench_schedule: run as root (it starts the emulated cluster)" >&2; exit 2; }
lock_wait=${SLURM_PI_BENCH_LOCK_WAIT:-1800}
# Seconds one burst may take before the run is declared failed.
run_limit=$((120 + jobs))

exec 9>"$CLUSTER_LOCK"
# Tear the cluster down on the way out only while this run holds the lock:
# between rounds the cluster may be someone else's.
holding=0
trap '[ "$holding" = 1 ] && "$CLUSTER" down >/dev/null 2>&1' EXIT
out=$(mktemp -d /tmp/bench_schedule.XXXXXX)

now() { date +%s.%N; }
sdiag_count() { sdiag 2>/dev/null | awk -v k="$1" -F: '$1 == k { gsub(/ /, "", $2); print $2 }'; }
ended() { echo $(( $(sdiag_count "Jobs completed") + $(sdiag_count "Jobs canceled") + $(sdiag_count "Jobs failed") )); }
# sdiag's mean cycle (us) of the main scheduler and of backfill.
sched_cycles()
{
	sdiag 2>/dev/null | awk '/^Main schedule statistics/ { s = "main" } /^Backfilling stats/ { s = "bf" }
		/Mean cycle:/ { v[s] = $3 } /Total cycles:/ { c[s] = $3 }
		END { printf "main %s cycles, mean %s us; backfill %s cycles, mean %s us", c["main"], v["main"], c["bf"], v["bf"] }'
}

# slurmctld's CPU time so far (user + system, clock ticks).
ctld_cpu() { awk '{ print $14 + $15 }' "/proc/$(cat "$CTLD_DIR/slurmctld.pid.run")/stat" 2>/dev/null || echo 0; }

# The temperature of node i (1-based) in the mix, and its band.
# -m cool: every node cool, the control: the policy still runs, and the
# order it gives (faster models first) is the nodes' index order here.
mix_temp() { [ "$mix" = cool ] && { echo 45; return; }; case $(( ($1 - 1) % 4 )) in 0|3) echo 45 ;; 1) echo 65 ;; 2) echo 72.5 ;; esac; }
mix_band() { [ "$mix" = cool ] && { echo cool; return; }; case $(( ($1 - 1) % 4 )) in 0|3) echo cool ;; 1) echo warm ;; 2) echo hot ;; esac; }

# run_one SELECTTYPE TAG: one cluster run; appends "seconds" to $out/TAG.
run_one()
{
	local select=$1 tag=$2 i t0 t1 s0 s1 c0 c1 n left dir failed cycles half
	if ! timeout -k 10 600 "$CLUSTER" up -n "$nodes" -o SelectType="$select" >"$out/up.log" 2>&1; then
		echo "bench_schedule: the cluster did not come up with $select:" >&2
		tail -n 20 "$out/up.log" >&2
		return 1
	fi
	# Telemetry everywhere, bands mixed; wait until slurmctld has them.
	for ((i = 1; i <= nodes; i++)); do "$CLUSTER" set "pi$i" temp="$(mix_temp "$i")" >/dev/null; done
	for ((i = 1; i <= nodes; i++)); do
		wait_for 60 band_is "pi$i" "$(mix_band "$i")" ||
			{ echo "bench_schedule: pi$i did not publish band $(mix_band "$i")" >&2; return 1; }
	done
	dir="$SHARED_DIR/bench-schedule"
	rm -rf "$dir"; install -d -o "$JOB_USER" -g "$JOB_USER" "$dir"
	scontrol update partitionname=main state=DOWN || return 1
	s0=$(now)
	# Two submit loops (two cores), each JOBS/2 individual sbatch calls.
	local pids=() pid bad=0
	for half in $(( jobs / 2 )) $(( jobs - jobs / 2 )); do
		(cd "$dir" && timeout -k 5 900 runuser -u "$JOB_USER" -- env SLURM_CONF="$SLURM_CONF" \
			bash -c 'for ((i = 0; i < $1; i++)); do sbatch --parsable --output=/dev/null --wrap=true >/dev/null || exit 1; done' \
			submit "$half") &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || bad=1; done
	((bad == 0)) || { echo "bench_schedule: sbatch failed" >&2; return 1; }
	s1=$(now)
	n=$(sdiag_count "Jobs submitted")
	[ "$n" = "$jobs" ] || { echo "bench_schedule: slurmctld counts $n jobs submitted, not $jobs" >&2; return 1; }
	sdiag -r >/dev/null
	c0=$(ctld_cpu)
	t0=$(now)
	scontrol update partitionname=main state=UP || return 1
	while :; do
		left=$((jobs - $(ended)))
		((left <= 0)) && break
		if awk -v a="$(now)" -v b="$t0" -v l="$run_limit" 'BEGIN { exit !(a - b > l) }'; then
			echo "bench_schedule: $left jobs still not ended after ${run_limit}s" >&2
			return 1
		fi
		sleep 0.2
	done
	t1=$(now)
	c1=$(ctld_cpu)
	failed=$(( $(sdiag_count "Jobs failed") + $(sdiag_count "Jobs canceled") ))
	cycles=$(sched_cycles)
	"$CLUSTER" down >/dev/null 2>&1
	awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v n="$jobs" -v tag="$tag" -v f="$failed" -v c="$cycles" \
	    -v cpu="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "%-13s %d jobs in %7.2f s = %6.2f jobs/s; slurmctld CPU %.2f s (submit %.1f s, first submit to last end %.1f s, %d failed)\n",
			tag, n, t1 - t0, n / (t1 - t0), cpu / hz, s1 - s0, t1 - s0, f
		printf "    %s\n", c }'
	awk -v t0="$t0" -v t1="$t1" -v cpu="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f %.2f\n", t1 - t0, cpu / hz }' >>"$out/$tag"
	# Where the jobs ran (batch launches in each slurmd's log).
	for ((i = 1; i <= nodes; i++)); do
		printf '%s:%s ' "pi$i" "$(grep -c 'Launching batch job' "$(node_dir "pi$i")/slurmd.log" 2>/dev/null)"
	done | fold -w 100 -s | sed 's/^/    jobs per node: /'
	echo
	grep -o 'select/pi_cons_tres: job_test .*' "$CTLD_DIR/slurmctld.log" 2>/dev/null | sed 's/^/    /'
	[ "$failed" = 0 ] || echo "    warning: $failed jobs did not complete" >&2
	return 0
}

echo "bench_schedule: $nodes emulated nodes x 4 CPUs, $jobs jobs per run (sbatch --wrap=true), $rounds rounds; bands: $([ "$mix" = cool ] && echo "all cool" || echo "per 4 nodes cool warm hot cool"); DefaultThermalPolicy=balanced"
echo "host: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= rounds; r++)); do
	if ! flock -w "$lock_wait" 9; then
		echo "bench_schedule: the cluster lock $CLUSTER_LOCK was held for ${lock_wait}s; holders: $(fuser "$CLUSTER_LOCK" 2>/dev/null)" >&2
		exit 1
	fi
	holding=1
	if ((r % 2)); then order="cons_tres pi_cons_tres"; else order="pi_cons_tres cons_tres"; fi
	for p in $order; do
		run_one "select/$p" "$p" || exit 1
	done
	holding=0
	flock -u 9
done

echo
awk -v target=5 '
	FNR == 1 { f++ }
	f == 1 { a[FNR] = $1; ca += $2; n = FNR }
	f == 2 { b[FNR] = $1; cb += $2 }
	function stats(x, k,   i, s, mn, mx) { s = 0; mn = x[1]; mx = x[1]
		for (i = 1; i <= k; i++) { s += x[i]; if (x[i] < mn) mn = x[i]; if (x[i] > mx) mx = x[i] }
		m = s / k; lo = mn; hi = mx }
	END {
		stats(a, n); ma = m; printf "select/cons_tres     mean %7.2f s (min %.2f, max %.2f, %d runs), slurmctld CPU %.2f s/run\n", m, lo, hi, n, ca / n
		stats(b, n); mb = m; printf "select/pi_cons_tres  mean %7.2f s (min %.2f, max %.2f, %d runs), slurmctld CPU %.2f s/run\n", m, lo, hi, n, cb / n
		rmin = 1e9; rmax = 0
		for (i = 1; i <= n; i++) { r = b[i] / a[i]; if (r < rmin) rmin = r; if (r > rmax) rmax = r }
		ratio = mb / ma
		printf "ratio pi_cons_tres/cons_tres: %.3f (per round %.3f .. %.3f); target <= 1.05: %s\n",
			ratio, rmin, rmax, (ratio <= 1 + target / 100 ? "met" : "NOT met")
		if (ca > 0) printf "slurmctld CPU ratio: %.3f\n", cb / ca
	}' "$out/cons_tres" "$out/pi_cons_tres"
rm -rf "$out"
