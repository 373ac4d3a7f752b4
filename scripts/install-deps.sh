#!/bin/bash
# Install whatever of a package list is missing, from Debian's own
# packages. Quiet when everything is already there.
#
# usage: scripts/install-deps.sh [LIST]
#   LIST  one Debian package name per line, '#' comments (default:
#         scripts/build-deps.txt, what ./test.sh needs; the packaging test
#         reads packaging/host-deps.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=${1:-$here/build-deps.txt}
[ -r "$list" ] || { echo "install-deps: cannot read the package list '$list'" >&2; exit 2; }

missing=()
while read -r pkg; do
	case "$pkg" in ''|'#'*) continue ;; esac
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done <"$list"

[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "==> installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q "${missing[@]}" >&2
