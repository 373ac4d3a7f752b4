#!/bin/bash
# The thermal scenario: the same job mix under the same heat emulation
# (`cluster heat`), placed by stock select/cons_tres and by
# select/pi_cons_tres, printed side by side from one run.
#
#   bench/bench_thermal.sh            (root; about 14 minutes)
#   SLURM_PI_BENCH_SPEED=10           model seconds per wall second
#   SLURM_PI_BENCH_CONF="KEY=V ..."   slurm-pi.conf settings (cluster up -c)
#   SLURM_PI_BENCH_REGIMES="teaching burst"
#
# Cluster: six Pi 4Bs (same model, so neither plugin prefers one for its
# speed): pi1 in a closed case, pi2 bare, pi3-pi6 with heatsinks, in a
# 25 C room. Stock Slurm fills nodes in index order, so pi1 is where it
# puts work first; in the model only the closed case can pass 80 C.
# Regimes, each from a cluster at rest:
#   teaching  40 jobs arriving over time (1, 2 or 4 CPUs, 10-30 units),
#             on average about half the cores busy
#   burst     48 jobs of 2 or 4 CPUs submitted at once: every core busy
#             until the queue drains
# Jobs run $STATE/bin/pi-work UNITS: one unit is one second at full clock,
# fewer per second on a throttled node. Per plugin and regime it prints
# throttled node-seconds (model time, from the heat model's counters),
# mean job run time, makespan (first submission to last end), and thermal
# slowdown = mean job time / mean time of the same jobs on a node that
# never throttles (measured first, on a heatsink node, per cluster).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/cluster/lib/common.sh"
. "$here/tests/cluster/lib/jobs.sh"
CLUSTER="$here/tests/cluster/cluster"
[ "$(id -u)" = 0 ] || { echo "bench_thermal: run as root (it starts the emulated cluster)" >&2; exit 2; }

speed=${SLURM_PI_BENCH_SPEED:-10}
regimes=${SLURM_PI_BENCH_REGIMES:-teaching burst}
read -r -a conf <<<"${SLURM_PI_BENCH_CONF:-}"
profiles=pi1=case,pi2=bare,pi3=heatsink,pi4=heatsink,pi5=heatsink,pi6=heatsink
work=$(mktemp -d "$SHARED_DIR/bench-thermal.XXXXXX")
chown "$JOB_USER" "$work"
# Take the cluster down only while this run holds the lock: another run's
# cluster is not ours to stop.
holding=0
trap '[ "$holding" = 1 ] && "$CLUSTER" down >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'exit 143' TERM INT

# The job mixes, fixed (awk's srand with a constant seed): "DELAY CPUS UNITS"
# per job, DELAY = wall seconds to wait before submitting it.
mix()
{
	case "$1" in
	teaching) awk 'BEGIN { srand(7); for (i = 0; i < 40; i++) {
		c = int(rand() * 3); c = (c == 0 ? 1 : (c == 1 ? 2 : 4))
		printf "%.1f %d %d\n", (i ? 2 + rand() * 4 : 0), c, 10 + int(rand() * 21) } }' ;;
	burst) awk 'BEGIN { srand(11); for (i = 0; i < 48; i++)
		printf "0 %d %d\n", (rand() < 0.5 ? 2 : 4), 10 + int(rand() * 21) }' ;;
	esac
}

all_cool() { local n; for n in $(cluster_nodes); do band_is "$n" cool || return 1; done; }
queue_empty() { [ -z "$(squeue -h -o %i 2>/dev/null)" ]; }

# Heat from rest (a new heater starts every node at idle equilibrium) and
# wait until every node's published band is cool again.
heat_from_rest()
{
	"$CLUSTER" heat on --speed "$speed" --profile "$profiles" >/dev/null || return 1
	wait_for 120 all_cool || echo "bench_thermal: not every node is cool: $(sinfo -h -N -o '%N')" >&2
}

# run_regime PLUGIN REGIME: submit the mix, wait, print one result line:
#   PLUGIN REGIME throttled_s mean_job_s makespan_s slowdown jobs
run_regime()
{
	local plugin=$1 regime=$2 results="$work/$1.$2" t0 n=0 delay cpus units
	: >"$results"; chown "$JOB_USER" "$results"
	heat_from_rest
	t0=$EPOCHREALTIME
	while read -r delay cpus units; do
		sleep "$delay"
		submit "$work" -N1 -n "$cpus" --output=/dev/null \
			--wrap "$STATE/bin/pi-work $units $results" >/dev/null
		n=$((n + 1))
	done < <(mix "$regime")
	wait_for 900 queue_empty || echo "bench_thermal: $plugin $regime: jobs still queued after 900 s" >&2
	all_reported() { [ "$(wc -l <"$results")" -ge "$n" ]; }
	wait_for 10 all_reported
	local throttled
	throttled=$(awk '!/^#/ { s += $8 } END { printf "%.0f", s }' "$STATE/heat/status")
	cp "$STATE/heat/status" "$work/$plugin.$regime.heat"
	awk -v p="$plugin" -v r="$regime" -v t0="$t0" -v thr="$throttled" \
	    -v ref="$ref_per_unit" -v n="$n" '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  sum += v["elapsed"]; ideal += v["units"] * ref; m++
		  if (v["end"] > last) last = v["end"] }
		END { printf "%s %s %s %.1f %.1f %.3f %d/%d\n", p, r, thr,
			sum / m, last - t0, sum / ideal, m, n }' "$results"
}

# One plugin: its own cluster.
run_plugin()
{
	local plugin=$1 regime ref
	local -a sets=()
	for kv in "${conf[@]}"; do sets+=(-c "$kv"); done
	"$CLUSTER" up -n 6 -m pi4b -o SelectType="select/$plugin" "${sets[@]}" >"$work/up.$plugin.log" 2>&1 ||
		{ echo "bench_thermal: the $plugin cluster did not come up; see below" >&2; tail "$work/up.$plugin.log" >&2; exit 1; }
	heat_from_rest
	# The never-throttling reference: 20 units on a heatsink node.
	local id
	id=$(submit "$work" -N1 -n 4 -w pi3 --output="$work/ref.$plugin" --wrap "$STATE/bin/pi-work 20")
	wait_job "$id" 120 >/dev/null
	ref=$(sed -n 's/.* elapsed=\([0-9.]*\).*/\1/p' "$work/ref.$plugin")
	ref_per_unit=$(awk -v e="$ref" 'BEGIN { printf "%.4f", e / 20 }')
	echo "# $plugin: reference 20 units on pi3 (heatsink): ${ref}s" >&2
	for regime in $regimes; do
		run_regime "$plugin" "$regime"
	done
	"$CLUSTER" down >/dev/null 2>&1
}

echo "# bench_thermal: speed ${speed}x, heat profiles $profiles, slurm-pi.conf ${conf[*]:-(cluster defaults)}" >&2
# One hold of the cluster lock for both clusters (about 14 minutes), so
# that both run on the same, otherwise idle host in one stretch.
exec 9>"$CLUSTER_LOCK"
flock 9
holding=1
for plugin in cons_tres pi_cons_tres; do run_plugin "$plugin" >>"$work/summary"; done
holding=0
flock -u 9
exec 9>&-
cat "$work/summary" >&2
for f in "$work"/*.heat; do echo "# heat model at the end of $(basename "$f" .heat):"; cat "$f"; done >&2

awk '
	{ thr[$1, $2] = $3; job[$1, $2] = $4; mk[$1, $2] = $5; sd[$1, $2] = $6; cnt[$1, $2] = $7
	  if (!($2 in seen)) { seen[$2] = 1; order[++nr] = $2 } }
	function pct(a, b) { return b > 0 ? sprintf("%+.0f%%", (a - b) / b * 100) : "n/a" }
	END {
		for (i = 1; i <= nr; i++) {
			r = order[i]; c = "cons_tres"; p = "pi_cons_tres"
			printf "%s (jobs done: cons_tres %s, pi_cons_tres %s)\n", r, cnt[c, r], cnt[p, r]
			printf "  %-28s %12s %14s %10s\n", "", "cons_tres", "pi_cons_tres", "change"
			printf "  %-28s %12d %14d %10s\n", "throttled node-s (model)", thr[c, r], thr[p, r], pct(thr[p, r], thr[c, r])
			printf "  %-28s %12.1f %14.1f %10s\n", "mean job time (s)", job[c, r], job[p, r], pct(job[p, r], job[c, r])
			printf "  %-28s %12.1f %14.1f %10s\n", "makespan (s)", mk[c, r], mk[p, r], pct(mk[p, r], mk[c, r])
			printf "  %-28s %12.3f %14.3f %10s\n", "thermal slowdown", sd[c, r], sd[p, r], ""
			printf "  %-28s %12.3f %14.3f %10s\n", "  excess over 1", sd[c, r] - 1, sd[p, r] - 1, \
				pct(sd[p, r] - 1, sd[c, r] - 1)
		}
	}' "$work/summary"
echo "targets: throttled node-seconds -80%, thermal slowdown excess -80%; model time runs ${speed}x the clock"
