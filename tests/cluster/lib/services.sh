# munge and slurmctld of the emulated cluster, both in the host's
# namespaces: the host plays the seed's controller Pi (sourced).

munge_up()
{
	install -d -o munge -g munge -m 0755 "$MUNGE_DIR"
	# The cluster's own key: never the host's /etc/munge/munge.key.
	if [ ! -s "$MUNGE_DIR/munge.key" ]; then
		mungekey --create --keyfile="$MUNGE_DIR/munge.key" --force ||
			die "mungekey failed"
	fi
	chown munge:munge "$MUNGE_DIR/munge.key"
	chmod 0600 "$MUNGE_DIR/munge.key"
	runuser -u munge -- /usr/sbin/munged \
		--key-file="$MUNGE_DIR/munge.key" \
		--socket="$MUNGE_DIR/munge.socket.2" \
		--pid-file="$MUNGE_DIR/munged.pid" \
		--log-file="$MUNGE_DIR/munged.log" \
		--seed-file="$MUNGE_DIR/munged.seed" 9>&- ||
		die "munged did not start; see $MUNGE_DIR/munged.log"
	wait_for 10 munge --socket="$MUNGE_DIR/munge.socket.2" -n ||
		die "munged does not answer on $MUNGE_DIR/munge.socket.2"
}

# ctld_up [-c]: -c starts from a clean state (each `up`); a restart keeps
# the jobs, as a real controller restart does.
ctld_up()
{
	local clean=${1:-}
	install -d -m 0700 "$CTLD_DIR/state"
	# -D in the background so the pid we record is the daemon's own.
	setsid slurmctld -D $clean -f "$SLURM_CONF" \
		>"$CTLD_DIR/slurmctld.out" 2>&1 </dev/null 9>&- &
	echo $! >"$CTLD_DIR/slurmctld.pid.run"
	if ! wait_for 30 scontrol ping; then
		tail -n 30 "$CTLD_DIR/slurmctld.log" "$CTLD_DIR/slurmctld.out" >&2 2>/dev/null
		die "slurmctld did not come up"
	fi
}

# The pids of the cluster's live slurmctld: the one ctld_up started and the
# one its own SlurmctldPidFile names. They differ after an `scontrol
# reconfigure` on 23.11 and later, where slurmctld forks and execs a new
# slurmctld (named slurmctld-wlm: Debian's /usr/sbin/slurmctld is a link)
# and the old one exits.
ctld_pids()
{
	local f p seen=""
	for f in "$CTLD_DIR/slurmctld.pid.run" "$CTLD_DIR/slurmctld.pid"; do
		p=$(cat "$f" 2>/dev/null) && pid_alive "$p" || continue
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in
		slurmctld|slurmctld-wlm) ;;
		*) continue ;;
		esac
		case " $seen " in *" $p "*) continue ;; esac
		seen="$seen $p"; echo "$p"
	done
	return 0
}

# Stop the cluster's slurmctld, whichever process it is now (TERM, then
# KILL after 5 s).
ctld_stop()
{
	local pids p
	pids=$(ctld_pids)
	if [ -n "$pids" ]; then
		kill -TERM $pids 2>/dev/null
		for _ in $(seq 50); do
			pids=$(ctld_pids)
			[ -n "$pids" ] || break
			sleep 0.1
		done
		for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	fi
	rm -f "$CTLD_DIR/slurmctld.pid.run"
}

# Stop a daemon recorded in a pid file: TERM, then KILL after a grace time.
stop_pidfile()
{
	local file=$1 pid
	pid=$(cat "$file" 2>/dev/null) || return 0
	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$file"
}
