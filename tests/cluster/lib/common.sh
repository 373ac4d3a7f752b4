# Shared settings and helpers of the emulated Pi cluster (sourced).
#
# Everything the cluster creates lives under $STATE (default
# /var/lib/slurm-pi-cluster) or is named with the "pi" prefixes below, so
# `down` can find and remove it even after a crashed or killed run.
#
# Daemons run as root from $STATE (slurm.conf, PluginDir), so it must be
# root's alone: state_dir_ready refuses a symlink, a directory owned by
# anyone else, or one that others can write to. It is 0755, not 0700: the
# job user's sbatch and srun read slurm.conf and load the SPANK plugins
# from it, as they read /etc/slurm and PluginDir on a real cluster. What
# must stay private (the munge key, slurmctld's state) is 0700 inside.

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRCDIR=${SLURM_PI_SRCDIR:-$(cd "$CLUSTER_DIR/../.." && pwd)}
BUILDDIR=${SLURM_PI_BUILDDIR:-$SRCDIR}

STATE=${SLURM_PI_CLUSTER_DIR:-/var/lib/slurm-pi-cluster}
# run-suite.sh holds this lock (on fd 9) while it uses the cluster; the
# daemons are started with fd 9 closed so that they never hold it.
CLUSTER_LOCK=/run/slurm-pi-cluster.lock
ETC="$STATE/etc"
NSDIR="$STATE/ns"          # persistent mount/UTS namespace handles
MUNGE_DIR="$STATE/munge"
CTLD_DIR="$STATE/ctld"
NODES_DIR="$STATE/nodes"

BRIDGE=pibr0
SUBNET_PREFIX=${SLURM_PI_CLUSTER_SUBNET:-10.77.0}
CTLD_ADDR="$SUBNET_PREFIX.1"
SLURMCTLD_PORT=16817
SLURMD_PORT=16818
SHARED_DIR=/home/shared     # the seed's NFS export, same path everywhere
JOB_USER=pi
DEFAULT_MODELS=(pi5 pi4b pi4b pi3bplus)
SYSTEM_PLUGIN_DIR="/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/slurm-wlm"

export SLURM_CONF="$ETC/slurm.conf"

say()  { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
warn() { printf 'cluster: warning: %s\n' "$*" >&2; }
die()  { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

node_addr() { echo "$SUBNET_PREFIX.$((10 + $1))"; }       # pi1 -> .11
node_dir()  { echo "$NODES_DIR/$1"; }

# Node names of the running (or last) cluster, from its recorded size.
cluster_nodes()
{
	local n
	n=$(cat "$STATE/node-count" 2>/dev/null) || return 0
	for ((i = 1; i <= n; i++)); do echo "pi$i"; done
}

require_root()
{
	[ "$(id -u)" = 0 ] || die "the emulated cluster needs root (namespaces, bridge, mounts)"
	state_dir_ready
}

# Run a command inside a node: its mount, UTS and network namespaces.
in_node()
{
	local node=$1; shift
	[ -e "$NSDIR/$node.mnt" ] || die "$node is not running (no namespace)"
	nsenter --mount="$NSDIR/$node.mnt" --uts="$NSDIR/$node.uts" \
		--net="/var/run/netns/$node" -- "$@"
}

# Make sure $STATE is a real directory that only root can change, creating
# it (0755) when absent. Refuses, with the reason, anything an unprivileged
# user could have prepared: a symlink, another owner, group or world write
# bits, or a parent that others can write without the sticky bit.
state_dir_ready()
{
	local parent owner mode
	case "$STATE" in
	/*) ;;
	*) die "state directory '$STATE' must be an absolute path (SLURM_PI_CLUSTER_DIR)" ;;
	esac
	parent=$(dirname "$STATE")
	[ -d "$parent" ] || die "state directory '$STATE': parent '$parent' does not exist"
	if [ ! -e "$STATE" ] && [ ! -L "$STATE" ]; then
		mkdir -m 0755 "$STATE" || die "cannot create state directory '$STATE'"
	fi
	[ -L "$STATE" ] && die "state directory '$STATE' is a symlink; refusing to run daemons as root from it (remove it, or set SLURM_PI_CLUSTER_DIR)"
	[ -d "$STATE" ] || die "state directory '$STATE' is not a directory"
	owner=$(stat -c %u "$STATE") mode=$(stat -c %a "$STATE")
	[ "$owner" = 0 ] || die "state directory '$STATE' is owned by uid $owner, not root; refusing to run daemons as root from it (remove it, or set SLURM_PI_CLUSTER_DIR)"
	(( (8#$mode & 8#022) == 0 )) || die "state directory '$STATE' is writable by others (mode $mode); refusing to use it (chmod go-w it, or set SLURM_PI_CLUSTER_DIR)"
	owner=$(stat -L -c %u "$parent") mode=$(stat -L -c %a "$parent")
	if [ "$owner" != 0 ] || { (( (8#$mode & 8#022) != 0 )) && (( (8#$mode & 8#1000) == 0 )); }; then
		die "state directory '$STATE': its parent '$parent' can be changed by others (owner uid $owner, mode $mode); choose a root-owned place (SLURM_PI_CLUSTER_DIR)"
	fi
	return 0
}

pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Wait up to $1 seconds for "$2..." to succeed.
wait_for()
{
	local secs=$1; shift
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.3
	done
}
