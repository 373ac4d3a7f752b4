#!/bin/bash
# What scripts/test-in-root.sh runs inside the Debian root (as root, the
# session's PID 1, after pivot_root into the root's overlay).
#
# usage: in-root.sh deps                   (a session with the network)
#        in-root.sh test [NAME=VALUE...]   (a session with loopback only)
#        in-root.sh shell [CMD...]         (likewise)
#
#   deps  unpacks /in/src.tar (the tree being tested) into /srv/slurm-pi,
#         runs scripts/install-deps.sh, then puts the Slurm source of the
#         installed libslurm-dev, unpacked, into /srv/slurm-pi/slurm-source
#         (downloaded once into /var/cache/slurm-source, a cache bound from
#         the machine), so that ./test.sh needs no network.
#   test  runs ./test.sh in /srv/slurm-pi with the NAME=VALUE environment
#         and exits with its status.
#   shell runs CMD (default: an interactive bash) in /srv/slurm-pi, in the
#         same surroundings as test (test-in-root.sh --enter).
#
# Bind mounts made by test-in-root.sh: /in (the tarball and this script),
# /var/cache/apt/archives and /var/cache/slurm-source (download caches,
# deps only).
set -uo pipefail
tree=/srv/slurm-pi
say() { echo "in-root: $*" >&2; }

phase=${1:-}
shift || true
case "$phase" in
deps)
	export DEBIAN_FRONTEND=noninteractive
	# apt downloads as _apt into partial/ of the bound cache.
	mkdir -p /var/cache/apt/archives/partial
	chown _apt:root /var/cache/apt/archives/partial 2>/dev/null || true
	rm -rf "$tree" && mkdir -p "$tree" && chmod 0755 "$tree" &&
		tar -x -f /in/src.tar -C "$tree" || { say "cannot unpack the tree"; exit 1; }
	cd "$tree" || exit 1
	say "scripts/install-deps.sh"
	scripts/install-deps.sh || { say "scripts/install-deps.sh failed"; exit 3; }
	ver=$(dpkg-query -W -f='${source:Version}' libslurm-dev 2>/dev/null) ||
		{ say "libslurm-dev is not installed after install-deps"; exit 1; }
	up=${ver#*:}; up=${up%-*}
	say "libslurm-dev $ver; the Slurm source (cached in /var/cache/slurm-source)"
	scripts/fetch-slurm-source.sh --download-only /var/cache/slurm-source >/dev/null ||
		{ say "scripts/fetch-slurm-source.sh --download-only failed"; exit 1; }
	mkdir -p slurm-source
	cp -a "/var/cache/slurm-source/slurm-wlm-$up" "/var/cache/slurm-source/.unpacked-$ver" slurm-source/ ||
		{ say "no unpacked slurm-wlm-$up in the cache"; exit 1; }
	say "ready: $(. /etc/os-release && echo "$PRETTY_NAME"); slurmctld $(dpkg-query -W -f='${Version}' slurmctld)"
	;;
test|shell)
	[ "$phase" = shell ] ||
		for kv in "$@"; do
			[[ "$kv" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { say "not NAME=VALUE: '$kv'"; exit 2; }
		done
	# What a booted Debian machine has and a root does not: the session's
	# own /dev/shm (not the machine's, which /dev is bound from), and its
	# host name resolving as on a Debian install.
	mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm || exit 1
	grep -qs "[[:space:]]$(hostname)\$" /etc/hosts || echo "127.0.1.1 $(hostname)" >>/etc/hosts
	# No network here: a name /etc/hosts lacks must fail at once, not
	# after the resolver's timeouts waiting for the machine's nameserver
	# (unmunge on a node looks up 127.0.1.1, the encoding host, which the
	# cluster's hosts file does not name; slurm-pi doctor gives it 5 s).
	echo "nameserver 127.0.0.1" >/etc/resolv.conf
	# The machine's own munged, as the munge package's service runs it
	# on a booted Debian (policy-rc.d kept it from starting here): the
	# cluster has its own, but slurm-pi doctor's munge checks on the
	# nodes use the default socket and /etc/munge/munge.key.
	[ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey --create ||
		{ say "cannot make /etc/munge/munge.key"; exit 1; }
	install -d -o munge -g munge -m 0755 /run/munge &&
		runuser -u munge -- /usr/sbin/munged ||
		{ say "the system munged did not start"; exit 1; }
	cd "$tree" || { say "no $tree: the deps session did not run"; exit 1; }
	if [ "$phase" = shell ]; then
		[ $# -gt 0 ] || set -- bash -i
		"$@"
		exit
	fi
	# In the foreground (a background job would start with SIGINT and
	# SIGQUIT ignored, and so would every daemon under it); as PID 1 this
	# shell reaps the orphans (daemons the cluster stops) while it waits.
	env "$@" ./test.sh </dev/null
	;;
*)
	say "usage: in-root.sh deps | test [NAME=VALUE...] | shell [CMD...]"
	exit 2
	;;
esac
