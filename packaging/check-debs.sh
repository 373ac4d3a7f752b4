#!/bin/bash
# The packaging test: build the Debian packages for amd64, arm64 and armhf
# (packaging/build-debs.sh: each in a clean root, the unit tests run during
# each build, under qemu-user for arm64 and armhf; lintian over every
# .deb), then test the arm64 packages in a Debian arm64 root under
# qemu-user (packaging/test-debs.sh: the daemons load the plugins, the
# command runs, install/upgrade/remove/purge, the autopkgtests).
#
# usage: sudo packaging/check-debs.sh [--suite SUITE]
# First installs what the machine lacks of packaging/host-deps.txt.
# Prints one line per case (PASS:/FAIL:) and ends with "N passed, N failed";
# exit status 0 only if none failed. .ci/run runs it after ./test.sh.
# Roots are cached in /var/cache/slurm-pi/roots (see packaging/roots.sh).
# Measured on 2 cores on a fresh machine (the tools installed and the
# roots made by the run): 890 s, about 15 minutes.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
while [ $# -gt 0 ]; do
	case "$1" in
	--suite) suite="${2:?--suite needs a suite}"; shift 2 ;;
	--suite=*) suite="${1#*=}"; shift ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "check-debs: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
out="$top/debs/$suite"
log="$out/check-debs.log"
mkdir -p "$out"
start=$SECONDS
# The host's tools: debootstrap, qemu-user with binfmt, lintian.
if ! "$top/scripts/install-deps.sh" "$top/packaging/host-deps.txt" >>"$log" 2>&1; then
	echo "FAIL: debs: the packaging tools of packaging/host-deps.txt are not installed (see $log)"
	echo "check-debs: $((SECONDS - start)) s; log: $log" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
passed=0 failed=0
case_result() {	# PASS|FAIL NAME [WHY]
	if [ "$1" = PASS ]; then
		passed=$((passed + 1)); echo "PASS: $2"
	else
		failed=$((failed + 1)); echo "FAIL: $2${3:+ ($3)}"
	fi
}

for arch in amd64 arm64 armhf; do
	if "$top/packaging/build-debs.sh" --suite "$suite" --arch "$arch" --no-lintian >>"$log" 2>&1; then
		case_result PASS "debs: $suite $arch packages build"
	else
		case_result FAIL "debs: $suite $arch packages build" "see $out/$arch/build.log"
		continue
	fi
	# The unit tests that ran in the build (under qemu-user when cross).
	n=$(grep -cE '^PASS: ' "$out/$arch/build.log" || true)
	bad=$(grep -cE '^(FAIL|ERROR|XPASS): ' "$out/$arch/build.log" || true)
	if [ "$bad" = 0 ] && [ "$n" -gt 0 ]; then
		case_result PASS "debs: $suite $arch unit tests in the package build ($n passed)"
	else
		case_result FAIL "debs: $suite $arch unit tests in the package build" "$n passed, $bad failed"
	fi
	if lintian --fail-on error,warning --info "$out/$arch"/*.changes >"$out/$arch/lintian.log" 2>&1; then
		case_result PASS "debs: $suite $arch lintian"
	else
		case_result FAIL "debs: $suite $arch lintian" "$(grep -cE '^[EW]: ' "$out/$arch/lintian.log") errors and warnings; see $out/$arch/lintian.log"
		grep -E '^[EW]: ' "$out/$arch/lintian.log" | head -n 20 >&2
	fi
done

if [ -n "$(ls "$out/arm64/"*.deb 2>/dev/null)" ]; then
	saw_fail=""
	while IFS= read -r line; do
		case "$line" in
		PASS:*) passed=$((passed + 1)); echo "$line" ;;
		FAIL:*) failed=$((failed + 1)); saw_fail=1; echo "$line" ;;
		SKIP:*) echo "$line" ;;
		EXIT:*)
			rc=${line#EXIT: }
			[ "$rc" = 0 ] || [ -n "$saw_fail" ] ||
				case_result FAIL "debs: $suite arm64 packaging test" "test-debs.sh exited $rc; see $log"
			;;
		esac
	done < <("$top/packaging/test-debs.sh" --suite "$suite" --arch arm64 "$out/arm64" 2>>"$log"
		 echo "EXIT: $?")
else
	case_result FAIL "debs: $suite arm64 packaging test" "no arm64 packages were built"
fi
echo "check-debs: $((SECONDS - start)) s; log: $log" >&2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
