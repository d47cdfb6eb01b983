#!/usr/bin/env bash
# A sweep on a real Slurm cluster (docs/scale-out.md): starts munged, slurmctld and one slurmd on localhost with a
# configuration in a temporary folder (ports chosen free), submits `modelmeter sweep --shard K/N` as an
# `sbatch --array=0-(N-1)` job, and checks that the shards' sweep.csv files, concatenated in shard order with the
# header once, equal the unsharded sweep.csv byte for byte. Stops every daemon it started (by pid) and removes the
# folder, whatever happens. Prints a SKIPPED line (ctest reports the test skipped) only where Slurm cannot run:
# slurm-wlm or munge not installed, or not root (slurmd starts jobs as their user).
#   test_slurm_shards.sh MODELMETER_EXECUTABLE
set -euo pipefail
host=$(realpath "$1")
for c in munged slurmctld slurmd sbatch sinfo scontrol; do
  command -v "$c" >/dev/null || { echo "SKIPPED: $c not found (apt-get install slurm-wlm munge; packaging/setup.sh does)"; exit 0; }
done
[[ $(id -u) -eq 0 ]] || { echo "SKIPPED: slurmd must run as root to start jobs; run as root"; exit 0; }

fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d /tmp/modelmeter-slurm.XXXXXX)
chmod 755 "$work"
pids=()
show_logs() {
  local f
  for f in "$work"/munge.log "$work"/slurmctld.log "$work"/slurmd.log "$work"/job-*.out; do
    [[ -f $f ]] && { echo "--- $f"; tail -n 30 "$f"; }
  done
  return 0
}
cleanup() {
  local rc=$? pid i
  ((rc == 0)) || show_logs >&2
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do  # slurmd, slurmctld, then munged
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local limit=$1 start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < limit)) || return 1
    sleep 0.2
  done
}

echo "== munged (key, socket, logs in $work)"
mkdir -m 700 "$work/munge-key"
mkdir -m 755 "$work/munge"
dd if=/dev/urandom of="$work/munge-key/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge-key/munge.key"
socket="$work/munge/munge.socket"
munged -F --key-file="$work/munge-key/munge.key" --socket="$socket" --pid-file="$work/munged.pid" \
  --log-file="$work/munge.log" --seed-file="$work/munged.seed" >>"$work/munge.log" 2>&1 &
pids+=($!)
wait_for 10 test -S "$socket" || fail "munged did not start"

# Two free TCP ports on the loopback for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
name=$(hostname -s)
mkdir -p "$work/state" "$work/spool" "$work/shards"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=modelmeter-test
SlurmctldHost=$name(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
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
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
NodeName=$name NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=modelmeter Nodes=$name Default=YES MaxTime=10 State=UP
EOF

echo "== slurmctld and slurmd on $name (ports $ctld_port, $slurmd_port)"
slurmctld -D -i -f "$SLURM_CONF" >>"$work/slurmctld.log" 2>&1 &
pids+=($!)
wait_for 20 scontrol ping || fail "slurmctld did not answer 'scontrol ping' within 20 s"
slurmd -D -f "$SLURM_CONF" -N "$name" >>"$work/slurmd.log" 2>&1 &
pids+=($!)
node_idle() { [[ $(sinfo -h -n "$name" -o %t) == idle ]]; }
wait_for 30 node_idle || fail "node $name not idle within 30 s: $(sinfo -h -n "$name" -o '%t %E')"
sinfo

# The sweep: 16 decode lengths x 3 batch sizes x 2 GPUs = 96 points in 5 shards (blocks of 20, 19, 19, 19, 19).
shards=5
args=(sweep --plugin deepseek_ocr --workload std-v1 --vary decode.max_new_tokens=256:4096:256
  --vary batch.size=1,8,32 --hardware h100-sxm,h200 --threads 1)
echo "== unsharded: modelmeter ${args[*]}"
"$host" "${args[@]}" --out "$work/whole" >/dev/null
cat >"$work/job.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
exec "$host" ${args[*]} --shard "\$SLURM_ARRAY_TASK_ID/$shards" --out "$work/shards/\$SLURM_ARRAY_TASK_ID"
EOF
echo "== sbatch --array=0-$((shards - 1)) --wait"
timeout 120 sbatch --array=0-$((shards - 1)) --wait --time=5 --ntasks=1 --cpus-per-task=1 \
  --output="$work/job-%a.out" --chdir="$work" "$work/job.sh" || fail "the array job failed or timed out"

echo "== concatenated shards vs the unsharded sweep.csv"
for k in $(seq 0 $((shards - 1))); do
  [[ -s $work/shards/$k/sweep.csv ]] || fail "shard $k wrote no sweep.csv"
  rows=$(($(wc -l <"$work/shards/$k/sweep.csv") - 1))
  echo "shard $k/$shards: $rows rows" >&2
  expected=$((k == 0 ? 20 : 19))
  ((rows == expected)) || fail "shard $k has $rows rows, expected $expected"
  if ((k == 0)); then cat "$work/shards/$k/sweep.csv"; else tail -n +2 "$work/shards/$k/sweep.csv"; fi
done >"$work/merged.csv"
cmp "$work/merged.csv" "$work/whole/sweep.csv" || fail "the merged shards differ from the unsharded sweep.csv"
echo "PASS: $shards Slurm array tasks gave $(($(wc -l <"$work/merged.csv") - 1)) rows, byte for byte the unsharded sweep.csv"
