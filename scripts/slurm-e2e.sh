#!/usr/bin/env bash
# A real Slurm run of a sharded sweep on this machine, end to end:
#   installs Debian's slurm-wlm and munge if missing, writes a one-node slurm.conf for this
#   machine (its cores, memory and hostname, from `slurmd -C`), starts munged, slurmctld and slurmd
#   in a scratch directory, submits the job array of `sim slurm submit`, waits for it, merges with
#   `sim slurm merge`, and checks the merged directory is byte-identical to a one-machine run.
#   Then it stops what it started, and only that.
#
#   Then the same for a plan, whose stages run as arrays one after the other.
#
#   scripts/slurm-e2e.sh [experiment.yaml] [shards] [plan.yaml] [plan shards]
#
# Exit codes: 0 passed; 77 skipped, the machine does not allow it (not root, not Debian, no apt
# and no Slurm, daemons that cannot start here), the reason on the last line; anything else: a
# failure (the array script, a task, the merge or the byte comparison).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EXPERIMENT="${1:-experiments/regression/push-policies.yaml}"
SHARDS="${2:-4}"
PLAN="${3:-test/slurm/fixtures/small-plan.yaml}"
PLAN_SHARDS="${4:-3}"
SIM=(node "$ROOT/dist/cli/main.js")
# Each wait is bounded, so the whole run stays within a few minutes.
START_TIMEOUT=60
JOB_TIMEOUT=300

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
log() { echo "[slurm-e2e $(date -u +%H:%M:%S)] $*"; }

[ "$(uname -s)" = Linux ] || skip "not Linux"
[ "$(id -u)" -eq 0 ] || skip "not root (installing Slurm and starting its daemons needs root)"
[ -f /etc/debian_version ] || skip "not Debian (the script installs Debian's slurm-wlm)"
[ -f "$ROOT/dist/cli/main.js" ] || fail "dist/cli/main.js is missing: npm run build"

WORK="$(mktemp -d /tmp/routesim-slurm.XXXXXX)"
chmod 755 "$WORK"
CREATED_POLICY=0
JOBIDS=""
PIDS=()

cleanup() {
  # Cancel our job and wait for its tasks to end before the daemons go.
  if [ -n "$JOBIDS" ] && [ -n "${SLURM_CONF:-}" ]; then
    scancel "${JOBIDS//,/ }" 2>/dev/null
    for _ in $(seq 1 20); do
      [ -z "$(squeue -h -j "$JOBIDS" 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[$i]}" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null
  done
  [ "$CREATED_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. Slurm and munge, installed from Debian when missing -----------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get"
  # Packages must not start their services: this script starts its own daemons.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && CREATED_POLICY=1
  fi
  log "installing slurm-wlm and munge"
  timeout 180 apt-get update -qq >"$WORK/apt.log" 2>&1 || skip "apt-get update failed (no package mirror reachable?): $(tail -n 1 "$WORK/apt.log")"
  DEBIAN_FRONTEND=noninteractive timeout 420 apt-get install -y -qq --no-install-recommends slurm-wlm munge >>"$WORK/apt.log" 2>&1 ||
    skip "apt-get install slurm-wlm munge failed: $(tail -n 1 "$WORK/apt.log")"
  if [ "$CREATED_POLICY" = 1 ]; then rm -f /usr/sbin/policy-rc.d; CREATED_POLICY=0; fi
fi
log "slurm-wlm $(dpkg-query -W -f '${Version}' slurm-wlm 2>/dev/null || echo '(not from a package)'), $(munged --version 2>&1 | head -n 1)"

# --- 2. munged with its own key and socket ----------------------------------------------------
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool" "$WORK/log"
chmod 700 "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
MUNGE_SOCKET="$WORK/munge/munge.socket"
# In the foreground, as a child of this script: it is ours to stop, and ours to reap.
munged --foreground --force --key-file="$WORK/munge/munge.key" --socket="$MUNGE_SOCKET" --pid-file="$WORK/munged.pid" \
  --log-file="$WORK/log/munged.log" --seed-file="$WORK/munge/munge.seed" >"$WORK/log/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 40); do
  [ -S "$MUNGE_SOCKET" ] && break
  kill -0 "${PIDS[0]}" 2>/dev/null || skip "munged does not start here: $(tail -n 1 "$WORK/log/munged.out")"
  sleep 0.25
done
munge --socket="$MUNGE_SOCKET" -n </dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1 ||
  skip "munge credentials do not round-trip here"

# --- 3. slurm.conf for this machine -------------------------------------------------------------
# A port nothing listens on (bash connects through /dev/tcp: no extra tool needed).
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}
CTLD_PORT="$(free_port 16817)" || skip "no free port for slurmctld"
SLURMD_PORT="$(free_port $((CTLD_PORT + 1)))" || skip "no free port for slurmd"
NODE="$(hostname -s)"
# slurmd -C prints this node's line as slurmd itself sees it: CPUs, sockets, cores, threads, RealMemory.
NODE_LINE="$(slurmd -C 2>/dev/null | grep '^NodeName=')" || skip "slurmd -C cannot describe this machine"
CPUS="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$NODE_LINE")"
export SLURM_CONF="$WORK/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=routesim-e2e
SlurmctldHost=$NODE
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool/%n
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=600
${NODE_LINE/NodeName=* CPUs/NodeName=$NODE CPUs} State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

# --- 4. the daemons -------------------------------------------------------------------------------
log "starting slurmctld and slurmd on $NODE ($CPUS CPUs, ports $CTLD_PORT/$SLURMD_PORT)"
slurmctld -D -i -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N "$NODE" -f "$SLURM_CONF" >"$WORK/log/slurmd.out" 2>&1 &
PIDS+=($!)
daemon_fatal() { grep -h -m1 -i 'fatal' "$WORK"/log/slurm*.out "$WORK"/log/slurm*.log 2>/dev/null | head -n 1; }
state=""
for _ in $(seq 1 $((START_TIMEOUT * 2))); do
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || {
      # A configuration slurm rejects is this script's bug; anything else is the machine.
      why="$(daemon_fatal)"
      grep -qiE 'slurm\.conf|parse|unrecognized|invalid' <<<"$why" && fail "a Slurm daemon rejected the configuration: $why"
      skip "a Slurm daemon does not run here: ${why:-exited}"
    }
  done
  state="$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n 1)"
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || skip "the node did not become idle within ${START_TIMEOUT}s (state: ${state:-none}): $(daemon_fatal)"
log "node $NODE idle"

# --- 5. job arrays: submit, wait, check every task -----------------------------------------------------
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
same_bytes() { # reference, merged: byte for byte, every file
  diff -r "$1" "$2" >"$WORK/diff.txt" || { head -n 20 "$WORK/diff.txt"; fail "$2 differs from the one-machine run $1"; }
  local files digest
  files="$(find "$2" -type f | wc -l)"
  digest="$(cd "$2" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
  log "byte-identical: $files files in $(basename "$2")/ (sha256 of the listing $digest)"
}
# submit_and_wait <file> <shards> <job dir>: sim slurm submit, then every array it submitted must end
# with all its tasks COMPLETED, exit code 0.
submit_and_wait() {
  local out ids t0 t1 id tasks
  t0=$(date +%s.%N)
  out="$("${SIM[@]}" slurm submit "$1" --shards "$2" --dir "$3" --time 00:10:00 2>&1)" || fail "sim slurm submit failed: $out"
  echo "$out"
  ids="$(sed -n 's/^Submitted job arrays\{0,1\} \([0-9, ]*[0-9]\) .*/\1/p' <<<"$out" | tr -d ' ')"
  [ -n "$ids" ] || fail "sim slurm submit printed no job id"
  JOBIDS="${JOBIDS:+$JOBIDS,}$ids"
  for _ in $(seq 1 $((JOB_TIMEOUT * 2))); do
    [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && break
    sleep 0.5
  done
  if [ -n "$(squeue -h -j "$ids" 2>/dev/null)" ]; then
    squeue -j "$ids" -o '%i %T %r'
    fail "jobs $ids did not finish within ${JOB_TIMEOUT}s"
  fi
  t1=$(date +%s.%N)
  log "job arrays $ids finished in $(seconds "$t0" "$t1") s"
  for id in ${ids//,/ }; do
    # Finished jobs stay visible for MinJobAge.
    tasks="$(scontrol -o show job "$id" | sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2 \3/p')"
    echo "$tasks" | sed "s/^/  job $id task /"
    [ "$(grep -c ' COMPLETED 0:0$' <<<"$tasks")" -eq "$2" ] || {
      tail -n 20 "$3"/logs/* 2>/dev/null
      fail "not every task of job $id completed with exit code 0"
    }
  done
}

cd "$ROOT"
# --- 6. a sweep: one machine, then the array -----------------------------------------------------------
t0=$(date +%s.%N)
"${SIM[@]}" run "$EXPERIMENT" --out "$WORK/single" --json >/dev/null 2>"$WORK/single.err" || fail "the one-machine run failed: $(tail -n 3 "$WORK/single.err")"
t1=$(date +%s.%N)
NAME="$(basename "$(ls -d "$WORK"/single/*/ | head -n 1)")"
log "one machine: $EXPERIMENT ($NAME) in $(seconds "$t0" "$t1") s"
submit_and_wait "$EXPERIMENT" "$SHARDS" "$WORK/job"
# A preempted task: one point of shard 2 lost, the task requeued (as preemption with
# PreemptMode=REQUEUE does); it reruns the array script, which resumes and redoes only that point.
lost="$(ls "$WORK/job/shards/2/$NAME/points/"*.json | head -n 1)"
rm "$lost"
scontrol requeue "${JOBIDS}_2" || fail "scontrol requeue ${JOBIDS}_2 failed"
# A requeued job waits about two minutes before it is eligible again; here it need not.
scontrol update JobId="${JOBIDS}_2" StartTime=now || fail "scontrol update StartTime of ${JOBIDS}_2 failed"
for _ in $(seq 1 $((JOB_TIMEOUT * 2))); do
  state="$(scontrol -o show job "${JOBIDS}_2" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')"
  [ "$state" = COMPLETED ] || [ "$state" = FAILED ] && break
  sleep 0.5
done
[ "$state" = COMPLETED ] || fail "requeued task ${JOBIDS}_2 ended $state"
[ -f "$lost" ] || fail "the requeued task did not redo $(basename "$lost")"
resumed="$(grep -h '^resumed:' "$WORK"/job/logs/*-2.out | tail -n 1)"
[ -n "$resumed" ] || fail "the requeued task did not resume"
log "task ${JOBIDS}_2 requeued: $resumed, redid $(basename "$lost" .json)"
"${SIM[@]}" slurm merge "$WORK/job" --out "$WORK/merged" || fail "sim slurm merge failed"
same_bytes "$WORK/single/$NAME" "$WORK/merged/$NAME"

# --- 7. a plan: one machine, then the arrays (one pass per stage) ----------------------------------------
# Both write under a relative results/ in their own directory: plan.json names its plot by that path.
mkdir -p "$WORK/plan-single" "$WORK/plan-merged"
t0=$(date +%s.%N)
(cd "$WORK/plan-single" && "${SIM[@]}" plan "$ROOT/$PLAN" --out results --json >/dev/null 2>"$WORK/plan-single.err") ||
  fail "the one-machine plan failed: $(tail -n 3 "$WORK/plan-single.err")"
t1=$(date +%s.%N)
PLAN_NAME="$(basename "$(ls -d "$WORK"/plan-single/results/*/ | head -n 1)")"
log "one machine: $PLAN ($PLAN_NAME) in $(seconds "$t0" "$t1") s"
submit_and_wait "$PLAN" "$PLAN_SHARDS" "$WORK/planjob"
(cd "$WORK/plan-merged" && "${SIM[@]}" slurm merge "$WORK/planjob" --out results >/dev/null) || fail "sim slurm merge of the plan failed"
same_bytes "$WORK/plan-single/results/$PLAN_NAME" "$WORK/plan-merged/results/$PLAN_NAME"
echo "PASS"
