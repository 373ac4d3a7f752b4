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
