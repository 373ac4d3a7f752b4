#!/bin/bash
# spank_pi_thermal: --thermal and SLURM_PI_THERMAL, good and bad values.
. "$(dirname "$0")/lib/suite.sh"
plan 11

is "srun --thermal=strict: the job sees SLURM_PI_THERMAL=strict" \
	"$(as_user srun -n1 --thermal=strict printenv SLURM_PI_THERMAL 2>&1)" strict

dir=$(mktemp -d "$SHARED_DIR/thermal.XXXXXX"); chown "$JOB_USER" "$dir"
id=$(submit "$dir" --thermal=any --output=env.txt --wrap 'printenv SLURM_PI_THERMAL')
is "sbatch --thermal=any: batch job completes" "$(wait_job "$id")" COMPLETED
is "sbatch --thermal=any: the batch script sees SLURM_PI_THERMAL=any" "$(cat "$dir/env.txt" 2>&1)" any

# The choice reaches slurmctld: with DebugFlags=SelectType the select
# plugin logs the policy it places each job with, and where it came from.
scontrol setdebugflags +SelectType >/dev/null
id=$(submit "$dir" --thermal=strict --output=/dev/null --wrap true)
is "sbatch --thermal=strict: batch job completes" "$(wait_job "$id")" COMPLETED
like "slurmctld's select plugin places that job with policy strict from --thermal" \
	"$(cat "$CTLD_DIR/slurmctld.log")" "select/pi_cons_tres: JobId=$id RUN_NOW: policy strict \(--thermal\)"
id=$(submit "$dir" --output=/dev/null --wrap true)
wait_job "$id" >/dev/null
like "a job without --thermal gets the site's DefaultThermalPolicy" \
	"$(cat "$CTLD_DIR/slurmctld.log")" "select/pi_cons_tres: JobId=$id RUN_NOW: policy balanced \(DefaultThermalPolicy\)"
scontrol setdebugflags -SelectType >/dev/null

out=$(cd "$dir" && as_user sbatch --thermal=hot --wrap true 2>&1); rc=$?
like "sbatch --thermal=hot is refused" "$rc" '^[1-9][0-9]*$'
like "the error names the option and the choices" "$out" \
	"slurm-pi thermal: --thermal: 'hot' is not one of strict, balanced, any"

out=$(cd "$dir" && as_user env SLURM_PI_THERMAL=warm sbatch --wrap true 2>&1); rc=$?
like "a bad SLURM_PI_THERMAL is refused" "$rc" '^[1-9][0-9]*$'
like "the error names the environment variable" "$out" \
	"slurm-pi thermal: SLURM_PI_THERMAL: 'warm' is not one of strict, balanced, any"

# An admin's typo in plugstack.conf: the error names the argument.
alt="$STATE/etc-badarg"
mkdir -p "$alt"
sed "s|^PlugStackConfig=.*|PlugStackConfig=$alt/plugstack.conf|" "$SLURM_CONF" >"$alt/slurm.conf"
sed 's|spank_pi_thermal.so.*|spank_pi_thermal.so defualt=strict|' "$ETC/plugstack.conf" >"$alt/plugstack.conf"
chmod -R a+rX "$alt"
out=$(cd "$dir" && as_user env SLURM_CONF="$alt/slurm.conf" sbatch --wrap true 2>&1)
like "an unknown plugstack argument is named in the error" "$out" "unknown argument 'defualt=strict'"
rm -rf "$alt" "$dir"
done_testing
