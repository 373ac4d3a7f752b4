# Heat emulation (sourced by `cluster`): each node's temperature follows
# the CPU load slurmctld has allocated on it, and its firmware throttles
# past 80 C, as a Pi's does. Off unless `cluster heat on` starts it.
#
# The heater is one background process group (recorded in
# $HEAT_DIR/heater.pid, started with fd 9, the cluster lock, closed):
#   heat_poll | pi-heat | heat_apply
# heat_poll asks slurmctld for CPUAlloc/CPUTot of every node each tick;
# pi-heat (tests/heat/, the model and its sources) advances each node's
# temperature, clock and throttle word by the elapsed time x speed;
# heat_apply writes what changed with sensors_set, exactly as `cluster set`
# does. `heat off` and `cluster down` stop it; `heat off` also puts back
# the sensor values the nodes had before `heat on`.

HEAT_DIR="$STATE/heat"
HEAT_MODEL="$BUILDDIR/tests/heat/pi-heat"
HEAT_COOLINGS="case bare heatsink active"

# The heater's pid (= its process group) if it runs; checked to be ours.
heat_pid()
{
	local pid
	pid=$(cat "$HEAT_DIR/heater.pid" 2>/dev/null) || return 1
	pid_alive "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- ' _heat-run ' || return 1
	echo "$pid"
}

heat_stop()
{
	local pid
	if pid=$(heat_pid); then
		kill -TERM -- "-$pid" 2>/dev/null
		for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	rm -f "$HEAT_DIR/heater.pid"
}

# The sensor values a node has now, as `cluster set` arguments.
heat_sensor_args()
{
	local node=$1 dir temp freq
	dir=$(thermal_dir "$node") || return 1
	temp=$(awk '{ printf "%.1f", $1 / 1000 }' "$dir/temp")
	freq=$(awk '{ printf "%d", $1 / 1000 }' "$(cpufreq_dir "$node")/scaling_cur_freq")
	printf 'temp=%s freq=%s throttled=0x%x\n' "$temp" "$freq" "$(throttled_word "$node")"
}

heat_usage()
{
	cat <<USAGE
usage: tests/cluster/cluster heat on [--speed X] [--tick S] [--ambient C]
                                     [--cooling C] [--profile NODE=C,...]
       tests/cluster/cluster heat off|status
  on      Start (or restart, from rest) the heat emulation. Model time runs
          X times faster than the clock (--speed, default 1); slurmctld is
          asked for each node's allocated CPUs every S seconds (--tick,
          default 0.5); room at C degrees (--ambient, default 25). Cooling
          per node (--profile pi1=case,pi2=heatsink; others get --cooling,
          default bare): $HEAT_COOLINGS.
  off     Stop it and put back the sensor values from before \`heat on\`.
  status  Speed, and each node's cooling, load, temperature, clock,
          throttle word and throttled (model) seconds.
USAGE
}

heat_on()
{
	local speed=1 tick=0.5 ambient=25 cooling=bare profiles="" node c kv
	while [ $# -gt 0 ]; do
		case "$1" in
		--speed|--tick|--ambient|--cooling|--profile)
			[ $# -ge 2 ] || die "heat on: $1 needs a value" ;;
		esac
		case "$1" in
		--speed) speed=$2 ;;
		--tick) tick=$2 ;;
		--ambient) ambient=$2 ;;
		--cooling) cooling=$2 ;;
		--profile) profiles=$2 ;;
		*) heat_usage >&2; exit 2 ;;
		esac
		shift 2
	done
	[[ "$tick" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [ "$tick" != 0 ] ||
		die "heat on: --tick: '$tick' is not a number of seconds"
	[ -n "$(cluster_nodes)" ] && [ -e "$NSDIR/pi1.mnt" ] ||
		die "heat on: no cluster is up (run: tests/cluster/cluster up)"
	[ -x "$HEAT_MODEL" ] || die "heat on: $HEAT_MODEL is not built (run the build first)"
	declare -A cool=()
	for node in $(cluster_nodes); do cool[$node]=$cooling; done
	if [ -n "$profiles" ]; then
		IFS=, read -r -a kvs <<<"$profiles"
		for kv in "${kvs[@]}"; do
			node=${kv%%=*} c=${kv#*=}
			[ -n "${cool[$node]+x}" ] && [ "$kv" != "$node" ] ||
				die "heat on: --profile: '$kv' is not NODE=COOLING for a node of this cluster"
			cool[$node]=$c
		done
	fi
	local -a specs=()
	for node in $(cluster_nodes); do
		specs+=("$node=$(cat "$(node_dir "$node")/model")/${cool[$node]}")
	done
	# pi-heat checks the numbers and names; with no input it only does that.
	"$HEAT_MODEL" --speed "$speed" --ambient "$ambient" "${specs[@]}" </dev/null ||
		die "heat on: bad settings (see above)"

	mkdir -p "$HEAT_DIR"
	if ! heat_pid >/dev/null; then
		# Remember the nodes' sensors, for `heat off`.
		for node in $(cluster_nodes); do
			heat_sensor_args "$node" >"$HEAT_DIR/saved.$node" || rm -f "$HEAT_DIR/saved.$node"
		done
	fi
	heat_stop
	rm -f "$HEAT_DIR/status"
	echo "speed $speed, tick ${tick}s, ambient ${ambient} C" >"$HEAT_DIR/settings"
	setsid "$CLUSTER_DIR/cluster" _heat-run "$tick" --speed "$speed" --ambient "$ambient" \
		--status "$HEAT_DIR/status" "${specs[@]}" \
		>"$HEAT_DIR/heater.log" 2>&1 </dev/null 9>&- &
	echo $! >"$HEAT_DIR/heater.pid"
	wait_for 10 test -s "$HEAT_DIR/status" ||
		{ cat "$HEAT_DIR/heater.log" >&2; heat_stop; die "heat on: the heater did not start"; }
	say "heat emulation on: $(cat "$HEAT_DIR/settings"): ${specs[*]}"
}

heat_off()
{
	local node saved
	heat_stop
	for node in $(cluster_nodes); do
		saved="$HEAT_DIR/saved.$node"
		[ -s "$saved" ] && [ -e "$NSDIR/$node.mnt" ] || continue
		for kv in $(cat "$saved"); do sensors_set "$node" "${kv%%=*}" "${kv#*=}"; done
		rm -f "$saved"
	done
	say "heat emulation off"
}

heat_status()
{
	local pid
	if pid=$(heat_pid); then
		echo "heat: on (pid $pid), $(cat "$HEAT_DIR/settings" 2>/dev/null)"
		cat "$HEAT_DIR/status" 2>/dev/null
	else
		echo "heat: off"
	fi
}

# The heater process itself: `cluster _heat-run TICK PI-HEAT-ARGS...`.
heat_run()
{
	local tick=$1; shift
	heat_poll "$tick" | "$HEAT_MODEL" "$@" | heat_apply
}

# One line per tick: t=<now> pi1=<CPUAlloc>/<CPUTot> ... (no nodes while
# slurmctld does not answer: the model then keeps their last load).
heat_poll()
{
	local tick=$1 line
	while :; do
		line=$(scontrol show node -o 2>/dev/null | awk '{
			n = a = t = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^NodeName=/) n = substr($i, 10)
				else if ($i ~ /^CPUAlloc=/) a = substr($i, 10)
				else if ($i ~ /^CPUTot=/) t = substr($i, 8)
			}
			if (n != "" && a != "" && t != "") printf " %s=%s/%s", n, a, t
		}')
		echo "t=$EPOCHREALTIME$line" || return 0
		sleep "$tick"
	done
}

# Write each node's new values (NODE KEY=VALUE... lines), skipping those
# that did not change.
heat_apply()
{
	local node rest kv key val
	declare -A last=()
	while read -r node rest; do
		for kv in $rest; do
			key=${kv%%=*} val=${kv#*=}
			[ "${last[$node.$key]:-}" = "$val" ] && continue
			sensors_set "$node" "$key" "$val" && last[$node.$key]=$val
		done
	done
}
