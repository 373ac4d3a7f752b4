#!/bin/bash
# stagefs, the FUSE layer that stands in for the NFS share, on its own:
# copies through it arrive intact, its byte counter counts what was read,
# the kernel checks permissions against the caller, and both ways to hang
# it (the hang command; SIGSTOP of the daemon) block callers the way a
# hung NFS hard mount does, while every caller stays killable and the
# cleanup releases them all.
#
# Root, in a private mount namespace (it re-runs itself under unshare -m),
# so that its mounts are nobody else's. TAP on stdout; "1..0 # SKIP" when
# not root, without /dev/fuse or without a built stagefs. Every step is
# bounded by a timeout, and the whole run by one (TEST_TIMEOUT, 120 s).
set -u

srcdir=${SLURM_PI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${SLURM_PI_BUILDDIR:-$srcdir}
STAGEFS=${STAGEFS:-$builddir/tests/stagefs/stagefs}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root (FUSE mounts with allow_other, a private mount namespace)"
[ -c /dev/fuse ] || skip_all "/dev/fuse is missing"
[ -x "$STAGEFS" ] || skip_all "$STAGEFS is not built (configure did not find libfuse3-dev)"
for tool in unshare setpriv timeout cmp diff; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not found"
done

if [ -z "${STAGEFS_TEST_IN_NS:-}" ]; then
	STAGEFS_TEST_IN_NS=1 exec timeout -k 5 "${TEST_TIMEOUT:-120}" \
		unshare -m --propagation private "$BASH" "$0" "$@"
fi

tmp=$(mktemp -d /tmp/stagefs-test.XXXXXX) || exit 1
chmod 755 "$tmp" # the user 'nobody' goes through it to the mount
TAP_COUNTER=$tmp/tap.count
. "$srcdir/tests/cluster/lib/tap.sh"
back=$tmp/back mnt=$tmp/mnt sock=$tmp/ctl.sock stats=$tmp/stats
mkdir "$back" "$mnt"
chmod 755 "$back"
daemon=

# Never leave a daemon or a mount behind: kill the daemon first (that
# releases every waiting caller), then unmount, then delete.
cleanup()
{
	[ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null
	umount -l "$mnt" 2>/dev/null
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# proc_state PID: its state letter (R, S, D, T, Z), empty once reaped.
proc_state() { sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null; }

# wait_exit VAR PID SECONDS: wait up to SECONDS for a child of this shell
# to end; set VAR to its exit status, or to "running". (Not a $(...):
# a subshell cannot wait for this shell's children.)
wait_exit()
{
	local -n _rc=$1
	local pid=$2 n=$(( $3 * 10 )) st
	while [ "$n" -gt 0 ]; do
		st=$(proc_state "$pid")
		if [ -z "$st" ] || [ "$st" = Z ]; then
			wait "$pid"; _rc=$?; return
		fi
		sleep 0.1; n=$(( n - 1 ))
	done
	_rc=running
}

ctl() { timeout 10 "$STAGEFS" ctl "$sock" "$@"; }
stat_value() { sed -n "s/^$1=//p"; }
# until_stat NAME VALUE SECONDS: wait until the daemon's counter says so.
until_stat()
{
	local n=$(( $3 * 10 ))
	while [ "$n" -gt 0 ]; do
		[ "$(ctl stats 2>/dev/null | stat_value "$1")" = "$2" ] && return 0
		sleep 0.1; n=$(( n - 1 ))
	done
	return 1
}

# start_daemon: mount $back on $mnt; the daemon dies with this shell.
start_daemon()
{
	rm -f "$sock"
	setpriv --pdeathsig KILL "$STAGEFS" "$back" "$mnt" -f -o allow_other \
		--control="$sock" --stats="$stats" --stats-interval=100 &
	daemon=$!
	local n=100
	while [ "$n" -gt 0 ]; do
		[ -S "$sock" ] && ctl ping >/dev/null 2>&1 && return 0
		sleep 0.1; n=$(( n - 1 ))
	done
	return 1
}

# The mount's connection number (its minor device number), read from
# mountinfo: stat(2) of a hung mount would hang.
# same DESC GOT EXPECTED: is, but an empty EXPECTED fails (both sides broken).
same() { if [ -z "$3" ]; then fail "$1" "nothing to compare with"; else is "$@"; fi; }

conn_of() { awk -v m="$1" '$5 == m { split($3, d, ":"); print d[2] }' /proc/self/mountinfo; }

echo "1..31"

# ---------------------------------------------------------------- mount
# Not through check: its $(...) would start the daemon in a subshell.
if start_daemon; then pass "stagefs mounts $back on $mnt"; else fail "stagefs mounts $back on $mnt"; fi
like "the mount is a fuse.stagefs mount with default_permissions" \
	"$(awk -v m="$mnt" '$5 == m' /proc/self/mountinfo)" 'fuse\.stagefs .*default_permissions.*allow_other|fuse\.stagefs .*allow_other.*default_permissions'

# ---------------------------------------------------------------- copies
src=$tmp/src
mkdir -p "$src/sub/deeper" "$src/empty-dir"
: >"$src/empty"
printf x >"$src/one-byte"
head -c 4097 /dev/urandom >"$src/page-and-one"
head -c 1048576 /dev/urandom >"$src/sub/one-mib"
head -c 300000 /dev/urandom >"$src/sub/deeper/odd size"
ln -s ../one-byte "$src/sub/link"
chmod 640 "$src/sub/one-mib"
touch -d '2001-02-03 04:05:06' "$src/page-and-one"

check "cp -a into the mount: every file arrives intact (diff -r)" \
	sh -c "timeout 30 cp -a '$src' '$mnt/cp' && diff -r --no-dereference '$src' '$back/cp'"
check "cp -a out of the mount: intact too" \
	sh -c "timeout 30 cp -a '$mnt/cp' '$tmp/out' && diff -r --no-dereference '$src' '$tmp/out'"
same "modes, mtimes and the symlink come through (stat of the mount = stat of the backing file)" \
	"$(cd "$mnt/cp" && timeout 10 stat -c '%n %a %Y %s %N' page-and-one sub/one-mib sub/link)" \
	"$(cd "$back/cp" && stat -c '%n %a %Y %s %N' page-and-one sub/one-mib sub/link)"
same "inode numbers are the backing directory's (a cache key stays stable)" \
	"$(timeout 10 stat -c %i "$mnt/cp/sub/one-mib")" "$(stat -c %i "$back/cp/sub/one-mib")"
if command -v rsync >/dev/null 2>&1; then
	check "rsync -a into the mount, then a second rsync finds nothing to do" \
		sh -c "timeout 30 rsync -a '$src/' '$mnt/rsync/' && diff -r --no-dereference '$src' '$back/rsync' &&
			[ -z \"\$(timeout 30 rsync -ai '$src/' '$mnt/rsync/')\" ]"
else
	skip "rsync -a into the mount" "rsync is not installed"
fi
check "rename, truncate, chmod, unlink, rmdir through the mount" \
	timeout 10 sh -c "cd '$mnt/cp' && mv sub/one-mib sub/moved && truncate -s 10 sub/moved &&
		chmod 600 sub/moved && [ \"\$(stat -c %s.%a '$back/cp/sub/moved')\" = 10.600 ] &&
		rm sub/moved && rmdir empty-dir && [ ! -e '$back/cp/sub/moved' ] && [ ! -e '$back/cp/empty-dir' ]"

cp /bin/echo "$back/echo"
is "a program on the mount runs (exec passes the kernel's __FMODE_EXEC)" \
	"$(timeout 10 "$mnt/echo" ran 2>&1)" ran

# ---------------------------------------------------------------- counting
big=$back/big
head -c $(( 10 * 1048576 )) /dev/urandom >"$big"
chmod 644 "$big"
ctl reset >/dev/null
timeout 20 cat "$mnt/big" >/dev/null
s=$(ctl stats)
got=$(stat_value bytes_read <<<"$s")
check "reading a 10 MiB file counts 10 MiB, within a page (got $got)" \
	test "$got" -ge $(( 10 * 1048576 )) -a "$got" -le $(( 10 * 1048576 + 4096 ))
is "and one file opened" "$(stat_value opens <<<"$s")" 1
ctl reset >/dev/null
timeout 20 cat "$mnt/big" >/dev/null
timeout 20 cat "$mnt/big" >/dev/null
got=$(stat_value bytes_read <<<"$(ctl reset)")
check "reading it twice counts twice (direct_io: no page cache in between; got $got)" \
	test "$got" -ge $(( 20 * 1048576 )) -a "$got" -le $(( 20 * 1048576 + 8192 ))
# The stats file, outside the mount: fresh after SIGUSR1 (seq moves on).
timeout 20 cmp "$mnt/big" "$big" >/dev/null
seq0=$(stat_value seq <"$stats")
kill -USR1 "$daemon"
n=50; while [ "$n" -gt 0 ] && [ "$(stat_value seq <"$stats")" = "$seq0" ]; do sleep 0.1; n=$(( n - 1 )); done
is "the stats file (rewritten atomically) counts the cmp's 10 MiB" \
	"$(stat_value bytes_read <"$stats")" $(( 10 * 1048576 ))

# ---------------------------------------------------------------- permissions
as_nobody() { timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
echo secret >"$back/private"; chmod 600 "$back/private"
echo public >"$back/public"; chmod 644 "$back/public"
mkdir "$back/nobodys"; chown nobody:nogroup "$back/nobodys"
like "nobody cannot read root's 0600 file through the mount" \
	"$(as_nobody cat "$mnt/private" 2>&1)" 'Permission denied'
is "but reads a 0644 file" "$(as_nobody cat "$mnt/public" 2>&1)" public
echo grp >"$back/grp"; chown root:users "$back/grp"; chmod 640 "$back/grp"
is "a supplementary group counts: nobody reads a 0640 file of group users only with that group" \
	"$(timeout 10 setpriv --reuid=nobody --regid=nogroup --groups=users cat "$mnt/grp" 2>&1),$(as_nobody cat "$mnt/grp" 2>&1 | grep -o 'Permission denied')" \
	"grp,Permission denied"
like "nobody cannot create a file in root's directory" \
	"$(as_nobody touch "$mnt/nobody-was-here" 2>&1)" 'Permission denied'
is "what nobody creates in its own directory is nobody's, with the umask's mode" \
	"$(as_nobody sh -c "umask 027; echo hi >'$mnt/nobodys/f' && mkdir '$mnt/nobodys/d'" 2>&1 &&
		stat -c '%U:%G %a' "$back/nobodys/f" "$back/nobodys/d" | tr '\n' ' ')" \
	"nobody:nogroup 640 nobody:nogroup 750 "

# ---------------------------------------------------------------- hang
echo data >"$back/file"
ctl hang >/dev/null
start=$(date +%s%N)
timeout 3 stat "$mnt/file" >/dev/null 2>&1 &
tpid=$!
until_stat blocked 1 2
s=$(ctl stats)
is "hang: stat waits in the daemon (blocked=1, the control socket still answers)" \
	"$(stat_value blocked <<<"$s"),$(stat_value hung <<<"$s")" "1,1"
wait_exit rc "$tpid" 8
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "timeout 3 stat on the hung mount ends by the timeout: exit 124 after ${elapsed} ms (rc $rc)" \
	test "$rc" = 124 -a "$elapsed" -ge 2900
# A caller without a timeout: asleep, and SIGKILL ends it. It sleeps in S
# with bookworm's libfuse 3.14; with trixie's 3.17 it shows D, a killable
# wait (seen on the same kernel). What a user needs is that SIGKILL ends it.
stat "$mnt/file" >/dev/null 2>&1 &
spid=$!
until_stat blocked 1 5
st=$(proc_state "$spid")
kill -KILL "$spid"
wait_exit rc "$spid" 3
like "a caller of the hung mount sleeps (S or D) and SIGKILL ends it (like an NFS hard mount)" "$st,$rc" '^[SD],137$'
ctl resume >/dev/null
is "resume: stat answers again, and nothing waits in the daemon" \
	"$(timeout 3 cat "$mnt/file"),$(stat_value blocked <<<"$(ctl stats)")" "data,0"
kill -USR2 "$daemon"
until_stat hung 1 5
timeout 1 stat "$mnt/file" >/dev/null 2>&1; rc1=$?
kill -s RTMIN+1 "$daemon"
until_stat hung 0 5
timeout 3 stat "$mnt/file" >/dev/null 2>&1; rc2=$?
is "SIGUSR2 hangs it, SIGRTMIN+1 resumes it" "$rc1,$rc2" "124,0"

# ---------------------------------------------------------------- SIGSTOP
# Every thread of the daemon must have stopped before the mount is
# touched: a request that arrives while SIGSTOP is being delivered can be
# taken by a worker thread on its way to the stop, and its caller then
# cannot be killed until the daemon continues or dies.
stop_daemon()
{
	kill -STOP "$daemon" || return 1
	local n=50 t running
	while [ "$n" -gt 0 ]; do
		running=0
		for t in /proc/"$daemon"/task/*/stat; do
			[ "$(sed 's/.*) //; s/ .*//' "$t" 2>/dev/null)" = T ] || running=1
		done
		[ "$running" = 0 ] && return 0
		sleep 0.1; n=$(( n - 1 ))
	done
	return 1
}
if stop_daemon; then pass "SIGSTOP: every thread of the daemon stops"; else fail "SIGSTOP: every thread of the daemon stops"; fi
timeout 3 stat "$mnt/file" >/dev/null 2>&1 &
tpid=$!
stat "$mnt/file" >/dev/null 2>&1 &
spid=$!
sleep 0.5
st=$(proc_state "$spid")
wait_exit rc "$tpid" 8
kill -KILL "$spid"
wait_exit rc2 "$spid" 3
like "SIGSTOP of the daemon: stat sleeps (S or D), timeout 3 ends one (124), SIGKILL the other (137)" \
	"$st,$rc,$rc2" '^[SD],124,137$'
kill -CONT "$daemon"
is "SIGCONT: the mount answers again" "$(timeout 3 cat "$mnt/file")" data

# ---------------------------------------------------------------- cleanup
# The abort file of fusectl releases a caller the daemon holds, without
# killing the daemon; the daemon then leaves (its connection is gone).
conn=$(conn_of "$mnt")
ctl hang >/dev/null
stat "$mnt/file" >/dev/null 2>&1 &
spid=$!
until_stat blocked 1 5
if { mountpoint -q /sys/fs/fuse/connections ||
	mount -t fusectl none /sys/fs/fuse/connections; } 2>/dev/null &&
	[ -e "/sys/fs/fuse/connections/$conn/abort" ]; then
	echo 1 >"/sys/fs/fuse/connections/$conn/abort"
	wait_exit rc "$spid" 3
	wait_exit drc "$daemon" 5
	[ "$drc" != running ] && daemon=
	is "abort via /sys/fs/fuse/connections/$conn/abort: the waiting stat fails (1), the daemon exits" \
		"$rc,$(test "$drc" != running && echo exited)" "1,exited"
else
	# No fusectl: end the connection by killing the daemon instead.
	kill -KILL "$daemon"; wait_exit drc "$daemon" 5; daemon=
	wait_exit rc "$spid" 3
	skip "abort via /sys/fs/fuse/connections" "fusectl cannot be mounted here"
fi
like "the aborted mount says so" "$(timeout 3 stat "$mnt/file" 2>&1)" 'Transport endpoint is not connected'
check "umount -l removes it" sh -c "umount -l '$mnt' && ! awk -v m='$mnt' '\$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo"

# SIGKILL of a hung (and stopped) daemon releases its callers too.
if start_daemon; then pass "stagefs mounts again"; else fail "stagefs mounts again"; fi
ctl hang >/dev/null
stat "$mnt/file" >/dev/null 2>&1 &
spid=$!
until_stat blocked 1 5
kill -STOP "$daemon"
kill -KILL "$daemon"
wait_exit drc "$daemon" 5
wait_exit rc "$spid" 3
umount -l "$mnt" 2>/dev/null
is "kill -KILL of the hung, stopped daemon: the waiting stat fails (1), the mount goes with umount -l" \
	"$drc,$rc,$(awk -v m="$mnt" '$5 == m' /proc/self/mountinfo)" "137,1,"
daemon=

done_testing
