#!/bin/bash
# Stage-in with the slurm-pi copy engine (common/stage/copy.hpp) against
# `cp -a` and `rsync -a` of the same data, cold, side by side from one run:
# one 1 GiB file, and 20,000 small files (1-16 KiB, 200 a directory).
# Then the same stage-ins warm: through the node cache (common/stage/run.hpp
# with common/stage/cache.hpp, in $SLURM_PI_BENCH_DIR too) after one stage
# that filled it, so every file is a hit, placed as a hard link; their
# times against the faster of cp -a and rsync -a (cold) are the warm ratio.
# `cp -al` (a tree of hard links to the source: no checks, no locks) is
# shown beside them, as the floor of any stage that places every file.
#
#   bench/bench_stage.sh              (root for a cold cache; a few minutes)
#   SLURM_PI_BENCH_REPS=5             rounds (each tool once; median shown)
#   SLURM_PI_BENCH_DIR=/var/tmp       where the data goes (removed after)
#   SLURM_PI_BENCH_SMALL=20000        number of small files
#   SLURM_PI_BENCH_BIG=1G             size of the big file (head -c)
#   SLURM_PI_BENCH_THREADS=4          the engine's copy threads
#
# Source and destination are on the same file system (the one holding
# SLURM_PI_BENCH_DIR), as node-local scratch is on a Pi; the share's NFS
# link is not part of this. Cold: before every run, `sync` and
# `echo 3 > /proc/sys/vm/drop_caches` (root only; otherwise the runs are
# warm and the output says so). A run's time is the copy alone (the
# written data may still be in the page cache, as for all three tools).
# Each tool's first copy is checked against the source (cmp / diff -r).
# One untimed copy per data set first (the first copy after writing the
# data is slow for any tool here), then rounds with the order rotating.
set -euo pipefail
shopt -s inherit_errexit
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SLURM_PI_BUILDDIR:-$top}
bin=$build/bench/bench_stage_copy
reps=${SLURM_PI_BENCH_REPS:-5}
base=${SLURM_PI_BENCH_DIR:-/var/tmp}
small=${SLURM_PI_BENCH_SMALL:-20000}
big=${SLURM_PI_BENCH_BIG:-1G}
threads=${SLURM_PI_BENCH_THREADS:-4}

make -C "$build" bench/bench_stage_copy >/dev/null
for t in cp rsync cmp diff; do
	command -v "$t" >/dev/null || { echo "bench_stage: $t is missing (apt-get install $t)" >&2; exit 2; }
done

work=$(mktemp -d "$base/bench_stage.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM INT
src=$work/share
dst=$work/scratch
mkdir -p "$src" "$dst"

cold=yes
drop_caches()
{
	sync
	if [ "$cold" = yes ] && ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		cold=no
	fi
}
drop_caches
[ "$cold" = yes ] || echo "bench_stage: cannot drop caches (not root?): runs are WARM" >&2

echo "==> data in $work ($(findmnt -no FSTYPE -T "$work" 2>/dev/null || echo '?'))" >&2
head -c "$big" /dev/urandom >"$src/big.dat"
mkdir "$src/small"
"$bin" make-small "$src/small" "$small"

now() { date +%s.%N; }

# run TOOL NAME: one timed copy of $src/NAME to $dst/NAME; prints seconds.
run()
{
	local tool=$1 name=$2 t0 t1
	rm -rf "${dst:?}/$name"
	drop_caches
	t0=$(now)
	case $tool in
	engine) "$bin" copy "$src" "$name" "$dst" "$name" "$threads" >/dev/null ;;
	warm) "$bin" copy "$src" "$name" "$dst" "$name" "$threads" "$cache" >/dev/null ;;
	link) cp -al "$src/$name" "$dst/$name" ;;
	cp) cp -a "$src/$name" "$dst/$name" ;;
	rsync) rsync -a "$src/$name" "$dst/" ;;
	esac
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

verify()
{
	local name=$1
	if [ -d "$src/$name" ]; then
		diff -r "$src/$name" "$dst/$name" >/dev/null
	else
		cmp -s "$src/$name" "$dst/$name"
	fi || { echo "bench_stage: $2 made a different copy of $name" >&2; exit 1; }
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A result times
tools=(engine cp rsync)
for name in big.dat small; do
	# The first copy after the data was written is slow for any tool
	# (the file system settling): one untimed copy first.
	run cp "$name" >/dev/null
	# Rounds, each tool once a round, the order rotating, so that no tool
	# always follows the same one.
	for ((i = 0; i < reps; i++)); do
		for ((k = 0; k < ${#tools[@]}; k++)); do
			tool=${tools[(i + k) % ${#tools[@]}]}
			times[$name.$tool]+="$(run "$tool" "$name") "
			[ "$i" = 0 ] && verify "$name" "$tool"
		done
	done
	for tool in "${tools[@]}"; do
		result[$name.$tool]=$(printf '%s\n' ${times[$name.$tool]} | median)
		echo "    $name $tool: ${times[$name.$tool]}s" >&2
	done
done

# Warm: one stage through the cache fills it (and is checked), then the
# timed rounds, each into a fresh destination, are all hits.
cache=$work/cache
mkdir -m 0755 "$cache"
for name in big.dat small; do
	rm -rf "${dst:?}/$name"
	fill=$("$bin" copy "$src" "$name" "$dst" "$name" "$threads" "$cache")
	echo "    $name warm-up: $fill" >&2
	verify "$name" "warm-up through the cache"
	for ((i = 0; i < reps; i++)); do
		times[$name.warm]+="$(run warm "$name") "
		times[$name.link]+="$(run link "$name") "
	done
	result[$name.link]=$(printf '%s\n' ${times[$name.link]} | median)
	echo "    $name cp -al: ${times[$name.link]}s" >&2
	hits=$("$bin" copy "$src" "$name" "$dst" "$name.check" "$threads" "$cache")
	case $hits in
	*" 0 misses, 0 bypassed, 0 failed;"*) ;;
	*) echo "bench_stage: the warm stage of $name was not all hits: $hits" >&2; exit 1 ;;
	esac
	verify "$name" "the warm stage"
	result[$name.warm]=$(printf '%s\n' ${times[$name.warm]} | median)
	echo "    $name warm: ${times[$name.warm]}s" >&2
done
rm -rf "${dst:?}"/*

label() { [ "$1" = big.dat ] && echo "$big file" || echo "$small small files"; }
echo "stage-in, $([ "$cold" = yes ] && echo cold || echo WARM) cache, median of $reps rounds, engine threads $threads"
printf '%-20s %10s %10s %10s %14s\n' "" engine "cp -a" "rsync -a" "best/engine"
for name in big.dat small; do
	e=${result[$name.engine]} c=${result[$name.cp]} r=${result[$name.rsync]}
	awk -v l="$(label "$name")" -v e="$e" -v c="$c" -v r="$r" 'BEGIN {
		best = c < r ? c : r
		printf "%-20s %9.2fs %9.2fs %9.2fs %13.2fx\n", l, e, c, r, best / e }'
done
echo "(best/engine: the faster of cp -a and rsync -a over the engine's time; >= 1 is the engine faster; target >= 0.9)"
echo
echo "stage-in through the node cache, warm (every file a hit, a hard link), median of $reps rounds"
printf '%-20s %10s %14s %10s %14s\n' "" warm "best/warm" "cp -al" "best/cp -al"
for name in big.dat small; do
	w=${result[$name.warm]} c=${result[$name.cp]} r=${result[$name.rsync]} l=${result[$name.link]}
	awk -v l="$(label "$name")" -v w="$w" -v c="$c" -v r="$r" -v k="$l" 'BEGIN {
		best = c < r ? c : r
		printf "%-20s %9.3fs %13.1fx %9.3fs %13.1fx\n", l, w, (w > 0 ? best / w : 0),
			k, (k > 0 ? best / k : 0) }'
done
echo "(best/warm: the faster of cp -a and rsync -a, cold, over the warm stage's time; target >= 20;"
echo " cp -al: hard links only, the floor of placing every file)"
