#!/usr/bin/env bash
# tests/scale/slurm.sh - the Slurm scale-out recipe (README "Sweeps"): a
# single-node Slurm cluster on localhost (Debian's slurm-wlm and munge, every
# file in a temporary directory, daemons as root with their own ports and
# munge socket), a 2-task job array running the two shards of a sweep,
# pisim merge, and the merged table equal to the unsharded run byte for byte.
# Exit 77 (skip) only when slurm-wlm or munge is not installed. Needs root.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

for b in slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$b" > /dev/null || skip "Slurm is not installed ($b missing; Debian package 'slurm-wlm')"
done
command -v munged > /dev/null || skip "munge is not installed (Debian package 'munge')"
[ "$(id -u)" = 0 ] || fail "the Slurm recipe starts slurmctld/slurmd/munged and needs root"

WAIT_UP=${WAIT_UP:-60}     # seconds for the node to come up
WAIT_JOB=${WAIT_JOB:-300}  # seconds for the job array

work=$(mktemp -d /tmp/pisim-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
port=$((20000 + $$ % 20000))
export SLURM_CONF=$work/slurm.conf

stop_all() {
    set +e
    scontrol shutdown > /dev/null 2>&1
    for p in slurmd slurmctld munged; do
        if [ -s "$work/$p.pid" ]; then
            pid=$(cat "$work/$p.pid")
            for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
            kill "$pid" 2> /dev/null
        fi
    done
}
dump_logs() {
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
}
trap 'stop_all; rm -rf "$work"' EXIT

# munge: a private key, socket and pid file, so a system munged is untouched.
mkdir -m 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.sock" \
    --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/munge.seed" \
    || { dump_logs; fail "munged did not start"; }
for _ in $(seq 50); do [ -S "$work/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.sock" ] || { dump_logs; fail "munged socket did not appear"; }

mkdir -p "$work/state" "$work/spool"
cat > "$SLURM_CONF" << CONF
ClusterName=pisim
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=pisim Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -f "$SLURM_CONF" -i || { dump_logs; fail "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" || { dump_logs; fail "slurmd did not start"; }
up=no
for _ in $(seq $((WAIT_UP * 2))); do
    state=$(sinfo -h -o %T 2> /dev/null | head -1)
    case "$state" in idle*|mixed*|allocated*) up=yes; break ;; esac
    sleep 0.5
done
[ $up = yes ] || { sinfo; dump_logs; fail "the Slurm node did not become idle within ${WAIT_UP}s (state '$state')"; }

reference_run "$work/single"
mkdir -p "$work/shards"
job=$(sbatch --parsable --array=1-2 --output="$work/shards/%a.log" --chdir="$work" \
    --wrap "'$PISIM' sweep '$SCENARIO' --vary '$VARY' -j 1 --shard \$SLURM_ARRAY_TASK_ID/2 -o '$work/shards/'\$SLURM_ARRAY_TASK_ID; exit 0") \
    || { dump_logs; fail "sbatch refused the job array"; }
job=${job%%;*}
done_=no
for _ in $(seq $((WAIT_JOB * 2))); do
    [ -z "$(squeue -h -j "$job" 2> /dev/null)" ] && { done_=yes; break; }
    sleep 0.5
done
[ $done_ = yes ] || { squeue; dump_logs; scancel "$job"; fail "job array $job did not finish within ${WAIT_JOB}s"; }
for k in 1 2; do
    [ -s "$work/shards/$k/results.json" ] || { cat "$work/shards/$k.log" 2> /dev/null; dump_logs; fail "array task $k wrote no results.json"; }
done
"$PISIM" merge "$work/shards/1" "$work/shards/2" -o "$work/merged" > "$work/merge.log" 2>&1 || fail "pisim merge failed"
compare_dirs "$work/single" "$work/merged"
echo "PASS: a 2-task Slurm job array (job $job) merges to the unsharded sweep"
