#!/bin/bash
# srun --mpi=pmix launches MPI ranks across two emulated nodes.
. "$(dirname "$0")/lib/suite.sh"
plan 5

[ -x "$DEMO_DIR/mpi_hello" ] || stage_seed_jobs
out=$(cd "$DEMO_DIR" && as_user timeout 120 srun --mpi=pmix -N2 -n4 \
	sh -c 'echo "$(hostname): $(./mpi_hello)"' 2>&1)
for k in 0 1 2 3; do
	like "srun --mpi=pmix -N2 -n4: rank $k of 4 reports" "$out" ": Hello from processor $k of 4$"
done
hosts=$(awk -F: '/Hello from processor/ {print $1}' <<<"$out" | sort -u | tr '\n' ' ')
like "the 4 ranks ran on two different Pis" "$hosts" '^pi[0-9]+ pi[0-9]+ $'
done_testing
