#!/bin/bash
# spank_pi_mpi end to end, on nodes with the interfaces that break Open MPI
# on real Pi clusters (`cluster decoys on`: a docker0 with the same address
# on every node, a wlan0 that links to nothing):
#   - mpi_hello and a checked 16 MB MPI_Allreduce run on 4 nodes with
#     srun (no --mpi: PMIx is the plugin's default) and with mpirun inside
#     sbatch;
#   - the same without the plugin's wiring hangs (bounded here): what the
#     plugin removes, measured;
#   - --mpi-iface and --mpi-wiring do what they say, the user's own
#     OMPI_MCA_* survive, a missing or down interface fails the step naming
#     it and the node, a typo stops at submit;
#   - a node without PMIx (library or plugin hidden) fails a PMIx job with
#     the package to install, and stays up;
#   - mpirun as root gets the fix printed;
#   - a wrong plugstack.conf argument is named, and jobs still run.
. "$(dirname "$0")/lib/suite.sh"
plan 50

dir=$(mktemp -d "$SHARED_DIR/mpi.XXXXXX")
chown "$JOB_USER" "$dir"
cp "$ETC/plugstack.conf" "$dir/plugstack.conf.saved"
cleanup()
{
	cp "$dir/plugstack.conf.saved" "$ETC/plugstack.conf"
	for n in pi1 pi2 pi3 pi4; do "$CLUSTER" pmix "$n" show >/dev/null 2>&1; done
	"$CLUSTER" exec pi2 ip link set wlan0 up >/dev/null 2>&1
	"$CLUSTER" decoys off >/dev/null 2>&1
	rm -rf --one-file-system "$dir"
}
trap cleanup EXIT

idle() { state_is "$1" 'idle|none'; }
# Run a command as the job user from $dir; stdout+stderr, exit code in $rc.
run() { out=$(cd "$dir" && as_user "$@" 2>&1); rc=$?; }
hello_ranks() { grep -c "Hello from processor [0-3] of 4" <<<"$1"; }
ALLREDUCE_OK='allreduce ok: ranks=4 nodes=4 bytes=16777216'
# Open MPI 4 (bookworm) and 5 (trixie) are wired differently: 5 renamed the
# shared-memory BTL (vader -> sm), and its runtime is PRRTE's, which gets
# the interface by name (PRTE_MCA_prte_if_include) where 4's took the
# network (OMPI_MCA_oob_tcp_if_include).
ompi_major=$(mpirun --version 2>/dev/null | sed -n 's/^mpirun (Open MPI) \([0-9]*\)\..*/\1/p')
if [ "${ompi_major:-4}" -ge 5 ]; then
	BTL=self,sm,tcp OOB_VAR=PRTE_MCA_prte_if_include OOB_AUTO=eth0
else
	BTL=self,vader,tcp OOB_VAR=OMPI_MCA_oob_tcp_if_include OOB_AUTO=10.77.0.0/24
fi
# Slurm 24.11 puts OMPI_MCA_plm_slurm_args=--external-launcher in every
# job's environment (env.c, set_env_from_opts), and its mpi/pmix puts
# OMPI_MCA_orte_precondition_transports (a key made of the job and step
# ids, pmixp_info.c) in every PMIx step's; count the others.
count_ompi_mca='env | grep "^OMPI_MCA_" | grep -vEc "^OMPI_MCA_(plm_slurm_args|orte_precondition_transports)=" || true'

[ -x "$DEMO_DIR/mpi_hello" ] || stage_seed_jobs
install -o "$JOB_USER" -m 0755 "$DEMO_DIR/mpi_hello" "$dir/mpi_hello"
install -o "$JOB_USER" -m 0644 "$CLUSTER_DIR/mpi/allreduce.c" "$dir/allreduce.c"
run mpicc -O2 -o allreduce allreduce.c
is "allreduce.c builds with mpicc" "$rc" 0
cat >"$dir/mpirun_hello.sh" <<'EOF'
#!/bin/bash
#SBATCH -N4 -n4
mpirun ./mpi_hello
EOF
cat >"$dir/mpirun_allreduce.sh" <<'EOF'
#!/bin/bash
#SBATCH -N4 -n4
mpirun ./allreduce 16
EOF
chown "$JOB_USER" "$dir"/*.sh

like "slurmd loaded spank_pi_mpi with its defaults" "$(slurmd_log pi1)" \
	"spank_pi_mpi: loaded \\(iface=auto pml=ob1 btl=$BTL pmix-default=yes"

# --- the decoys
check "decoys on" "$CLUSTER" decoys on
addrs=$("$CLUSTER" exec pi3 ip -br -4 addr)
like "pi3 has a docker0 with the address every node has" "$addrs" '^docker0@[^ ]* +UP +172\.17\.0\.1/16'
like "pi3 has a wlan0 on a subnet no other node is linked to" "$addrs" '^wlan0@[^ ]* +UP +192\.168\.50\.13/24'

# --- with the plugin: srun
run srun -N4 -n4 ./mpi_hello
is "srun -N4 -n4 mpi_hello (no --mpi, no MCA settings) exits 0" "$rc" 0
is "all 4 ranks report" "$(hello_ranks "$out")" 4
run srun -N4 -n4 ./allreduce 16
is "srun -N4 -n4 allreduce 16 MB exits 0" "$rc" 0
like "the 16 MB MPI_Allreduce is right element by element, across 4 nodes" "$out" "$ALLREDUCE_OK"
run srun -Q -N1 printenv SLURM_MPI_TYPE OMPI_MCA_btl_tcp_if_include "$OOB_VAR" OMPI_MCA_pml OMPI_MCA_btl
is "a step sees PMIx and the cluster network (10.77.0.0/24, eth0's) for btl and the runtime, pml ob1, btl $BTL" \
	"$(tr '\n' ' ' <<<"$out")" "pmix 10.77.0.0/24 $OOB_AUTO ob1 $BTL "

# --- with the plugin: mpirun inside sbatch (as in the guide's mpi_job.sh)
id=$(submit "$dir" -o hello.out mpirun_hello.sh)
is "sbatch: mpirun mpi_hello on 4 nodes completes" "$(wait_job "$id" 120)" COMPLETED
is "sbatch: all 4 ranks report" "$(hello_ranks "$(cat "$dir/hello.out" 2>/dev/null)")" 4
id=$(submit "$dir" -o allreduce.out mpirun_allreduce.sh)
is "sbatch: mpirun allreduce completes" "$(wait_job "$id" 120)" COMPLETED
like "sbatch: the 16 MB MPI_Allreduce through mpirun is right" "$(cat "$dir/allreduce.out" 2>/dev/null)" "$ALLREDUCE_OK"

# --- without the plugin's wiring (--mpi-wiring=off: the plugin sets
# nothing, exactly as if it were not loaded, except PMIx as srun's MPI type)
# Open MPI 4 waits on the decoy address (docker0's 172.17.0.1, which every
# node has) forever. Open MPI 5 either hangs the same way ("accepted a TCP
# connection from what appears to be another Open MPI process") or gets
# "connection refused" there and aborts; which one varies from run to run.
run timeout 30 srun --mpi-wiring=off -N4 -n4 ./allreduce 16
unlike "without wiring, srun's allreduce does not complete across the decoys" "$out" "allreduce ok"
if [ "${ompi_major:-4}" -ge 5 ]; then
	ok_rc=$([ "$rc" != 0 ] && echo yes || echo "no: $rc")
	is "without wiring, srun's allreduce hangs until the 30 s timeout or fails" "$ok_rc" yes
else
	is "without wiring, srun's allreduce hangs until the 30 s timeout" "$rc" 124
fi
id=$(submit "$dir" --mpi-wiring=off -o nowire.out mpirun_allreduce.sh)
running() { [ "$(job_state "$1")" = RUNNING ]; }
wait_for 30 running "$id"
sleep 20
unlike "without wiring, mpirun's allreduce has not completed after 20 s" \
	"$(cat "$dir/nowire.out" 2>/dev/null)" "allreduce ok"
if [ "${ompi_major:-4}" -ge 5 ]; then
	like "without wiring, the mpirun job is still hanging (RUNNING) or has failed after 20 s" \
		"$(job_state "$id")" '^(RUNNING|FAILED)$'
else
	is "without wiring, the mpirun job is still hanging (RUNNING) after 20 s" "$(job_state "$id")" RUNNING
fi
scancel "$id"
wait_job "$id" 60 >/dev/null

# --- --mpi-iface
run srun -N4 -n4 --mpi-iface=eth0 ./allreduce 16
like "--mpi-iface=eth0: the allreduce is right" "$out" "$ALLREDUCE_OK"
run srun -Q -N1 --mpi-iface=eth0 printenv OMPI_MCA_btl_tcp_if_include "$OOB_VAR"
is "--mpi-iface=eth0 sets eth0 for btl and the runtime ($OOB_VAR)" "$(tr '\n' ' ' <<<"$out")" "eth0 eth0 "
run srun -N4 -n4 --mpi-iface=10.77.0.0/24 ./allreduce 16
like "--mpi-iface=10.77.0.0/24 (a network): the allreduce is right" "$out" "$ALLREDUCE_OK"
run env SLURM_PI_MPI_IFACE=eth0 srun -Q -N1 printenv OMPI_MCA_btl_tcp_if_include
is "SLURM_PI_MPI_IFACE=eth0 works as --mpi-iface" "$out" eth0

# --- --mpi-wiring=off
run srun -Q -N1 --mpi-wiring=off sh -c "$count_ompi_mca"
is "--mpi-wiring=off: a step gets no OMPI_MCA_ variable" "$out" 0

# --- nested steps: the batch script's wiring, and an srun inside it
cat >"$dir/nested.sh" <<'EOF'
#!/bin/bash
#SBATCH -N1
echo "script: $OMPI_MCA_btl_tcp_if_include"
echo "step: $(srun printenv OMPI_MCA_btl_tcp_if_include)"
echo "iface: $(srun --mpi-iface=eth0 printenv OMPI_MCA_btl_tcp_if_include)"
echo "off: $(srun --mpi-wiring=off sh -c 'env | grep ^OMPI_MCA_ | grep -vEc "^OMPI_MCA_(plm_slurm_args|orte_precondition_transports)="')"
export OMPI_MCA_btl_tcp_if_include=eth0
echo "mine: $(srun printenv OMPI_MCA_btl_tcp_if_include)"
EOF
chown "$JOB_USER" "$dir/nested.sh"
id=$(submit "$dir" -o nested.out nested.sh)
wait_job "$id" 60 >/dev/null
nested=$(cat "$dir/nested.out" 2>/dev/null)
like "the batch script gets the wiring (mpirun inherits it)" "$nested" '^script: 10\.77\.0\.0/24$'
like "an srun inside it gets it too" "$nested" '^step: 10\.77\.0\.0/24$'
like "an srun --mpi-iface=eth0 inside it replaces the script's wiring" "$nested" '^iface: eth0$'
like "an srun --mpi-wiring=off inside it removes the script's wiring" "$nested" '^off: 0$'
like "a value the script exports itself is kept by its sruns" "$nested" '^mine: eth0$'

# --- the user's own settings survive
run env OMPI_MCA_btl_tcp_if_include=eth0 srun -Q -N1 printenv OMPI_MCA_btl_tcp_if_include "$OOB_VAR"
is "a user's OMPI_MCA_btl_tcp_if_include=eth0 survives (the runtime still wired)" "$(tr '\n' ' ' <<<"$out")" "eth0 $OOB_AUTO "
run env OMPI_MCA_btl_tcp_if_exclude=docker0,wlan0,lo srun -Q -N1 sh -c 'echo "${OMPI_MCA_btl_tcp_if_include:-unset} $OMPI_MCA_btl_tcp_if_exclude"'
is "a user's btl_tcp_if_exclude is kept, and no include is added (Open MPI refuses both)" "$out" "unset docker0,wlan0,lo"
run env OMPI_MCA_btl_tcp_if_exclude=docker0,wlan0,lo srun -N4 -n4 ./allreduce 16
like "with the user's exclude list, the allreduce is right" "$out" "$ALLREDUCE_OK"

# --- a missing or down interface: the step fails, naming it and the node
run srun -N1 -w pi3 --mpi-iface=eth7 ./mpi_hello
isnt_zero=$([ "$rc" != 0 ] && echo yes || echo no)
is "--mpi-iface=eth7 (no such interface): the step fails" "$isnt_zero" yes
like "... and says which interface and which node" "$out" "slurm-pi mpi: pi3: interface 'eth7' \(from --mpi-iface\) does not exist"
wait_for 20 idle pi3
like "... and pi3 stays up (not drained or down)" "$(node_state pi3)" '^(idle|mixed|allocated|completing)\|none$'
"$CLUSTER" exec pi2 ip link set wlan0 down
run timeout 60 srun -N4 -n4 --mpi-iface=wlan0 ./mpi_hello
like "--mpi-iface=wlan0 with wlan0 down on pi2: the step fails naming pi2 and wlan0" "$out" \
	"slurm-pi mpi: pi2: interface 'wlan0' \(from --mpi-iface\) is down"
"$CLUSTER" exec pi2 ip link set wlan0 up
wait_for 20 idle pi2
like "... and pi2 stays up (not drained or down)" "$(node_state pi2)" '^(idle|mixed|allocated|completing)\|none$'

# --- typos stop at submit
run srun -N1 --mpi-iface='eth0;rm' true
like "srun --mpi-iface='eth0;rm' is refused, naming the option" "$out" \
	"slurm-pi mpi: --mpi-iface: 'eth0;rm' is not an interface name"
run sbatch --mpi-wiring=maybe --wrap true
like "sbatch --mpi-wiring=maybe is refused, naming the option" "$out" \
	"slurm-pi mpi: --mpi-wiring: 'maybe' is not on or off"
run env SLURM_PI_MPI_IFACE=10.0.0.0/33 sbatch --wrap true
like "SLURM_PI_MPI_IFACE=10.0.0.0/33 is refused, naming the variable" "$out" \
	"slurm-pi mpi: SLURM_PI_MPI_IFACE: '10.0.0.0/33' is not an IPv4 network"

# --- a node without PMIx
"$CLUSTER" pmix pi2 hide-lib >/dev/null
run srun -N4 -n4 ./mpi_hello
isnt_zero=$([ "$rc" != 0 ] && echo yes || echo no)
is "libpmix.so hidden on pi2: the PMIx job fails" "$isnt_zero" yes
like "... with the package to install on pi2 in srun's output" "$out" \
	"slurm-pi mpi: pi2: srun --mpi=pmix cannot start here: the PMIx library .* is missing. Install the package libpmix-dev on pi2"
wait_for 20 idle pi2
like "... and pi2 stays up (not drained or down)" "$(node_state pi2)" '^(idle|mixed|allocated|completing)\|none$'
run srun -N4 -n4 --mpi=none hostname
is "... while a job that does not use PMIx still runs on pi2" "$rc" 0
"$CLUSTER" pmix pi2 show >/dev/null
"$CLUSTER" pmix pi3 hide-plugin >/dev/null
run srun -N4 -n4 ./mpi_hello
like "mpi_pmix.so hidden on pi3: the message names slurm-wlm-basic-plugins and pi3" "$out" \
	"slurm-pi mpi: pi3: srun --mpi=pmix cannot start here: Slurm's mpi/pmix plugin .* is missing. Install the package slurm-wlm-basic-plugins on pi3"
"$CLUSTER" pmix pi3 show >/dev/null
wait_for 20 idle pi3
run srun -N4 -n4 ./mpi_hello
is "PMIx back on every node: mpi_hello runs again on 4 nodes" "$(hello_ranks "$out")" 4

# --- mpirun as root
id=$(cd "$dir" && sbatch --parsable -N1 -n1 -o root.out mpirun_hello.sh 2>&1 | cut -d';' -f1)
wait_job "$id" 60 >/dev/null
like "root's mpirun job: the fix is in the job's output" "$(cat "$dir/root.out" 2>/dev/null)" \
	"slurm-pi mpi: pi[0-9]: this job runs as root, and Open MPI's mpirun refuses to run as root.*sudo -u pi sbatch"
id=$(cd "$dir" && sbatch --parsable -N1 -n1 -o root2.out --wrap 'srun hostname' 2>&1 | cut -d';' -f1)
wait_job "$id" 60 >/dev/null
unlike "a root job that does not run mpirun gets no such message" "$(cat "$dir/root2.out" 2>/dev/null)" "runs as root"

# --- a wrong plugstack.conf argument (srun reads plugstack.conf each time)
sed -i 's|\(spank_pi_mpi.so\)$|\1 ifcae=eth0|' "$ETC/plugstack.conf"
run srun -N1 hostname
like "a wrong plugstack.conf argument is named" "$out" \
	"slurm-pi mpi: plugstack.conf: unknown argument 'ifcae' \(keys: iface, pml, btl, pmix-default, pmix-lib, openmpi\)"
is "... and the job still runs (the plugin fails open)" "$rc" 0
cp "$dir/plugstack.conf.saved" "$ETC/plugstack.conf"

check "decoys off" "$CLUSTER" decoys off
done_testing
