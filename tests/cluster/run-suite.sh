#!/bin/bash
# The end-to-end suite: brings the emulated Pi cluster up with the build
# tree's plugins, runs every tests/cluster/t_*.sh against it, and tears it
# down. Speaks TAP (automake's tap-driver counts each check).
#
#   tests/cluster/run-suite.sh [t_NAME.sh ...]    (as root)
#
# Each file runs in its own shell, bounded by SLURM_PI_SUITE_FILE_TIMEOUT
# seconds (default 600), and gets one more check of its own: it must exit 0
# and run exactly the checks it declared with `plan N`. A file that aborts
# (an unbound variable, a syntax error), hangs or skips checks is `not ok`.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the emulated cluster needs root"
	exit 0
fi

# One emulated cluster per machine (one bridge, fixed node names): a second
# run waits for the first instead of tearing its cluster down.
exec 9>"$CLUSTER_LOCK"
lock_wait=${SLURM_PI_SUITE_LOCK_WAIT:-1800}
if ! flock -w "$lock_wait" 9; then
	echo "Bail out! another run has held $CLUSTER_LOCK for ${lock_wait}s (SLURM_PI_SUITE_LOCK_WAIT); holders: $(fuser "$CLUSTER_LOCK" 2>/dev/null)"
	exit 1
fi

file_timeout=${SLURM_PI_SUITE_FILE_TIMEOUT:-600}
[[ "$file_timeout" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "Bail out! SLURM_PI_SUITE_FILE_TIMEOUT='$file_timeout' is not a number of seconds"; exit 1; }

: >"$TAP_COUNTER"
TAP_PLAN=$(mktemp /tmp/slurm-pi-plan.XXXXXX)
export TAP_PLAN
trap '"$here/cluster" down >/dev/null 2>&1; rm -f "$TAP_COUNTER" "$TAP_PLAN"' EXIT

if out=$(timeout -k 10 300 "$here/cluster" up 2>&1); then
	pass "cluster up: munge, slurmctld and 4 slurmd with slurm-pi"
else
	fail "cluster up: munge, slurmctld and 4 slurmd with slurm-pi" "$out"
	echo "Bail out! the emulated cluster did not come up"
	exit 1
fi

# run_file FILE: run one test file and check that it ran as declared.
run_file()
{
	local t=$1 name before rc ran planned
	name=$(basename "$t")
	diag "--- $name"
	: >"$TAP_PLAN"
	before=$(tap_count)
	# timeout runs the file in its own process group and signals all of
	# it (srun, runuser...) when the time is up.
	timeout -k 10 "$file_timeout" bash "$t"
	rc=$?
	ran=$(($(tap_count) - before))
	planned=$(cat "$TAP_PLAN" 2>/dev/null)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "$name finished" "timed out after ${file_timeout}s (SLURM_PI_SUITE_FILE_TIMEOUT) having run $ran checks"
	elif [ "$rc" != 0 ]; then
		fail "$name finished" "exited with status $rc after $ran checks (aborted before done_testing)"
	elif ! [[ "$planned" =~ ^[0-9]+$ ]]; then
		fail "$name finished" "declares no plan: call 'plan N' with its number of checks"
	elif [ "$ran" != "$planned" ]; then
		fail "$name finished" "ran $ran checks, declared $planned"
	else
		pass "$name finished: exit 0, $ran of $planned checks"
	fi
}

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$here"/t_*.sh)
for t in "${tests[@]}"; do
	[ -f "$t" ] || t="$here/$t"
	run_file "$t"
done

echo "1..$(tap_count)"
