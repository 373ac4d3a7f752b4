#!/bin/bash
# The staging tests' fault injection: `cluster share` (stagefs between the
# nodes and /home/shared: a byte counter and a hung server on demand) and
# `cluster scratch` (a small node-local disk). Each node's read of a file
# reaches the share (direct_io: no shared page cache), a hung share blocks
# callers killably and leaves slurmd working, a full scratch disk says
# ENOSPC to the job user. Ends with both off: later files see the plain
# share. Skips when stagefs was not built.
. "$(dirname "$0")/lib/suite.sh"
. "$CLUSTER_DIR/lib/share.sh"
plan 24

if [ ! -x "$STAGEFS" ] || [ ! -c /dev/fuse ]; then
	why="stagefs not built (libfuse3-dev) or no /dev/fuse"
	for i in $(seq 24); do skip "share and scratch check $i" "$why"; done
	done_testing
fi

MiB=1048576
dir=$(mktemp -d "$SHARED_DIR/share.XXXXXX")
chown "$JOB_USER" "$dir"
head -c $((4 * MiB)) /dev/urandom >"$dir/in.dat"
chown "$JOB_USER" "$dir/in.dat"
sum=$(md5sum <"$dir/in.dat" | cut -d' ' -f1)

# Whatever happens, later files get the plain share and no scratch disk.
# The daemon goes first (share off kills it): nothing here can block.
cleanup()
{
	"$CLUSTER" share off >/dev/null 2>&1
	"$CLUSTER" scratch all off >/dev/null 2>&1
	rm -rf --one-file-system "$dir"
}
trap cleanup EXIT

# The nodes whose /home/shared is the stagefs mount.
share_nodes()
{
	local n out=()
	for n in $(cluster_nodes); do
		[ -n "$(node_share_mounts "$n")" ] && out+=("$n")
	done
	echo "${out[*]}"
}
counter() { "$CLUSTER" share stats 2>/dev/null | sed -n "s/^$1=//p"; }
# node_md5 NODE FILE: a job step on NODE reads FILE; prints its md5.
node_md5() { as_user srun -w "$1" -N1 -n1 sh -c "md5sum <'$2' | cut -d' ' -f1" 2>&1; }
# in_node_rc NODE COMMAND...: the exit status of COMMAND inside NODE,
# bounded by 20 s.
in_node_rc() { timeout -k 5 20 "$CLUSTER" exec "$@" >/dev/null 2>&1; echo $?; }
# mounts_in NODE PATH: how many tmpfs mounts NODE has at PATH (its
# mountinfo; every node's own scratch directory is a bind mount there).
mounts_in() { timeout 20 "$CLUSTER" exec "$1" cat /proc/self/mountinfo | awk -v p="$2" '$5 == p && / - tmpfs /' | wc -l; }

# --- the share, counted
check "cluster share on" "$CLUSTER" share on
all=$(cluster_nodes | tr '\n' ' '); all=${all% }
is "every node's $SHARED_DIR is the stagefs mount" "$(share_nodes)" "$all"
is "the host's (the controller's) stays the plain directory" \
	"$(stagefs_mounts_at "$SHARED_DIR" </proc/self/mountinfo)" ""

"$CLUSTER" share reset >/dev/null
is "a job step on pi1 reads the 4 MiB file through the share" "$(node_md5 pi1 "$dir/in.dat")" "$sum"
is "share stats: bytes_read is the file's 4 MiB" "$(counter bytes_read)" $((4 * MiB))
is "a step on pi2 reads it again: 4 MiB more (no shared page cache)" \
	"$(node_md5 pi2 "$dir/in.dat")/$(counter bytes_read)" "$sum/$((8 * MiB))"
is "two files opened, one per node" "$(counter opens)" 2

# --- a hung share
check "cluster share hang" "$CLUSTER" share hang
is "share stats says hung=1" "$(counter hung)" 1
is "in pi1, timeout 3 stat on the share ends with 124 (blocked, ended by TERM)" \
	"$(in_node_rc pi1 timeout -k 2 3 stat "$dir/in.dat")" 124
check "pi1's slurmd answers meanwhile (scontrol show slurmd in pi1)" \
	timeout 20 "$CLUSTER" exec pi1 scontrol show slurmd
is "a step on pi1 outside the share runs meanwhile" \
	"$(as_user srun -w pi1 -N1 -n1 --chdir=/tmp hostname 2>&1)" pi1
unlike "scontrol show node pi1: not down or unresponsive" \
	"$(scontrol show node pi1 2>&1)" 'State=[A-Z+_]*(DOWN|NOT_RESPONDING)'
check "cluster share resume" "$CLUSTER" share resume
is "the stat works again" "$(in_node_rc pi1 timeout -k 2 3 stat "$dir/in.dat")" 0
is "no request is left waiting (blocked=0, hung=0)" "$(counter blocked),$(counter hung)" 0,0

# --- a full node-local disk
check "cluster scratch pi1 8M" "$CLUSTER" scratch pi1 8M
is "pi1's $SCRATCH_DIR is an 8 MiB tmpfs" \
	"$(timeout 20 "$CLUSTER" exec pi1 df -k --output=fstype,size "$SCRATCH_DIR" 2>&1 | tail -n 1 | tr -s ' ')" "tmpfs 8192"
"$CLUSTER" exec pi1 install -d -o "$JOB_USER" -m 0700 "$SCRATCH_DIR/job"
out=$(as_user srun -w pi1 -N1 -n1 --chdir=/tmp sh -c \
	"dd if=/dev/zero of=$SCRATCH_DIR/job/fill bs=1M count=16 2>&1; echo rc=\$?" 2>&1)
like "the job user's 16 MiB write fills it: No space left on device" "$out" \
	'No space left on device'
is "after exactly 8 MiB, with status 1" \
	"$(grep -o '^[0-9]* bytes' <<<"$out") $(grep -o 'rc=[0-9]*' <<<"$out")" "8388608 bytes rc=1"
is "the disk is node-local: pi2 has none" "$(mounts_in pi2 "$SCRATCH_DIR")" 0
"$CLUSTER" scratch pi1 off >/dev/null 2>&1
is "cluster scratch pi1 off unmounts it" "$(mounts_in pi1 "$SCRATCH_DIR")" 0

# --- back to the plain share
check "cluster share off" "$CLUSTER" share off
is "no node's $SHARED_DIR is stagefs any more, and the daemon is gone" \
	"$(share_nodes)|$(share_pid)" "|"
done_testing
