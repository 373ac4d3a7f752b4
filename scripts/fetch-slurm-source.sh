#!/bin/bash
# Fetch the Slurm source package of exactly the installed libslurm-dev
# version and configure it the way Debian does, so that the select and task
# plugins (which need Slurm's internal headers and config.h) are built
# against the same struct layouts as the daemons they are loaded into.
#
# usage: scripts/fetch-slurm-source.sh [OPTIONS] [DIR]
#   DIR        where to unpack (default: ./slurm-source); the configured
#              tree ends up in DIR/slurm-wlm-<upstream version>
#   --host-arch ARCH  configure for another Debian architecture (arm64,
#              armhf) with its cross compiler; default: the build machine's.
#   --version V  the slurm-wlm version to fetch (default: that of the
#              installed libslurm-dev)
#   --download-only  download and unpack, do not configure (needs no
#              Slurm build dependencies; packaging/build-debs.sh uses it)
#   --offline  never download: configure the tree already unpacked in DIR,
#              or fail (the Debian package build uses it)
#
# Prints the configured tree's path on the last line of stdout, so
#   ./configure --with-slurm-source="$(scripts/fetch-slurm-source.sh | tail -1)"
# works. apt deb-src entries are derived at run time from the machine's own
# deb entries (same URIs and suites) into a private sources file: nothing
# under /etc/apt is changed and no mirror is named here.
set -euo pipefail

die() { echo "fetch-slurm-source: $*" >&2; exit 1; }
say() { echo "fetch-slurm-source: $*" >&2; }

host_arch=""
dest="./slurm-source"
version=""
download_only=no
offline=no
while [ $# -gt 0 ]; do
	case "$1" in
	--host-arch) host_arch="${2:?--host-arch needs an architecture}"; shift 2 ;;
	--host-arch=*) host_arch="${1#*=}"; shift ;;
	--version) version="${2:?--version needs a version}"; shift 2 ;;
	--version=*) version="${1#*=}"; shift ;;
	--download-only) download_only=yes; shift ;;
	--offline) offline=yes; shift ;;
	-h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) dest="$1"; shift ;;
	esac
done

build_arch=$(dpkg --print-architecture)
[ -n "$host_arch" ] || host_arch="$build_arch"

if [ -z "$version" ]; then
	version=$(dpkg-query -W -f='${source:Version}' libslurm-dev 2>/dev/null) ||
		die "libslurm-dev is not installed: apt-get install libslurm-dev"
	[ -n "$version" ] || die "cannot read the version of libslurm-dev"
fi
upstream=${version#*:}
upstream=${upstream%-*}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
tree="$dest/slurm-wlm-$upstream"
stamp="$dest/.configured-$version-$host_arch"

unpacked="$dest/.unpacked-$version"
if [ "$download_only" = no ] && [ -f "$stamp" ] && [ -f "$tree/config.h" ]; then
	say "using $tree (slurm-wlm $version, configured for $host_arch)"
	echo "$tree"
	exit 0
fi
if [ -f "$unpacked" ] && [ -f "$tree/configure" ]; then
	say "slurm-wlm $version is unpacked in $tree"
elif [ "$offline" = yes ]; then
	die "slurm-wlm $version is not unpacked in $dest, and --offline forbids downloading it: run scripts/fetch-slurm-source.sh --download-only --version $version $dest first (packaging/build-debs.sh does)"
else

# --- 1. a private apt configuration with deb-src twins of the deb entries
apt_dir="$dest/.apt"
rm -rf "$apt_dir"
mkdir -p "$apt_dir/lists/partial"
src_list="$apt_dir/sources.list"
: > "$src_list"

# one-line format: "deb [opts] uri suite comp..." -> "deb-src ..."
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[[:space:]]*deb[[:space:]]\+/deb-src /p' "$f" >> "$src_list"
done
# deb822 format: stanzas of Key: value; keep Types: deb stanzas
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk '
	function flush() {
		if (types ~ /(^|[[:space:]])deb([[:space:]]|$)/ && uris != "" && enabled != "no") {
			n = split(uris, u, /[[:space:]]+/); m = split(suites, s, /[[:space:]]+/)
			for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (u[i] != "" && s[j] != "")
				printf "deb-src%s %s %s %s\n", (signed != "" ? " [signed-by=" signed "]" : ""), u[i], s[j], comps
		}
		types = uris = suites = comps = signed = enabled = ""
	}
	/^[[:space:]]*#/ { next }
	/^[[:space:]]*$/ { flush(); next }
	{
		key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[[:space:]]+/, "")
		if (key == "types") types = $0
		else if (key == "uris") uris = $0
		else if (key == "suites") suites = $0
		else if (key == "components") comps = $0
		else if (key == "signed-by") signed = $0
		else if (key == "enabled") enabled = tolower($0)
	}
	END { flush() }' "$f" >> "$src_list"
done
[ -s "$src_list" ] || die "no deb entries found in /etc/apt to derive deb-src entries from"

apt_opts=(-o "Dir::Etc::SourceList=$src_list" -o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists" -o "APT::Sandbox::User=root" -q)

say "reading source indexes for slurm-wlm $version"
apt-get "${apt_opts[@]}" update >&2 || die "apt-get update of the derived deb-src entries failed"

# --- 2. download and unpack exactly the installed version
say "downloading slurm-wlm=$version"
orig="$dest/slurm-wlm_$upstream.orig.tar.gz"
if (cd "$dest" && apt-get "${apt_opts[@]}" source --download-only "slurm-wlm=$version" >&2); then
	dsc=$(ls "$dest"/slurm-wlm_"${version#*:}".dsc 2>/dev/null | head -1)
	[ -n "$dsc" ] || die "no .dsc for slurm-wlm $version in $dest"
	rm -rf "$tree"
	say "unpacking $dsc"
	(cd "$dest" && dpkg-source --no-check -x "$dsc" "$tree" >&2) || die "dpkg-source -x failed"
elif [ -f "$orig" ]; then
	# Seen with trixie's 24.11.5-4+deb13u1: the index names the .dsc and
	# .debian.tar.xz but the archive serves only the upstream tarball.
	# Whether Debian's patches change a header the plugins include
	# cannot be checked without them, so this is said loudly; the
	# end-to-end suite against the stock daemons is what checks layouts.
	say "WARNING: the .dsc of slurm-wlm $version could not be downloaded; using the upstream $orig without Debian's patches"
	rm -rf "$tree" "$dest/.orig"
	mkdir -p "$dest/.orig"
	tar -xzf "$orig" -C "$dest/.orig" || die "cannot unpack $orig"
	top_dir=$(ls "$dest/.orig")
	[ "$(echo "$top_dir" | wc -l)" = 1 ] && [ -f "$dest/.orig/$top_dir/configure" ] ||
		die "$orig does not hold one Slurm source tree"
	mv "$dest/.orig/$top_dir" "$tree" && rmdir "$dest/.orig"
else
	die "apt-get source slurm-wlm=$version failed (is that version still in the archive?)"
fi
rm -f "$dest"/.unpacked-* "$dest"/.configured-*
touch "$unpacked"
fi
if [ "$download_only" = yes ]; then
	say "unpacked: $tree"
	echo "$tree"
	exit 0
fi

# --- 3. configure as debian/rules does (config.h is all we need; no make).
# --with-munge needs libmunge-dev; the flags are those of
# debian/rules override_dh_auto_configure in slurm-wlm 22.05.8.
multiarch=$(dpkg-architecture -a"$host_arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
gnu_type=$(dpkg-architecture -a"$host_arch" -qDEB_HOST_GNU_TYPE 2>/dev/null)
build_gnu=$(dpkg-architecture -qDEB_BUILD_GNU_TYPE 2>/dev/null)
cross=()
if [ "$host_arch" != "$build_arch" ]; then
	command -v "$gnu_type-gcc" >/dev/null ||
		die "no cross compiler $gnu_type-gcc: apt-get install gcc-$gnu_type"
	cross=(--host="$gnu_type" --build="$build_gnu" CC="$gnu_type-gcc")
fi
# debian/rules adds --enable-deprecated on 32-bit targets (armhf)
deprecated=()
[ "$(dpkg-architecture -a"$host_arch" -qDEB_HOST_ARCH_BITS 2>/dev/null)" = 64 ] ||
	deprecated=(--enable-deprecated)
# Debian builds mpi/pmix where PMIx exists for the architecture (not on
# trixie armhf); no header the plugins include depends on it.
pmix=()
[ ! -d "/usr/lib/$multiarch/pmix2" ] || pmix=(--with-pmix="/usr/lib/$multiarch/pmix2")
say "configuring for $host_arch ($multiarch); this takes about 20 seconds"
(cd "$tree" && ./configure "${cross[@]}" \
	--prefix=/usr --sysconfdir=/etc/slurm --libdir="/usr/lib/$multiarch" \
	--with-munge --enable-pam --without-rpath --disable-debug \
	--enable-multiple-slurmd "${pmix[@]}" \
	"${deprecated[@]}" SUCMD=/bin/su SLEEP_CMD=/bin/sleep \
	> "$dest/configure-$host_arch.log" 2>&1) ||
	die "Slurm's configure failed; see $dest/configure-$host_arch.log"
[ -f "$tree/config.h" ] || die "configure produced no config.h"
rm -f "$dest"/.configured-*
touch "$stamp"
say "ready: $tree"
echo "$tree"
