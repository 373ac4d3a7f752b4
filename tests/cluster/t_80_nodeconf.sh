#!/bin/bash
# `slurm-pi nodeconf` on a node prints a NodeName line that slurmctld
# accepts when pasted into slurm.conf, and the node comes up with it.
. "$(dirname "$0")/lib/suite.sh"
plan 8

SLURM_PI="$STATE/bin/slurm-pi"
node=pi3
out=$("$CLUSTER" exec "$node" "$SLURM_PI" nodeconf 2>&1); rc=$?
is "slurm-pi nodeconf on $node exits 0" "$rc" 0
line=$(grep "^NodeName=" <<<"$out")
diag "nodeconf on $node: $line"
like "it prints a NodeName line for $node" "$line" "^NodeName=$node CPUs=[0-9]+ Boards=1 SocketsPerBoard=[0-9]+ CoresPerSocket=[0-9]+ ThreadsPerCore=[0-9]+ RealMemory=[0-9]+ Features="
like "with the model, architecture and memory features" "$line" 'Features=pi4b,[a-z0-9]+,mem4g$'

# Paste it: one line per node, pi3's from nodeconf (plus its address).
orig="$STATE/slurm.conf.orig"
cp "$SLURM_CONF" "$orig"
nodes_line=$(grep '^NodeName=' "$orig")
{
	grep -v '^NodeName=' "$orig"
	for n in $(cluster_nodes); do
		[ "$n" = "$node" ] && continue
		echo "NodeName=$n NodeAddr=$(node_addr "${n#pi}") CPUs=4 State=UNKNOWN"
	done
	echo "$line NodeAddr=$(node_addr "${node#pi}")"
} >"$SLURM_CONF.new"
mv "$SLURM_CONF.new" "$SLURM_CONF"

"$CLUSTER" stop ctld
"$CLUSTER" stop "$node"
"$CLUSTER" start ctld 2>&1 | tail -n 5
check "slurmctld starts with the pasted line" scontrol ping
"$CLUSTER" start "$node"
up() { sinfo -h -n "$node" -o '%t' | grep -qx idle; }
check "$node comes up idle with its nodeconf definition" wait_for 60 up
show=$(scontrol show node "$node")
want_cpus=$(sed -n 's/.* CPUs=\([0-9]*\) .*/\1/p' <<<"$line")
like "scontrol shows $node's CPUs from nodeconf" "$show" "CPUTot=$want_cpus "
like "and its features" "$show" 'AvailableFeatures=pi4b,[a-z0-9]+,mem4g'
id=$(submit "$SHARED_DIR" -w "$node" --constraint=pi4b --output=/dev/null --wrap true)
is "a job constrained to feature pi4b runs on $node" "$(wait_job "$id")" COMPLETED

# Put the cluster back as it was for the tests that follow.
cp "$orig" "$SLURM_CONF"
"$CLUSTER" stop ctld; "$CLUSTER" stop "$node"
"$CLUSTER" start ctld >/dev/null 2>&1; "$CLUSTER" start "$node"
wait_for 60 up
done_testing
