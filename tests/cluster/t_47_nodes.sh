#!/bin/bash
# `slurm-pi nodes` on the host, as an admin sees it: every node with its
# Slurm state and the telemetry task/pi publishes into Extra (band, flags
# in words, drain reason), --json for scripts, --watch redrawing in a
# terminal (tmux), and usage errors. The cluster's slurm-pi.conf polls
# every 1 s.
. "$(dirname "$0")/lib/suite.sh"
plan $((20 + $(cluster_nodes | wc -l)))

SLURM_PI="$STATE/bin/slurm-pi"
nodes_out() { "$SLURM_PI" nodes 2>&1; }
# row_like NODE REGEX: NODE's line of the table matches.
row_like() { nodes_out | grep -E "^$1 " | grep -Eq -- "$2"; }

# A known start, published at once: task/pi publishes on a band change
# (a new temperature within a band waits for the heartbeat), so pass
# through warm on the way to 45 C with no flags.
for node in $(cluster_nodes); do "$CLUSTER" set "$node" temp=62 throttled=0 >/dev/null; done
for node in $(cluster_nodes); do wait_for 10 row_like "$node" ' 62\.0 C +warm '; done
for node in $(cluster_nodes); do "$CLUSTER" set "$node" temp=45 >/dev/null; done
for node in $(cluster_nodes); do wait_for 10 row_like "$node" ' 45\.0 C +cool '; done

out=$("$SLURM_PI" nodes 2>&1)
is "slurm-pi nodes exits 0" "$?" 0
like "the table has its header" "$out" '^NODE +STATE +MODEL +TEMP +BAND +CLOCK +AGE +THROTTLE +REASON$'
for node in $(cluster_nodes); do
	like "$node: idle, 45.0 C, cool, a clock, a fresh age, no throttling" "$out" \
		"^$node +idle +[0-9A-Za-z+]+ +45\\.0 C +cool +[0-9]+/[0-9]+ MHz +[0-9]+s +none\$"
done
unlike "into a pipe: no escape codes" "$out" $'\033'

"$CLUSTER" set pi3 temp=84 >/dev/null
check "pi3 at 84 C: its row shows critical" wait_for 10 row_like pi3 ' 84\.0 C +critical '
"$CLUSTER" set pi4 throttled=0x50005 >/dev/null
check "pi4 throttled 0x50005: critical, the flags in words" wait_for 10 row_like pi4 \
	' critical .* under-voltage now, throttled now, under-voltage has occurred, throttling has occurred$'

scontrol update nodename=pi2 state=drain reason="admin: test"
check "a drained pi2 shows its state and the admin's reason" wait_for 10 row_like pi2 \
	'^pi2 +drained +.* cool .*  admin: test$'

diag "what the admin sees now:" "$(nodes_out)"
json=$("$SLURM_PI" nodes --json 2>&1)
check "--json parses and has every field" python3 -c '
import json, sys
a = json.loads(sys.argv[1])
keys = ["name", "state", "reason", "band", "stale", "age_s", "temp_c", "model",
        "throttled", "throttled_known", "throttle", "mhz", "max_mhz", "mem_mb",
        "ts", "record", "note"]
for n in a:
    assert list(n) == keys, list(n)
by = {n["name"]: n for n in a}
assert by["pi2"]["state"] == "drained" and by["pi2"]["reason"] == "admin: test", by["pi2"]
assert by["pi3"]["band"] == "critical" and by["pi3"]["temp_c"] == 84.0, by["pi3"]
assert by["pi3"]["record"]["band"] == "critical", by["pi3"]
assert by["pi4"]["throttled"] == "0x50005", by["pi4"]
assert by["pi1"]["stale"] is False and 0 <= by["pi1"]["age_s"] < 90, by["pi1"]
assert by["pi1"]["reason"] is None and by["pi1"]["note"] is None, by["pi1"]
' "$json"
is "--json: one object per node" \
	"$(python3 -c 'import json, sys; print(len(json.loads(sys.argv[1])))' "$json" 2>&1)" \
	"$(cluster_nodes | wc -l)"

scontrol update nodename=pi2 state=resume
check "resumed, pi2 is idle again without a reason" wait_for 10 row_like pi2 '^pi2 +idle .* none$'

# Free text in Extra is not telemetry: "-" and a note, never a crash.
scontrol update nodename=pi2 extra=$'rack a, shelf 2\033[2J'
out=$("$SLURM_PI" nodes 2>&1)
like "free text in Extra: pi2 shows '-' for the telemetry" "$out" '^pi2 +idle +- +- +- +- +- +-'
like "... and a note says why, the escape shown as text" "$out" \
	'^note: pi2: no telemetry: Extra holds text that is not JSON'
scontrol update nodename=pi2 extra=''
# A band change publishes at once (a temperature within the band waits
# for the heartbeat).
"$CLUSTER" set pi2 temp=62 >/dev/null
check "cleared, pi2's record is back" wait_for 10 row_like pi2 ' 62\.0 C +warm '

out=$("$SLURM_PI" nodes --watch=abc 2>&1)
is "--watch=abc is a usage error (exit 2)" "$?" 2
like "... naming the command, the option and the value" "$out" \
	"^slurm-pi nodes: --watch: 'abc' is not a number of seconds\$"
like "an unknown option is named" "$("$SLURM_PI" nodes --bogus 2>&1)" \
	"^slurm-pi nodes: unknown option '--bogus'\$"

# --watch in a terminal: a private tmux server, so no one else's sessions
# are touched.
sock="slurm-pi-t47-$$"
sess=nodes
rcfile=$(mktemp /tmp/slurm-pi-t47-rc.XXXXXX)
tmx() { tmux -L "$sock" "$@"; }
pane_like() { tmx capture-pane -p -t "$sess" | grep -Eq -- "$1"; }
tmx new-session -d -s "$sess" -x 220 -y 40 \
	"env -u NO_COLOR SLURM_CONF='$SLURM_CONF' '$SLURM_PI' nodes --watch=1; echo \$? >'$rcfile'; sleep 30"
check "--watch=1 in tmux draws the table" wait_for 10 pane_like '^pi1 .* 45\.0 C +cool '
"$CLUSTER" set pi1 temp=72.5 >/dev/null
check "pi1 heats to 72.5 C: the pane shows hot within a few seconds" \
	wait_for 8 pane_like '^pi1 .* 72\.5 C +hot '
like "on a terminal the band is coloured (hot in red)" \
	"$(tmx capture-pane -e -p -t "$sess")" $'\033\\[31mhot'
tmx send-keys -t "$sess" C-c
check "Ctrl-C ends --watch" wait_for 5 test -s "$rcfile"
is "... with exit status 0" "$(cat "$rcfile")" 0
tmx kill-server 2>/dev/null
rm -f "$rcfile"

# A known start, published at once: task/pi publishes on a band change
# (a new temperature within a band waits for the heartbeat), so pass
# through warm on the way to 45 C with no flags.
for node in $(cluster_nodes); do "$CLUSTER" set "$node" temp=62 throttled=0 >/dev/null; done
for node in $(cluster_nodes); do wait_for 10 row_like "$node" ' 62\.0 C +warm '; done
for node in $(cluster_nodes); do "$CLUSTER" set "$node" temp=45 >/dev/null; done
for node in $(cluster_nodes); do wait_for 10 row_like "$node" ' 45\.0 C +cool '; done
done_testing
