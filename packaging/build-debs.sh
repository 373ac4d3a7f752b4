#!/bin/bash
# Build slurm-pi's Debian packages for Raspberry Pi OS (Debian) bookworm
# or trixie: native amd64 and cross arm64 and armhf, each in a clean Debian root, with
# the unit tests run during the build (under qemu-user when cross), then
# lintian over every .deb.
#
# usage: packaging/build-debs.sh [--arch LIST] [--suite SUITE] [--out DIR]
#                                [--no-lintian]
#   --arch LIST   comma-separated Debian architectures (default:
#                 amd64,arm64,armhf)
#   --suite SUITE the Debian release to build for: bookworm (default) or
#                 trixie; trixie's packages are versioned VERSION+deb13
#   --out DIR     where the .deb files go, one directory per architecture
#                 (default: ./debs/SUITE)
#   --no-lintian  skip lintian
#
# Needs root (debootstrap, chroot, namespaces), debootstrap, and for arm64
# and armhf qemu-user-static and binfmt-support. Everything comes from the
# machine's own Debian archive.
#
# What is built is the git commit HEAD plus the tracked files' uncommitted
# changes (git stash create); untracked files are left out.
#
# The build roots are made once and kept in /var/cache/slurm-pi/roots
# (SLURM_PI_ROOT_CACHE), one per architecture, with the package's build
# dependencies installed; when the Build-Depends change, the new ones are
# installed into them.
# The Slurm source is downloaded once into /var/cache/slurm-pi/slurm-source.
# Measured on 2 cores with the roots made: amd64 232 s, arm64 289 s,
# armhf 235 s (their unit tests run under qemu-user); making the three
# roots adds about 10 minutes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ROOTS_WHO=build-debs
# shellcheck source=packaging/roots.sh
. "$top/packaging/roots.sh"
die() { roots_die "$@"; }
say() { roots_say "$@"; }

arches=amd64,arm64,armhf
suite=bookworm
out=""
lintian=yes
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arches="${2:?--arch needs a list}"; shift 2 ;;
	--arch=*) arches="${1#*=}"; shift ;;
	--suite) suite="${2:?--suite needs a suite}"; shift 2 ;;
	--suite=*) suite="${1#*=}"; shift ;;
	--out) out="${2:?--out needs a directory}"; shift 2 ;;
	--out=*) out="${1#*=}"; shift ;;
	--no-lintian) lintian=no; shift ;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot): sudo $0"
[ -n "$out" ] || out="$top/debs/$suite"
mkdir -p "$out"
out=$(cd "$out" && pwd)
build_arch=$(dpkg --print-architecture)
cache=$(dirname "$ROOT_CACHE")

# --- the source: HEAD and the tracked files' changes, as the orig tarball
cd "$top"
command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 ||
	die "not a git checkout: build-debs.sh packs the source with git archive"
deb_version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
upstream=${deb_version%-*}
# The changelog names the suite it is for; other suites get +debNN.
if [ "$suite" != "$(dpkg-parsechangelog -l packaging/debian/changelog -S Distribution)" ]; then
	case "$suite" in
	bookworm) deb_version="$deb_version+deb12" ;;
	trixie) deb_version="$deb_version+deb13" ;;
	*) die "unsupported suite '$suite' (bookworm, trixie)" ;;
	esac
fi
rev=$(git stash create 2>/dev/null || true)
[ -n "$rev" ] && say "including the uncommitted changes to tracked files"
untracked=$(git ls-files --others --exclude-standard | head -n 5)
[ -z "$untracked" ] || say "left out (untracked): $(echo "$untracked" | tr '\n' ' ')..."
work=$(mktemp -d /var/tmp/slurm-pi-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
git archive --format=tar --prefix="slurm-pi-$upstream/" "${rev:-HEAD}" |
	xz -T0 -3 > "$work/slurm-pi_$upstream.orig.tar.xz"
cp packaging/debian/control "$work/control"

# What runs inside a build root: unpack, add debian/, fetch (once) and copy
# the Slurm source, build binary packages, keep the results.
cat > "$work/build-in-root.sh" <<'EOF'
#!/bin/sh
set -eu
arch=$1 upstream=$2 suite=$3 version=$4 date=$5
cd /build
rm -rf "src-$arch" && mkdir "src-$arch" && cd "src-$arch"
tar xf "../slurm-pi_$upstream.orig.tar.xz"
cd "slurm-pi-$upstream"
cp -a packaging/debian debian
# A suite other than the changelog's gets its own version (+debNN), so
# that the packages of the two releases, which depend on different Slurm
# versions, never share a version.
if [ "$version" != "$(dpkg-parsechangelog -S Version)" ]; then
	{ printf 'slurm-pi (%s) %s; urgency=medium\n\n' "$version" "$suite"
	  printf '  * Built for Debian %s.\n\n' "$suite"
	  printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -S Maintainer)" "$date"
	  cat debian/changelog; } > debian/changelog.new
	mv debian/changelog.new debian/changelog
fi
# The Slurm source package of the root's libslurm-dev, downloaded once.
scripts/fetch-slurm-source.sh --download-only /slurm-source >/dev/null
ver=$(dpkg-query -W -f='${source:Version}' libslurm-dev)
up=${ver#*:}; up=${up%-*}
mkdir slurm-source
cp -a "/slurm-source/slurm-wlm-$up" "/slurm-source/.unpacked-$ver" slurm-source/
cross=""
[ "$arch" = "$(dpkg --print-architecture)" ] || cross="-a$arch"
# dpkg-buildpackage runs debian/rules: configure (Slurm's source for $arch,
# then slurm-pi), build, the unit tests (qemu-user when cross), install.
dpkg-buildpackage -b -us -uc $cross -j"$(nproc)"
mkdir -p "/build/out/$arch"
cp ../*.deb ../*.buildinfo ../*.changes "/build/out/$arch/"
EOF
chmod 755 "$work/build-in-root.sh"

mkdir -p "$cache/slurm-source/$suite"
IFS=, read -r -a arch_list <<< "$arches"
start=$SECONDS
for arch in "${arch_list[@]}"; do
	case "$arch" in amd64|arm64|armhf) ;; *) die "unsupported architecture '$arch' (amd64, arm64, armhf)" ;; esac
	t0=$SECONDS
	if [ "$arch" = "$build_arch" ]; then
		pkgs="build-essential fakeroot debhelper dpkg-dev xz-utils"
		foreign=""
	else
		pkgs="build-essential fakeroot debhelper dpkg-dev xz-utils crossbuild-essential-$arch"
		foreign=$arch
		ensure_binfmt "$arch"
	fi
	# The root's stamp includes debian/control: new build dependencies
	# make a new root.
	root=$(BUILD_DEPS_ARCH=$arch BUILD_DEPS_CONTROL="$work/control" \
		make_root "build-$suite-$arch" "$suite" "$build_arch" "$foreign" "$pkgs")
	say "$arch: building (log: $out/$arch/build.log)"
	rm -rf "$out/$arch"; mkdir -p "$out/$arch"
	if ! ROOT_BINDS="$work:/build $cache/slurm-source/$suite:/slurm-source" \
		ROOT_HOSTNAME=slurm-pi-build \
		root_session "$root" "$work/session-$arch" /build/build-in-root.sh "$arch" "$upstream" "$suite" "$deb_version" "$(date -R)" \
		> "$out/$arch/build.log" 2>&1; then
		grep -E 'FAIL:|error:|Error [0-9]' "$out/$arch/build.log" | tail -n 20 >&2 || true
		tail -n 15 "$out/$arch/build.log" >&2
		die "$arch: the package build failed; see $out/$arch/build.log"
	fi
	rm -rf "$work/session-$arch" "$work/src-$arch"
	cp "$work/out/$arch/"* "$out/$arch/"
	tests=$(grep -cE '^PASS: ' "$out/$arch/build.log" || true)
	say "$arch: built in $((SECONDS - t0)) s; unit tests passed: $tests; $(cd "$out/$arch" && ls ./*.deb | xargs -n1 basename | tr '\n' ' ')"
done

if [ "$lintian" = yes ]; then
	command -v lintian >/dev/null || die "lintian is needed: apt-get install lintian"
	say "lintian"
	rc=0
	for arch in "${arch_list[@]}"; do
		# --fail-on error,warning: a warning is fixed or overridden with a
		# reason (debian/*.lintian-overrides).
		lintian --fail-on error,warning --info --display-info "$out/$arch"/*.changes \
			| tee "$out/$arch/lintian.log" || rc=1
	done
	[ "$rc" = 0 ] || die "lintian found errors or warnings (see $out/*/lintian.log)"
fi
say "done in $((SECONDS - start)) s: $out"
