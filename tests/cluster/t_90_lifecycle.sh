#!/bin/bash
# down leaves nothing behind, and up recovers from a run that was killed.
# Runs last: it takes the suite's cluster down.
. "$(dirname "$0")/lib/suite.sh"
plan 5

leftovers()
{
	ip netns list 2>/dev/null | grep -E '^pi[0-9]+' | sed 's/^/netns /'
	ip link show "$BRIDGE" >/dev/null 2>&1 && echo "bridge $BRIDGE"
	ip -o link show 2>/dev/null | grep -oE 'vpi[0-9]+' | sed 's/^/link /'
	grep -F "$STATE" /proc/self/mountinfo | awk '{print "mount " $5}'
	pgrep -af -- "$SLURM_CONF" | sed 's/^/process /'
	pgrep -af -- "$MUNGE_DIR" | sed 's/^/process /'
	pgrep -af -- ' _heat-run ' | sed 's/^/process /'
}

# Daemons run as root from the state directory: one that a user could have
# prepared is refused before anything runs.
scratch=$(mktemp -d /tmp/slurm-pi-statedir.XXXXXX)
ln -s "$scratch" "$scratch.link"
out=$(SLURM_PI_CLUSTER_DIR="$scratch.link" "$CLUSTER" up 2>&1); rc=$?
like "a symlinked state directory is refused" "$rc:$out" "^1:.*state directory '$scratch.link' is a symlink"
chown "$JOB_USER" "$scratch"
out=$(SLURM_PI_CLUSTER_DIR="$scratch" "$CLUSTER" up 2>&1); rc=$?
like "a state directory owned by a user is refused" "$rc:$out" "^1:.*state directory '$scratch' is owned by uid $(id -u "$JOB_USER"), not root"
rm -rf "$scratch" "$scratch.link"

# A crash: every daemon killed with SIGKILL, namespaces and mounts left.
pkill -KILL -f -- "-f $SLURM_CONF"
pkill -KILL -f -- "$MUNGE_DIR/munge.socket.2"
sleep 0.5
out=$("$CLUSTER" up -n 2 -m pi4b 2>&1)
like "up after a killed run brings a 2-node cluster up" "$out" 'cluster is up: 2 nodes idle'
is "sinfo shows the new cluster" "$(sinfo -h -o '%D %t' 2>&1)" "2 idle"

"$CLUSTER" heat on >/dev/null 2>&1
"$CLUSTER" down >/dev/null 2>&1
is "down leaves no namespace, link, mount or process (nor the heater)" "$(leftovers)" ""
done_testing
