#!/bin/bash
# Faults around task/pi's sampler: slurmctld away for a minute, slurmd
# restarts. Jobs keep running, slurmd does not grow threads, and the
# controller catches up within a poll or two once it is back.
. "$(dirname "$0")/lib/suite.sh"
plan 9

threads() { ls "/proc/$(cat "$(node_dir "$1")/slurmd.pid.run")/task" 2>/dev/null | wc -l; }
samplers() { grep -l '^slurm-pi$' /proc/"$(cat "$(node_dir "$1")/slurmd.pid.run")"/task/*/comm 2>/dev/null | wc -l; }

dir=$(mktemp -d "$SHARED_DIR/faults.XXXXXX"); chown "$JOB_USER" "$dir"
id=$(submit "$dir" -w pi2 --output=job.out --wrap 'sleep 80; echo done on $(hostname)')
wait_for 20 sh -c "[ \"\$(scontrol show job $id | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')\" = RUNNING ]"
before2=$(threads pi2) before3=$(threads pi3)

# slurmctld away for 60 s; pi3 heats up meanwhile.
"$CLUSTER" stop ctld
"$CLUSTER" set pi3 temp=84 >/dev/null
sleep 60
after2=$(threads pi2) after3=$(threads pi3)
is "slurmctld down 60 s: pi2's slurmd (running a job) has as many threads" "$after2" "$before2"
is "and pi3's (retrying its publish every poll) too" "$after3" "$before3"
"$CLUSTER" start ctld >/dev/null 2>&1
check "slurmctld is back" wait_for 30 scontrol ping
check "pi3's critical band reaches it within a few polls" wait_for 5 band_is pi3 critical
like "pi3's slurmd logged the failure once, not once per poll" \
	"$(grep -c 'task/pi: telemetry update of node pi3 failed\|task/pi: reading of node pi3 failed' "$(node_dir pi3)/slurmd.log")" '^[12]$'
is "the job that ran through it completes" "$(wait_job "$id" 120)" COMPLETED
is "and its output arrived" "$(cat "$dir/job.out" 2>&1)" "done on pi2"
"$CLUSTER" set pi3 temp=45 >/dev/null

# slurmd restarted twice: exactly one sampler thread each time.
"$CLUSTER" stop pi2; "$CLUSTER" start pi2
"$CLUSTER" stop pi2; "$CLUSTER" start pi2
check "pi2's sampler runs after two restarts" wait_for 10 sh -c "grep -q '^slurm-pi\$' /proc/\$(cat '$(node_dir pi2)/slurmd.pid.run')/task/*/comm"
is "exactly one sampler thread in pi2's slurmd" "$(samplers pi2)" 1
rm -rf "$dir"
done_testing
