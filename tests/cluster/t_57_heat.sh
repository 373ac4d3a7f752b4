#!/bin/bash
# The heat emulation (`cluster heat`): a job's allocated CPUs heat its
# node; past 80 C the node's clock steps down and its throttle flags are
# set, and task/pi publishes both in the node's Extra; the workload pi-work
# slows down with the clock; after the job the node cools and recovers.
# pi2 (a Pi 4B) is in a closed case, model time runs 20x faster.
# Nodes: pi1 Pi 5, pi2 and pi3 Pi 4B, pi4 Pi 3B+; PollInterval is 1 s.
. "$(dirname "$0")/lib/suite.sh"
. "$CLUSTER_DIR/lib/sensors.sh"
. "$CLUSTER_DIR/lib/heat.sh"
plan 16

dir=$(mktemp -d "$SHARED_DIR/heat.XXXXXX"); chown "$JOB_USER" "$dir"
before=$(heat_sensor_args pi2 2>/dev/null)

out=$("$CLUSTER" heat on --speed 20 --profile pi2=case 2>&1)
like "heat on starts the emulation" "$out" 'heat emulation on: speed 20.*pi2=pi4b/case'
status=$("$CLUSTER" heat status)
like "heat status shows pi2 in its closed case" "$status" '^pi2 pi4b/case 0\.00 '
like "and pi1 bare, the default" "$status" '^pi1 pi5/bare '
heater=$(heat_pid)
locked=""
for p in $(pgrep -g "$heater"); do
	ls -l "/proc/$p/fd" 2>/dev/null | grep -q -- "$CLUSTER_LOCK" && locked+=" $p"
done
is "no heater process holds the cluster lock" "$locked" ""

temp() { pi_field pi2 t; }
# The record's throttle word and clock, as numbers.
thr() { local w; w=$(pi_field pi2 thr); echo $((${w:-0})); }
mhz() { pi_field pi2 mhz; }
idle_temp=$(temp)
# Past 80 C: "now" bits 0x2|0x8 and a clock below the Pi 4's 1800 MHz,
# in one published record.
throttling() { (( ($(thr) & 0xa) == 0xa )) && (( $(mhz) < 1800 )); }
hotter() { awk -v a="$(temp)" -v b="$1" 'BEGIN { exit !(a >= b) }'; }

id=$(submit "$dir" -w pi2 -n 4 --output="$dir/out.%j" --wrap "$STATE/bin/pi-work 40")
running() { [ "$(job_state "$id")" = RUNNING ]; }
check "the 4-CPU job runs on pi2" wait_for 30 running
check "the job heats pi2 (from ${idle_temp} C to 70 C)" wait_for 60 hotter 70
check "past 80 C pi2 publishes throttle flags 0x2|0x8 and a lowered clock" wait_for 60 throttling
diag "pi2 while throttling: $(node_extra pi2)"
like "its band is hot or critical" "$(pi_field pi2 band)" '^(hot|critical)$'
check "the sticky bits 0xa0000 are set" test $(( $(thr) & 0xa0000 )) = $((0xa0000))

is "the job completes" "$(wait_job "$id" 150)" COMPLETED
result=$(cat "$dir/out.$id" 2>/dev/null)
like "pi-work did its 40 units on pi2" "$result" "^pi-work job=$id node=pi2 units=40 "
clock=$(sed -n 's/.* clock=\([0-9.]*\).*/\1/p' <<<"$result")
check "and ran at a lower mean clock (${clock:-?} of full) than a cool node" \
	awk -v c="${clock:-1}" 'BEGIN { exit !(c < 0.98) }'

recovered() { (( ($(thr) & 0xf) == 0 )) && ! hotter 78; }
check "idle again, pi2 cools below 78 C and its now bits clear" wait_for 60 recovered
check "and its band leaves critical" wait_for 30 band_is pi2 cool

"$CLUSTER" heat off >/dev/null 2>&1
is "heat off stops the heater" "$("$CLUSTER" heat status)" "heat: off"
is "and puts pi2's sensors back" "$(heat_sensor_args pi2 2>/dev/null)" "$before"

rm -rf "$dir"
done_testing
