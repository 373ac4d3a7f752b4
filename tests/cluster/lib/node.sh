# One emulated Pi: a fake Pi sysfs built from a fixture tree, its own mount
# and UTS namespaces (hostname, /tmp, the fake files bind-mounted at the
# real paths) and a slurmd inside them (sourced).

# The fake files a node shows at the real paths. Plugins read the real
# paths; only these mounts differ from a real Pi.
#   /sys/firmware                          devicetree model/compatible/serial
#   /proc/cpuinfo                          the model's cpuinfo (Revision)
#   /proc/meminfo                          the model's MemTotal (4 GB Pi...)
#   /sys/class/thermal, /sys/class/hwmon   cpu-thermal zone, rpi_volt, pwmfan
#   /sys/devices/system/cpu/cpufreq        policy0 clocks
#   /sys/devices/platform                  soc/soc:firmware/get_throttled
# The firmware mailbox (/dev/vcio) cannot be emulated here (no CUSE), so the
# emulation always carries throttle flags in the legacy get_throttled file,
# which readers fall back to when the mailbox is absent.

node_build_root()
{
	local node=$1 model=$2
	local fixture="$SRCDIR/tests/fixtures/$model" root
	root="$(node_dir "$node")/root"
	[ -d "$fixture/sys" ] || die "no fixture tree for model '$model' ($fixture)"
	rm -rf "$root"
	mkdir -p "$root"
	cp -a "$fixture/." "$root/"
	local fw="$root/sys/devices/platform/soc/soc:firmware"
	if [ ! -f "$fw/get_throttled" ]; then
		mkdir -p "$fw"
		echo 0 >"$fw/get_throttled"
	fi
	mkdir -p "$root/sys/class/thermal" "$root/sys/class/hwmon" \
		"$root/sys/devices/system/cpu/cpufreq"
	# Readable by the job user, as on a Pi; writable only from the host.
	chmod -R a+rX "$root"
	echo "$model" >"$(node_dir "$node")/model"
}

# Create the node's persistent mount and UTS namespaces and populate them.
node_namespaces()
{
	local node=$1 dir
	dir=$(node_dir "$node")
	touch "$NSDIR/$node.mnt" "$NSDIR/$node.uts"
	unshare --mount="$NSDIR/$node.mnt" --uts="$NSDIR/$node.uts" \
		--propagation private true ||
		die "cannot create mount/UTS namespaces for $node"
	mkdir -p "$dir/tmp" "$dir/hold" "$dir/spool"
	chmod 1777 "$dir/tmp"
	in_node "$node" /bin/bash -euc '
		node=$1 dir=$2 hosts=$3 mca=$4 prte=$5
		hostname "$node"
		mount -t tmpfs -o mode=1777,size=512m "tmp-$node" /tmp
		# Node-local disk for staging: its own directory, as a Pi has.
		mkdir -p -m 0755 "$dir/scratch" /var/tmp/slurm-pi
		chmod 0755 "$dir/scratch"
		mount --bind "$dir/scratch" /var/tmp/slurm-pi
		root="$dir/root"
		mount --bind "$root/sys/firmware" /sys/firmware
		mount --bind "$root/proc/cpuinfo" /proc/cpuinfo
		[ -f "$root/proc/meminfo" ] && mount --bind "$root/proc/meminfo" /proc/meminfo
		mount --bind "$root/sys/devices/system/cpu/cpufreq" /sys/devices/system/cpu/cpufreq
		mount --bind "$root/sys/devices/platform" /sys/devices/platform
		# sysfs refuses mkdir: put a tmpfs over /sys/class, bind the
		# real classes back, then the fake thermal and hwmon ones.
		mount --bind /sys/class "$dir/hold"
		mount -t tmpfs -o mode=0755 "class-$node" /sys/class
		for c in "$dir"/hold/*; do
			name=${c##*/}
			case "$name" in thermal|hwmon) continue ;; esac
			mkdir "/sys/class/$name"
			mount --bind "$c" "/sys/class/$name"
		done
		umount "$dir/hold"
		mkdir /sys/class/thermal /sys/class/hwmon
		mount --bind "$root/sys/class/thermal" /sys/class/thermal
		mount --bind "$root/sys/class/hwmon" /sys/class/hwmon
		mount --bind "$hosts" /etc/hosts
		[ -d /etc/openmpi ] && mount --bind "$mca" /etc/openmpi/openmpi-mca-params.conf
		[ -f /etc/openmpi/prte-mca-params.conf ] &&
			mount --bind "$prte" /etc/openmpi/prte-mca-params.conf
		true
	' node-setup "$node" "$dir" "$ETC/hosts" "$ETC/openmpi-mca-params.conf" \
		"$ETC/prte-mca-params.conf" ||
		die "cannot set up the mounts of $node"
}

# The pid of the node's slurmd daemon (not its slurmstepd children, not the
# nsenter that started it), found in the node's mount namespace.
node_slurmd_pid()
{
	local p
	p=$(node_slurmd_pids "$1" | head -n 1)
	[ -n "$p" ] && echo "$p"
}

# node_start_slurmd NODE [--daemon]: as Debian's unit does (-D, in the
# foreground), or with --daemon as an admin starting it by hand (slurmd
# forks into the background). Records the daemon's own pid in
# slurmd.pid.run once it is up.
node_start_slurmd()
{
	local node=$1 mode=${2:-} dir pid
	dir=$(node_dir "$node")
	rm -f "$dir/slurmd.pid.run" "$dir/slurmd.pid"
	if [ "$mode" = --daemon ]; then
		in_node "$node" slurmd -N "$node" -f "$SLURM_CONF" \
			>"$dir/slurmd.out" 2>&1 </dev/null 9>&- ||
			{ warn "slurmd on $node did not start; see $dir/slurmd.out"; return 1; }
	else
		in_node "$node" setsid slurmd -D -N "$node" -f "$SLURM_CONF" \
			>"$dir/slurmd.out" 2>&1 </dev/null 9>&- &
	fi
	# slurmd writes its SlurmdPidFile once it is up (after daemonizing).
	wait_for 10 slurmd_pidfile_alive "$dir/slurmd.pid" ||
		{ warn "slurmd on $node is not running; see $dir/slurmd.out and slurmd.log"; return 1; }
	cp "$dir/slurmd.pid" "$dir/slurmd.pid.run"
}

slurmd_pidfile_alive() { local p; p=$(cat "$1" 2>/dev/null) && pid_alive "$p"; }

# Stop the node's slurmd (TERM, then KILL after 5 s); its namespaces, fake
# sensors and running job steps stay. Every slurmd of the node: since 23.11
# an `scontrol reconfigure` makes slurmd fork and exec a new one, which
# takes over the listening port, so the one started is not always the only
# one or the one serving.
node_stop_slurmd()
{
	local node=$1 pids p
	pids=$(node_slurmd_pids "$node")
	rm -f "$(node_dir "$node")/slurmd.pid.run"
	[ -n "$pids" ] || return 0
	kill -TERM $pids 2>/dev/null
	for _ in $(seq 50); do
		pids=$(node_slurmd_pids "$node")
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	return 0
}

# Every live slurmd of the node (a zombie waiting for its parent is over).
# Its name is slurmd-wlm once it has re-executed itself for a reconfigure
# (23.11 and later): Debian's /usr/sbin/slurmd is a link to slurmd-wlm,
# and slurmd execs the file /proc/self/exe names.
node_slurmd_pids()
{
	local p st
	for p in $(node_pids "$1"); do
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in
		slurmd|slurmd-wlm) ;;
		*) continue ;;
		esac
		st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		[ "${st%% *}" = Z ] || echo "$p"
	done
	return 0
}

# Every process that lives in this node's mount namespace (slurmd,
# slurmstepd, job tasks, orted...), found by namespace identity so that
# nothing escapes `down` however it was started.
node_pids()
{
	local node=$1 want p
	[ -e "$NSDIR/$node.mnt" ] || return 0
	want="mnt:[$(stat -L -c %i "$NSDIR/$node.mnt" 2>/dev/null)]"
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$want" ] && echo "${p#/proc/}"
	done
}

node_stop()
{
	local node=$1 dir pids
	dir=$(node_dir "$node")
	node_stop_slurmd "$node"
	pids=$(node_pids "$node")
	if [ -n "$pids" ]; then
		kill -TERM $pids 2>/dev/null
		sleep 0.5
		pids=$(node_pids "$node")
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	fi
	# Dropping the handles frees the namespaces and every mount in them.
	umount "$NSDIR/$node.mnt" 2>/dev/null
	umount "$NSDIR/$node.uts" 2>/dev/null
	rm -f "$NSDIR/$node.mnt" "$NSDIR/$node.uts"
}
