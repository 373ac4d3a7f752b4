# Fault injection for the staging tests (sourced): the share seen through
# stagefs (`cluster share`) and a size-limited node-local scratch disk
# (`cluster scratch`). Both are off unless a test turns them on.
#
# The share: the nodes' mount namespaces are copies of the host's, made
# private when they were created, so every node sees the host's
# $SHARED_DIR directory itself. `share on` starts one stagefs daemon on
# the host, mirroring $SHARED_DIR (the backing directory: the real data
# stays where it is) at $SHARE_MNT, and attaches a copy of that mount over
# $SHARED_DIR inside each node's namespace (lib/mount-into: a plain bind
# cannot cross into a private namespace). Every node's requests go to the
# one daemon; the host (the controller) keeps the direct view. The daemon
# runs in the host's pid namespace, which the nodes share: stagefs needs
# that to let a SIGKILL end a caller waiting in a hang.
#
# Cleanup follows tests/stagefs/README: kill the daemon first (the kernel
# then fails every waiting request with ENOTCONN), abort the connection if
# a mount outlived its daemon, and only then unmount, lazily, never
# touching the mount itself (only /proc/self/mountinfo is read).

STAGEFS=${STAGEFS:-$BUILDDIR/tests/stagefs/stagefs}
SHARE_DIR="$STATE/share"            # the daemon's files, root's only
SHARE_MNT="$SHARE_DIR/mnt"          # stagefs's own mount on the host
SHARE_SOCK="$SHARE_DIR/ctl.sock"
SHARE_STATS="$SHARE_DIR/stats"
SHARE_PIDFILE="$SHARE_DIR/stagefs.pid"
SHARE_LOG="$SHARE_DIR/stagefs.log"
SHARE_FSTYPE=fuse.stagefs
# The node-local scratch disk: where the staging plugin's scratch base
# will be (a root-owned directory; jobs get their own directories in it).
SCRATCH_DIR=/var/tmp/slurm-pi

share_usage()
{
	cat <<USAGE
usage: tests/cluster/cluster share on|off|hang|resume|stats|reset
       tests/cluster/cluster scratch NODE|all SIZE|off

  share on      Put stagefs (tests/stagefs) between the nodes and
                $SHARED_DIR: one daemon mirrors the directory, and each
                node's $SHARED_DIR is that mount (the host's stays direct).
                Every read is counted (direct_io: no shared page cache, so
                each node's read of a file counts again).
  share off     Stop the daemon, unmount it everywhere: the plain share.
  share hang    Every request to the share waits (a hung NFS server, hard
                mount); the callers stay killable (timeout, kill -KILL).
  share resume  End the hang; waiting requests go on.
  share stats   Print the counters, one name=value a line: bytes_read
                read_ops opens creates bytes_written write_ops ops hung
                blocked seq.
  share reset   Print the counters, then zero them.
  scratch NODE SIZE
                Mount an empty tmpfs of SIZE bytes (K, M, G suffixes) at
                $SCRATCH_DIR inside NODE's namespace (all: every node),
                root's, mode 0755, replacing any earlier one: a small
                node-local disk a test can fill (ENOSPC).
  scratch NODE off
                Unmount it: back to the node's own directory (every node
                has one at $SCRATCH_DIR, so nodes never share scratch).
  \`cluster down\` does both offs, even while the share hangs.
USAGE
}

share_ctl() { timeout 10 "$STAGEFS" ctl "$SHARE_SOCK" "$@"; }

share_pid()
{
	local pid
	pid=$(cat "$SHARE_PIDFILE" 2>/dev/null) && pid_alive "$pid" &&
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = stagefs ] && echo "$pid"
}

# stagefs_mounts_at PATH < mountinfo: the MAJOR:MINOR of every stagefs
# mount at PATH (stacked ones too), from a /proc/PID/mountinfo text.
stagefs_mounts_at()
{
	awk -v path="$1" -v type="$SHARE_FSTYPE" '
		$5 == path { for (i = 7; i <= NF; i++) if ($i == "-") break
		             if ($(i + 1) == type) print $3 }'
}

# The stagefs mounts over $SHARED_DIR in NODE's namespace. Reads the
# node's mountinfo, never the mount (a hung one would block).
node_share_mounts()
{
	[ -e "$NSDIR/$1.mnt" ] || return 0
	in_node "$1" cat /proc/self/mountinfo | stagefs_mounts_at "$SHARED_DIR"
}

node_running() { [ -e "$NSDIR/$1.mnt" ]; }

share_on()
{
	local node nodes
	[ -x "$STAGEFS" ] || die "share: $STAGEFS is not built (configure did not find libfuse3-dev)"
	[ -c /dev/fuse ] || die "share: /dev/fuse is missing"
	nodes=$(cluster_nodes)
	[ -n "$nodes" ] || die "share: no cluster (run: tests/cluster/cluster up)"
	for node in $nodes; do
		node_running "$node" || die "share: $node is not running"
	done
	[ -z "$(share_pid)" ] || die "share: already on (daemon $(share_pid))"
	share_off KILL
	install -d -m 0700 "$SHARE_DIR" && mkdir -p "$SHARE_MNT" ||
		die "share: cannot create $SHARE_DIR"
	rm -f "$SHARE_SOCK" "$SHARE_STATS"
	# Its own session: a test's timeout (a process-group kill) must not
	# take the share away under the nodes; `share off` and `down` end it.
	setsid "$STAGEFS" "$SHARED_DIR" "$SHARE_MNT" -f -o allow_other \
		--control="$SHARE_SOCK" --stats="$SHARE_STATS" \
		>"$SHARE_LOG" 2>&1 </dev/null 9>&- &
	echo $! >"$SHARE_PIDFILE"
	# The control socket answers once the mount is in place.
	if ! wait_for 10 share_ctl ping; then
		cat "$SHARE_LOG" >&2
		share_off KILL
		die "share: stagefs did not come up"
	fi
	for node in $nodes; do
		if ! "$CLUSTER_DIR/lib/mount-into" "$SHARE_MNT" "$NSDIR/$node.mnt" "$SHARED_DIR"; then
			share_off KILL
			die "share: cannot mount the share in $node"
		fi
	done
	say "share on: $(echo $nodes | tr ' ' ,) read $SHARED_DIR through stagefs (daemon $(share_pid); counters: cluster share stats)"
}

# share_off [KILL]: stop the daemon (TERM, KILL after 3 s; KILL at once
# when asked), then remove every stagefs mount of ours: the host's and
# each node's. Safe while hung and when nothing is on.
share_off()
{
	local how=${1:-TERM} pid dev node f n ended=
	pid=$(share_pid)
	if [ -n "$pid" ]; then
		kill "-$how" "$pid" 2>/dev/null
		for _ in $(seq 30); do pid_alive "$pid" || break; sleep 0.1; done
		if pid_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
			for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
		fi
		if pid_alive "$pid"; then
			warn "share: stagefs daemon $pid did not end"
		else
			ended=1
		fi
	fi
	rm -f "$SHARE_PIDFILE" "$SHARE_SOCK"
	# The daemon's death aborted its connection (a KILL leaves the dead
	# mount behind: detach it). A mount whose daemon we lost track of, or
	# that did not end: abort its connection first, which fails its
	# waiting requests and ends that daemon's loop.
	for n in 1 2 3 4 5; do
		dev=$(stagefs_mounts_at "$SHARE_MNT" </proc/self/mountinfo | tail -n 1)
		[ -n "$dev" ] || break
		[ -n "$ended" ] || fuse_abort "$dev"
		umount -l "$SHARE_MNT" 2>/dev/null
	done
	# The nodes' copies share the host mount's connection: dead now, so
	# unmounting them cannot block.
	for f in "$NSDIR"/*.mnt; do
		[ -e "$f" ] || continue
		node=$(basename "$f" .mnt)
		for n in 1 2 3 4 5; do
			[ -n "$(node_share_mounts "$node")" ] || break
			in_node "$node" umount -l -c "$SHARED_DIR" 2>/dev/null
		done
	done
	return 0
}

# fuse_abort MAJOR:MINOR: abort a FUSE connection (fusectl, mounted on
# the host if it is not yet: only for a daemon that escaped us).
fuse_abort()
{
	local conn=/sys/fs/fuse/connections
	[ -d "$conn" ] || return 0
	mountpoint -q "$conn" || mount -t fusectl none "$conn" 2>/dev/null
	[ -e "$conn/${1#*:}/abort" ] && echo 1 >"$conn/${1#*:}/abort" 2>/dev/null
	return 0
}

share_cmd()
{
	case "${1:-}" in
	on) require_root; share_on ;;
	off) require_root; share_off TERM; say "share off: the plain $SHARED_DIR" ;;
	hang|resume|stats|reset)
		require_root
		[ -n "$(share_pid)" ] || die "share: not on (cluster share on)"
		share_ctl "$1" ;;
	help|-h|--help) share_usage ;;
	*) share_usage >&2; exit 2 ;;
	esac
}

# scratch_set NODE SIZE|off
scratch_set()
{
	local node=$1 size=$2
	node_running "$node" || die "scratch: $node is not a running node (have: $(cluster_nodes | tr '\n' ' '))"
	in_node "$node" /bin/bash -euc '
		dir=$1 size=$2 node=$3
		while mountpoint -q "$dir"; do umount -l "$dir"; done
		if [ "$size" = off ]; then
			# Back to the node'"'"'s own directory (node_namespaces).
			mount --bind "$4/scratch" "$dir"
			exit 0
		fi
		# The mount point is a directory of the host'"'"'s /var/tmp
		# (anyone can create there): refuse one that root does not own.
		[ -L "$dir" ] && { echo "$dir is a symlink" >&2; exit 1; }
		[ -d "$dir" ] || mkdir -m 0755 "$dir"
		[ "$(stat -c %u:%a "$dir")" = 0:755 ] ||
			{ echo "$dir is not root'"'"'s with mode 0755: $(stat -c "%U %a" "$dir")" >&2; exit 1; }
		mount -t tmpfs -o "size=$size,mode=0755,nosuid,nodev" "scratch-$node" "$dir"
	' scratch "$SCRATCH_DIR" "$size" "$node" "$(node_dir "$node")" ||
		die "scratch: cannot set up $SCRATCH_DIR on $node"
}

scratch_cmd()
{
	require_root
	[ $# = 2 ] || { share_usage >&2; exit 2; }
	local target=$1 size=$2 node nodes
	[[ "$size" = off || "$size" =~ ^[1-9][0-9]*[kKmMgG]?$ ]] ||
		die "scratch: '$size' is not a size (e.g. 8M, 512K, 1G) or off"
	if [ "$target" = all ]; then
		nodes=$(cluster_nodes)
		[ -n "$nodes" ] || die "scratch: no cluster (run: tests/cluster/cluster up)"
	else
		nodes=$target
	fi
	for node in $nodes; do scratch_set "$node" "$size"; done
	if [ "$size" = off ]; then
		say "scratch off on $(echo $nodes | tr ' ' ,)"
	else
		say "scratch: $SCRATCH_DIR is a $size tmpfs on $(echo $nodes | tr ' ' ,)"
	fi
}
