#!/bin/bash
# task/pi's sampler: telemetry in each node's Extra, bands with hysteresis,
# an admin's Extra kept, drain and resume on critical, slurmd with and
# without -D, sensor garbage. The cluster's slurm-pi.conf polls every 1 s.
. "$(dirname "$0")/lib/suite.sh"
. "$CLUSTER_DIR/lib/sensors.sh"
. "$CLUSTER_DIR/lib/config.sh"
plan $((26 + $(cluster_nodes | wc -l)))


for node in $(cluster_nodes); do
	wait_for 10 band_is "$node" cool
	like "$node publishes its record into Extra" "$(node_extra "$node")" \
		'^\{"pi":\{"v":1,"t":[0-9.]+,"band":"cool","thr":"0x0",.*"model":"[0-9A-Za-z+]+","mem":[0-9]+,"ts":[0-9]+\}\}$'
done

# A hot Pi is seen by the controller within two polls (1 s each, plus
# the RPC), and leaves critical only below CriticalTemp - Hysteresis.
"$CLUSTER" set pi3 temp=84 >/dev/null
check "pi3 at 84 C: Extra says critical within two poll intervals" wait_for 3 band_is pi3 critical
"$CLUSTER" set pi3 temp=78.5 >/dev/null
sleep 2.5
is "pi3 at 78.5 C stays critical (hysteresis: below 77 to leave)" "$(pi_field pi3 band)" critical
"$CLUSTER" set pi3 temp=45 >/dev/null
check "pi3 at 45 C: back to cool" wait_for 3 band_is pi3 cool

# A site's own Extra keys survive publishing.
scontrol update nodename=pi2 extra='{"rack":"a"}'
"$CLUSTER" set pi2 temp=62 >/dev/null
check "pi2 at 62 C: warm" wait_for 3 band_is pi2 warm
like "an admin's Extra key is kept beside the record" "$(node_extra pi2)" '^\{"rack":"a","pi":\{"v":1,.*"band":"warm"'

# Free text in Extra is the admin's: left alone, and the log says why.
scontrol update nodename=pi2 extra='rack a, shelf 2'
"$CLUSTER" set pi2 temp=45 >/dev/null
sleep 2.5
is "free text in Extra is not overwritten" "$(node_extra pi2)" 'rack a, shelf 2'
like "slurmd's log says why it is not publishing" "$(slurmd_log pi2)" \
	'task/pi: not publishing telemetry for node pi2: Extra holds text that is not JSON'
scontrol update nodename=pi2 extra=''
"$CLUSTER" set pi2 temp=62 >/dev/null
check "once the admin clears it, the record is back" wait_for 3 band_is pi2 warm
"$CLUSTER" set pi2 temp=45 >/dev/null

# Drain on critical, on pi4 only: its slurmd restarts with the setting.
conf="$ETC/slurm-pi.conf"
cp "$conf" "$STATE/slurm-pi.conf.saved"
slurm_pi_conf_write "$conf" DrainOnCritical=yes || fail "cannot write $conf"
"$CLUSTER" stop pi4
before=$(pi_field pi4 ts)
"$CLUSTER" start pi4
check "a restarted slurmd republishes at once" \
	wait_for 5 sh -c "[ \"\$(scontrol show node pi4 | sed -n 's/.*\"ts\":\([0-9]*\).*/\1/p')\" -gt $before ]"
"$CLUSTER" set pi4 undervoltage=1 >/dev/null
check "under-voltage on pi4 drains it (DrainGrace 2 s)" wait_for 10 state_is pi4 'drained|slurm-pi: under-voltage'
"$CLUSTER" set pi4 undervoltage=0 >/dev/null
check "clear for ResumeAfter (4 s), pi4 resumes by itself" wait_for 15 state_is pi4 'idle|none'
like "slurmd's log says what it did" "$(slurmd_log pi4)" \
	'task/pi: resumed node pi4, drained by slurm-pi \("slurm-pi: under-voltage"\)'

# An admin's drain set over slurm-pi's is never lifted by slurm-pi.
"$CLUSTER" set pi4 undervoltage=1 >/dev/null
wait_for 10 state_is pi4 'drained|slurm-pi: under-voltage'
scontrol update nodename=pi4 state=drain reason='admin: fan check'
"$CLUSTER" set pi4 undervoltage=0 >/dev/null
check "pi4 clears" wait_for 5 band_is pi4 cool
sleep 6
is "the admin's drain stays through the clear period" "$(node_state pi4)" 'drained|admin: fan check'
scontrol update nodename=pi4 state=resume
check "the admin resumes pi4" wait_for 5 state_is pi4 'idle|none'
unlike "DrainOnCritical=no nodes never drained" "$(sinfo -h -R -o '%n %E' 2>&1)" 'pi[123] '

cp "$STATE/slurm-pi.conf.saved" "$conf"
"$CLUSTER" stop pi4; "$CLUSTER" start pi4

# slurmd started by hand, without -D: 22.05 loads the plugin before it
# forks into the background; the sampler must still run, once.
"$CLUSTER" stop pi1
starts=$(log_count pi1 'task/pi: sampling node pi1')
check "slurmd without -D starts on pi1" "$CLUSTER" start pi1 --daemon
check "the sampler runs in the daemonized slurmd" \
	wait_for 10 sh -c "[ \$(grep -c 'task/pi: sampling node pi1' '$(node_dir pi1)/slurmd.log') -gt $starts ]"
"$CLUSTER" set pi1 temp=84 >/dev/null
check "pi1 (no -D) at 84 C: Extra says critical" wait_for 3 band_is pi1 critical
sleep 2
is "exactly one sampler started" "$(($(log_count pi1 'task/pi: sampling node pi1') - starts))" 1
"$CLUSTER" set pi1 temp=45 >/dev/null
"$CLUSTER" stop pi1; "$CLUSTER" start pi1
check "pi1 back under -D is idle" wait_for 30 state_is pi1 'idle|none'
check "and cool" wait_for 5 band_is pi1 cool

# Sensor garbage: band unknown, one log line however long it lasts.
zone=$(thermal_dir pi2)
before=$(log_count pi2 'sensor problems')
printf 'abc\n' >"$zone/temp"
check "a temperature of 'abc' makes pi2's band unknown" wait_for 3 band_is pi2 unknown
sleep 4
is "and gives one log line, not one per poll" "$(($(log_count pi2 'sensor problems') - before))" 1
like "which names the file and the value" "$(slurmd_log pi2)" "thermal_zone[0-9]+/temp: not a number: 'abc'"
printf '45000\n' >"$zone/temp"
check "a good value brings pi2 back to cool" wait_for 3 band_is pi2 cool
done_testing
