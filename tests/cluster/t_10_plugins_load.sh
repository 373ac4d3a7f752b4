#!/bin/bash
# Every slurm-pi plugin is loaded by the stock daemons; a missing or broken
# plugin fails here rather than passing silently.
. "$(dirname "$0")/lib/suite.sh"
release=$(slurm_release)
# 24.11 makes the CoreCnt reservation, and one more check looks at it.
plan $((8 + 3 * $(cluster_nodes | wc -l) + $([ "$release" = 22.05 ] && echo 0 || echo 1)))

conf=$(scontrol show config 2>&1)
like "slurmctld runs SelectType=select/pi_cons_tres" "$conf" '^SelectType +=  ?select/pi_cons_tres'
if [ "$release" = 22.05 ]; then
	like "TaskPlugin stacks task/pi after task/affinity" "$conf" '^TaskPlugin +=  ?task/affinity,task/pi'
else
	# 24.11 sorts TaskPlugin in reverse alphabetical order
	# (read_config.c, _sort_task_plugin), whatever slurm.conf says.
	like "TaskPlugin: $release lists task/pi before task/affinity, as it sorts the list" \
		"$conf" '^TaskPlugin +=  ?task/pi,task/affinity'
fi

ctld_log=$(cat "$CTLD_DIR/slurmctld.log")
like "slurmctld log: select/pi_cons_tres loaded and delegating" \
	"$ctld_log" 'select/pi_cons_tres: loaded, delegating to select/cons_tres'
# A clean start (-c) has no state files yet; Slurm says so as "errors".
clean_start='Could not open (job|reservation) state file|NOTE: Trying backup state save file'
unlike "slurmctld log: no errors" "$(grep -Ev "$clean_start" <<<"$ctld_log")" '(error|fatal):'

for node in $(cluster_nodes); do
	log=$(cat "$(node_dir "$node")/slurmd.log")
	model=$(cat "$(node_dir "$node")/model")
	dt=$(tr -d '\0' <"$(node_dir "$node")/root/sys/firmware/devicetree/base/model")
	like "$node slurmd log: task/pi loaded on its emulated $model" "$log" "task/pi: loaded on a $dt"
	like "$node slurmd log: spank_pi_thermal loaded" "$log" 'spank_pi_thermal: loaded'
	unlike "$node slurmd log: no plugin errors" "$log" 'error: .*(pi_cons_tres|task/pi|spank_pi|[Pp]lugin)'
done

like "sbatch --help lists --thermal from spank_pi_thermal" \
	"$(as_user sbatch --help 2>&1)" '--thermal=POLICY +\[slurm-pi\]'
like "srun --help lists --thermal" "$(as_user srun --help 2>&1)" '--thermal=POLICY +\[slurm-pi\]'
like "sinfo (a client loading every select plugin) works" "$(as_user sinfo -h -o '%P %D %t' 2>&1)" '^main\* 4 idle'
# The one known difference from cons_tres on 22.05 (README, "Installing"):
# scontrol checks the select plugin id against Slurm's own list for
# CoreCnt. 24.11 has no such check: the reservation is made through
# job_test, which select/pi_cons_tres forwards.
out=$(timeout 30 scontrol create reservation ReservationName=pi_corecnt \
	StartTime=now Duration=1 Users=root CoreCnt=1 2>&1)
if [ "$release" = 22.05 ]; then
	like "CoreCnt reservations are refused, as the README says" "$out" \
		'CoreCnt or CPUCnt is only supported when SelectType includes select/cons_res'
else
	like "$release: a CoreCnt reservation is created" "$out" '^Reservation created: pi_corecnt'
	like "... and holds one core" "$(scontrol show reservation pi_corecnt 2>&1)" 'CoreCnt=1( |$)'
fi
scontrol delete ReservationName=pi_corecnt >/dev/null 2>&1
done_testing
