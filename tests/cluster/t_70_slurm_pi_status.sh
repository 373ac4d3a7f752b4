#!/bin/bash
# `slurm-pi status` inside each emulated node reports the model and the
# sensor values the emulation set, through the real paths.
. "$(dirname "$0")/lib/suite.sh"
plan $((10 + 3 * $(cluster_nodes | wc -l)))

SLURM_PI="$STATE/bin/slurm-pi"
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

temps=(0 48.5 61.5 72.5 81.5)
for node in $(cluster_nodes); do
	i=${node#pi}
	"$CLUSTER" set "$node" temp="${temps[$i]}" throttled=0 >/dev/null
	model=$(cat "$(node_dir "$node")/model")
	out=$("$CLUSTER" exec "$node" "$SLURM_PI" status --json 2>&1)
	feature=$(json_field '["model"]["feature"]' <<<"$out" 2>&1)
	is "$node: slurm-pi status --json names the emulated model" "$feature" "$model"
	is "$node: it reads the temperature the emulation set" \
		"$(json_field '["temp_c"]' <<<"$out" 2>&1)" "${temps[$i]}"
	is "$node: node name is the node's hostname" "$(json_field '["node"]' <<<"$out" 2>&1)" "$node"
done

is "pi1 at 48.5 C is cool" "$("$CLUSTER" exec pi1 "$SLURM_PI" status --json | json_field '["band"]')" cool
is "pi2 at 61.5 C is warm" "$("$CLUSTER" exec pi2 "$SLURM_PI" status --json | json_field '["band"]')" warm
is "pi3 at 72.5 C is hot" "$("$CLUSTER" exec pi3 "$SLURM_PI" status --json | json_field '["band"]')" hot
is "pi4 at 81.5 C is critical" "$("$CLUSTER" exec pi4 "$SLURM_PI" status --json | json_field '["band"]')" critical

"$CLUSTER" set pi2 temp=50 throttled=0x50005 >/dev/null
out=$("$CLUSTER" exec pi2 "$SLURM_PI" status 2>&1)
like "throttled 0x50005 at 50 C: the band is critical" "$out" '^band: +critical'
like "the flags are decoded into words" "$out" 'under-voltage now'
like "... including throttling now" "$out" 'throttled now'
like "the human output names the model" "$out" '^model: +Raspberry Pi 4 Model B'
like "and the temperature" "$out" '^temperature: +50(\.0)? C'

# As the job user, from a job: what a user sees on the node a job got.
dir=$(mktemp -d "$SHARED_DIR/status.XXXXXX"); chown "$JOB_USER" "$dir"
out=$(cd "$dir" && as_user srun -w pi1 -n1 "$SLURM_PI" status 2>&1)
like "a job on pi1 runs slurm-pi status as $JOB_USER" "$out" '^model: +Raspberry Pi 5'
rm -rf "$dir"

for node in $(cluster_nodes); do "$CLUSTER" set "$node" temp=45 throttled=0 >/dev/null; done
done_testing
