#!/bin/bash
# What a 4-node job reads from the share: its 4 tasks a node reading the
# input straight from /home/shared (what a user does without staging),
# against --stage-in cold (every node's cache empty) and warm (the same
# input again). Bytes are counted by the emulated cluster's stagefs
# (`cluster share stats`, direct_io: every read a node makes reaches the
# share, as over NFS without a shared page cache). Prints the bytes per
# node and the ratios from one run.
#
#   bench/bench_stage_share.sh        (root; brings the cluster up, about 2 min)
#   SLURM_PI_BENCH_MIB=64             size of the input file in MiB
#   SLURM_PI_BENCH_FILES=200          small files (4 KiB each) beside it
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/cluster/lib/common.sh"
. "$here/tests/cluster/lib/jobs.sh"
CLUSTER="$here/tests/cluster/cluster"
mib=${SLURM_PI_BENCH_MIB:-64}
files=${SLURM_PI_BENCH_FILES:-200}
[ "$(id -u)" = 0 ] || { echo "bench_stage_share.sh: run as root" >&2; exit 2; }

"$CLUSTER" up -n 4 >/dev/null || { echo "cluster up failed" >&2; exit 1; }
dir=$(mktemp -d "$SHARED_DIR/bench_share.XXXXXX")
trap '"$CLUSTER" share off >/dev/null 2>&1; rm -rf --one-file-system "$dir"' EXIT
chown "$JOB_USER" "$dir"
runuser -u "$JOB_USER" -- sh -c "mkdir -p '$dir/in/small' && head -c ${mib}M /dev/urandom >'$dir/in/big.bin' &&
	for i in \$(seq $files); do head -c 4096 /dev/urandom >'$dir/in/small/f'\$i; done"
total=$(find "$dir/in" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
"$CLUSTER" share on >/dev/null || { echo "cluster share on failed" >&2; exit 1; }
bytes() { "$CLUSTER" share stats | sed -n 's/^bytes_read=//p'; }

# run NAME SBATCH-ARGS... : one 4-node job; prints "NAME BYTES SECONDS"
run()
{
	local name=$1 id state t0; shift
	"$CLUSTER" share reset >/dev/null
	t0=$(date +%s.%N)
	id=$(submit "$dir" -N4 --ntasks-per-node=4 --output=/dev/null "$@") || { echo "$name: sbatch failed" >&2; return 1; }
	state=$(wait_job "$id" 300)
	[ "$state" = COMPLETED ] || { echo "$name: job $id ended $state" >&2; return 1; }
	printf '%s %s %.1f %s\n' "$name" "$(bytes)" "$(echo "$(date +%s.%N) - $t0" | bc)" "$(fetched "$id")"
}
# What the nodes' stage-ins fetched from the share, by their own count
# (the "N fetched" of each node's cache line in its slurmd log).
fetched()
{
	local n sum=0 f
	for n in $(cluster_nodes); do
		f=$(grep "job $1: stage-in on $n: .*cache: " "$(node_dir "$n")/slurmd.log" |
			sed -n 's/.* \([0-9]*\) fetched$/\1/p' | tail -1)
		sum=$((sum + ${f:-0}))
	done
	echo "$sum"
}

read_all='cat big.bin small/* >/dev/null'
direct=$(run direct --wrap "srun -N4 --ntasks-per-node=4 sh -c 'cd $dir/in && $read_all'") || exit 1
cold=$(run cold --stage-in="$dir/in:in" --wrap "srun -N4 --ntasks-per-node=4 sh -c 'cd \$SLURM_PI_SCRATCH/in && $read_all'") || exit 1
warm=$(run warm --stage-in="$dir/in:in" --wrap "srun -N4 --ntasks-per-node=4 sh -c 'cd \$SLURM_PI_SCRATCH/in && $read_all'") || exit 1

echo "4-node job, 4 tasks a node each reading the input ($total bytes: ${mib} MiB + $files x 4 KiB)"
printf '%-34s %16s %16s %8s\n' "" "share counted" "nodes fetched" "job s"
for r in "$direct" "$cold" "$warm"; do
	set -- $r
	case $1 in
	direct) label="no staging (tasks read the share)"; f=$2 ;;
	cold) label="--stage-in, cold cache"; f=$4 ;;
	warm) label="--stage-in, warm cache"; f=$4 ;;
	esac
	printf '%-34s %16s %16s %8s\n' "$label" "$2" "$f" "$3"
done
d=$(set -- $direct; echo "$2"); cf=$(set -- $cold; echo "$4"); w=$(set -- $warm; echo "$2"); wf=$(set -- $warm; echo "$4")
echo "(share counted: bytes stagefs served; nodes fetched: the sum of each node's own count, its"
echo " slurmd log. The emulated nodes share one kernel page cache, which the engine's sendfile()"
echo " reads through, so the share serves less than the nodes fetch; on real nodes the two agree)"
echo "cold: $(echo "scale=2; $cf / (4 * $total)" | bc)x the input per node (target 1.00); warm: share $w, nodes $wf bytes (target 0)"
echo "no staging / cold staging: $(echo "scale=1; $d / $cf" | bc)x the bytes over the share link"
