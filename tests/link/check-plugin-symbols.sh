#!/bin/sh
# Every built slurm-pi plugin must load: each symbol a plugin leaves
# undefined has to come from the Slurm program that loads it (slurmctld,
# slurmd, slurmstepd and the libraries they load, libslurmfull among them)
# or from a library the plugin itself names (DT_NEEDED: libstdc++, libc,
# ...). A common/ function that lives only in the tool's library shows up
# here as a plugin symbol nobody provides: Slurm would fail to dlopen it, or
# (loaded lazily) crash the daemon on first call.
#
# Also checks the binding mode: SPANK plugins are linked with -z now, so a
# missing symbol fails at load rather than mid-job; the select and task
# plugins are not, because clients (squeue, sinfo) load the select plugin
# without slurmctld's symbols.
#
# Select plugins are also loaded by every client (sinfo, squeue, and any
# program linked with libslurm.so, such as `slurm-pi nodes`), where only
# libslurm.so is there. Functions bind lazily, but data is bound at load:
# a select plugin may leave undefined only the data symbols libslurm.so
# defines (or reference slurmctld's data weakly), or clients fail to load it.
#
# TAP on stdout. Skips only when the Slurm daemons are not installed.
set -u

builddir=${SLURM_PI_BUILDDIR:-.}
daemons="/usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/slurmstepd"

for d in $daemons; do
	if [ ! -e "$d" ]; then
		echo "1..0 # SKIP $d is not installed"
		exit 0
	fi
done
for tool in nm readelf ldd c++filt; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool not found (binutils, libc-bin)"
		exit 1
	fi
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The dynamic symbols an object defines, without their version suffix.
defined_symbols() {
	nm -D --defined-only "$1" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }'
}

# The strong undefined dynamic symbols of an object (weak 'w'/'v' may stay
# unresolved), without their version suffix.
undefined_symbols() {
	nm -D --undefined-only "$1" | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }'
}

# The data symbols (variables) an object defines.
defined_data() {
	nm -D --defined-only "$1" | awk 'NF >= 3 && $2 ~ /^[BDGRSV]$/ { sub(/@.*/, "", $3); print $3 }'
}

# The object itself and every library the dynamic loader would load for it.
with_libraries() {
	echo "$1"
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

for d in $daemons; do
	with_libraries "$d"
done | sort -u >"$tmp/providers"
if ! grep -q '/libslurmfull\.so' "$tmp/providers"; then
	echo "Bail out! the Slurm daemons do not load libslurmfull.so (ldd $daemons)"
	exit 1
fi
while read -r obj; do
	defined_symbols "$obj"
done <"$tmp/providers" | sort -u >"$tmp/slurm-defined"

while read -r obj; do
	defined_data "$obj"
done <"$tmp/providers" | sort -u >"$tmp/slurm-data"
libslurm=$(ldd /usr/bin/sinfo 2>/dev/null | awk '$1 ~ /^libslurm\.so/ { print $3 }')
[ -n "$libslurm" ] || libslurm=$(ls /usr/lib/*/libslurm.so.[0-9]* 2>/dev/null | head -n 1)
if [ -z "$libslurm" ]; then
	echo "Bail out! libslurm.so not found (libslurm-dev, or ldd /usr/bin/sinfo)"
	exit 1
fi
with_libraries "$libslurm" | while read -r obj; do
	defined_symbols "$obj"
done | sort -u >"$tmp/client-defined"

plugins=$(ls "$builddir"/plugins/*/.libs/*.so 2>/dev/null)
if [ -z "$plugins" ]; then
	echo "Bail out! no plugin built under $builddir/plugins/*/.libs"
	exit 1
fi
set -- $plugins
selects=$(printf '%s\n' "$@" | grep -c '/select_[^/]*\.so$')
echo "1..$(($# * 2 + selects))"

n=0
for so in "$@"; do
	name=$(basename "$so")
	n=$((n + 1))
	with_libraries "$so" | tail -n +2 | while read -r lib; do
		defined_symbols "$lib"
	done | sort -u - "$tmp/slurm-defined" >"$tmp/defined"
	undefined_symbols "$so" | sort -u >"$tmp/undefined"
	comm -23 "$tmp/undefined" "$tmp/defined" >"$tmp/missing"
	if [ -s "$tmp/missing" ]; then
		echo "not ok $n - $name: every undefined symbol is provided by Slurm or a needed library"
		echo "# $name: undefined and provided by neither the Slurm daemons nor its own libraries:"
		c++filt <"$tmp/missing" | sed 's/^/#   /'
	else
		echo "ok $n - $name: every undefined symbol is provided by Slurm or a needed library"
	fi

	case "$name" in
	select_*)
		n=$((n + 1))
		with_libraries "$so" | tail -n +2 | while read -r lib; do
			defined_symbols "$lib"
		done | sort -u - "$tmp/client-defined" >"$tmp/client"
		comm -12 "$tmp/undefined" "$tmp/slurm-data" | comm -23 - "$tmp/client" >"$tmp/missing"
		if [ -s "$tmp/missing" ]; then
			echo "not ok $n - $name: loads in clients (data symbols from $(basename "$libslurm") only)"
			echo "# $name: daemon-only variables, unresolved in a client (declare them weak):"
			sed 's/^/#   /' "$tmp/missing"
		else
			echo "ok $n - $name: loads in clients (data symbols from $(basename "$libslurm") only)"
		fi
		;;
	esac

	n=$((n + 1))
	if readelf -d "$so" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).* NOW'; then
		now=yes
	else
		now=no
	fi
	case "$name" in
	spank_*)
		if [ "$now" = yes ]; then
			echo "ok $n - $name: linked with -z now"
		else
			echo "not ok $n - $name: linked with -z now"
			echo "# readelf -d $so shows neither FLAGS BIND_NOW nor FLAGS_1 NOW"
		fi
		;;
	*)
		if [ "$now" = no ]; then
			echo "ok $n - $name: not linked with -z now (clients load it without daemon symbols)"
		else
			echo "not ok $n - $name: not linked with -z now (clients load it without daemon symbols)"
		fi
		;;
	esac
done
