# A small TAP producer for the cluster suite (sourced). Test numbers are
# kept in a file so that test files run in subshells share one sequence.
#
# Each t_*.sh declares how many checks it makes (`plan N`) and ends with
# `done_testing`; run-suite.sh gives `not ok` to a file that exits non-zero
# (an unbound variable, a syntax error, a timeout) or runs fewer checks
# than it declared, so no failure can vanish from the count.

TAP_COUNTER=${TAP_COUNTER:-$(mktemp /tmp/slurm-pi-tap.XXXXXX)}
export TAP_COUNTER

_tap_next() { local n; n=$(( $(cat "$TAP_COUNTER" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$TAP_COUNTER"; echo "$n"; }
tap_count() { cat "$TAP_COUNTER" 2>/dev/null || echo 0; }

# plan N: the number of checks this file makes (run-suite.sh compares).
plan() { [ -n "${TAP_PLAN:-}" ] && echo "$1" >"$TAP_PLAN"; return 0; }
# The last line of every test file: reaching it is what exit 0 means.
done_testing() { exit 0; }

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

pass() { echo "ok $(_tap_next) - $1"; }
fail() { echo "not ok $(_tap_next) - $1"; shift; [ $# -gt 0 ] && diag "$@"; return 1; }

# check "description" command...   (ok when the command succeeds)
check()
{
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "command: $*" "$out"; fi
}

# is "description" GOT EXPECTED
is()
{
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $3" "     got: $2"; fi
}

# like "description" TEXT REGEX   (extended regex, multi-line text)
like()
{
	if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "expected to match: $3" "got:" "$2"; fi
}

# unlike "description" TEXT REGEX
unlike()
{
	if grep -Eq -- "$3" <<<"$2"; then fail "$1" "must not match: $3" "got:" "$2"; else pass "$1"; fi
}

skip() { echo "ok $(_tap_next) - $1 # SKIP $2"; }
