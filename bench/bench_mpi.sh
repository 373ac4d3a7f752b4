#!/bin/bash
# spank_pi_mpi's cost and effect on the emulated cluster without decoy
# interfaces (where Open MPI works either way), side by side in the same
# run:
#   - start-up: the wall time of `srun --mpi=pmix -N4 -n4 ./mpi_hello` and
#     of `mpirun ./mpi_hello` inside a 4-node batch job, with the plugin
#     loaded and with its line removed from plugstack.conf (what a cluster
#     without slurm-pi runs). Rounds alternate the two, so drift hits both.
#   - bandwidth: a 16 MB MPI_Allreduce (tests/cluster/mpi/allreduce.c,
#     every element checked) with the plugin's transports (pml ob1, btl
#     self,vader,tcp on the cluster network) against Open MPI's defaults
#     (the plugin not loaded).
# Prints the medians and the ratios (without / with: above 1 means the
# plugin is faster).
#
#   bench/bench_mpi.sh            (root; brings the cluster up, about 3 min)
#   SLURM_PI_BENCH_ROUNDS=3       rounds (each: one job per setting)
#   SLURM_PI_BENCH_REPS=5         timed launches of each kind per job
#   SLURM_PI_BENCH_ITERS=10       allreduce iterations per job
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/cluster/lib/common.sh"
. "$here/tests/cluster/lib/jobs.sh"
CLUSTER="$here/tests/cluster/cluster"
rounds=${SLURM_PI_BENCH_ROUNDS:-3}
reps=${SLURM_PI_BENCH_REPS:-5}
iters=${SLURM_PI_BENCH_ITERS:-10}
[ "$(id -u)" = 0 ] || { echo "bench_mpi.sh: run as root" >&2; exit 2; }

"$CLUSTER" up -n 4 >/dev/null || { echo "cluster up failed" >&2; exit 1; }
dir=$(mktemp -d "$SHARED_DIR/bench_mpi.XXXXXX")
cp "$ETC/plugstack.conf" "$dir/plugstack.conf.with"
grep -v 'spank_pi_mpi\.so' "$dir/plugstack.conf.with" >"$dir/plugstack.conf.without"
trap 'cp "$dir/plugstack.conf.with" "$ETC/plugstack.conf"; rm -rf --one-file-system "$dir"' EXIT
chown "$JOB_USER" "$dir"
[ -x "$DEMO_DIR/mpi_hello" ] || stage_seed_jobs
install -o "$JOB_USER" -m 0755 "$DEMO_DIR/mpi_hello" "$dir/mpi_hello"
install -o "$JOB_USER" -m 0644 "$here/tests/cluster/mpi/allreduce.c" "$dir/allreduce.c"
(cd "$dir" && as_user mpicc -O2 -o allreduce allreduce.c) || { echo "mpicc failed" >&2; exit 1; }

# The job: REPS timed srun launches, REPS timed mpirun launches, then the
# allreduce through mpirun. Prints "srun S", "mpirun S" and the allreduce
# line.
cat >"$dir/job.sh" <<EOF
#!/bin/bash
#SBATCH -N4 -n4
t() { local t0=\$(date +%s.%N); "\$@" >/dev/null 2>&1 || echo "FAILED: \$*"; echo "\$(date +%s.%N) \$t0" | awk '{printf "%.4f\n", \$1 - \$2}'; }
for i in \$(seq $reps); do echo "srun \$(t srun --mpi=pmix -N4 -n4 ./mpi_hello)"; done
for i in \$(seq $reps); do echo "mpirun \$(t mpirun ./mpi_hello)"; done
mpirun ./allreduce 16 $iters
EOF
chown "$JOB_USER" "$dir/job.sh"

# run SETTING ROUND: one job with plugstack.conf as SETTING
run()
{
	local setting=$1 r=$2 id state
	cp "$dir/plugstack.conf.$setting" "$ETC/plugstack.conf"
	id=$(submit "$dir" -o "$dir/$setting.$r.out" job.sh) || { echo "sbatch failed" >&2; return 1; }
	state=$(wait_job "$id" 600)
	[ "$state" = COMPLETED ] || { echo "$setting: job $id ended $state" >&2; return 1; }
	if grep -q FAILED "$dir/$setting.$r.out"; then
		echo "$setting: a launch failed:" >&2
		cat "$dir/$setting.$r.out" >&2
		return 1
	fi
}
for r in $(seq "$rounds"); do
	echo "round $r of $rounds ..." >&2
	run with "$r" || exit 1
	run without "$r" || exit 1
done

median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
times() { cat "$dir/$1".*.out | awk -v k="$2" '$1 == k {print $2}' | median; }
bw() { cat "$dir/$1".*.out | sed -n 's/.*MB\/s=\([0-9.]*\).*/\1/p' | median; }
checked() { grep -c "allreduce ok: ranks=4 nodes=4 bytes=16777216" "$dir/$1".*.out | awk -F: '{s += $2} END {print s}'; }

sw=$(times with srun) so=$(times without srun)
mw=$(times with mpirun) mo=$(times without mpirun)
bwith=$(bw with) bwithout=$(bw without)
echo
echo "MPI start-up on 4 emulated nodes, no decoys (median of $((rounds * reps)) launches each; $rounds rounds, alternating)"
printf '%-34s %10s %10s %12s\n' "" "with" "without" "without/with"
printf '%-34s %9.3fs %9.3fs %11.2fx\n' "srun --mpi=pmix -N4 -n4 mpi_hello" "$sw" "$so" "$(echo "$so / $sw" | bc -l)"
printf '%-34s %9.3fs %9.3fs %11.2fx\n' "mpirun mpi_hello (in sbatch -N4)" "$mw" "$mo" "$(echo "$mo / $mw" | bc -l)"
echo
echo "16 MB MPI_Allreduce, $iters iterations per job (median MB/s of $rounds jobs; every element checked: $(checked with)+$(checked without) of $((2 * rounds)) jobs ok)"
printf '%-34s %10s %10s %12s\n' "" "plugin" "OMPI dflt" "plugin/dflt"
printf '%-34s %10.1f %10.1f %11.2fx\n' "MB/s (mpirun, 4 ranks on 4 nodes)" "$bwith" "$bwithout" "$(echo "$bwith / $bwithout" | bc -l)"
