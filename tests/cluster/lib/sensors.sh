# Read and change a node's fake Pi sensors from the host (sourced). The
# files live in the node's root tree, which the node sees bind-mounted at
# the real paths, so a write here is what the node reads next. Writes
# rewrite the file in place (same inode), as sysfs values change.

sensors_root() { echo "$(node_dir "$1")/root"; }

# The directory under $2 (a class dir) whose file $3 holds $4.
find_by_file()
{
	local dir
	for dir in "$1"/*/; do
		[ "$(tr -d '\0\n' <"$dir/$2" 2>/dev/null)" = "$3" ] && { echo "${dir%/}"; return 0; }
	done
	return 1
}

thermal_dir() { find_by_file "$(sensors_root "$1")/sys/class/thermal" type cpu-thermal; }
rpi_volt_dir() { find_by_file "$(sensors_root "$1")/sys/class/hwmon" name rpi_volt; }
throttled_file() { echo "$(sensors_root "$1")/sys/devices/platform/soc/soc:firmware/get_throttled"; }
cpufreq_dir() { echo "$(sensors_root "$1")/sys/devices/system/cpu/cpufreq/policy0"; }

# The throttle word as a number (the file holds hex without 0x).
throttled_word() { echo $((16#$(tr -d '\n' <"$(throttled_file "$1")" 2>/dev/null || echo 0))); }
write_throttled()
{
	local node=$1 word=$2 volt
	printf '%x\n' "$word" >"$(throttled_file "$node")"
	# rpi_volt's in0_lcrit_alarm follows under-voltage-now, as on a Pi.
	if volt=$(rpi_volt_dir "$node"); then
		echo $((word & 1)) >"$volt/in0_lcrit_alarm"
	fi
}

sensors_set()
{
	local node=$1 key=$2 value=$3 dir word
	case "$key" in
	temp)
		[[ "$value" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] ||
			{ warn "set $node temp: '$value' is not a temperature in C"; return 1; }
		dir=$(thermal_dir "$node") || { warn "$node has no cpu-thermal zone"; return 1; }
		awk -v c="$value" 'BEGIN { printf "%d\n", c * 1000 }' >"$dir/temp"
		;;
	throttled)
		[[ "$value" =~ ^(0x)?[0-9a-fA-F]{1,8}$ ]] ||
			{ warn "set $node throttled: '$value' is not a hex word like 0x50005"; return 1; }
		write_throttled "$node" $((16#${value#0x}))
		;;
	undervoltage)
		word=$(throttled_word "$node")
		case "$value" in
		1) word=$((word | 0x10001)) ;;
		0) word=$((word & ~1)) ;;
		*) warn "set $node undervoltage: '$value' is not 0 or 1"; return 1 ;;
		esac
		write_throttled "$node" "$word"
		;;
	freq)
		[[ "$value" =~ ^[0-9]+$ ]] ||
			{ warn "set $node freq: '$value' is not a clock in MHz"; return 1; }
		echo $((value * 1000)) >"$(cpufreq_dir "$node")/scaling_cur_freq"
		;;
	*)
		warn "set: unknown sensor '$key' (temp, throttled, undervoltage, freq)"
		return 1
		;;
	esac
}

sensors_describe()
{
	local node=$1 dir temp="?" freq="?"
	dir=$(thermal_dir "$node") && temp=$(awk '{ printf "%.1f C", $1 / 1000 }' "$dir/temp" 2>/dev/null)
	freq=$(awk '{ printf "%d MHz", $1 / 1000 }' "$(cpufreq_dir "$node")/scaling_cur_freq" 2>/dev/null)
	printf '%s, %s, %s, throttled=0x%x' "$(cat "$(node_dir "$node")/model" 2>/dev/null)" \
		"$temp" "$freq" "$(throttled_word "$node")"
}
