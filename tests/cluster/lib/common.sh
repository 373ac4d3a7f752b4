# Shared settings and helpers of the emulated Pi cluster (sourced).
#
# Everything the cluster creates lives under $STATE (default
# /var/tmp/slurm-pi-cluster) or is named with the "pi" prefixes below, so
# `down` can find and remove it even after a crashed or killed run.

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRCDIR=${SLURM_PI_SRCDIR:-$(cd "$CLUSTER_DIR/../.." && pwd)}
BUILDDIR=${SLURM_PI_BUILDDIR:-$SRCDIR}

STATE=${SLURM_PI_CLUSTER_DIR:-/var/tmp/slurm-pi-cluster}
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
}

# Run a command inside a node: its mount, UTS and network namespaces.
in_node()
{
	local node=$1; shift
	[ -e "$NSDIR/$node.mnt" ] || die "$node is not running (no namespace)"
	nsenter --mount="$NSDIR/$node.mnt" --uts="$NSDIR/$node.uts" \
		--net="/var/run/netns/$node" -- "$@"
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
