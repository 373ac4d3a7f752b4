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
total=$(du -sb --apparent-size "$dir/in/big.bin" "$dir/in/small" | awk '{s += $1} END {print s}')
"$CLUSTER" share on >/dev/null || { echo "cluster share on failed" >&2; exit 1; }
bytes() { "$CLUSTER" share stats | sed -n 's/^bytes_read=//p'; }

# run NAME SBATCH-ARGS... : one 4-node job; prints "NAME BYTES SECONDS"
run()
{
	local name=$1 id state t0; shift
	"$CLUSTER" share reset >/dev/null
	t0=$(date +%s.%N)
	id=$(submit "$dir" -N4 --output=/dev/null "$@") || { echo "$name: sbatch failed" >&2; exit 1; }
	state=$(wait_job "$id" 300)
	[ "$state" = COMPLETED ] || { echo "$name: job $id ended $state" >&2; exit 1; }
	printf '%s %s %.1f\n' "$name" "$(bytes)" "$(echo "$(date +%s.%N) - $t0" | bc)"
}

read_all='cat big.bin small/* >/dev/null'
direct=$(run direct --wrap "srun -N4 --ntasks-per-node=4 sh -c 'cd $dir/in && $read_all'")
cold=$(run cold --stage-in="$dir/in:in" --wrap "srun -N4 --ntasks-per-node=4 sh -c 'cd \$SLURM_PI_SCRATCH/in && $read_all'")
warm=$(run warm --stage-in="$dir/in:in" --wrap "srun -N4 --ntasks-per-node=4 sh -c 'cd \$SLURM_PI_SCRATCH/in && $read_all'")

echo "4-node job, 4 tasks a node each reading the input ($total bytes: ${mib} MiB + $files x 4 KiB)"
printf '%-34s %14s %14s %10s\n' "" "bytes read" "per node" "job s"
for r in "$direct" "$cold" "$warm"; do
	set -- $r
	case $1 in
	direct) label="no staging (tasks read the share)" ;;
	cold) label="--stage-in, cold cache" ;;
	warm) label="--stage-in, warm cache" ;;
	esac
	printf '%-34s %14s %14s %10s\n' "$label" "$2" "$(( $2 / 4 ))" "$3"
done
d=$(set -- $direct; echo "$2"); c=$(set -- $cold; echo "$2"); w=$(set -- $warm; echo "$2")
echo "cold: $(echo "scale=2; $c / (4 * $total)" | bc)x the input per node (target 1.00); warm: $w bytes (target 0)"
echo "no staging / cold staging: $(echo "scale=1; $d / $c" | bc)x the bytes over the share link"
