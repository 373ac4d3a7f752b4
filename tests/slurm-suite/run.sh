#!/bin/bash
# Slurm's own regression suite (testsuite/expect of the Slurm source that
# scripts/fetch-slurm-source.sh fetches) as the peer test of
# select/pi_cons_tres: the curated tests of tests/slurm-suite/tests.list run
# on the emulated cluster once with SelectType=select/cons_tres and once with
# select/pi_cons_tres (every node cool), and every test that passes with
# cons_tres must pass with pi_cons_tres. See docs/slurm-suite.md.
#
#   tests/slurm-suite/run.sh [testN.M ...]        (as root)
#
# Prints a table (test, cons_tres result, pi_cons_tres result), one TAP line
# per test and a summary; exits non-zero if the peer condition fails or the
# suite could not run. A test's result is Slurm's own: exit 0 PASS, exit 255
# (-1) SKIP, anything else FAIL; a test that outlives its timeout is FAIL.
#
# Environment:
#   SLURM_SOURCE                 configured Slurm source tree (default: what
#                                scripts/fetch-slurm-source.sh prints)
#   SLURM_PI_SUITE_TEST_TIMEOUT  seconds per test (default 240)
#   SLURM_PI_SUITE_LOCK_WAIT     seconds to wait for the cluster lock (1800)
#   SLURM_PI_SUITE_SELECT        select types to run (default
#                                "cons_tres pi_cons_tres"; the peer check
#                                needs both)
#   SLURM_PI_SUITE_RESULTS       where logs go (default
#                                $SLURM_PI_BUILDDIR/tests/slurm-suite/results)
#   SLURM_PI_SUITE_KEEP=1        keep the scratch copy of the testsuite
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cluster/lib/common.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the emulated cluster needs root"
	exit 0
fi

bail() { echo "Bail out! $*"; exit 1; }

test_timeout=${SLURM_PI_SUITE_TEST_TIMEOUT:-240}
[[ "$test_timeout" =~ ^[1-9][0-9]*$ ]] ||
	bail "SLURM_PI_SUITE_TEST_TIMEOUT='$test_timeout' is not a number of seconds"
lock_wait=${SLURM_PI_SUITE_LOCK_WAIT:-1800}
read -r -a selects <<<"${SLURM_PI_SUITE_SELECT:-cons_tres pi_cons_tres}"
results=${SLURM_PI_SUITE_RESULTS:-$BUILDDIR/tests/slurm-suite/results}
command -v expect >/dev/null ||
	bail "expect is not installed (scripts/install-deps.sh installs it)"

# --- the tests: arguments, or the curated list ------------------------------
# tests.list: one test name a line, optionally "xfail" and a reason; "#"
# starts a comment (left-out families are listed there with their reasons).
declare -A xfail=()
tests=()
while read -r name mark rest; do
	case "$name" in ''|'#'*) continue ;; esac
	[[ "$name" =~ ^test[0-9]+\.[0-9]+$ ]] || bail "tests.list: '$name' is not a test name"
	[ "$mark" = xfail ] && xfail[$name]=${rest#\# }
	[ $# -gt 0 ] || tests+=("$name")
done <"$here/tests.list"
[ $# -gt 0 ] && tests=("$@")
[ ${#tests[@]} -gt 0 ] || bail "no tests to run"

# --- a scratch copy of Slurm's testsuite --------------------------------------
src=${SLURM_SOURCE:-}
if [ -z "$src" ]; then
	src=$("$SRCDIR/scripts/fetch-slurm-source.sh" 2>/dev/null | tail -1)
fi
[ -f "$src/testsuite/expect/globals" ] ||
	bail "no Slurm testsuite in '$src' (set SLURM_SOURCE to a tree that scripts/fetch-slurm-source.sh made)"
for t in "${tests[@]}"; do
	[ -f "$src/testsuite/expect/$t" ] || bail "$t: no such test in $src/testsuite/expect"
done

# The jobs write into the tests' directories from inside the nodes, which
# share the host's file system except /tmp: so not under /tmp.
work=$(mktemp -d /var/tmp/slurm-pi-suite.XXXXXX) || bail "cannot make a scratch directory"
chmod 0755 "$work"
# Only a run that holds the cluster lock may take the cluster down: before
# it has the lock the cluster is someone else's.
have_lock=0
cleanup()
{
	[ $have_lock = 1 ] && "$CLUSTER_DIR/cluster" down >/dev/null 2>&1
	[ "${SLURM_PI_SUITE_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp -a "$src/testsuite/expect" "$work/expect" || bail "cannot copy the testsuite"
mkdir -p "$results" || bail "cannot create $results"
rm -f "$results"/*.log "$results"/*.txt

# The suite knows select plugins by name (check_config_select in globals)
# and treats only select/cray_aries as a wrapper: without this, every test
# gated on cons_tres SKIPs under select/pi_cons_tres. The patch makes
# check_config_select read select/pi_cons_tres as select/cons_tres, in the
# scratch copy only.
sed -i '/^proc check_config_select /,/^}/ s|^\(\tset select_type \[get_config_param "SelectType"\]\)$|\1\n\t# slurm-pi (tests/slurm-suite/run.sh): select/pi_cons_tres wraps cons_tres\n\tif {$select_type eq "select/pi_cons_tres"} { set select_type "select/cons_tres" }|' \
	"$work/expect/globals"
[ "$(grep -c 'select/pi_cons_tres' "$work/expect/globals")" = 2 ] ||
	bail "could not teach check_config_select about select/pi_cons_tres (has globals changed?)"

# testsuite.conf and globals.local: installed Slurm (Debian's, in /usr), the
# configured source tree as build and source directory, the tests'
# directories in the scratch copy, no colours, full cleanup.
cat >"$work/testsuite.conf" <<EOF
SlurmSourceDir=$src
SlurmBuildDir=$src
SlurmInstallDir=/usr
SlurmConfigDir=$ETC
EOF
cat >"$work/globals.local" <<EOF
# Written by tests/slurm-suite/run.sh for the emulated Pi cluster.
set slurm_dir "/usr"
set build_dir "$src"
set src_dir "$src"
set testsuite_shared_dir "$work/expect"
set testsuite_user "$JOB_USER"
set testsuite_colorize false
set testsuite_cleanup_on_failure true
set testsuite_log_level 5
set mpicc "/usr/bin/mpicc"
EOF
export SLURM_TESTSUITE_CONF="$work/testsuite.conf"
export SLURM_LOCAL_GLOBALS_FILE="$work/globals.local"

# --- the cluster ---------------------------------------------------------------
# Between tests: cancel what a test left running, delete its reservations
# and resume nodes it left down or drained, so that one test's leftovers do
# not decide the next one's result. Prints what it had to clean.
between_tests()
{
	local jobs res left
	jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
	if [ -n "${jobs// }" ]; then
		left+="jobs $jobs; "
		scancel $jobs 2>/dev/null
		wait_for 60 queue_empty
	fi
	res=$(scontrol -o show reservation 2>/dev/null | sed -n 's/^ReservationName=\([^ ]*\).*/\1/p')
	for r in $res; do
		left+="reservation $r; "
		scontrol delete reservation="$r" 2>/dev/null
	done
	if sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 !~ /^(idle|alloc|mix|comp|plnd)/ {f=1} END {exit !f}'; then
		left+="nodes $(sinfo -h -N -o '%N:%t' | tr '\n' ' '); "
		scontrol update nodename="pi[1-4]" state=resume 2>/dev/null
		wait_for 30 all_idle
	fi
	# A node that slurmctld has marked not responding ("idle*") makes the
	# next test see fewer nodes: give it time to answer again.
	if sinfo -h -N -o '%t' 2>/dev/null | grep -q '\*$'; then
		left+="not responding: $(sinfo -h -N -o '%N:%t' | grep '\*$' | tr '\n' ' ')"
		wait_for 60 all_responding || left+="(still) "
	fi
	# Backfill marks nodes it planned a job on PLANNED ("plnd") and clears
	# the mark only at its next cycle (bf_interval, 30 s), even when that
	# job has gone; tests count only idle nodes as available.
	if sinfo -h -N -o '%t' 2>/dev/null | grep -q '^plnd'; then
		left+="planned by backfill: $(sinfo -h -N -o '%N:%t' | grep ':plnd' | tr '\n' ' ')"
		wait_for 45 none_planned || left+="(still) "
	fi
	[ -z "${left:-}" ] || echo "$left"
}
none_planned() { ! sinfo -h -N -o '%t' | grep -q '^plnd'; }
all_responding() { ! sinfo -h -N -o '%t' | grep -q '\*$'; }
all_cool()
{
	local n
	n=$(scontrol -o show node 2>/dev/null | grep -c '"band":"cool"')
	[ "$n" -gt 0 ] && [ "$n" = "$(sinfo -h -N -o %N | wc -l)" ]
}
queue_empty() { [ -z "$(squeue -h -o %A 2>/dev/null)" ]; }
all_idle() { ! sinfo -h -N -o '%t' | grep -qvE '^(idle|plnd)'; }

# run_one SEL TEST LOG: run one test, bounded; sets res (PASS, SKIP, FAIL or
# TIMEOUT) and the test's subtest counts, then cleans up after it.
run_one()
{
	local sel=$1 t=$2 log=$3 t0=$SECONDS rc dirty
	(cd "$work/expect" && timeout -k 10 "$test_timeout" expect -f "./$t") \
		>"$log" 2>&1 </dev/null 9>&-
	rc=$?
	case $rc in
	0) res=PASS ;;
	255) res=SKIP ;;
	124|137) res=TIMEOUT; echo "run.sh: killed after ${test_timeout}s" >>"$log" ;;
	*) res=FAIL ;;
	esac
	dirty=$(between_tests)
	[ -z "$dirty" ] || echo "run.sh: after the test: $dirty" >>"$log"
	subs[$sel.$t]=$(subtest_counts "$log")
	printf '# %-14s %-12s %-8s %4ss\n' "$t" "$sel" "$res" "$((SECONDS - t0))" >&2
}

# run_select TYPE: bring the cluster up with select/TYPE under the cluster
# lock, run every test, record results in result_TYPE[test], take it down.
declare -A result_cons_tres=() result_pi_cons_tres=() subs=() first=()
# subtest_counts LOG: "passed/failed/skipped" from the test's summary, or
# nothing when it has no subtests.
subtest_counts()
{
	local p f k
	p=$(sed -n 's/^ *Subtests passed *: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^ *Subtests failed *: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)
	k=$(sed -n 's/^ *Subtests skipped *: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)
	[ -n "$p$f$k" ] && echo "${p:-0}/${f:-0}/${k:-0}"
}
run_select()
{
	local sel=$1 t start
	local -n result="result_$sel"
	exec 9>"$CLUSTER_LOCK"
	if ! flock -w "$lock_wait" 9; then
		bail "another run has held $CLUSTER_LOCK for ${lock_wait}s (SLURM_PI_SUITE_LOCK_WAIT); holders: $(fuser "$CLUSTER_LOCK" 2>/dev/null)"
	fi
	have_lock=1
	echo "# select/$sel: cluster up" >&2
	if ! out=$(timeout -k 10 300 "$CLUSTER_DIR/cluster" up -o "SelectType=select/$sel" "${cluster_opts[@]}" 2>&1); then
		echo "$out" | tail -n 20 | sed 's/^/# /'
		bail "the emulated cluster did not come up with select/$sel"
	fi
	[ "$(scontrol show config | sed -n 's/^SelectType *= *//p')" = "select/$sel" ] ||
		bail "the cluster does not run select/$sel"
	# The claim under test is "same as cons_tres when every node is cool":
	# task/pi publishes each node's band in Extra; wait until all are cool.
	if ! wait_for 60 all_cool; then
		scontrol -o show node | sed -n 's/^NodeName=\([^ ]*\).*\(Extra=[^ ]*\).*/# \1 \2/p'
		bail "not every node is cool with telemetry under select/$sel"
	fi
	scontrol -o show node | sed -n 's/^NodeName=\([^ ]*\).*\(Extra=[^ ]*\).*/\1 \2/p' \
		>"$results/$sel.nodes.txt"
	start=$SECONDS
	for t in "${tests[@]}"; do
		run_one "$sel" "$t" "$results/$sel.$t.log"
		result[$t]=$res
	done
	# A second run, once, for a test that passed with cons_tres and did not
	# here (a timing test on a loaded 2-core host); both runs are reported.
	if [ "$sel" = pi_cons_tres ]; then
		for t in "${tests[@]}"; do
			[ "${result_cons_tres[$t]:-}" = PASS ] && [ "${result[$t]}" != PASS ] &&
				[ -z "${xfail[$t]:-}" ] || continue
			run_one "$sel" "$t" "$results/$sel.$t.second.log"
			first[$t]=${result[$t]}
			result[$t]=$res
		done
	fi
	echo "# select/$sel: ${#tests[@]} tests in $((SECONDS - start))s" >&2
	"$CLUSTER_DIR/cluster" down >/dev/null 2>&1
	have_lock=0
	exec 9>&-
}

# What the suite needs beyond the demo cluster (see docs/slurm-suite.md):
# node memory, for the many tests that submit with --mem (Slurm's default
# RealMemory=1 refuses them); 900 MB fits every Pi model the cluster
# emulates (a Pi 3B+ has 1 GB). And backfill every 5 s instead of 30: the
# runner waits out the PLANNED marks backfill leaves after a test (they
# clear on its next cycle), which otherwise cost up to 30 s per test; the
# same setting for both select types.
cluster_opts=(-N RealMemory=900 -o SchedulerParameters=bf_interval=5)

total_start=$SECONDS
for sel in "${selects[@]}"; do
	case "$sel" in
	cons_tres|pi_cons_tres) run_select "$sel" ;;
	*) bail "SLURM_PI_SUITE_SELECT: '$sel' is not cons_tres or pi_cons_tres" ;;
	esac
done

# --- report ----------------------------------------------------------------------
# verdict TEST: sets v (ok, skip, todo or fail) and note. The peer
# condition: a test that passes with cons_tres passes with pi_cons_tres;
# and a test that cons_tres skips without failing a subtest (it skips a GPU
# or accounting part of a test that otherwise runs) is skipped or passed by
# pi_cons_tres with at least as many subtests passed.
verdict()
{
	local t=$1 a b ap bp af
	a=${result_cons_tres[$t]:--} b=${result_pi_cons_tres[$t]:--}
	ap=${subs[cons_tres.$t]:-0/0/0} bp=${subs[pi_cons_tres.$t]:-0/0/0}
	af=${ap#*/} af=${af%%/*}
	ap=${ap%%/*} bp=${bp%%/*}
	v=ok note=""
	if [ "$a" = - ] || [ "$b" = - ]; then
		v=fail note="not run with both select types"
	elif [ "$a" = PASS ] && [ "$b" != PASS ]; then
		if [ -n "${xfail[$t]:-}" ]; then
			v=todo note="known difference: ${xfail[$t]}"
		else
			v=fail note="PEER FAILURE: passes with cons_tres only"
		fi
	elif [ "$a" = PASS ]; then
		v=ok
	elif [ "$a" = SKIP ] && [ "$af" = 0 ] && [ "$b" != PASS ] &&
		{ [ "$b" != SKIP ] || ((bp < ap)); }; then
		if [ -n "${xfail[$t]:-}" ]; then
			v=todo note="known difference: ${xfail[$t]}"
		else
			v=fail note="PEER FAILURE: cons_tres fails no subtest and passes $ap, pi_cons_tres: $b, $bp passed"
		fi
	elif [ "$b" = PASS ]; then
		v=skip note="passes with pi_cons_tres only"
	elif [ "$a" = SKIP ] && [ "$b" = SKIP ]; then
		v=skip note="skipped by both (subtests passed: $ap, $bp)"
	else
		v=skip note="does not pass with cons_tres either"
	fi
}
# RESULT and the subtests passed/failed/skipped, e.g. "SKIP 11/0/1".
cell() { local r=$2; [ -n "${subs[$1]:-}" ] && r+=" ${subs[$1]}"; echo "$r"; }
# second_note TEST: what the first of two runs with pi_cons_tres gave.
second_note() { [ -z "${first[$1]:-}" ] || echo " (second run; the first: ${first[$1]})"; }

echo "results (subtests passed/failed/skipped):"
printf '%-11s %-18s %-18s %s\n' test cons_tres pi_cons_tres note
declare -A count=()
for t in "${tests[@]}"; do
	a=${result_cons_tres[$t]:--} b=${result_pi_cons_tres[$t]:--}
	count[cons_tres.$a]=$((${count[cons_tres.$a]:-0} + 1))
	count[pi_cons_tres.$b]=$((${count[pi_cons_tres.$b]:-0} + 1))
	verdict "$t"
	printf '%-11s %-18s %-18s %s\n' "$t" "$(cell "cons_tres.$t" "$a")" \
		"$(cell "pi_cons_tres.$t" "$b")" "$note$(second_note "$t")"
done
echo
n=0 peer_fail=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	verdict "$t"
	desc="$t: cons_tres ${result_cons_tres[$t]:--}, pi_cons_tres ${result_pi_cons_tres[$t]:--}$(second_note "$t")"
	case $v in
	ok) echo "ok $n - $desc" ;;
	skip) echo "ok $n - $desc # SKIP $note" ;;
	todo) echo "not ok $n - $desc # TODO $note" ;;
	fail) echo "not ok $n - $desc ($note)"; peer_fail=$((peer_fail + 1)) ;;
	esac
done
echo "1..$n"
for sel in "${selects[@]}"; do
	echo "# select/$sel: ${count[$sel.PASS]:-0} passed, $(( ${count[$sel.FAIL]:-0} + ${count[$sel.TIMEOUT]:-0} )) failed (${count[$sel.TIMEOUT]:-0} timed out), ${count[$sel.SKIP]:-0} skipped"
done
echo "# peer condition (every test that passes with cons_tres passes with pi_cons_tres): $([ $peer_fail = 0 ] && echo holds || echo "FAILS for $peer_fail tests")"
echo "# took $((SECONDS - total_start))s; logs in $results"
[ "${count[cons_tres.PASS]:-0}" -gt 0 ] || bail "no test passed with cons_tres: the suite did not really run"
[ $peer_fail = 0 ]
