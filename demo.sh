#!/bin/bash
# slurm-pi's demo: builds slurm-pi, brings up the emulated 4-Pi cluster with
# every slurm-pi plugin loaded into stock Slurm daemons, and runs the seed
# document's jobs on it as user "pi": job.sh and the Open MPI mpi_job.sh
# (mpi_hello.c compiled with mpicc). Prints their output, sinfo and squeue,
# and leaves the cluster up to play with. Run as root.
set -uo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
. tests/cluster/lib/common.sh
. tests/cluster/lib/jobs.sh

step() { printf '\n\033[1m[%s] %s\033[0m\n' "$1" "$2" >&2; }

show_logs()
{
	echo "--- slurmctld ($CTLD_DIR/slurmctld.log)" >&2
	grep -E 'error|fatal|pi_cons_tres' "$CTLD_DIR/slurmctld.log" 2>/dev/null | tail -n 15 >&2
	local node
	for node in $(cluster_nodes); do
		echo "--- $node ($(node_dir "$node")/slurmd.log)" >&2
		grep -E 'error|fatal|task/pi|spank_pi' "$(node_dir "$node")/slurmd.log" 2>/dev/null | tail -n 8 >&2
	done
}

failed()
{
	echo >&2
	echo "demo: $*" >&2
	show_logs
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: run as root (it installs packages and starts an emulated cluster): sudo ./demo.sh" >&2
	exit 2
fi

step 1/5 "Installing what is missing from Debian's packages"
packaging/install-deps.sh || failed "could not install the packages"

step 2/5 "Building slurm-pi (select/pi_cons_tres, task/pi, spank_pi_thermal)"
packaging/build.sh || failed "the build failed"

step 3/5 "Bringing up the emulated Pi cluster"
tests/cluster/cluster up || failed "the cluster did not come up"

step 4/5 "Submitting the seed's jobs as user $JOB_USER from $DEMO_DIR"
stage_seed_jobs || failed "mpicc could not build mpi_hello.c"
echo "    mpicc -o mpi_hello mpi_hello.c: ok" >&2
job1=$(submit "$DEMO_DIR" job.sh) || failed "sbatch job.sh failed"
echo "    sbatch job.sh      -> job $job1" >&2
job2=$(submit "$DEMO_DIR" mpi_job.sh) || failed "sbatch mpi_job.sh failed"
echo "    sbatch mpi_job.sh  -> job $job2" >&2
echo >&2
squeue

step 5/5 "Waiting for both jobs"
for id in "$job1" "$job2"; do
	state=$(wait_job "$id" 120)
	echo "    job $id: $state on $(job_node "$id")" >&2
	[ "$state" = COMPLETED ] || failed "job $id ended $state"
done

echo
echo "== output.txt (job.sh, job $job1) =="
cat "$DEMO_DIR/output.txt"
echo
echo "== mpi_output.txt (mpi_job.sh, job $job2) =="
cat "$DEMO_DIR/mpi_output.txt"
echo
echo "== sinfo =="
sinfo
echo
echo "== squeue =="
squeue
cat <<MSG

The cluster is still up. To use it from this shell:
    eval "\$($top/tests/cluster/cluster env)"
    cd $DEMO_DIR && runuser -u $JOB_USER -- srun --mpi=pmix -N2 -n4 ./mpi_hello
    $top/tests/cluster/cluster status           # nodes, models, fake sensors
    $top/tests/cluster/cluster set pi2 temp=84  # heat up a node
    $top/tests/cluster/cluster down             # stop it and clean up
MSG
