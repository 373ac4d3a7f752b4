#!/bin/bash
# task/pi runs in every step and tells each task which Pi it is on.
. "$(dirname "$0")/lib/suite.sh"
plan $(cluster_nodes | wc -l)

out=$(as_user srun -N4 -n4 --ntasks-per-node=1 sh -c 'echo "$(hostname)=$SLURM_PI_MODEL"' 2>&1)
for node in $(cluster_nodes); do
	dt=$(tr -d '\0' <"$(node_dir "$node")/root/sys/firmware/devicetree/base/model")
	like "$node tasks see SLURM_PI_MODEL=$dt" "$out" "^$node=$dt\$"
done
done_testing
