# The cluster network: bridge $BRIDGE on the host with the controller's
# address, and per node a network namespace whose eth0 is one end of a veth
# pair plugged into the bridge (sourced).

net_up()
{
	if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
		ip link add "$BRIDGE" type bridge || die "cannot create bridge $BRIDGE"
	fi
	ip addr replace "$CTLD_ADDR/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
}

net_add_node()
{
	local node=$1 idx=$2
	local host_if="v$node" addr
	addr=$(node_addr "$idx")
	ip netns add "$node" || die "cannot create network namespace $node"
	ip link add "$host_if" type veth peer name "eth0" netns "$node" ||
		die "cannot create veth pair for $node"
	ip link set "$host_if" master "$BRIDGE" up
	ip -n "$node" link set lo up
	ip -n "$node" addr add "$addr/24" dev eth0
	ip -n "$node" link set eth0 up
	ip -n "$node" route add default via "$CTLD_ADDR"
}

# Remove every namespace and link the cluster may have left, whatever
# state a previous run died in.
net_down()
{
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case "$ns" in
		pi[0-9]*) ip netns del "$ns" 2>/dev/null ;;
		esac
	done
	for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
		case "$link" in
		vpi[0-9]*) ip link del "$link" 2>/dev/null ;;
		esac
	done
	ip link del "$BRIDGE" 2>/dev/null || true
}

# Decoy interfaces for the MPI tests, inside each node's namespace only,
# the ones that make Open MPI hang on real Pi clusters: a docker0 with the
# same address on every node, and a wlan0 on a subnet that no two nodes
# share a link on. This kernel has no `dummy` links: each decoy is one end
# of a veth pair whose other end stays in the same namespace.
decoys_set()
{
	local node=$1 idx=$2 state=$3
	ip -n "$node" link del docker0 2>/dev/null
	ip -n "$node" link del wlan0 2>/dev/null
	[ "$state" = on ] || return 0
	ip -n "$node" link add docker0 type veth peer name vdocker0 &&
		ip -n "$node" addr add 172.17.0.1/16 dev docker0 &&
		ip -n "$node" link set vdocker0 up &&
		ip -n "$node" link set docker0 up &&
		ip -n "$node" link add wlan0 type veth peer name vwlan0 &&
		ip -n "$node" addr add "192.168.50.$((10 + idx))/24" dev wlan0 &&
		ip -n "$node" link set vwlan0 up &&
		ip -n "$node" link set wlan0 up ||
		die "cannot create decoy interfaces in $node"
}

decoys_cmd()
{
	require_root
	local state=${1:-} node idx nodes
	case "$state" in
	on|off) ;;
	*) echo "usage: cluster decoys on|off" >&2; exit 2 ;;
	esac
	nodes=$(cluster_nodes)
	[ -n "$nodes" ] || die "decoys: no cluster (run: tests/cluster/cluster up)"
	for node in $nodes; do
		idx=${node#pi}
		decoys_set "$node" "$idx" "$state"
	done
	if [ "$state" = on ]; then
		say "decoys on $(echo $nodes | tr ' ' ,): docker0 172.17.0.1/16 (the same on every node), wlan0 192.168.50.N/24 (not linked)"
	else
		say "decoys off"
	fi
}

# Hide Slurm's PMIx support from one node, as on a node where a package is
# missing: `lib` puts an empty directory over the directory of the
# libpmix.so that mpi/pmix loads (libpmix-dev missing), `plugin` puts
# /dev/null over mpi_pmix*.so (slurm-wlm-basic-plugins missing); `show`
# undoes both.
pmix_cmd()
{
	require_root
	[ $# = 2 ] || { echo "usage: cluster pmix NODE hide-lib|hide-plugin|show" >&2; exit 2; }
	local node=$1 what=$2 libdir f
	libdir=${SYSTEM_PLUGIN_DIR%/slurm-wlm}/pmix2/lib
	mkdir -p "$STATE/empty"
	case "$what" in
	hide-lib)
		in_node "$node" mount --bind "$STATE/empty" "$libdir" ||
			die "pmix: cannot hide $libdir on $node"
		say "pmix: $libdir is empty on $node" ;;
	hide-plugin)
		for f in "$SYSTEM_PLUGIN_DIR"/mpi_pmix*.so; do
			in_node "$node" mount --bind /dev/null "$f" ||
				die "pmix: cannot hide $f on $node"
		done
		say "pmix: mpi_pmix*.so hidden on $node" ;;
	show)
		# Each path at most a few times (a test may have hidden it twice).
		in_node "$node" /bin/sh -c '
			for f in "$@"; do
				for i in 1 2 3 4; do umount "$f" 2>/dev/null || break; done
			done' show "$libdir" "$SYSTEM_PLUGIN_DIR"/mpi_pmix*.so
		say "pmix: restored on $node" ;;
	*) echo "usage: cluster pmix NODE hide-lib|hide-plugin|show" >&2; exit 2 ;;
	esac
}
