# Helpers for driving jobs as the cluster's job user (sourced).

DEMO_DIR="$SHARED_DIR/demo"

# Run a command as the job user. Unless the caller already cd'd somewhere,
# from the shared directory: srun's working directory must exist on the
# nodes, and a build tree under /tmp (each node has its own) does not.
as_user()
{
	case "$PWD" in
	"$SHARED_DIR"*) runuser -u "$JOB_USER" -- env SLURM_CONF="$SLURM_CONF" "$@" ;;
	*) (cd "$SHARED_DIR" && runuser -u "$JOB_USER" -- env SLURM_CONF="$SLURM_CONF" "$@") ;;
	esac
}

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
