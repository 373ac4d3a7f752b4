# Helpers for driving jobs as the cluster's job user (sourced).

DEMO_DIR="$SHARED_DIR/demo"

# Seconds any one command of the job user may take (srun, sbatch...):
# a stuck job fails its check instead of hanging the suite.
USER_CMD_TIMEOUT=${SLURM_PI_USER_CMD_TIMEOUT:-150}

# Run a command as the job user, bounded by USER_CMD_TIMEOUT (exit 124 when
# it ran out). Unless the caller already cd'd somewhere, from the shared
# directory: srun's working directory must exist on the nodes, and a build
# tree under /tmp (each node has its own) does not.
as_user()
(
	case "$PWD" in
	"$SHARED_DIR"*) ;;
	*) cd "$SHARED_DIR" || exit 1 ;;
	esac
	exec timeout -k 5 "$USER_CMD_TIMEOUT" \
		runuser -u "$JOB_USER" -- env SLURM_CONF="$SLURM_CONF" "$@"
)

# Copy the seed's jobs to the shared directory and build mpi_hello there.
stage_seed_jobs()
{
	local dir=${1:-$DEMO_DIR}
	rm -rf "$dir"
	install -d -o "$JOB_USER" -g "$JOB_USER" "$dir"
	install -o "$JOB_USER" -g "$JOB_USER" -m 0755 \
		"$SRCDIR/examples/job.sh" "$SRCDIR/examples/mpi_job.sh" "$dir/"
	install -o "$JOB_USER" -g "$JOB_USER" -m 0644 "$SRCDIR/examples/mpi_hello.c" "$dir/"
	(cd "$dir" && as_user mpicc -o mpi_hello mpi_hello.c)
}

# sbatch as the job user from a directory; prints the job id.
submit()
{
	local dir=$1; shift
	(cd "$dir" && as_user sbatch --parsable "$@") | cut -d';' -f1
}

job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# The reason squeue shows for a pending job, and whether it is $2.
job_reason() { squeue -h -j "$1" -o %r 2>/dev/null; }
reason_is() { [ "$(job_reason "$1")" = "$2" ]; }

# The Slurm release of the cluster's daemons: 22.05, 24.11.
slurm_release() { scontrol --version | sed -n 's/^slurm[^ ]* \([0-9]*\.[0-9]*\).*/\1/p'; }
# The reason select/pi_cons_tres gives a job it holds back, as a user sees
# it: squeue shows it on 22.05; 24.11's select_nodes() replaces it with
# Resources, and slurmctld's log has it (docs/slurm-versions.md).
# pi_reason ID WHY prints what squeue shows, or on 24.11 "Resources" and
# WHY when the log has it for that job.
pi_reason() {
	local shown
	shown=$(job_reason "$1")
	if [ "$(slurm_release)" = 22.05 ]; then
		echo "$shown"
	elif grep -qF "select/pi_cons_tres: JobId=$1 pending: $2" "$CTLD_DIR/slurmctld.log"; then
		echo "$shown; $2"
	else
		echo "$shown; (not in slurmctld's log)"
	fi
}
# The pi_reason a held-back job has: WHY, or "Resources; WHY" on 24.11.
pi_reason_expected() {
	if [ "$(slurm_release)" = 22.05 ]; then echo "$1"; else echo "Resources; $1"; fi
}
pi_reason_is() { [ "$(pi_reason "$1" "$2")" = "$(pi_reason_expected "$2")" ]; }

# Wait for a job to end; prints its final state.
wait_job()
{
	local id=$1 secs=${2:-120} state end=$((SECONDS + ${2:-120}))
	while :; do
		state=$(job_state "$id")
		case "$state" in
		COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)
			echo "$state"; return 0 ;;
		esac
		((SECONDS < end)) || { echo "${state:-UNKNOWN} (timed out after ${secs}s)"; return 1; }
		sleep 0.5
	done
}

job_node() { scontrol show job "$1" 2>/dev/null | sed -n 's/^ *NodeList=\([^ ]*\).*/\1/p' | head -1; }

# A node as slurmctld sees it: its Extra, a field of the slurm-pi record in
# it ("" when there is none or it is not JSON), its state|reason, and
# slurmd's log.
node_extra() { scontrol show node "$1" 2>/dev/null | sed -n 's/^ *Extra=//p'; }
pi_field()
{
	node_extra "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["pi"].get(sys.argv[1], ""))' "$2" 2>/dev/null
}
band_is() { [ "$(pi_field "$1" band)" = "$2" ]; }
# node_state NODE: "STATE|REASON", e.g. "drained|slurm-pi: critical" or
# "idle|none". Like sinfo -R, a reason counts only while the node is out
# of service: 24.11 without accounting storage keeps the last reason on a
# resumed node, and %E shows it (docs/slurm-versions.md).
node_state()
{
	local s
	s=$(sinfo -h -n "$1" -o '%T|%E' 2>/dev/null)
	case ${s%%|*} in
	idle | mixed | allocated | completing | reserved) echo "${s%%|*}|none" ;;
	*) echo "$s" ;;
	esac
}
state_is() { [ "$(node_state "$1")" = "$2" ]; }
slurmd_log() { cat "$(node_dir "$1")/slurmd.log"; }
log_count() { grep -c -- "$2" "$(node_dir "$1")/slurmd.log"; }
