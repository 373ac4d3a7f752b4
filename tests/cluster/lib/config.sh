# Generate the cluster's configuration files under $ETC (sourced).

config_write()
{
	local count=$1 last_addr; shift
	last_addr=$((10 + count))
	mkdir -p "$ETC"
	sed -e "s|@CTLD_HOST@|$(hostname -s)|g" \
	    -e "s|@CTLD_ADDR@|$CTLD_ADDR|g" \
	    -e "s|@NODE_RANGE@|pi[1-$count]|g" \
	    -e "s|@ADDR_RANGE@|$SUBNET_PREFIX.[11-$last_addr]|g" \
	    -e "s|@ETC@|$ETC|g" \
	    -e "s|@STATE@|$STATE|g" \
	    -e "s|@MUNGE_DIR@|$MUNGE_DIR|g" \
	    -e "s|@SYSTEM_PLUGIN_DIR@|$SYSTEM_PLUGIN_DIR|g" \
	    -e "s|@SLURMCTLD_PORT@|$SLURMCTLD_PORT|g" \
	    -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" \
	    "$CLUSTER_DIR/etc/slurm.conf.in" >"$ETC/slurm.conf"
	sed -e "s|@STATE@|$STATE|g" -e "s|@SHARED_DIR@|$SHARED_DIR|g" \
		"$CLUSTER_DIR/etc/plugstack.conf.in" >"$ETC/plugstack.conf"
	cp "$CLUSTER_DIR/etc/openmpi-mca-params.conf" "$ETC/openmpi-mca-params.conf"
	cp "$CLUSTER_DIR/etc/prte-mca-params.conf" "$ETC/prte-mca-params.conf"
	# slurm-pi.conf sits beside slurm.conf, where the plugins look for it:
	# the shipped example, sped up so that tests see changes in seconds.
	slurm_pi_conf_write "$ETC/slurm-pi.conf" "$@" || return 1
	{
		echo "127.0.0.1 localhost"
		echo "$CTLD_ADDR $(hostname -s) controller"
		for ((i = 1; i <= count; i++)); do
			echo "$(node_addr "$i") pi$i"
		done
	} >"$ETC/hosts"
	chmod -R a+rX "$ETC"
}

# Copy the build tree's plugins into one PluginDir entry, and fail if any is
# missing: a cluster without all of slurm-pi must not pass silently. Copies,
# not links: the job user loads the SPANK plugin in sbatch/srun and may not
# be able to read the build tree, and a rebuild must not swap a .so under
# running daemons.
config_install_build()
{
	local p so missing=()
	mkdir -p "$STATE/plugins"
	rm -f "$STATE/plugins"/*.so
	for p in select_pi_cons_tres task_pi spank_pi_thermal spank_pi_stage spank_pi_mpi; do
		so="$BUILDDIR/plugins/$p/.libs/$p.so"
		if [ -f "$so" ]; then
			install -m 0755 "$so" "$STATE/plugins/$p.so"
		else
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} = 0 ] ||
		die "plugins not built: ${missing[*]} (run the build first; select/task need ./configure --with-slurm-source)"
	# The slurm-pi command, where every node can run it (a build tree
	# under /tmp is not visible inside the nodes).
	[ -x "$BUILDDIR/tools/slurm-pi" ] || die "tools/slurm-pi not built (run the build first)"
	install -D -m 0755 "$BUILDDIR/tools/slurm-pi" "$STATE/bin/slurm-pi"
	# The heat emulation's workload, for jobs (`cluster heat`).
	install -m 0755 "$CLUSTER_DIR/bin/pi-work" "$STATE/bin/pi-work"
}

# The cluster's slurm-pi.conf: etc/slurm-pi.conf with KEY=VALUE overrides
# (a poll a second, a heartbeat every 30 s, short drain timers), then any
# given as arguments, e.g. slurm_pi_conf_write FILE DrainOnCritical=yes.
slurm_pi_conf_write()
{
	local out=$1 kv key; shift
	local -a sets=(PollInterval=1 PublishInterval=30 StaleAfter=90
		DrainGrace=2 ResumeAfter=4 "$@")
	cp "$SRCDIR/etc/slurm-pi.conf" "$out.new" || return 1
	for kv in "${sets[@]}"; do
		key=${kv%%=*}
		grep -q "^$key=" "$out.new" || { warn "slurm-pi.conf has no key $key"; return 1; }
		sed -i "s|^$key=.*|$kv|" "$out.new"
	done
	chmod 0644 "$out.new"
	mv "$out.new" "$out"
}

# Set KEY=VALUE in slurm.conf FILE: replace the line that sets KEY (Slurm
# keys are case-insensitive), or append one.
slurm_conf_set()
{
	local file=$1 key=$2 value=$3
	if grep -qi "^$key=" "$file"; then
		sed -i "s|^$key=.*|$key=$value|I" "$file"
	else
		echo "$key=$value" >>"$file"
	fi
}

# Set KEY=VALUE on every NodeName= line of slurm.conf FILE: replace the
# key's value where the line has it, or append it.
slurm_conf_node_set()
{
	local file=$1 key=$2 value=$3
	if grep -qi "^NodeName=.*[[:space:]]$key=" "$file"; then
		sed -i "/^NodeName=/I s|\\([[:space:]]$key=\\)[^[:space:]]*|\\1$value|I" "$file"
	else
		sed -i "/^NodeName=/I s|\$| $key=$value|" "$file"
	fi
}
