#!/bin/bash
# select/pi_cons_tres is safe to run and to leave: slurmctld restarts with
# jobs running, `scontrol reconfigure` picks up slurm-pi.conf, and an admin
# can switch back to stock select/cons_tres (and return) with jobs running
# and queued, by the procedure in the README ("Switching back to
# cons_tres"). Restores the cluster's configuration when done.
. "$(dirname "$0")/lib/suite.sh"
. "$CLUSTER_DIR/lib/config.sh"    # slurm_conf_set
plan 13

CONF="$ETC/slurm.conf"
PI_CONF="$ETC/slurm-pi.conf"
cp "$CONF" "$CONF.t56" && cp "$PI_CONF" "$PI_CONF.t56" || exit 1
dir=$(mktemp -d "$SHARED_DIR/safety.XXXXXX"); chown "$JOB_USER" "$dir"

# Restart every daemon, slurmctld first: what a SelectType change needs.
restart_all()
{
	"$CLUSTER" stop ctld >/dev/null && "$CLUSTER" start ctld >/dev/null || return 1
	local n
	for n in $(cluster_nodes); do
		"$CLUSTER" stop "$n" >/dev/null && "$CLUSTER" start "$n" >/dev/null || return 1
	done
}
restore()
{
	cp "$CONF.t56" "$CONF" && cp "$PI_CONF.t56" "$PI_CONF"
	restart_all
	wait_for 60 all_idle
	rm -f "$CONF.t56" "$PI_CONF.t56"
}
all_idle() { [ "$(sinfo -h -o '%D %t' 2>/dev/null)" = "$(cluster_nodes | wc -w) idle" ]; }
set_band() { "$CLUSTER" set "$1" temp="$2" throttled=0 >/dev/null; wait_for 10 band_is "$1" "$3"; }
states() { local id; for id in "$@"; do printf '%s ' "$(job_state "$id")"; done; }
ctld_log() { cat "$CTLD_DIR/slurmctld.log"; }

for n in $(cluster_nodes); do set_band "$n" 45 cool; done

# --- A host without the .so ------------------------------------------------
sed "s|^PluginDir=.*|PluginDir=$SYSTEM_PLUGIN_DIR|" "$CONF" >"$ETC/no-slurm-pi.conf"
out=$(SLURM_CONF="$ETC/no-slurm-pi.conf" timeout 20 sinfo 2>&1); rc=$?
like "a host without the plugin: sinfo stops and names it" "$rc:$out" \
	"^1:sinfo: fatal: Can't find plugin for select/pi_cons_tres"
rm -f "$ETC/no-slurm-pi.conf"

# --- slurmctld restart with jobs running and queued ------------------------
run=() ; for _ in 1 2 3 4; do run+=("$(submit "$dir" --output=/dev/null -N1 -n4 --wrap 'sleep 15')"); done
queued=$(submit "$dir" --output=/dev/null -N1 -n4 --wrap 'sleep 1')
wait_for 20 eval '[ "$(states "${run[@]}")" = "RUNNING RUNNING RUNNING RUNNING " ]'
"$CLUSTER" stop ctld >/dev/null; "$CLUSTER" start ctld >/dev/null
is "after a slurmctld restart the four jobs still run" "$(states "${run[@]}")" "RUNNING RUNNING RUNNING RUNNING "
is "and the queued one still waits" "$(job_state "$queued")" PENDING
is "all five complete" "$(for id in "${run[@]}" "$queued"; do wait_job "$id" 90; done | sort -u)" COMPLETED

# --- scontrol reconfigure --------------------------------------------------
for n in $(cluster_nodes); do set_band "$n" 72.5 hot; done
sed -i 's/^DefaultThermalPolicy=.*/DefaultThermalPolicy=strict/' "$PI_CONF"
grep -q '^DefaultThermalPolicy=strict' "$PI_CONF" || echo "DefaultThermalPolicy=strict" >>"$PI_CONF"
check "scontrol reconfigure succeeds" scontrol reconfigure
wait_for 10 eval 'ctld_log | grep -q "DefaultThermalPolicy=strict"'
like "slurmctld reads the new DefaultThermalPolicy" "$(ctld_log)" "select/pi_cons_tres: thermal placement on; DefaultThermalPolicy=strict"
id=$(submit "$dir" --output=/dev/null -N1 --wrap 'sleep 1')
why="slurm-pi: all eligible nodes are hot (DefaultThermalPolicy=strict)"
wait_for 20 pi_reason_is "$id" "$why"
is "a job without --thermal now waits on an all-hot cluster, saying why" "$(pi_reason "$id" "$why")" "$(pi_reason_expected "$why")"
cp "$PI_CONF.t56" "$PI_CONF"
scontrol reconfigure
is "back to balanced after another reconfigure: it runs" "$(wait_job "$id" 60)" COMPLETED

# --- Switching back to stock cons_tres, with jobs running and queued -------
set_band pi1 84 critical
for n in pi2 pi3 pi4; do set_band "$n" 45 cool; done
run=() ; for _ in 1 2 3; do run+=("$(submit "$dir" --output=/dev/null -N1 -n4 --wrap 'sleep 15')"); done
queued=$(submit "$dir" --output=/dev/null -N1 -n4 --wrap 'sleep 1')
wait_for 20 eval '[ "$(states "${run[@]}")" = "RUNNING RUNNING RUNNING " ]'
is "pi_cons_tres: three 4-CPU jobs leave the critical pi1 free, a fourth waits" \
	"$(job_node "${run[0]}") $(job_node "${run[1]}") $(job_node "${run[2]}") $(job_state "$queued")" \
	"pi2 pi3 pi4 PENDING"
slurm_conf_set "$CONF" SelectType select/cons_tres
restart_all
is "SelectType=select/cons_tres after restarting slurmctld and every slurmd" \
	"$(scontrol show config | sed -n 's/^SelectType *= *//p')" select/cons_tres
is "every job, running or queued, completes across the switch" \
	"$(for id in "${run[@]}" "$queued"; do wait_job "$id" 120; done | sort -u)" COMPLETED
is "stock cons_tres places a -N4 job on the critical pi1 too" \
	"$(id=$(submit "$dir" --output=/dev/null -N4 --wrap 'sleep 1'); wait_job "$id" 60 >/dev/null; job_node "$id")" "pi[1-4]"

# And back to slurm-pi.
restore
is "back on pi_cons_tres: the critical pi1 is left out again" \
	"$(id=$(submit "$dir" --output=/dev/null -N3 --wrap 'sleep 1'); wait_job "$id" 60 >/dev/null; job_node "$id")" "pi[2-4]"
for n in $(cluster_nodes); do "$CLUSTER" set "$n" temp=45 >/dev/null; done
rm -rf "$dir"
done_testing
