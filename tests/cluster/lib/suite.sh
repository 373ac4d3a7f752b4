# Sourced first by every tests/cluster/t_*.sh.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$CLUSTER_DIR/lib/tap.sh"
. "$CLUSTER_DIR/lib/jobs.sh"
CLUSTER="$CLUSTER_DIR/cluster"
