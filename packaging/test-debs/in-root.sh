#!/bin/bash
# The checks of packaging/test-debs.sh that run inside the test root (it
# runs this script through root_session, chrooted, as root).
#
# usage: in-root.sh ARCH EMULATED PHASE...     (EMULATED: yes under qemu-user)
#   install           apt-get install the packages (network), what they hold
#   tools             the slurm-pi command
#   cluster           slurmctld and slurmd with the plugins (no network)
#   lifecycle         install, upgrade, remove, purge (network)
#   autopkgtest-deps  the autopkgtests' Depends (network)
#   autopkgtest       the autopkgtests of /src/debian/tests/control
#
# Prints one "PASS: name", "FAIL: name (why)" or "SKIP: name (why)" line per
# check on stdout, a failure followed by the tail of its log (indented);
# progress on stderr; every command's output into /logs/PHASE/. Exit status
# 3 when install failed (the later phases then make no sense).
#
# Bind mounts made by test-debs.sh: /debs (the .debs to test; /debs/upgrade
# the same repacked with a higher version), /t (this directory), /logs,
# /fixtures (tests/fixtures) and /src (the source tree, for autopkgtest).
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
arch=$1 emulated=$2
shift 2
PKGS="slurm-pi slurm-pi-plugins slurm-pi-spank slurm-pi-doc"
case "$arch" in
amd64) MA=x86_64-linux-gnu ;; arm64) MA=aarch64-linux-gnu ;;
armhf) MA=arm-linux-gnueabihf ;; *) MA=unknown ;;
esac
PLUGINS="select_pi_cons_tres task_pi spank_pi_mpi spank_pi_stage spank_pi_thermal"
SNIPPETS="slurm-pi-mpi slurm-pi-stage slurm-pi-thermal"

say() { echo "in-root: $*" >&2; }
pass() { echo "PASS: $1"; }
skip() { echo "SKIP: $1 ($2)"; }
# fail NAME WHY [LOG...]: the failure, then the last lines of each LOG.
fail() {
	local name=$1 why=$2 f
	shift 2
	echo "FAIL: $name ($why)"
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "    --- ${f#/logs/} (last 15 lines)"
		tail -n 15 "$f" | sed 's/^/    | /'
	done
}
# run LOG SECONDS CMD...: CMD with a time limit, stdin /dev/null, its
# output appended to LOG. Status 124 when it timed out.
run() {
	local log=$1 t=$2
	shift 2
	echo "# $*" >>"$log"
	timeout -k 10 "$t" "$@" </dev/null >>"$log" 2>&1
}
status() { [ "$1" = 124 ] && echo "timed out" || echo "exit status $1"; }
# wait_for SECONDS CMD...: until CMD succeeds (each try at most 20 s).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until timeout 20 "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 2
	done
}
debs() { ls /debs/slurm-pi*_"$arch".deb /debs/slurm-pi-doc_*_all.deb; }
# check NAME TEST...: PASS when the test command succeeds, else FAIL.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "${WHY:-check failed}" ${LOGS:-}; fi
}

phase_install() {
	local rc missing="" f have want
	say "apt-get install $(debs | xargs -n1 basename | tr '\n' ' ')"
	run "$L/apt.log" 900 apt-get update -q
	mapfile -t D < <(debs)
	run "$L/apt.log" 1800 apt-get install -y -q "${D[@]}"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "install: apt-get install of the packages" "apt-get: $(status "$rc")" "$L/apt.log"
		return 3
	fi
	pass "install: apt-get install of the packages and their dependencies"
	have=$(dpkg-query -W -f '${Version}' slurm-wlm-basic-plugins)
	want="slurm-wlm-basic-plugins (= $have)"
	WHY="slurm-pi-plugins: Depends: $(dpkg-query -W -f '${Depends}' slurm-pi-plugins)" \
		check "install: slurm-pi-plugins depends on exactly the installed $want" \
		grep -qF "$want" <<<"$(dpkg-query -W -f '${Depends}' slurm-pi-plugins)"
	for f in /usr/bin/slurm-pi /usr/share/man/man1/slurm-pi.1.gz /etc/slurm/slurm-pi.conf \
		/usr/lib/tmpfiles.d/slurm-pi.conf; do
		[ -e "$f" ] || missing="$missing $f"
	done
	for f in $PLUGINS; do [ -e "/usr/lib/$MA/slurm-wlm/$f.so" ] || missing="$missing /usr/lib/$MA/slurm-wlm/$f.so"; done
	for f in $SNIPPETS; do
		[ -e "/usr/share/slurm-pi/plugstack.conf.d/$f.conf" ] ||
			missing="$missing /usr/share/slurm-pi/plugstack.conf.d/$f.conf"
	done
	WHY="missing:$missing" check "install: the files are in place" [ -z "$missing" ]
	WHY="dpkg-query -W -f '\${Conffiles}' slurm-pi: $(dpkg-query -W -f '${Conffiles}' slurm-pi | tr '\n' ' ')" \
		check "install: /etc/slurm/slurm-pi.conf is a conffile of slurm-pi" \
		grep -q '^ /etc/slurm/slurm-pi.conf ' <<<"$(dpkg-query -W -f '${Conffiles}' slurm-pi)"
	f=$(grep -rls 'spank_pi_' /etc/slurm/plugstack.conf /etc/slurm/plugstack.conf.d 2>/dev/null | tr '\n' ' ')
	WHY="enabled by: $f" check "install: the SPANK plugins are not enabled on install" [ -z "$f" ]
}

phase_tools() {
	local out rc ver up slurm want
	out=$(timeout 60 slurm-pi --help 2>&1)
	rc=$?
	echo "$out" >"$L/help.log"
	WHY="$(status "$rc"), or no 'Usage: slurm-pi' line" LOGS=$L/help.log \
		check "tools: slurm-pi --help prints its usage" \
		[ "$rc" = 0 -a -n "$(grep '^Usage: slurm-pi' <<<"$out")" ]
	ver=$(dpkg-query -W -f '${Version}' slurm-pi)
	up=${ver#*:} && up=${up%-*}
	slurm=$(dpkg-query -W -f '${Version}' slurm-wlm-basic-plugins)
	slurm=${slurm#*:} && slurm=${slurm%%-*}
	want="slurm-pi $up (Debian package $ver, built for Slurm $slurm)"
	out=$(timeout 60 slurm-pi --version 2>&1)
	rc=$?
	WHY="$([ "$rc" = 0 ] || echo "$(status "$rc"), ")printed '$out'" \
		check "tools: slurm-pi --version is '$want'" \
		[ "$rc" = 0 -a "$out" = "$want" ]
	rm -rf /root/pi4b && cp -a /fixtures/pi4b /root/pi4b
	out=$(timeout 60 slurm-pi status --root /root/pi4b 2>&1)
	rc=$?
	echo "$out" >"$L/status.log"
	WHY="$(status "$rc"), or no 'Raspberry Pi 4 Model B'" LOGS=$L/status.log \
		check "tools: slurm-pi status --root (tests/fixtures/pi4b) names the Pi 4" \
		[ "$rc" = 0 -a -n "$(grep 'Raspberry Pi 4 Model B' <<<"$out")" ]
	out=$(timeout 120 slurm-pi nodeconf 2>&1)
	rc=$?
	echo "$out" >"$L/nodeconf.log"
	WHY="$(status "$rc"), or no NodeName= line" LOGS=$L/nodeconf.log \
		check "tools: slurm-pi nodeconf prints a NodeName= line" \
		[ "$rc" = 0 -a -n "$(grep '^NodeName=' <<<"$out")" ]
}

# munge with a key of its own, slurmctld and slurmd in the foreground
# (-D) in the background: the end of the session's PID namespace ends them.
cluster_up() {
	# The node's address (slurm.conf.in): Slurm resolves its listening
	# address with AI_ADDRCONFIG, which finds no IPv4 on a loopback-only
	# network (127.0.0.1 does not count).
	ip addr add 10.254.0.1/32 dev lo 2>>"$L/munge.log" ||
		{ fail "cluster: the node's address 10.254.0.1 on lo" "ip addr add failed" "$L/munge.log"; return 1; }
	grep -qs "[[:space:]]$host\$" /etc/hosts || echo "10.254.0.1 $host" >>/etc/hosts
	mkdir -p /var/spool/slurmctld /var/spool/slurmd /home/shared
	sed -e "s/@HOST@/$host/g" -e "s|@LOGS@|$L|g" /t/slurm.conf.in >/etc/slurm/slurm.conf
	mkdir -p /etc/slurm/plugstack.conf.d
	# The snippets as shipped; spank_pi_stage's roots=/home/shared exists.
	ln -sf /usr/share/slurm-pi/plugstack.conf.d/*.conf /etc/slurm/plugstack.conf.d/
	run "$L/munge.log" 120 mungekey --create --force --keyfile=/etc/munge/munge.key &&
		chown munge:munge /etc/munge/munge.key && chmod 0600 /etc/munge/munge.key &&
		install -d -o munge -g munge -m 0755 /run/munge &&
		run "$L/munge.log" 60 runuser -u munge -- /usr/sbin/munged &&
		wait_for 60 sh -c 'munge -n | unmunge'
	[ $? = 0 ] || { fail "cluster: munged starts" "munged or its key" "$L/munge.log" /var/log/munge/munged.log; return 1; }
	say "cluster: starting slurmctld and slurmd"
	slurmctld -D -i >"$L/slurmctld.out" 2>&1 </dev/null &
	if ! wait_for 120 scontrol ping; then
		fail "cluster: slurmctld starts" "scontrol ping: no answer in 120 s" "$L/slurmctld.log" "$L/slurmctld.out"
		return 1
	fi
	slurmd -D >"$L/slurmd.out" 2>&1 </dev/null &
	if ! wait_for 180 sh -c "sinfo -h -n '$host' -o %t | grep -qx idle"; then
		sinfo -N -l >>"$L/slurmd.out" 2>&1
		fail "cluster: the node becomes idle" "not idle in 180 s" "$L/slurmd.log" "$L/slurmd.out" "$L/slurmctld.log"
		return 1
	fi
	pass "cluster: slurmctld and slurmd up, node $host idle ($((SECONDS - t0)) s)"
}

# log_has NAME LOG TEXT: the daemon's log says TEXT.
log_has() {
	WHY="no '$3' in ${2#/logs/}" LOGS=$2 check "$1" grep -qF -- "$3" "$2"
}

# srun_check NAME WANT ARGS...: srun ARGS succeeds and prints WANT.
srun_check() {
	local name=$1 want=$2 out rc
	shift 2
	out=$(timeout -k 5 120 srun "$@" 2>>"$L/srun.err" </dev/null)
	rc=$?
	echo "srun $* -> $rc: $out" >>"$L/srun.log"
	if [ "$rc" = 0 ] && [ "$out" = "$want" ]; then pass "$name"; return 0; fi
	# Under qemu-user, a system call it lacks is qemu's limit, not a bug.
	if [ "$emulated" = yes ] &&
		grep -qiE 'qemu|Function not implemented|Unsupported syscall' "$L/slurmd.log" "$L/srun.err" 2>/dev/null; then
		skip "$name" "qemu-user: $(grep -hiE 'qemu|Function not implemented|Unsupported syscall' "$L/slurmd.log" "$L/srun.err" | tail -n 1)"
	else
		fail "$name" "srun $(status "$rc"), printed '$out', expected '$want'" "$L/srun.err" "$L/slurmd.log"
	fi
	return 1
}

phase_cluster() {
	local t0=$SECONDS host p out rc
	host=$(hostname)
	cluster_up	# its failure is reported; the logs still tell what loaded
	log_has "cluster: slurmctld loaded select/pi_cons_tres" "$L/slurmctld.log" \
		"select/pi_cons_tres: loaded, delegating to select/cons_tres"
	log_has "cluster: slurmd loaded task/pi" "$L/slurmd.log" "task/pi: loaded"
	for p in mpi stage thermal; do
		log_has "cluster: slurmd loaded spank_pi_$p" "$L/slurmd.log" "spank_pi_$p: loaded ("
	done
	if ! sinfo -h -n "$host" -o %t 2>/dev/null | grep -qx idle; then
		skip "cluster: srun" "the node is not up"
		return 0
	fi
	say "cluster: srun (bounded, 120 s each)"
	if srun_check "cluster: srun -N1 hostname" "$host" -N1 hostname; then
		srun_check "cluster: srun --thermal=strict (SLURM_PI_THERMAL=strict in the task)" strict \
			--thermal=strict printenv SLURM_PI_THERMAL
	else
		skip "cluster: srun --thermal=strict" "srun -N1 hostname did not run"
	fi
	out=$(timeout -k 5 60 srun --thermal=bogus true 2>&1 </dev/null)
	rc=$?
	echo "srun --thermal=bogus true -> $rc: $out" >>"$L/srun.log"
	WHY="$(status "$rc"); printed '$out'" \
		check "cluster: srun --thermal=bogus fails naming --thermal and 'bogus'" \
		[ "$rc" != 0 -a "$rc" != 124 -a -n "$(grep -e '--thermal' <<<"$out" | grep bogus)" ]
	cp /var/log/munge/munged.log "$L/" 2>/dev/null
}

# The root's files, less what the package manager and the session own.
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run \
		-o -path /var/log -o -path /var/cache -o -path /var/backups -o -path /var/lib/apt \
		-o -path /var/lib/dpkg -o -path /var/lib/ucf \) -prune -o -printf '%y %p\n' | LC_ALL=C sort
}
# The packages' dependencies that are not slurm-pi packages, for apt-get
# satisfy (so that remove and purge leave exactly the snapshot).
foreign_deps() {
	local d item
	for d in $(debs); do dpkg-deb -f "$d" Depends; done | tr ',' '\n' | while read -r item; do
		case " $PKGS " in *" ${item%% *} "*) continue ;; esac
		[ -n "$item" ] && echo "$item"
	done | sort -u | paste -sd, -
}
dangling_links() {
	local l
	for l in /etc/slurm/plugstack.conf.d/*; do
		[ -L "$l" ] && [ ! -e "$l" ] && case "$(readlink "$l")" in /usr/share/slurm-pi/*) echo "$l" ;; esac
	done
}

phase_lifecycle() {
	local rc sum old new left junk
	say "lifecycle: dependencies, snapshot, install"
	run "$L/apt.log" 900 apt-get update -q
	run "$L/apt.log" 1800 apt-get satisfy -y -q --no-install-recommends "$(foreign_deps)" ||
		{ fail "lifecycle: the dependencies install" "apt-get satisfy" "$L/apt.log"; return 1; }
	snapshot >"$L/files.before"
	mapfile -t D < <(debs)
	run "$L/apt.log" 600 apt-get install -y -q --no-install-recommends "${D[@]}" ||
		{ fail "lifecycle: install" "apt-get install" "$L/apt.log"; return 1; }
	ln -sf /usr/share/slurm-pi/plugstack.conf.d/*.conf /etc/slurm/plugstack.conf.d/
	echo "# a local change (packaging/test-debs.sh)" >>/etc/slurm/slurm-pi.conf
	sum=$(sha256sum /etc/slurm/slurm-pi.conf)
	old=$(dpkg-query -W -f '${Version}' slurm-pi)
	new=$(dpkg-deb -f /debs/upgrade/slurm-pi_*.deb Version)
	say "lifecycle: upgrade $old -> $new"
	run "$L/upgrade.log" 600 dpkg -i /debs/upgrade/*.deb
	rc=$?
	WHY="dpkg -i: $(status "$rc")" LOGS=$L/upgrade.log \
		check "lifecycle: upgrade $old -> $new with dpkg -i, no prompt" \
		[ "$rc" = 0 -a "$(dpkg-query -W -f '${Version}' slurm-pi)" = "$new" ] &&
		WHY="dpkg asked about a conffile" LOGS=$L/upgrade.log \
			check "lifecycle: upgrade asked nothing" \
			sh -c "! grep -q \"Configuration file '\" '$L/upgrade.log'"
	WHY="changed: $(tail -n 2 /etc/slurm/slurm-pi.conf 2>&1 | tr '\n' ' ')" \
		check "lifecycle: the edited /etc/slurm/slurm-pi.conf survives the upgrade" \
		[ "$(sha256sum /etc/slurm/slurm-pi.conf 2>&1)" = "$sum" ]
	junk=$(find / -xdev \( -path /proc -o -path /sys -o -path /var/lib/dpkg \) -prune -o \
		\( -name '*.dpkg-new' -o -name '*.dpkg-old' -o -name '*.dpkg-dist' -o -name '*.dpkg-tmp' \
		-o -name '*.dpkg-bak' -o -name '*.ucf-*' \) -print | tr '\n' ' ')
	WHY="left: $junk" check "lifecycle: no .dpkg-new/.dpkg-old/.dpkg-dist left" [ -z "$junk" ]
	dpkg-query -L $PKGS 2>/dev/null | sort -u >"$L/owned"
	dpkg-query -W -f '${Conffiles}\n' $PKGS | awk 'NF { print $1 }' >"$L/conffiles"
	say "lifecycle: remove"
	run "$L/remove.log" 600 apt-get remove -y -q $PKGS ||
		{ fail "lifecycle: apt-get remove" "apt-get remove failed" "$L/remove.log"; return 1; }
	left=$(while read -r f; do
		[ -d "$f" ] || { [ ! -e "$f" ] && [ ! -L "$f" ]; } || grep -qxF "$f" "$L/conffiles" || echo "$f"
	done <"$L/owned" | tr '\n' ' ')
	WHY="still there: $left" check "lifecycle: remove takes the binaries and plugins away" [ -z "$left" ]
	WHY="gone or changed" check "lifecycle: remove keeps the edited conffile" \
		[ "$(sha256sum /etc/slurm/slurm-pi.conf 2>&1)" = "$sum" ]
	left=$(dangling_links | tr '\n' ' ')
	WHY="dangling: $left; no postrm removes the links to the snippets" \
		check "lifecycle: remove leaves no dangling links in /etc/slurm/plugstack.conf.d" [ -z "$left" ]
	say "lifecycle: purge"
	# apt knows only the removed packages that left conffiles (state rc).
	mapfile -t D < <(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' $PKGS 2>/dev/null |
		awk '$1 == "rc" { print $2 }')
	run "$L/purge.log" 600 apt-get purge -y -q "${D[@]}" ||
		{ fail "lifecycle: apt-get purge" "apt-get purge failed" "$L/purge.log"; return 1; }
	snapshot >"$L/files.after"
	diff "$L/files.before" "$L/files.after" >"$L/files.diff"
	WHY="left: $(sed -n 's/^> . //p' "$L/files.diff" | head -n 8 | tr '\n' ' ')gone: $(sed -n 's/^< . //p' "$L/files.diff" | head -n 8 | tr '\n' ' ')" \
		LOGS=$L/files.diff check "lifecycle: after purge the root's files are as before install" \
		[ ! -s "$L/files.diff" ]
}

# The tests of /src/debian/tests/control, one per line:
# ORDER NAME KIND WHAT RESTRICTIONS DEPENDS (tab-separated; KIND file or
# command; ORDER 1 for breaks-testbed, run last).
autopkgtests() {
	awk -v dflt_dir=debian/tests '
	function flush(   n, i, t, order) {
		if (deps == "") deps = "@"
		order = (restr ~ /breaks-testbed/) ? 1 : 0
		if (cmd != "") {
			ncmd++; print order "\tcommand" ncmd "\tcommand\t" cmd "\t" restr "\t" deps
		} else if (tests != "") {
			n = split(tests, t, /[ ,\t]+/)
			for (i = 1; i <= n; i++) if (t[i] != "")
				print order "\t" t[i] "\tfile\t" (dir == "" ? dflt_dir : dir) "/" t[i] "\t" restr "\t" deps
		}
		tests = cmd = restr = deps = dir = field = ""
	}
	/^#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { v = $0; sub(/^[ \t]+/, "", v); set(field, v, 1); next }
	{ k = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1)
	  sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); field = k; set(k, v, 0) }
	function set(k, v, more) {
		if (k == "tests") tests = more ? tests " " v : v
		else if (k == "test-command") cmd = more ? cmd " " v : v
		else if (k == "restrictions") restr = more ? restr " " v : v
		else if (k == "depends") deps = more ? deps " " v : v
		else if (k == "tests-directory") dir = v
	}
	END { flush() }' /src/debian/tests/control | sort -s -n -k1,1
}

phase_autopkgtest_deps() {
	local deps
	deps=$(autopkgtests | cut -f6 | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
		grep -v -e '^@' -e '^$' | while read -r item; do
			case " $PKGS " in *" ${item%% *} "*) ;; *) echo "$item" ;; esac
		done | sort -u | paste -sd, -)
	[ -n "$deps" ] || return 0
	say "autopkgtest: installing the tests' Depends: $deps"
	run "$L/apt.log" 1800 apt-get satisfy -y -q "$deps" ||
		fail "autopkgtest: the tests' Depends install" "apt-get satisfy '$deps'" "$L/apt.log"
}

phase_autopkgtest() {
	local _order name kind what restr deps r user tmp rc t0 why
	id testuser >/dev/null 2>&1 || useradd -m testuser
	while IFS=$'\t' read -r _order name kind what restr deps; do
		why=""
		for r in $(tr ',' ' ' <<<"$restr"); do
			case "$r" in
			needs-root|allow-stderr|skippable|flaky|breaks-testbed|isolation-container|rw-build-tree|superficial|needs-sudo) ;;
			isolation-machine|needs-reboot) why="restriction $r: this runner is a chroot in namespaces, not a machine" ;;
			needs-internet) why="restriction needs-internet: the test root has only loopback" ;;
			build-needed) why="restriction build-needed: the tree is not built here" ;;
			*) why="unknown restriction $r" ;;
			esac
		done
		case "$deps" in *@builddeps@*) why="Depends @builddeps@ is not supported here" ;; esac
		[ -z "$why" ] || { skip "autopkgtest: $name" "$why"; continue; }
		tmp=$(mktemp -d /tmp/autopkgtest.XXXXXX)
		mkdir "$tmp/tmp" "$tmp/artifacts"
		user=root
		case " $(tr ',' ' ' <<<"$restr") " in *" needs-root "*) ;; *) user=testuser; chown -R testuser "$tmp" ;; esac
		say "autopkgtest: $name (as $user)"
		local cmd=("/src/$what")
		[ "$kind" = command ] && cmd=(sh -ec "$what")
		[ "$kind" = command ] || [ -x "/src/$what" ] || chmod +x "/src/$what"
		t0=$SECONDS
		(cd /src && timeout -k 10 1800 runuser -u "$user" -- env AUTOPKGTEST_TMP="$tmp/tmp" \
			ADTTMP="$tmp/tmp" AUTOPKGTEST_ARTIFACTS="$tmp/artifacts" ADT_ARTIFACTS="$tmp/artifacts" \
			DEBIAN_FRONTEND=noninteractive "${cmd[@]}") </dev/null \
			>"$L/$name.stdout" 2>"$L/$name.stderr"
		rc=$?
		echo "$name: exit $rc after $((SECONDS - t0)) s" >>"$L/summary.log"
		case "$rc:$restr" in
		0:*allow-stderr*) pass "autopkgtest: $name" ;;
		0:*) if [ -s "$L/$name.stderr" ]; then
			fail "autopkgtest: $name" "wrote to stderr without allow-stderr" "$L/$name.stderr"
		     else pass "autopkgtest: $name"; fi ;;
		77:*skippable*) skip "autopkgtest: $name" "exit 77, skippable" ;;
		*:*flaky*) skip "autopkgtest: $name" "flaky test failed: $(status "$rc")" ;;
		*) fail "autopkgtest: $name" "$(status "$rc") after $((SECONDS - t0)) s" "$L/$name.stdout" "$L/$name.stderr" ;;
		esac
	done < <(autopkgtests)
}

rc=0
for phase in "$@"; do
	L=/logs/$phase
	rm -rf "$L" && mkdir -p "$L"
	"phase_${phase//-/_}" || { rc=$?; [ "$rc" = 3 ] && exit 3; }
done
exit 0
