#!/bin/bash
# spank_pi_stage end to end, as a user sees it: a 2-node job stages a tree
# in, computes on both nodes, stages results out (every file checked); a
# typo is refused at sbatch and drains nothing; a file deleted after submit
# fails the job with a clear message and the node stays up; /etc/shadow, a
# symlink to another user's file and a '..' escape copy nothing; scancel
# during stage-in leaves no scratch behind; a full node-local disk fails
# the job and leaves the share untouched; a hung share fails within the
# timeout and the node stays usable; a second job with the same input on
# the same node reads nothing from the share.
. "$(dirname "$0")/lib/suite.sh"
. "$CLUSTER_DIR/lib/share.sh"
plan 67

MiB=1048576
dir=$(mktemp -d "$SHARED_DIR/stage.XXXXXX")
chown "$JOB_USER" "$dir"
cleanup()
{
	# Later files get the cluster's plugstack.conf back.
	[ -f "$dir/plugstack.conf.saved" ] && cp "$dir/plugstack.conf.saved" "$ETC/plugstack.conf"
	"$CLUSTER" share off >/dev/null 2>&1
	"$CLUSTER" scratch all off >/dev/null 2>&1
	rm -rf --one-file-system "$dir" "$SHARED_DIR/stage-secret.$$"
}
trap cleanup EXIT

# Sections 6 and 10 change plugstack.conf (each prolog reads it afresh).
cp "$ETC/plugstack.conf" "$dir/plugstack.conf.saved"
u() { runuser -u "$JOB_USER" -- "$@"; }
# The job directories left under a node's scratch base.
scratch_left() { timeout 20 "$CLUSTER" exec "$1" find "$SCRATCH_DIR" -mindepth 1 -maxdepth 1 -name "$2" 2>/dev/null; }
idle() { state_is "$1" 'idle|none' || state_is "$1" 'mixed|none'; }
counter() { "$CLUSTER" share stats 2>/dev/null | sed -n "s/^$1=//p"; }

# --- input: a small tree
u mkdir -p "$dir/in/sub/deeper"
u sh -c "echo alpha >'$dir/in/a.txt'; head -c $MiB /dev/urandom >'$dir/in/sub/b.bin'; echo gamma >'$dir/in/sub/deeper/c.txt'"
manifest=$(cd "$dir/in" && find . -type f | sort | xargs md5sum)

# --- 1. a 2-node job: tree in, work on both nodes, results out
cat >"$dir/two.sh" <<JOB
#!/bin/sh
#SBATCH -N2 -w pi1,pi2 --output=two.out
#SBATCH --stage-in=$dir/in:data
#SBATCH --stage-out=results:$dir/out
echo "scratch=\$SLURM_PI_SCRATCH"
srun -N2 --ntasks-per-node=1 sh -c 'cd "\$SLURM_PI_SCRATCH" && mkdir -p results && (cd data && find . -type f | sort | xargs md5sum) >results/manifest && hostname >results/host'
JOB
chown "$JOB_USER" "$dir/two.sh"
id=$(submit "$dir" two.sh)
is "2-node job with --stage-in/--stage-out in #SBATCH lines completes" "$(wait_job "$id")" COMPLETED
diag "$(cat "$dir/two.out" 2>&1)"
is "the job saw its scratch in SLURM_PI_SCRATCH" "$(grep '^scratch=' "$dir/two.out")" "scratch=$SCRATCH_DIR/$id"
like "the job's output has the stage-in summary of the batch node" "$(cat "$dir/two.out")" \
	"slurm-pi stage: stage-in on pi1: 3 files, 3 directories, 1\\.0 MiB"
is "pi1's results arrived in DST/pi1, every file the same" "$(cat "$dir/out/pi1/manifest" 2>&1)" "$manifest"
is "pi2's results arrived in DST/pi2, every file the same" "$(cat "$dir/out/pi2/manifest" 2>&1)" "$manifest"
is "each node's results are its own" "$(cat "$dir/out/pi1/host" "$dir/out/pi2/host" 2>&1 | tr '\n' ' ')" "pi1 pi2 "
is "the results belong to the user" "$(stat -c %U "$dir/out/pi1/manifest" 2>&1)" "$JOB_USER"
like "the stage-out lines are in the job's output" "$(grep 'stage-out on' "$dir/two.out" | sort | tr '\n' ' ')" \
	"slurm-pi stage: stage-out on pi1: .*slurm-pi stage: stage-out on pi2: "
wait_for 20 test -z "$(scratch_left pi1 "$id")$(scratch_left pi2 "$id")"
is "no scratch is left on either node" "$(scratch_left pi1 "$id")$(scratch_left pi2 "$id")" ""

# --- 2. a typo is refused at sbatch
out=$(cd "$dir" && as_user sbatch -N1 --stage-in="$SHARED_DIR/nope" --wrap true 2>&1)
like "--stage-in=$SHARED_DIR/nope is refused at sbatch, naming the option and path" "$out" \
	"slurm-pi stage: --stage-in: $SHARED_DIR/nope: No such file or directory"
unlike "no job was queued" "$out" "Submitted batch job"
out=$(cd "$dir" && as_user env SLURM_PI_STAGE_IN="$dir/in:../up" sbatch -N1 --wrap true 2>&1)
like "a DST escaping scratch via the env fallback is refused, naming the variable" "$out" \
	"slurm-pi stage: SLURM_PI_STAGE_IN: "
out=$(cd "$dir" && as_user sbatch -N1 --stage-in="$dir/in" --stage-out-when=maybe --wrap true 2>&1)
like "--stage-out-when=maybe is refused" "$out" "slurm-pi stage: --stage-out-when: 'maybe' is not one of always, success"

# --- 3. /etc/shadow, a symlink to another user's file, a '..' escape
out=$(cd "$dir" && as_user sbatch -N1 --stage-in=/etc/shadow --wrap true 2>&1)
like "--stage-in=/etc/shadow is refused at sbatch" "$out" "slurm-pi stage: --stage-in: .*/etc/shadow"
out=$(cd "$dir" && as_user sbatch -N1 --stage-in="$dir/../../../etc/passwd" --wrap true 2>&1)
like "a '..' escape is refused at sbatch" "$out" "slurm-pi stage: --stage-in: "
echo "root only" >"$SHARED_DIR/stage-secret.$$"; chmod 600 "$SHARED_DIR/stage-secret.$$"
ln -s "../stage-secret.$$" "$dir/link-secret"
out=$(cd "$dir" && as_user sbatch -N1 --stage-in="$dir/link-secret" --wrap true 2>&1)
like "a symlink in the share to root's file: Permission denied at sbatch" "$out" \
	"slurm-pi stage: --stage-in: .*link-secret: Permission denied"
ln -s /etc/shadow "$dir/link-out"
out=$(cd "$dir" && as_user sbatch -N1 --stage-in="$dir/link-out" --wrap true 2>&1)
like "a symlink in the share that leads outside it is refused" "$out" \
	"slurm-pi stage: --stage-in: .*link-out: leads outside $SHARED_DIR"
# The same escape, swapped in after submit: the node checks again.
u sh -c "echo fine >'$dir/swap'"
id=$(submit "$dir" -N1 -w pi3 -H --output=swap.out --stage-in="$dir/swap" --wrap 'ls -la "$SLURM_PI_SCRATCH"')
rm -f "$dir/swap"; ln -s /etc/shadow "$dir/swap"
scontrol release "$id"
is "a symlink to /etc/shadow swapped in after submit fails the job" "$(wait_job "$id")" FAILED
like "the job's output says it leads outside the share" "$(cat "$dir/swap.out" 2>&1)" \
	"slurm-pi stage: stage-in failed on pi3: .*swap: leads outside $SHARED_DIR"
check "pi3 stays up (idle, not drained)" wait_for 20 idle pi3
unlike "nothing of /etc/shadow was copied (no root: line in the output)" "$(cat "$dir/swap.out" 2>&1)" '^root:'

# --- 4. a file deleted between submit and start
u sh -c "echo soon-gone >'$dir/gone.txt'"
id=$(submit "$dir" -N1 -w pi2 -H --output=gone.out --stage-in="$dir/gone.txt" --wrap 'echo ran')
rm -f "$dir/gone.txt"
scontrol release "$id"
is "a file deleted after submit fails the job" "$(wait_job "$id")" FAILED
diag "$(cat "$dir/gone.out" 2>&1)"
like "with a clear message in its output" "$(cat "$dir/gone.out" 2>&1)" \
	"slurm-pi stage: stage-in failed on pi2: .*gone\\.txt: No such file or directory"
unlike "the job script did not run" "$(cat "$dir/gone.out" 2>&1)" '^ran$'
check "pi2 stays up (idle, not drained)" wait_for 20 idle pi2
wait_for 20 test -z "$(scratch_left pi2 "$id")"
is "and no scratch is left" "$(scratch_left pi2 "$id")" ""

# --- 5. a full node-local disk
check "cluster scratch pi3 4M" "$CLUSTER" scratch pi3 4M
u sh -c "head -c $((8 * MiB)) /dev/urandom >'$dir/big.bin'"
before=$(md5sum <"$dir/big.bin")
id=$(submit "$dir" -N1 -w pi3 --output=full.out --stage-in="$dir/big.bin" --wrap 'echo ran')
is "an 8 MiB input on a 4 MiB scratch disk fails the job" "$(wait_job "$id")" FAILED
like "saying the node-local disk is full" "$(cat "$dir/full.out" 2>&1)" \
	"slurm-pi stage: stage-in failed on pi3: .*No space left on device \\(node-local disk full"
is "the share is untouched" "$(md5sum <"$dir/big.bin")" "$before"
check "pi3 stays up (on-failure=fail)" wait_for 20 idle pi3
"$CLUSTER" scratch pi3 off >/dev/null 2>&1

# --- 6. a hung share, and scancel while the prolog waits on it
check "cluster share on" "$CLUSTER" share on
check "cluster share hang" "$CLUSTER" share hang
start=$SECONDS
# Working directory /tmp: a job whose working directory is on a hung share
# cannot even start its batch script, with or without staging.
id=$(submit "$dir" -N1 -w pi1 -D /tmp --output=/tmp/hung.out --stage-in="$dir/in" --wrap 'echo ran')
state=$(wait_job "$id" 90)
is "a hung share fails the job" "$state" FAILED
ok_time=$(( SECONDS - start <= 60 ))
is "within the health-check timeout (5 s) plus Slurm's turnaround, well under a minute" "$ok_time" 1
like "the slurmd log names the share and the timeout" "$(slurmd_log pi1 | grep "job $id")" \
	"slurm-pi stage: job $id: stage-in failed on pi1 .*$SHARED_DIR did not answer within 5 s"
check "pi1 stays up" wait_for 20 idle pi1
is "a job that does not stage runs on pi1 meanwhile" \
	"$(as_user srun -w pi1 -N1 -n1 --chdir=/tmp hostname 2>&1)" pi1
# scancel while the prolog waits on the hung share: a long health-timeout
# (each prolog reads plugstack.conf afresh) so that the job is surely still
# in its prolog when it is cancelled; the prolog notices (it asks
# slurmctld) and stops.
sed -i 's|\(spank_pi_stage.so .*\)health-timeout=5|\1health-timeout=100|' "$ETC/plugstack.conf"
id=$(submit "$dir" -N1 -w pi2 -D /tmp --output=/tmp/cancel.out --stage-in="$dir/in" --wrap 'echo ran')
wait_for 30 test -n "$(scratch_left pi2 "$id")"
scancel "$id"
is "scancel during stage-in: the job is CANCELLED" "$(wait_job "$id" 90)" CANCELLED
like "the prolog stopped for it (slurmd log)" "$(slurmd_log pi2 | grep "job $id")" \
	"slurm-pi stage: job $id: stage-in on pi2 stopped: the job ended"
cp "$dir/plugstack.conf.saved" "$ETC/plugstack.conf"
check "cluster share resume" "$CLUSTER" share resume
wait_for 30 test -z "$(scratch_left pi2 "$id")"
is "and no scratch is left behind" "$(scratch_left pi2 "$id")" ""
check "pi2 stays up" wait_for 30 idle pi2

# --- 7. the node cache: the second job reads nothing from the share
"$CLUSTER" share reset >/dev/null
id=$(submit "$dir" -N1 -w pi3 --output=cold.out --stage-in="$dir/in:data" --wrap 'md5sum "$SLURM_PI_SCRATCH/data/sub/b.bin"')
is "cold: the job completes" "$(wait_job "$id")" COMPLETED
cold=$(counter bytes_read)
is "cold: pi3 read the input from the share once" "$cold" $((MiB + 6 + 6))
"$CLUSTER" share reset >/dev/null
id=$(submit "$dir" -N1 -w pi3 --output=warm.out --stage-in="$dir/in:data" --wrap 'md5sum "$SLURM_PI_SCRATCH/data/sub/b.bin"')
is "warm: the job completes" "$(wait_job "$id")" COMPLETED
is "warm: nothing was read from the share" "$(counter bytes_read)" 0
like "warm: the output says 3 hits" "$(cat "$dir/warm.out" 2>&1)" "slurm-pi stage: cache: 3 hits, 0 misses"
is "warm: the job read the same content" "$(awk '{print $1}' "$dir/warm.out" | grep -v slurm-pi | tail -1)" \
	"$(md5sum <"$dir/in/sub/b.bin" | cut -d' ' -f1)"

# --- 8. a 4-node job reads its input once per node when cold, never warm
u mkdir -p "$dir/in4"
u sh -c "head -c $((2 * MiB)) /dev/urandom >'$dir/in4/d.bin'"
"$CLUSTER" share reset >/dev/null
sum4=$(md5sum <"$dir/in4/d.bin" | cut -d' ' -f1)
id=$(submit "$dir" -N4 --output=four.out --stage-in="$dir/in4" --wrap 'srun -N4 --ntasks-per-node=1 md5sum "$SLURM_PI_SCRATCH/in4/d.bin"')
is "cold 4-node job completes" "$(wait_job "$id")" COMPLETED
is "every node's copy is the input" "$(grep -c "^$sum4 " "$dir/four.out")" 4
# Each node's own count: its slurmd log. The share's count can only be a
# bound here: the emulated nodes share one kernel, and the engine's
# sendfile() from the FUSE share goes through that kernel's page cache (a
# real node's page cache is its own), so nodes that read at the same
# moment may get pages another one fetched.
fetched=0
for n in pi1 pi2 pi3 pi4; do
	slurmd_log "$n" | grep -q "job $id: stage-in on $n: .*cache: 0 hits, 1 miss, .* $((2 * MiB)) fetched" &&
		fetched=$((fetched + 1))
done
is "cold: each of the 4 nodes fetched the 2 MiB input once (slurmd logs)" "$fetched" 4
b=$(counter bytes_read)
is "cold: the share sent between 1 and 4 copies of it, never more" \
	"$(( b >= 2 * MiB && b <= 4 * 2 * MiB ))" 1
"$CLUSTER" share reset >/dev/null
id=$(submit "$dir" -N4 --output=four-warm.out --stage-in="$dir/in4" --wrap 'srun -N4 --ntasks-per-node=1 md5sum "$SLURM_PI_SCRATCH/in4/d.bin"')
is "warm 4-node job completes" "$(wait_job "$id")" COMPLETED
is "warm: the share sent nothing" "$(counter bytes_read)" 0
check "cluster share off" "$CLUSTER" share off

# --- 8b. when the job fails or is cancelled, its results still come out
# (--stage-out-when=always, the default), unless it asked for success only
id=$(submit "$dir" -N1 -w pi1 --output=failed.out --stage-out="r:$dir/failed-out" \
	--wrap 'echo partial >"$SLURM_PI_SCRATCH/r"; exit 3')
is "a job that exits 3 with --stage-out: FAILED" "$(wait_job "$id")" FAILED
is "its results were staged out anyway (always)" "$(cat "$dir/failed-out" 2>&1)" partial
id=$(submit "$dir" -N1 -w pi1 --output=success.out --stage-out="r:$dir/success-out" \
	--stage-out-when=success --wrap 'echo partial >"$SLURM_PI_SCRATCH/r"; exit 3')
is "the same with --stage-out-when=success: FAILED" "$(wait_job "$id")" FAILED
wait_for 20 grep -q 'stage-out skipped' "$dir/success.out"
like "nothing staged out, and the output says why" \
	"$(test -e "$dir/success-out" && echo exists; cat "$dir/success.out" 2>&1)" \
	"^slurm-pi stage: stage-out skipped on pi1: the job did not succeed .* and --stage-out-when=success"
id=$(submit "$dir" -N1 -w pi1 --output=cancelled.out --stage-out="r:$dir/cancelled-out" \
	--wrap 'echo before-cancel >"$SLURM_PI_SCRATCH/r"; sleep 300')
wait_for 30 eval '[ "$(job_state '"$id"')" = RUNNING ]'
sleep 2
scancel "$id"
is "a cancelled job: CANCELLED" "$(wait_job "$id")" CANCELLED
wait_for 20 test -e "$dir/cancelled-out"
is "its results were staged out after scancel" "$(cat "$dir/cancelled-out" 2>&1)" before-cancel

# --- 9. srun makes the job: same staging, the step sees it
out=$(cd "$dir" && as_user srun -N1 -w pi4 --stage-in="$dir/in:data" sh -c 'cat "$SLURM_PI_SCRATCH/data/a.txt"' 2>&1)
is "srun --stage-in (srun makes the job): the step reads its staged input" "$out" alpha

# --- 10. on-failure=drain: a node failure (full scratch disk) drains the
# node with a reason an admin can grep and requeues the job. Each prolog
# reads plugstack.conf afresh, so no restart is needed.
restore()
{
	cp "$dir/plugstack.conf.saved" "$ETC/plugstack.conf"
	"$CLUSTER" scratch pi4 off >/dev/null 2>&1
	scontrol update nodename=pi4 state=resume >/dev/null 2>&1
}
sed -i 's|\(spank_pi_stage.so .*\)$|\1 on-failure=drain|' "$ETC/plugstack.conf"
"$CLUSTER" scratch pi4 4M >/dev/null
id=$(submit "$dir" -N1 -w pi4 --output=drain.out --stage-in="$dir/big.bin" --wrap 'echo ran')
check "on-failure=drain: pi4 is drained" wait_for 60 eval '[[ "$(node_state pi4)" == drain*"|slurm-pi stage: "* ]]'
like "with the reason: slurm-pi stage: ... No space left on device" "$(node_state pi4)" \
	'\|slurm-pi stage: .*No space left on device'
check "and the job was requeued (pending again, restart count 1)" wait_for 30 eval \
	'scontrol show job '"$id"' | grep -q "JobState=PENDING.*" && scontrol show job '"$id"' | grep -q "Restarts=1"'
scancel "$id"
restore
check "pi4 resumes once the admin says so" wait_for 30 idle pi4
done_testing
