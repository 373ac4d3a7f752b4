#!/bin/bash
# Per-step thermal accounting: the sampler keeps a ring of samples in each
# node's SlurmdSpoolDir; at step end slurmstepd logs the step's max/mean
# temperature, time throttled, under-voltage and minimum clock, and appends
# them to the node's per-job record. A damaged ring is recreated. The
# cluster's slurm-pi.conf polls every 1 s (RingHours=4: 14400 slots).
. "$(dirname "$0")/lib/suite.sh"
plan 22

ring_size=$((64 + 40 * 14400))
ring() { echo "$(node_dir "$1")/spool/slurm-pi.ring"; }
record() { echo "$(node_dir "$1")/spool/slurm-pi/job_$2.json"; }
log_line() { grep -- "task/pi: StepId=$2 on $1: " "$(node_dir "$1")/slurmd.log" | tail -1; }
has_line() { [ -n "$(log_line "$1" "$2")" ]; }
# One field of the record's line for `step`, as Python prints it.
field()
{
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["step"] == sys.argv[2]:
        print(r.get(sys.argv[3], "MISSING"))' "$1" "$2" "$3" 2>&1
}

for node in pi2 pi3; do
	check "$node: the sample ring exists" wait_for 5 test -f "$(ring "$node")"
	is "$node: the ring is $ring_size bytes" "$(stat -c %s "$(ring "$node")")" "$ring_size"
done
is "the ring is root's, mode 0644" "$(stat -c '%U %a' "$(ring pi2)")" "root 644"

# A two-node step; pi3 throttles (and is under-voltage) for about two of
# its six seconds.
out="$STATE/t48.out"
as_user srun -N2 -n2 -w pi2,pi3 --ntasks-per-node=1 sh -c 'echo "job=$SLURM_JOB_ID"; sleep 6' >"$out" 2>&1 &
srun_pid=$!
sleep 2
"$CLUSTER" set pi3 throttled=0x50005 >/dev/null
sleep 2
"$CLUSTER" set pi3 throttled=0 >/dev/null
wait "$srun_pid"
is "the 2-node srun step succeeds" "$?" 0
job=$(sed -n 's/^job=\([0-9]*\)$/\1/p' "$out" | head -1)

check "pi3 logs the step's accounting" wait_for 10 has_line pi3 "$job.0"
check "pi2 logs the step's accounting" wait_for 10 has_line pi2 "$job.0"
diag "$(log_line pi3 "$job.0")" "$(log_line pi2 "$job.0")"
pct=$(log_line pi3 "$job.0" | sed -n 's/.*, throttled \([0-9]*\)% of [0-9]* samples,.*/\1/p')
check "pi3 was throttled for part of the step (${pct:-?}%)" test "${pct:-0}" -gt 0 -a "${pct:-100}" -lt 100
like "pi3's line: max and mean, under-voltage seen, min clock" "$(log_line pi3 "$job.0")" \
	"task/pi: StepId=$job\\.0 on pi3: max [0-9.]+C mean [0-9.]+C, throttled [0-9]+% of [0-9]+ samples, under-voltage seen, min [0-9]+ MHz\$"
like "pi2 was never throttled" "$(log_line pi2 "$job.0")" \
	"task/pi: StepId=$job\\.0 on pi2: max [0-9.]+C mean [0-9.]+C, throttled 0% of [0-9]+ samples, no under-voltage, min [0-9]+ MHz\$"

is "pi2's per-job record: root's, 0644" "$(stat -c '%U %a' "$(record pi2 "$job")" 2>&1)" "root 644"
is "pi2's record names the step and node and has every field" \
	"$(python3 -c 'import json, sys
r = json.loads(open(sys.argv[1]).readline())
want = ["v","job","step","node","start","end","samples","max_c","mean_c","throttled_pct","throttled_samples","throttle_known_samples","undervoltage","min_mhz"]
print(r["job"], r["step"], r["node"], r["throttled_pct"], r["undervoltage"], sorted(r) == sorted(want))' "$(record pi2 "$job")" 2>&1)" \
	"$job 0 pi2 0 False True"
is "pi3's record says throttled ${pct:-?}% and under-voltage" \
	"$(field "$(record pi3 "$job")" 0 throttled_pct) $(field "$(record pi3 "$job")" 0 undervoltage)" "${pct:-?} True"

# The batch step is accounted too.
id=$(submit "$SHARED_DIR" -w pi2 -N1 --wrap 'sleep 2')
is "a batch job completes" "$(wait_job "$id" 60)" COMPLETED
check "its batch step is accounted on pi2" wait_for 10 has_line pi2 "$id.batch"

# A damaged ring is recreated by the sampler; slurmd keeps running.
truncate -s 10 "$(ring pi2)"
check "a truncated ring is logged and recreated" wait_for 5 sh -c \
	"grep -q 'task/pi: sample ring $(ring pi2) was damaged (size 10 bytes' '$(node_dir pi2)/slurmd.log' && [ \$(stat -c %s '$(ring pi2)') = $ring_size ]"
is "slurmd on pi2 still runs steps" "$(as_user srun -w pi2 -N1 hostname 2>&1)" pi2

# Records older than JobRecordDays (7 by default) go when slurmd starts
# (then once an hour); a recent one and a file that is not a record stay.
spool_pi=$(node_dir pi2)/spool/slurm-pi
echo '{}' >"$spool_pi/job_900001.json"
touch -d '8 days ago' "$spool_pi/job_900001.json"
echo 'admin' >"$spool_pi/notes.txt"
touch -d '30 days ago' "$spool_pi/notes.txt"
"$CLUSTER" stop pi2 >/dev/null 2>&1
"$CLUSTER" start pi2 >/dev/null 2>&1
check "an 8-day-old record is removed at slurmd start, and logged" wait_for 15 sh -c \
	"! test -e '$spool_pi/job_900001.json' && grep -q 'task/pi: removed [0-9]* per-job records\? older than 7 days (JobRecordDays)' '$(node_dir pi2)/slurmd.log'"
check "the recent record of job $job stays" test -f "$(record pi2 "$job")"
check "a file that is not a record stays" test -f "$spool_pi/notes.txt"
rm -f "$spool_pi/notes.txt"
check "pi2 is back to idle" wait_for 20 state_is pi2 'idle|none'
done_testing
