#!/bin/bash
# Build slurm-pi in this tree with every plugin: fetch and configure the
# matching Slurm source (cached in ./slurm-source), run autoreconf and
# configure when needed, then make. Used by demo.sh and test.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

echo "==> Slurm source matching the installed libslurm-dev" >&2
slurm_src=$(scripts/fetch-slurm-source.sh "$top/slurm-source" | tail -n 1)

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	echo "==> autoreconf" >&2
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt config.status ] ||
	! grep -q -- "--with-slurm-source=$slurm_src" config.status 2>/dev/null; then
	echo "==> configure" >&2
	./configure --with-slurm-source="$slurm_src" --with-criterion=yes >/dev/null ||
		{ echo "configure failed; see config.log" >&2; exit 1; }
fi
echo "==> make" >&2
make -j"$(nproc)" >/dev/null 2>make.err || { cat make.err >&2; exit 1; }
# Warnings are bugs here: show any.
grep -E 'warning:' make.err >&2 || true
rm -f make.err
echo "==> built: $(ls plugins/*/.libs/*.so | xargs -n1 basename | tr '\n' ' ')" >&2
