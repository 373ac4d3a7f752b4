#!/bin/bash
# How long `slurm-pi doctor --all` takes on the 4-node emulated cluster,
# side by side with the floor it cannot go under: one `srun -N4 hostname`
# (a job step on every node, what --all is built on). Target (issue 11):
# interactive, a few seconds. Prints the medians and the ratio.
#
#   bench/bench_doctor.sh          (root; brings the cluster up, about 1 min)
#   SLURM_PI_BENCH_RUNS=5          runs of each
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/cluster/lib/common.sh"
CLUSTER="$here/tests/cluster/cluster"
runs=${SLURM_PI_BENCH_RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "bench_doctor.sh: run as root" >&2; exit 2; }
"$CLUSTER" up -n 4 >/dev/null || { echo "cluster up failed" >&2; exit 1; }
export SLURM_CONF
cd /

timed()
{
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	local rc=$?
	t1=$(date +%s.%N)
	[ "$rc" = 0 ] || { echo "failed (exit $rc): $*" >&2; return 1; }
	echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

d=() s=()
for i in $(seq "$runs"); do
	s+=("$(timed srun --mpi=none -N4 hostname)") || exit 1
	d+=("$(timed "$STATE/bin/slurm-pi" doctor --all)") || exit 1
done
dm=$(printf '%s\n' "${d[@]}" | median)
sm=$(printf '%s\n' "${s[@]}" | median)
checks=$("$STATE/bin/slurm-pi" doctor --all --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["findings"]))')
echo
echo "slurm-pi doctor --all on 4 emulated nodes (median of $runs runs each)"
printf '%-36s %8.2fs\n' "srun --mpi=none -N4 hostname" "$sm"
printf '%-36s %8.2fs   (%s findings)\n' "slurm-pi doctor --all" "$dm" "$checks"
printf '%-36s %8.2fx\n' "doctor / one step on every node" "$(echo "$dm / $sm" | bc -l)"
