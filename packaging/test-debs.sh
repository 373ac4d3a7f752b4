#!/bin/bash
# The packaging test of slurm-pi's Debian packages: the .debs that
# packaging/build-debs.sh made, installed into a clean Debian root of their
# architecture (arm64 and armhf run under qemu-user through binfmt), then:
#   install    apt-get install of the packages, their dependencies from the
#              archive (slurm-pi-plugins' exact slurm-wlm version must be
#              there), the files and conffile in place, SPANK not enabled;
#   binaries   the installed programs and plugins are ELF for ARCH
#              (readelf on the host, from the session's overlay);
#   tools      slurm-pi --help, --version (agrees with dpkg), status --root
#              on tests/fixtures/pi4b, nodeconf;
#   cluster    munged, slurmctld and slurmd in the root (loopback only),
#              one node: the logs say select/pi_cons_tres, task/pi and the
#              three SPANK plugins loaded; srun -N1 hostname, --thermal=strict
#              and a --thermal typo that must fail;
#   lifecycle  install, edit /etc/slurm/slurm-pi.conf, upgrade to the same
#              packages repacked with a higher version (dpkg -i, no prompt:
#              the edit survives, no .dpkg-* files), remove (files gone,
#              conffile kept, no dangling plugstack.conf.d links), purge
#              (the root's file list as before install);
#   autopkgtest  each test of packaging/debian/tests/control, run the way
#              autopkgtest's null runner would (cwd the source tree,
#              AUTOPKGTEST_TMP, needs-root tests as root, others as a user).
#
# usage: packaging/test-debs.sh [--arch ARCH] [--suite SUITE] [DEBDIR]
#   --arch ARCH    arm64 (default), armhf or amd64
#   --suite SUITE  the Debian release (default bookworm)
#   DEBDIR         the .debs (default debs/SUITE/ARCH)
#
# Prints "PASS: name", "FAIL: name (why)" (then the tail of its log) or
# "SKIP: name (why)" per check, then "test-debs: N passed, N failed,
# N skipped"; exits 1 when a check failed. Progress and the time of each
# phase go to stderr, every log to DEBDIR/test-logs/. Each check has a time
# limit; one that hangs fails. Needs root (chroot, namespaces, overlayfs).
#
# The root: debootstrap (minbase) of SUITE for ARCH with slurmctld, slurmd,
# slurm-client and munge from the machine's own Debian archive, made once
# by make_root (packaging/roots.sh) and kept in $SLURM_PI_ROOT_CACHE
# (default /var/cache/slurm-pi/roots) as test-SUITE-ARCH. A stamp file in
# it records suite, architecture and package list; a root whose stamp
# differs is made again; delete the directory to force it. On a 2-core
# machine making it takes about 3 minutes for arm64 (debootstrap's second
# stage and dpkg under qemu-user), 1.5 for amd64; a run on the cached root
# about 2.5 minutes for arm64, half a minute for amd64, most of it
# apt-get installing the packages' dependencies (with Recommends, as a
# user would: libpmix-dev brings about 100 packages). Every run works in
# throw-away overlays (root_session) and never changes the root.
#
# The packages are installed twice, each time into a fresh overlay: once
# for install, tools and cluster (the last two with no network; the
# autopkgtests run on a copy of that overlay), once for the lifecycle.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ROOTS_WHO=test-debs
# shellcheck source=packaging/roots.sh
. "$top/packaging/roots.sh"
say() { roots_say "$@"; }
die() { roots_die "$@"; }

arch=arm64
suite=bookworm
debdir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch="${2:?--arch needs an architecture}"; shift 2 ;;
	--arch=*) arch="${1#*=}"; shift ;;
	--suite) suite="${2:?--suite needs a suite}"; shift 2 ;;
	--suite=*) suite="${1#*=}"; shift ;;
	-h|--help) sed -n '2,/^[^#]/ s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) [ -z "$debdir" ] || die "one DEBDIR only"; debdir=$1; shift ;;
	esac
done
case "$arch" in amd64|arm64|armhf) ;; *) die "unsupported architecture '$arch' (amd64, arm64, armhf)" ;; esac
[ "$(id -u)" = 0 ] || die "run as root (chroot, namespaces): sudo $0"
[ -n "$debdir" ] || debdir="$top/debs/$suite/$arch"
[ -d "$debdir" ] || die "no directory $debdir: build the packages first (packaging/build-debs.sh --arch $arch)"
debdir=$(cd "$debdir" && pwd)
logs=$debdir/test-logs
rm -rf "$logs" && mkdir -p "$logs"
ensure_binfmt "$arch"
emulated=yes
[ "$arch" != "$(dpkg --print-architecture)" ] || emulated=no

passed=0 failed=0 skipped=0 times=""
# count LINE: count one line of a check's result and keep it.
count() {
	case "$1" in
	PASS:*) passed=$((passed + 1)) ;;
	FAIL:*) failed=$((failed + 1)) ;;
	SKIP:*) skipped=$((skipped + 1)) ;;
	esac
	printf '%s\n' "$1" >>"$logs/results.txt"
}
result() { echo "$1"; count "$1"; }
timed() { times="$times${times:+, }$1 $2 s"; say "$1: $2 s"; }

# --- the packages: the four of this architecture, one version
work=$(mktemp -d /var/tmp/slurm-pi-test-debs.XXXXXX)
# stop_session: kill a session still running (after an interrupt).
stop_session() {
	local pgid
	pgid=$(cat "$work/session.pgid" 2>/dev/null) || return 0
	kill -KILL -- "-$pgid" 2>/dev/null
	sleep 1
}
trap 'stop_session; binfmt_open_binary "$arch" off; rm -rf "$work"' EXIT
trap 'say "interrupted"; exit 130' INT TERM
mkdir -p "$work/debs/upgrade" "$work/src"
# Under qemu-user, Slurm 24.11's script launcher needs the O binfmt flag
# (packaging/roots.sh, binfmt_open_binary); removed again on exit.
[ "$emulated" = no ] || binfmt_open_binary "$arch" on
version=""
for p in slurm-pi slurm-pi-plugins slurm-pi-spank slurm-pi-doc; do
	a=$arch
	[ "$p" = slurm-pi-doc ] && a=all
	set -- "$debdir/${p}_"*"_$a.deb"
	[ -e "$1" ] || die "no ${p}_*_$a.deb in $debdir"
	[ $# = 1 ] || die "several versions of $p in $debdir: $*"
	v=$(dpkg-deb -f "$1" Version)
	[ -z "$version" ] || [ "$v" = "$version" ] || die "$p is $v, not $version like the others"
	version=$v
	cp "$1" "$work/debs/"
done
say "testing slurm-pi $version for $suite $arch from $debdir (logs: $logs)"

# repack DEB: the same package with version $upgrade, its = dependencies on
# the other slurm-pi packages moved along, into $work/debs/upgrade.
upgrade="$version+test1"
dpkg --compare-versions "$upgrade" gt "$version" || die "cannot make a higher version than $version"
repack() {
	local d=$work/repack old_re
	old_re=$(printf '%s' "$version" | sed 's/[].[*^$\\/]/\\&/g')
	rm -rf "$d" && dpkg-deb -R "$1" "$d"
	sed -i -e "s/^Version: .*/Version: $upgrade/" \
		-e "/^\(Pre-\)\{0,1\}Depends:/ s/\(slurm-pi[a-z-]*\) (= $old_re)/\1 (= $upgrade)/g" "$d/DEBIAN/control"
	dpkg-deb -Zgzip -z1 -b "$d" "$work/debs/upgrade/" >>"$logs/repack.log"
}
t0=$SECONDS
for deb in "$work/debs/"*.deb; do repack "$deb"; done
timed "repack" $((SECONDS - t0))

# --- the root
t0=$SECONDS
root=$(make_root "test-$suite-$arch" "$suite" "$arch" "" \
	"slurmctld slurmd slurm-client munge procps iproute2")
timed "root" $((SECONDS - t0))

# session NAME WORK LIMIT PHASE...: in-root.sh's PHASEs in root_session on
# WORK (with NETNS and ROOT_KEEP from the caller), at most LIMIT seconds;
# prints and counts its results. Status: in-root.sh's (3: install failed).
binds="$work/debs:/debs $top/packaging/test-debs:/t $logs:/logs $top/tests/fixtures:/fixtures $work/src:/src"
session() {
	local name=$1 wd=$2 limit=$3 t0=$SECONDS rc line
	shift 3
	say "$name: $* (at most $limit s)"
	# In the background, so that an interrupt reaches the trap at once.
	# timeout leads its own process group, whose id the inner bash records
	# for stop_session; killing it ends the session's PID namespace.
	(
		ROOT_BINDS=$binds ROOT_HOSTNAME=pi-debtest timeout -k 30 "$limit" \
			bash -c 'echo "$PPID" >"$1"; . "$2"; shift 2; root_session "$@"' _ \
			"$work/session.pgid" "$top/packaging/roots.sh" \
			"$root" "$wd" /t/in-root.sh "$arch" "$emulated" "$@" \
			2> >(tee -a "$logs/sessions.log" >&2) | tee "$work/out.$name"
		exit "${PIPESTATUS[0]}"
	) &
	rc=0
	wait $! || rc=$?
	rm -f "$work/session.pgid"
	while IFS= read -r line; do count "$line"; done <"$work/out.$name"
	[ "$rc" != 124 ] && [ "$rc" != 137 ] ||
		result "FAIL: $name (the session timed out after $limit s; see $logs/sessions.log)"
	timed "$name" $((SECONDS - t0))
	return "$rc"
}

# --- install (network), then the binaries, tools and cluster (loopback only)
set +e
session install "$work/checks" 2400 install
installed=$?
set -e
if [ "$installed" = 0 ]; then
	for deb in "$work/debs/"*"_$arch.deb"; do
		for f in $(dpkg-deb -c "$deb" | awk '$1 ~ /^-/ { print $6 }' | grep -E '^\./usr/(s?bin/|lib/.*\.so$)'); do
			case "$arch" in
			amd64) want="Advanced Micro Devices X86-64" ;; arm64) want="AArch64" ;; armhf) want="ARM" ;;
			esac
			m=$(readelf -h "$work/checks/upper/${f#./}" 2>&1 | sed -n 's/^ *Machine: *//p')
			if [ "$m" = "$want" ]; then result "PASS: binaries: ${f#.} is $want ELF"
			else result "FAIL: binaries: ${f#.} (readelf Machine: '${m:-not ELF or missing}', expected $want)"; fi
		done
	done
	controlled=no
	if [ -f "$top/packaging/debian/tests/control" ]; then
		controlled=yes
		t0=$SECONDS
		cp -a "$work/checks" "$work/autopkgtest"
		timed "autopkgtest-copy" $((SECONDS - t0))
	fi
	NETNS=1 ROOT_KEEP=1 session tools-cluster "$work/checks" 1800 tools cluster || true
else
	result "SKIP: tools, cluster, autopkgtest (the packages did not install)"
fi

# --- lifecycle: a fresh overlay (network, for the dependencies)
session lifecycle "$work/lifecycle" 2400 lifecycle || true

# --- autopkgtest: the source tree as an autopkgtest runner unpacks it:
# git HEAD with the tracked files' changes, and packaging/debian (as it is
# now, untracked files too) as debian/.
if [ "$installed" = 0 ] && [ "$controlled" = yes ]; then
	rev=$(cd "$top" && git stash create 2>/dev/null || true)
	(cd "$top" && git archive --format=tar "${rev:-HEAD}") | tar -x -C "$work/src"
	rm -rf "$work/src/debian" && cp -a "$top/packaging/debian" "$work/src/debian"
	ROOT_KEEP=1 session autopkgtest-deps "$work/autopkgtest" 1800 autopkgtest-deps || true
	NETNS=1 ROOT_KEEP=1 session autopkgtest "$work/autopkgtest" 7200 autopkgtest || true
elif [ "$installed" = 0 ]; then
	result "SKIP: autopkgtest (no packaging/debian/tests/control)"
fi

echo "test-debs: $passed passed, $failed failed, $skipped skipped" | tee -a "$logs/results.txt"
say "times: $times (logs: $logs)"
[ "$failed" = 0 ]
