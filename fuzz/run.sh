#!/bin/sh
# Run one libFuzzer target for a bounded time, as one TAP test.
#
#   fuzz/run.sh fuzz/<target>.fuzz
#
# <target>.fuzz holds the target's extra libFuzzer flags (one a line, #
# comments). The binary is $SLURM_PI_BUILDDIR/fuzz/bin/<target>, built by
# make with clang. It starts from a copy of fuzz/corpus/<target>/ in a
# temporary directory, so the committed corpus is never changed, and fails
# on any finding (crash, leak, timeout, sanitizer error), whose input is
# kept in $SLURM_PI_BUILDDIR/fuzz/findings/<target>/.
#
# Environment (make check sets the first four):
#   SLURM_PI_SRCDIR, SLURM_PI_BUILDDIR
#   SLURM_PI_FUZZ          yes, or no to skip (then SLURM_PI_FUZZ_WHY)
#   SLURM_PI_FUZZ_DEFAULT_SECONDS  from configure --with-fuzz-seconds
#   SLURM_PI_FUZZ_SECONDS  overrides the time per target
set -u

opts_file=$1
target=$(basename "$opts_file" .fuzz)
srcdir=${SLURM_PI_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${SLURM_PI_BUILDDIR:-$srcdir}
seconds=${SLURM_PI_FUZZ_SECONDS:-${SLURM_PI_FUZZ_DEFAULT_SECONDS:-20}}

echo "1..1"
if [ "${SLURM_PI_FUZZ:-no}" != yes ]; then
	echo "ok 1 - fuzz $target # SKIP ${SLURM_PI_FUZZ_WHY:-fuzzing not configured}"
	exit 0
fi
case $seconds in
''|*[!0-9]*|0)
	echo "not ok 1 - fuzz $target: SLURM_PI_FUZZ_SECONDS='$seconds' is not a positive number of seconds"
	exit 0 ;;
esac

bin=$builddir/fuzz/bin/$target
if [ ! -x "$bin" ]; then
	echo "not ok 1 - fuzz $target: $bin is missing (make builds it)"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/slurm-pi-fuzz-$target.XXXXXX") || {
	echo "not ok 1 - fuzz $target: cannot make a temporary directory"
	exit 0
}
trap 'rm -rf "$work"' EXIT HUP INT TERM
cp -R "$srcdir/fuzz/corpus/$target" "$work/corpus"
chmod -R u+w "$work/corpus" # distcheck's source tree is read-only
findings=$builddir/fuzz/findings/$target
mkdir -p "$findings"

flags=$(sed -e 's/#.*//' "$opts_file")
# The time is for fuzzing; -timeout catches one input that hangs, and
# -rss_limit_mb one that eats memory. Leaks and UBSan are fatal.
# shellcheck disable=SC2086 # flags are words
SLURM_PI_FUZZ_TMP=$work \
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$findings/" $flags \
	"$work/corpus" >"$work/log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
found=$(ls -A "$findings")
if [ "$rc" -eq 0 ] && [ -z "$found" ] && [ -n "$execs" ]; then
	echo "ok 1 - fuzz $target: $execs executions in ${seconds}s, no findings"
	echo "# $target: executions $execs"
	rmdir "$findings" 2>/dev/null
	exit 0
fi
echo "not ok 1 - fuzz $target: libFuzzer exit $rc after ${execs:-?} executions"
sed -e 's/^/# /' "$work/log" | tail -n 60
echo "# findings (reproduce: $bin <file>): $findings"
for f in $found; do echo "#   $findings/$f"; done
exit 0
