#!/bin/bash
# --thermal-report: at the end of a batch job, one line per node in the
# job's output file (max/mean temperature, % of samples throttled,
# under-voltage, minimum clock), each node's summary in the job's
# AdminComment; nothing without the option; bad values are refused naming
# the option; the report is written as the job's user, never through a
# symlink and never into a file the user cannot write.
. "$(dirname "$0")/lib/suite.sh"
plan 26

dir=$(mktemp -d "$SHARED_DIR/report.XXXXXX"); chown "$JOB_USER" "$dir"
admin_comment() { scontrol show job "$1" 2>/dev/null | sed -n 's/^ *AdminComment=//p'; }
# The node entries of a job's AdminComment as "node max_c mean_c
# throttled_pct undervoltage min_mhz steps", one a line, sorted.
entries()
{
	admin_comment "$1" | python3 -c 'import json, sys
nodes = json.load(sys.stdin)["pi_thermal"]["nodes"]
for n in sorted(nodes):
    e = nodes[n]
    print(n, e["max_c"], e["mean_c"], e["throttled_pct"], e["undervoltage"], e["min_mhz"], ",".join(e["steps"]))' 2>&1
}
report_line() { grep "^$2: " "$1" 2>/dev/null; }

# Known values: pi2 hot-ish, throttled and under-voltage the whole time;
# pi3 cool, clean, at full clock. Wait until each sampler has seen them.
"$CLUSTER" set pi2 temp=55 throttled=0x50005 freq=600 >/dev/null
"$CLUSTER" set pi3 temp=48 throttled=0 freq=1500 >/dev/null
wait_for 10 band_is pi2 critical
wait_for 10 band_is pi3 cool
sleep 2

# --- A 1-node job -----------------------------------------------------------
id=$(submit "$dir" -w pi2 -N1 --thermal-report --output=one.out --wrap 'echo hello; sleep 3')
is "1 node, --thermal-report: the job completes" "$(wait_job "$id")" COMPLETED
diag "$(cat "$dir/one.out" 2>&1)"
is "the job's own output comes first" "$(head -1 "$dir/one.out" 2>&1)" hello
is "then the report's header" "$(sed -n 2p "$dir/one.out" 2>&1)" \
	"slurm-pi thermal report for job $id (1 node):"
like "pi2's line: max and mean, throttled all the time, under-voltage, min clock, the batch step" \
	"$(report_line "$dir/one.out" pi2)" \
	'^pi2: max 55\.0C mean 55\.0C, throttled 100% of [0-9]+ samples, under-voltage seen, min 600 MHz \(step batch\)$'
is "the output file is still the user's" "$(stat -c %U "$dir/one.out" 2>&1)" "$JOB_USER"
is "AdminComment holds pi2's summary" "$(entries "$id")" "pi2 55.0 55.0 100 True 600 batch"

# --- A 2-node job, options from #SBATCH, an srun step on both nodes -----------
cat >"$dir/two.sh" <<'EOF'
#!/bin/sh
#SBATCH --thermal-report
#SBATCH -N2 -w pi2,pi3 --output=two.out
srun -N2 -n2 --ntasks-per-node=1 sleep 3
echo done
EOF
chown "$JOB_USER" "$dir/two.sh"
id=$(submit "$dir" two.sh)
is "2 nodes, #SBATCH --thermal-report: the job completes" "$(wait_job "$id")" COMPLETED
diag "$(cat "$dir/two.out" 2>&1)"
is "the report's header names 2 nodes" "$(grep '^slurm-pi thermal report' "$dir/two.out" 2>&1)" \
	"slurm-pi thermal report for job $id (2 nodes):"
like "pi2's line covers the batch step and step 0" "$(report_line "$dir/two.out" pi2)" \
	'^pi2: max 55\.0C mean 55\.0C, throttled 100% of [0-9]+ samples, under-voltage seen, min 600 MHz \(steps batch, 0\)$'
like "pi3's line (from pi3, through AdminComment): never throttled, full clock" \
	"$(report_line "$dir/two.out" pi3)" \
	'^pi3: max 48\.0C mean 48\.0C, throttled 0% of [0-9]+ samples, no under-voltage, min 1500 MHz \(step 0\)$'
diag "AdminComment=$(admin_comment "$id")"
is "AdminComment holds both nodes' summaries" "$(entries "$id")" \
	"pi2 55.0 55.0 100 True 600 batch,0
pi3 48.0 48.0 0 False 1500 0"

# A node on which no step ran cannot be known: the report says so.
id=$(submit "$dir" -N2 -w pi2,pi3 --thermal-report --output=idle.out --wrap 'sleep 2')
wait_job "$id" >/dev/null
is "a node without steps is reported unknown" "$(report_line "$dir/idle.out" pi3)" \
	"pi3: unknown: no summary from this node (no job step ran there, or it did not reach slurmctld)"

# --- Without the option, and the environment fallback -------------------------
id=$(submit "$dir" -w pi2 -N1 --output=plain.out --wrap 'echo hello; sleep 1')
is "without --thermal-report: the job completes" "$(wait_job "$id")" COMPLETED
is "without --thermal-report: the output is only the job's" "$(cat "$dir/plain.out" 2>&1)" hello
is "without --thermal-report: AdminComment stays empty" "$(admin_comment "$id")" ""

id=$(cd "$dir" && as_user env SLURM_PI_THERMAL_REPORT=yes sbatch --parsable -w pi2 --output=env.out --wrap 'sleep 1' | cut -d';' -f1)
wait_job "$id" >/dev/null
like "SLURM_PI_THERMAL_REPORT=yes asks for the report" "$(cat "$dir/env.out" 2>&1)" \
	"^slurm-pi thermal report for job $id \(1 node\):"
id=$(submit "$dir" -w pi2 --export=NONE --thermal-report --output=none.out --wrap 'sleep 1')
wait_job "$id" >/dev/null
like "sbatch --export=NONE --thermal-report still reports" "$(cat "$dir/none.out" 2>&1)" \
	"^slurm-pi thermal report for job $id \(1 node\):"
id=$(cd "$dir" && as_user env SLURM_PI_THERMAL_REPORT=yes sbatch --parsable -w pi2 --thermal-report=no --output=no.out --wrap 'echo hello' | cut -d';' -f1)
wait_job "$id" >/dev/null
is "--thermal-report=no wins over the environment" "$(cat "$dir/no.out" 2>&1)" hello

# --- Misuse -------------------------------------------------------------------
out=$(cd "$dir" && as_user sbatch --thermal-report=maybe --wrap true 2>&1); rc=$?
like "sbatch --thermal-report=maybe is refused" "$rc" '^[1-9][0-9]*$'
like "the error names the option and the choices" "$out" \
	"slurm-pi thermal: --thermal-report: 'maybe' is not one of yes, no"
out=$(cd "$dir" && as_user env SLURM_PI_THERMAL_REPORT=1 sbatch --wrap true 2>&1); rc=$?
like "a bad SLURM_PI_THERMAL_REPORT is refused" "$rc" '^[1-9][0-9]*$'
like "the error names the environment variable" "$out" \
	"slurm-pi thermal: SLURM_PI_THERMAL_REPORT: '1' is not one of yes, no"

# --- Written as the user: never through a symlink, never into root's file ------
printf "root's\n" >"$dir/rootfile"; chmod 0644 "$dir/rootfile"
cp "$dir/rootfile" "$SHARED_DIR/t58-root.$$"; chmod 0666 "$SHARED_DIR/t58-root.$$"
id=$(submit "$dir" -w pi2 --thermal-report --output=link.out \
	--wrap "rm link.out; ln -s $SHARED_DIR/t58-root.$$ link.out")
wait_job "$id" >/dev/null
is "an output path turned into a symlink is not followed" "$(cat "$SHARED_DIR/t58-root.$$")" "root's"
check "slurmd's log says why" wait_for 5 grep -q \
	"task/pi: StepId=$id.batch: thermal report not written: '$dir/link.out': is a symbolic link; not followed" \
	"$(node_dir pi2)/slurmd.log"
id=$(submit "$dir" -w pi2 --thermal-report --output=root.out --wrap "mv -f rootfile root.out")
wait_job "$id" >/dev/null
is "an output path replaced by root's file is not written (written as the user)" \
	"$(cat "$dir/root.out" 2>&1) $(stat -c %U "$dir/root.out" 2>&1)" "root's root"
check "slurmd's log says why" wait_for 5 grep -q \
	"task/pi: StepId=$id.batch: thermal report not written: '$dir/root.out': cannot open as uid $(id -u "$JOB_USER"): Permission denied" \
	"$(node_dir pi2)/slurmd.log"

"$CLUSTER" set pi2 temp=45 throttled=0 >/dev/null
"$CLUSTER" set pi3 temp=45 freq=600 >/dev/null
rm -rf "$dir" "$SHARED_DIR/t58-root.$$"
done_testing
