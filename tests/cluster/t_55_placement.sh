#!/bin/bash
# select/pi_cons_tres places by telemetry: critical (and, for strict jobs,
# hot) nodes are left out, cooler and faster nodes come first, a node the
# job names is kept, and stale telemetry schedules a node normally.
# Nodes: pi1 Pi 5, pi2 and pi3 Pi 4B, pi4 Pi 3B+; DefaultThermalPolicy is
# balanced. The cluster's slurm-pi.conf polls every 1 s.
. "$(dirname "$0")/lib/suite.sh"
plan 18

set_temp()
{
	local node=$1 temp=$2 band=$3
	"$CLUSTER" set "$node" temp="$temp" throttled=0 >/dev/null
	wait_for 10 band_is "$node" "$band" || diag "$node did not reach $band"
}
dir=$(mktemp -d "$SHARED_DIR/placement.XXXXXX"); chown "$JOB_USER" "$dir"
# run_job ARGS...: submit a short job, wait for it, print "STATE NODELIST".
run_job()
{
	local id
	id=$(submit "$dir" --output=/dev/null "$@" --wrap 'sleep 1')
	echo "$(wait_job "$id" 60) $(job_node "$id")"
}

# A known start: every node cool and published (through warm, so that a
# new record goes out at once).
for n in $(cluster_nodes); do set_temp "$n" 62 warm; done
for n in $(cluster_nodes); do set_temp "$n" 45 cool; done

# pi1 (the Pi 5, first in index order: stock cons_tres's choice) critical,
# pi2 hot; pi3 (Pi 4B) and pi4 (Pi 3B+) cool.
set_temp pi1 84 critical
set_temp pi2 72.5 hot
is "pi1 critical, pi2 hot: a 1-node job goes to the faster cool Pi, pi3" \
	"$(run_job -N1)" "COMPLETED pi3"
is "--thermal=strict -N2: the two cool Pis" "$(run_job -N2 --thermal=strict)" "COMPLETED pi[3-4]"
is "balanced -N3: cool Pis and the hot one, never the critical one" "$(run_job -N3)" "COMPLETED pi[2-4]"
is "--thermal=any -N4: every node, the critical one included" "$(run_job -N4 --thermal=any)" "COMPLETED pi[1-4]"
is "--nodelist=pi1 runs on pi1 even while it is critical" "$(run_job -w pi1)" "COMPLETED pi1"
is "a strict job naming the hot pi2 runs there: a named node is never left out" \
	"$(run_job -w pi2 --thermal=strict)" "COMPLETED pi2"

id=$(submit "$dir" --output=/dev/null -N3 --thermal=strict --wrap 'sleep 1')
why="slurm-pi: 2 of 4 eligible nodes left out as hot or critical (--thermal=strict), the rest cannot run the job now"
wait_for 20 pi_reason_is "$id" "$why"
is "strict -N3 with only two cool Pis waits" "$(job_state "$id")" PENDING
is "and says why (squeue; on 24.11 slurmctld's log)" "$(pi_reason "$id" "$why")" "$(pi_reason_expected "$why")"
set_temp pi2 45 cool
is "and runs once pi2 cools down" "$(wait_job "$id" 60) $(job_node "$id")" "COMPLETED pi[2-4]"

# Every node hot: balanced jobs still run, strict ones wait until one cools.
for n in $(cluster_nodes); do set_temp "$n" 72.5 hot; done
is "all hot: a balanced job runs" "$(run_job -N1 | cut -d' ' -f1)" COMPLETED
id=$(submit "$dir" --output=/dev/null -N1 --thermal=strict --wrap 'sleep 1')
why="slurm-pi: all eligible nodes are hot (--thermal=strict)"
wait_for 20 pi_reason_is "$id" "$why"
is "all hot: a strict job waits" "$(job_state "$id")" PENDING
is "with the reason (squeue; on 24.11 slurmctld's log)" "$(pi_reason "$id" "$why")" "$(pi_reason_expected "$why")"
if [ "$(slurm_release)" = 22.05 ]; then
	like "and in scontrol show job (which writes _ for spaces)" "$(scontrol show job "$id")" "Reason=slurm-pi:_all_eligible_nodes_are_hot_\(--thermal=strict\)"
else
	like "and scontrol show job says Resources (24.11 keeps no select plugin reason)" "$(scontrol show job "$id")" "Reason=Resources"
fi
set_temp pi4 45 cool
is "and starts on the node that cooled" "$(wait_job "$id" 60) $(job_node "$id")" "COMPLETED pi4"

# Within a band, of two equal Pis the cooler one first. A change inside the
# cool band goes out with the next record (PublishInterval, 30 s here).
set_temp pi1 84 critical
set_temp pi4 72.5 hot
"$CLUSTER" set pi2 temp=45 >/dev/null
"$CLUSTER" set pi3 temp=34 >/dev/null
wait_for 70 eval '[[ "$(pi_field pi2 t)" == 45* && "$(pi_field pi3 t)" == 34* ]]' ||
	diag "published: pi2 $(pi_field pi2 t) C, pi3 $(pi_field pi3 t) C"
is "two cool Pi 4Bs at 45 and 34 C: the job goes to the cooler pi3, not pi2 (index order)" \
	"$(run_job -N1)" "COMPLETED pi3"

# Stale telemetry is not trusted: a critical record an hour old is unknown.
for n in $(cluster_nodes); do set_temp "$n" 45 cool; done
scontrol update nodename=pi3 extra="{\"pi\":{\"v\":1,\"band\":\"critical\",\"ts\":$(($(date +%s) - 3600))}}"
is "a stale critical record leaves pi3 in for a strict -N4 job" "$(run_job -N4 --thermal=strict)" "COMPLETED pi[1-4]"

# A hostile Extra only makes that node unknown.
scontrol update nodename=pi3 extra="$(printf '%*s' 20000 '' | tr ' ' '[')"
is "20000 levels of nesting in pi3's Extra: pi3 is scheduled normally" "$(run_job -N4 --thermal=strict)" "COMPLETED pi[1-4]"
check "and slurmctld is still up" scontrol ping
scontrol update nodename=pi3 extra=''
for n in $(cluster_nodes); do "$CLUSTER" set "$n" temp=45 >/dev/null; done
rm -rf "$dir"
done_testing
