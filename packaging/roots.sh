# shellcheck shell=bash
# Debian roots for building and testing the packages, sourced by
# packaging/build-debs.sh and packaging/test-debs.sh.
#
# A root is made once by debootstrap and kept in $SLURM_PI_ROOT_CACHE
# (default /var/cache/slurm-pi/roots), outside the source tree, so that a
# fresh clone on the same machine reuses it. Its stamp file records what it
# was made from (suite, architecture, package list); a root whose stamp
# differs is made again. Runs never change a cached root: they work in an
# overlay on top of it (root_session), which vanishes with the run.
#
# The archive is the machine's own: the deb entries in /etc/apt (their URIs
# and signing keys), with the suite replaced. No mirror is named here.

ROOT_CACHE=${SLURM_PI_ROOT_CACHE:-/var/cache/slurm-pi/roots}
ROOTS_VERSION=1	# bump when what make_root does changes

roots_say() { echo "${ROOTS_WHO:-roots}: $*" >&2; }
roots_die() { echo "${ROOTS_WHO:-roots}: $*" >&2; exit 1; }

# host_uri KIND: the URI of the machine's Debian archive (KIND=main) or its
# security archive (KIND=security), from /etc/apt's deb entries.
host_uri() {
	local kind=$1 f uri suites
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# One "uri<TAB>suites" line per deb stanza.
		while IFS=$'\t' read -r uri suites; do
			case "$kind:$suites" in
			security:*-security*|main:*) ;;
			*) continue ;;
			esac
			[ "$kind" = main ] && case "$suites" in *-security*) continue ;; esac
			case "$uri" in *debian*) echo "$uri"; return 0 ;; esac
		done < <(awk '
			function flush() {
				if (types ~ /(^|[[:space:]])deb([[:space:]]|$)/ && enabled != "no")
					print uris "\t" suites
				types = uris = suites = enabled = ""
			}
			/^[[:space:]]*#/ { next }
			/^[[:space:]]*$/ { flush(); next }
			{ key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[[:space:]]+/, "")
			  if (key == "types") types = $0; else if (key == "uris") uris = $0
			  else if (key == "suites") suites = $0; else if (key == "enabled") enabled = tolower($0) }
			END { flush() }' "$f" | awk -F '\t' '{ split($1, u, /[[:space:]]+/); print u[1] "\t" $2 }')
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		while read -r uri suites; do
			case "$kind:$suites" in
			security:*-security*) echo "$uri"; return 0 ;;
			main:*-security*) ;;
			main:*) case "$uri" in *debian*) echo "$uri"; return 0 ;; esac ;;
			esac
		done < <(sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\2 \3/p' "$f")
	done
	return 1
}

# write_sources ROOT SUITE: the root's apt sources, from the machine's.
write_sources() {
	local root=$1 suite=$2 main security
	main=$(host_uri main) || roots_die "no Debian deb entry in /etc/apt to take the archive from"
	security=$(host_uri security || true)
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$main" "$suite" "$suite"
		if [ -n "$security" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
				"$security" "$suite"
		fi
	} > "$root/etc/apt/sources.list.d/debian.sources"
	rm -f "$root/etc/apt/sources.list"
}

# qemu_binfmt_name ARCH: the name of ARCH's qemu-user binfmt_misc entry
# (status 1 for an architecture without one).
qemu_binfmt_name() {
	case "$1" in
	arm64) echo qemu-aarch64 ;;
	armhf) echo qemu-arm ;;
	*) return 1 ;;
	esac
}

# ensure_binfmt ARCH: foreign binaries of ARCH run through qemu-user.
ensure_binfmt() {
	local arch=$1 name
	[ "$arch" != "$(dpkg --print-architecture)" ] || return 0
	name=$(qemu_binfmt_name "$arch") || roots_die "no qemu-user mapping for architecture $arch"
	command -v update-binfmts >/dev/null && [ -e /usr/bin/qemu-aarch64-static ] ||
		roots_die "qemu-user is needed for $arch: apt-get install qemu-user-static binfmt-support"
	[ -e /proc/sys/fs/binfmt_misc/status ] ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
		roots_die "cannot mount binfmt_misc"
	[ -e "/proc/sys/fs/binfmt_misc/$name" ] || update-binfmts --enable "$name" ||
		roots_die "cannot enable binfmt for $name (update-binfmts --enable $name)"
	grep -q '^flags:.*F' "/proc/sys/fs/binfmt_misc/$name" ||
		roots_die "binfmt $name lacks the F flag, so it cannot run inside a chroot"
}

# binfmt_open_binary ARCH on|off: while on, an extra binfmt_misc entry
# (slurm-pi-<qemu name>) runs ARCH's binaries through the same qemu-user
# with the O (open-binary) flag as well: the kernel opens the binary and
# hands qemu the descriptor. Needed by Slurm 24.11, whose slurmd and
# slurmctld start scripts (the SPANK job prolog and epilog among them)
# through a launcher that re-executes the daemon with fexecve(2) on an
# O_CLOEXEC descriptor of /proc/self/exe (src/common/run_command.c,
# run_command_init and _run_command_child_exec). The kernel then names the
# program /dev/fd/N, closed at the exec; Debian's qemu-user-static entries
# (flags P F) pass that name to qemu, which cannot open it and exits 1
# without a word, so every job on the node fails "Job prolog failed". On a
# real Pi the binary runs natively and none of this applies. The newest
# entry matching a binary wins, so this one takes precedence while it
# exists; off removes it. Harmless for any other program.
binfmt_open_binary() {
	local arch=$1 state=$2 name entry
	name=$(qemu_binfmt_name "$arch") || return 0
	entry=/proc/sys/fs/binfmt_misc/slurm-pi-$name
	[ ! -e "$entry" ] || echo -1 >"$entry" 2>/dev/null || true
	[ "$state" = on ] || return 0
	# The entry as the kernel shows it: "key value" lines ("flags: PF").
	local key val offset="" magic="" mask="" interpreter="" flags=""
	while read -r key val; do
		case "$key" in
		offset) offset=$val ;; magic) magic=$val ;; mask) mask=$val ;;
		interpreter) interpreter=$val ;; flags:) flags=$val ;;
		esac
	done <"/proc/sys/fs/binfmt_misc/$name"
	case "$flags" in *O*) return 0 ;; esac
	echo ":slurm-pi-$name:M:$offset:$(sed 's/../\\x&/g' <<<"$magic"):$(sed 's/../\\x&/g' <<<"$mask"):$interpreter:${flags}O" \
		>/proc/sys/fs/binfmt_misc/register ||
		roots_die "cannot register a binfmt entry with the O flag for $name"
}

# make_root NAME SUITE ARCH FOREIGN "PACKAGES": print the path of a cached
# root of Debian SUITE for ARCH with PACKAGES installed, making it when its
# stamp does not match. FOREIGN: extra dpkg architectures ("" for none).
# With BUILD_DEPS_CONTROL=FILE (a debian/control) and BUILD_DEPS_ARCH, the
# root also gets that package's build dependencies for BUILD_DEPS_ARCH
# (apt-get build-dep, cross when it is not ARCH). They have a stamp of
# their own (the hash of the Build-Depends fields): when only they change,
# they are installed into the existing root.
make_root() {
	local name=$1 suite=$2 arch=$3 foreign=$4 pkgs=$5
	local dir="$ROOT_CACHE/$name" base deps=""
	base="v$ROOTS_VERSION $suite $arch foreign=$foreign pkgs=$pkgs"
	if [ -n "${BUILD_DEPS_CONTROL:-}" ]; then
		deps="${BUILD_DEPS_ARCH:?}:$(awk '/^Build-Depends/ { on = 1; print; next }
			on && /^[ \t]/ { print; next } { on = 0 }' "$BUILD_DEPS_CONTROL" |
			sha256sum | cut -c1-16)"
	fi
	if [ -f "$dir/.slurm-pi-root" ] && [ "$(cat "$dir/.slurm-pi-root")" = "$base" ]; then
		if [ "$(cat "$dir/.slurm-pi-build-deps" 2>/dev/null)" != "$deps" ]; then
			install_build_deps "$dir" "$arch" "$name"
			echo "$deps" > "$dir/.slurm-pi-build-deps"
		else
			roots_say "using the cached $suite $arch root $dir"
		fi
		echo "$dir"; return 0
	fi
	command -v debootstrap >/dev/null || roots_die "debootstrap is needed: apt-get install debootstrap"
	ensure_binfmt "$arch"
	local main
	main=$(host_uri main) || roots_die "no Debian deb entry in /etc/apt to take the archive from"
	rm -rf "$dir" "$dir.new"
	mkdir -p "$ROOT_CACHE"
	roots_say "debootstrap $suite $arch into $dir (about 2 minutes; 5 under qemu)"
	debootstrap --variant=minbase --arch="$arch" "$suite" "$dir.new" "$main" \
		> "$ROOT_CACHE/$name.debootstrap.log" 2>&1 ||
		{ tail -n 20 "$ROOT_CACHE/$name.debootstrap.log" >&2; roots_die "debootstrap failed; see $ROOT_CACHE/$name.debootstrap.log"; }
	write_sources "$dir.new" "$suite"
	for a in $foreign; do chroot "$dir.new" dpkg --add-architecture "$a"; done
	# No daemons start inside the root while packages are installed.
	printf '#!/bin/sh\nexit 101\n' > "$dir.new/usr/sbin/policy-rc.d"
	chmod 755 "$dir.new/usr/sbin/policy-rc.d"
	roots_say "installing into the root: $pkgs"
	# An index that does not match its Release file (seen here: bookworm-
	# security's armhf Packages.xz) makes apt-get update fail while the
	# rest is usable: it is reported and the install goes on, which fails
	# if what it needs is missing.
	root_exec "$dir.new" sh -c "export DEBIAN_FRONTEND=noninteractive
		apt-get update -q -o Acquire::Retries=3 ||
			echo 'roots: apt-get update reported errors (above); going on with the indexes that downloaded' >&2
		apt-get install -y -q --no-install-recommends $pkgs && apt-get clean" \
		> "$ROOT_CACHE/$name.install.log" 2>&1 ||
		{ tail -n 20 "$ROOT_CACHE/$name.install.log" >&2; roots_die "installing into the root failed; see $ROOT_CACHE/$name.install.log"; }
	echo "$base" > "$dir.new/.slurm-pi-root"
	[ -z "$deps" ] || install_build_deps "$dir.new" "$arch" "$name"
	echo "$deps" > "$dir.new/.slurm-pi-build-deps"
	mv "$dir.new" "$dir"
	echo "$dir"
}

# install_build_deps ROOT ARCH NAME: BUILD_DEPS_CONTROL's build
# dependencies for BUILD_DEPS_ARCH, into ROOT (of ARCH).
install_build_deps() {
	local root=$1 arch=$2 name=$3 a_opt=""
	[ "$BUILD_DEPS_ARCH" = "$arch" ] || a_opt="-a $BUILD_DEPS_ARCH"
	mkdir -p "$root/root/build-deps/debian"
	cp "$BUILD_DEPS_CONTROL" "$root/root/build-deps/debian/control"
	roots_say "installing the build dependencies for $BUILD_DEPS_ARCH"
	root_exec "$root" sh -c "export DEBIAN_FRONTEND=noninteractive
		apt-get update -q -o Acquire::Retries=3 ||
			echo 'roots: apt-get update reported errors (above); going on with the indexes that downloaded' >&2
		apt-get build-dep -y -q $a_opt /root/build-deps && apt-get clean" \
		>> "$ROOT_CACHE/$name.install.log" 2>&1 ||
		{ tail -n 20 "$ROOT_CACHE/$name.install.log" >&2; roots_die "installing the build dependencies failed; see $ROOT_CACHE/$name.install.log"; }
	rm -rf "$root/root/build-deps"
}

# root_exec ROOT CMD...: run CMD chrooted in ROOT (which it changes), in
# private mount and PID namespaces with /proc, /dev and /sys mounted.
root_exec() {
	local root=$1; shift
	unshare --mount --pid --fork --uts --propagation private \
		sh -c 'root=$1; shift
			mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
			mount --rbind /sys "$root/sys" && mount -t tmpfs tmpfs "$root/tmp" &&
			cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
			exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"' \
		root_exec "$root" "$@"
}

# root_session ROOT WORK CMD...: like root_exec, on an overlay of ROOT
# (left untouched) whose changes land in WORK/upper; NETNS=1 adds a network
# namespace with only loopback (daemons inside cannot meet the host's).
# WORK starts empty, unless ROOT_KEEP=1 and it exists: then the session
# goes on from an earlier one's changes (e.g. packages installed with the
# network, then daemons run without it).
root_session() {
	local root=$1 work=$2; shift 2
	if [ "${ROOT_KEEP:-0}" != 1 ] || [ ! -d "$work/upper" ]; then
		rm -rf "$work"; mkdir -p "$work/upper" "$work/work" "$work/merged"
	fi
	local net=()
	[ "${NETNS:-0}" = 1 ] && net=(--net)
	NETNS=${NETNS:-0} ROOT_BINDS=${ROOT_BINDS:-} ROOT_HOSTNAME=${ROOT_HOSTNAME:-pi-root} \
	unshare --mount --pid --fork --uts "${net[@]}" --propagation private \
		sh -c 'root=$1 work=$2; shift 2
			[ "$NETNS" != 1 ] || ip link set lo up || exit 1
			if ! mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/work" "$work/merged" 2>/dev/null; then
				echo "roots: overlay mount failed; copying the root instead" >&2
				[ -e "$work/merged/usr" ] || cp -a "$root/." "$work/merged/"
			fi
			m=$work/merged
			mount -t proc proc "$m/proc" && mount --rbind /dev "$m/dev" &&
			mount --rbind /sys "$m/sys" && mount -t tmpfs tmpfs "$m/tmp" || exit 1
			for b in $ROOT_BINDS; do mkdir -p "$m/${b#*:}" && mount --bind "${b%%:*}" "$m/${b#*:}" || exit 1; done
			hostname "$ROOT_HOSTNAME"
			exec chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"' \
		root_session "$root" "$work" "$@"
}
