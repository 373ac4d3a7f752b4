#!/bin/bash
# slurm-pi's demo: builds slurm-pi, brings up the emulated 4-Pi cluster with
# every slurm-pi plugin loaded into stock Slurm daemons, and runs the seed
# document's jobs on it as user "pi": job.sh and the Open MPI mpi_job.sh
# (mpi_hello.c compiled with mpicc), Open MPI wired by spank_pi_mpi.
# Prints their output, what the plugin set, sinfo and squeue,
# then heats one Pi and browns out another to show task/pi's telemetry
# (`slurm-pi nodes`), a drain with its reason, a strict job placed away
# from the hot node and another that waits, saying why in squeue, until the
# node cools; stages a job's input to two nodes and its results back
# (spank_pi_stage), twice, the second time from the nodes' caches with
# nothing read from the share; then leaves the cluster up to play with.
# Run as root.
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

step 1/7 "Installing what is missing from Debian's packages"
scripts/install-deps.sh || failed "could not install the packages"

step 2/7 "Building slurm-pi (select/pi_cons_tres, task/pi, spank_pi_thermal, spank_pi_stage, spank_pi_mpi)"
scripts/build.sh || failed "the build failed"

step 3/7 "Bringing up the emulated Pi cluster"
tests/cluster/cluster up -c DrainOnCritical=yes || failed "the cluster did not come up"

step 4/7 "Submitting the seed's jobs as user $JOB_USER from $DEMO_DIR"
stage_seed_jobs || failed "mpicc could not build mpi_hello.c"
echo "    mpicc -o mpi_hello mpi_hello.c: ok" >&2
job1=$(submit "$DEMO_DIR" job.sh) || failed "sbatch job.sh failed"
echo "    sbatch job.sh      -> job $job1" >&2
job2=$(submit "$DEMO_DIR" mpi_job.sh) || failed "sbatch mpi_job.sh failed"
echo "    sbatch mpi_job.sh  -> job $job2" >&2
echo >&2
squeue

step 5/7 "Waiting for both jobs"
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
echo
# What mpirun ran with: spank_pi_mpi's wiring (no MCA settings anywhere
# else), and srun's default MPI type.
echo "== what spank_pi_mpi gave the job's Open MPI (srun -N1 printenv) =="
(cd "$DEMO_DIR" && as_user srun -Q -N1 sh -c 'env | grep -E "^(SLURM_MPI_TYPE|OMPI_MCA_[a-z_]*)=" | sort')
# That srun made a job of its own: let it leave the node before step 6.
wait_for 20 sh -c '[ -z "$(squeue -h 2>/dev/null)" ]'

step 6/7 "Thermal telemetry and placement: pi1 heats up to 74 C, pi4's power supply browns out"
echo "    DrainOnCritical=yes here: a node critical for DrainGrace (2 s) is drained" >&2
tests/cluster/cluster set pi1 temp=74 >/dev/null
tests/cluster/cluster set pi4 undervoltage=1 >/dev/null
wait_for 10 state_is pi4 'drained|slurm-pi: under-voltage' ||
	failed "pi4 was not drained on under-voltage"
wait_for 10 band_is pi1 hot || failed "pi1's Extra does not say hot"
echo
echo "== slurm-pi nodes (each node's telemetry, published by task/pi into its Extra) =="
tools/slurm-pi nodes
echo
echo "== sinfo -R =="
sinfo -R -o '%42E %9u %19H %N'
job3=$(submit "$DEMO_DIR" -N1 --thermal=strict --output=/dev/null --wrap hostname) ||
	failed "sbatch --thermal=strict failed"
state=$(wait_job "$job3" 60)
echo
echo "== sbatch -N1 --thermal=strict --wrap hostname (job $job3) =="
echo "$state on $(job_node "$job3"): not on pi1, the hot Pi 5 that stock cons_tres would pick first"
job4=$(submit "$DEMO_DIR" -N3 --thermal=strict --output=/dev/null --wrap hostname) ||
	failed "sbatch -N3 --thermal=strict failed"
wait_for 20 eval '[[ "$(job_reason "$job4")" == slurm-pi:* ]]' ||
	failed "job $job4 does not show slurm-pi's reason"
echo
echo "== sbatch -N3 --thermal=strict (job $job4) waits: pi4 is drained and pi1 is hot =="
squeue -j "$job4" -o '%i %T %r'
tests/cluster/cluster set pi1 temp=45 >/dev/null
tests/cluster/cluster set pi4 undervoltage=0 >/dev/null
echo
echo "    pi1 cooled and pi4's supply recovered; slurm-pi resumes pi4 by itself after" >&2
echo "    ResumeAfter (4 s here). An admin's own drain would be left alone." >&2
wait_for 15 state_is pi4 'idle|none' || failed "pi4 was not resumed"
state=$(wait_job "$job4" 60)
echo
echo "== job $job4 once pi1 cooled: $state on $(job_node "$job4") =="
echo
echo "== sinfo =="
sinfo

step 7/7 "Staging: input to each node's disk once, results back, the second time from the node cache"
data="$DEMO_DIR/data"
install -d -o "$JOB_USER" -g "$JOB_USER" "$data"
runuser -u "$JOB_USER" -- sh -c "head -c 8M /dev/urandom >'$data/input.bin'; echo 'reference' >'$data/notes.txt'"
bytes_read() { tests/cluster/cluster share stats 2>/dev/null | sed -n 's/^bytes_read=//p'; }
# stagefs between the nodes and the share, to count what the share sends.
tests/cluster/cluster share on >/dev/null 2>&1 || failed "cluster share on failed"
for run in 1 2; do
	tests/cluster/cluster share reset >/dev/null
	rm -rf "$DEMO_DIR/results"
	id=$(submit "$DEMO_DIR" -N2 -w pi2,pi3 --output=stage.out \
		--stage-in="$data:data" --stage-out="result:$DEMO_DIR/results" \
		--wrap 'srun -N2 --ntasks-per-node=1 sh -c "mkdir -p \$SLURM_PI_SCRATCH/result && md5sum \$SLURM_PI_SCRATCH/data/input.bin >\$SLURM_PI_SCRATCH/result/sum"') ||
		failed "sbatch --stage-in failed"
	state=$(wait_job "$id" 60)
	[ "$state" = COMPLETED ] || failed "staging job $id ended $state"
	echo
	echo "== run $run: sbatch -N2 --stage-in=$data:data --stage-out=result:$DEMO_DIR/results (job $id) =="
	grep '^slurm-pi stage' "$DEMO_DIR/stage.out"
	echo "results: $(cd "$DEMO_DIR/results" && ls -d */sum | tr '\n' ' ')"
	echo "bytes the share sent to the nodes: $(bytes_read)"
done
tests/cluster/cluster share off >/dev/null 2>&1
out=$(cd "$DEMO_DIR" && as_user sbatch --stage-in="$SHARED_DIR/nope" --wrap true 2>&1)
echo
echo "== a typo is refused at sbatch, and no node is touched =="
echo "$out" | head -1
cat <<MSG

The cluster is still up. To use it from this shell:
    eval "\$($top/tests/cluster/cluster env)"
    cd $DEMO_DIR && runuser -u $JOB_USER -- srun --mpi=pmix -N2 -n4 ./mpi_hello
    $top/tests/cluster/cluster status           # nodes, models, fake sensors
    $top/tests/cluster/cluster set pi2 temp=84  # heat up a node
    runuser -u $JOB_USER -- sbatch --stage-in=$DEMO_DIR/data --wrap 'ls -R \$SLURM_PI_SCRATCH'
    scontrol show node pi2 | grep Extra         # its telemetry, within 2 s
    $top/tests/cluster/cluster down             # stop it and clean up
MSG
