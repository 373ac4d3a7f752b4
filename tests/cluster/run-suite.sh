#!/bin/bash
# The end-to-end suite: brings the emulated Pi cluster up with the build
# tree's plugins, runs every tests/cluster/t_*.sh against it, and tears it
# down. Speaks TAP (automake's tap-driver counts each check).
#
#   tests/cluster/run-suite.sh [t_NAME.sh ...]    (as root)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the emulated cluster needs root"
	exit 0
fi

: >"$TAP_COUNTER"
trap '"$here/cluster" down >/dev/null 2>&1; rm -f "$TAP_COUNTER"' EXIT

if out=$("$here/cluster" up 2>&1); then
	pass "cluster up: munge, slurmctld and 4 slurmd with slurm-pi"
else
	fail "cluster up: munge, slurmctld and 4 slurmd with slurm-pi" "$out"
	echo "Bail out! the emulated cluster did not come up"
	exit 1
fi

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$here"/t_*.sh)
for t in "${tests[@]}"; do
	[ -f "$t" ] || t="$here/$t"
	diag "--- $(basename "$t")"
	# Each file in its own shell: a failing check cannot skip another file.
	bash "$t"
done

echo "1..$(tap_count)"
