#!/bin/bash
# The seed's jobs, unchanged, submitted by user pi from the shared directory.
. "$(dirname "$0")/lib/suite.sh"
plan 11

check "mpicc builds the seed's mpi_hello.c as $JOB_USER" stage_seed_jobs

id=$(submit "$DEMO_DIR" job.sh)
like "sbatch job.sh gives a job id" "$id" '^[0-9]+$'
is "job.sh completes" "$(wait_job "$id")" COMPLETED
node=$(job_node "$id")
like "job.sh ran on an emulated Pi" "$node" '^pi[0-9]+$'
is "output.txt says Hello from the node it ran on" "$(cat "$DEMO_DIR/output.txt" 2>&1)" "Hello from $node"

id=$(submit "$DEMO_DIR" mpi_job.sh)
is "mpi_job.sh (mpirun, 4 tasks) completes" "$(wait_job "$id")" COMPLETED
out=$(cat "$DEMO_DIR/mpi_output.txt" 2>&1)
for k in 0 1 2 3; do
	like "mpi_output.txt: Hello from processor $k of 4" "$out" "^Hello from processor $k of 4$"
done
is "mpi_output.txt has exactly 4 lines" "$(grep -c . <<<"$out")" 4
done_testing
