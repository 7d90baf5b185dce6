#!/usr/bin/env bash
# A real Slurm on this machine, started by this script: munge, slurmctld and slurmd (Debian's
# slurm-wlm, a minimal configuration without cgroups or accounting). A sweep of 36 cases is handed
# to it with `sovsim sweep slurm` (4 array tasks, 2 at a time, and a merge job that depends on
# them); a second submission has one task cancelled mid-run and resubmitted alone. Both merged
# tables must equal, byte for byte, the same sweep run on one machine, with no case missing,
# duplicated or partial.
#
#   sim/sovsim/tests/slurm.sh [SOVSIM]     # default: target/debug/sovsim (built if missing)
#
# Installs slurm-wlm and munge when missing (root and apt-get needed). Skips, saying why, only
# where the machine cannot start the daemons (not root, no apt-get); any other failure fails.
set -euo pipefail
cd "$(dirname "$0")/../../.."

skip() { echo "SKIP slurm test: $*" >&2; exit 0; }
say() { echo "slurm test: $*" >&2; }

sovsim=${1:-target/debug/sovsim}
[ -x "$sovsim" ] || cargo build -q --bin sovsim
sovsim=$(realpath "$sovsim")

[ "$(id -u)" = 0 ] || skip "the Slurm daemons and munge must be started as root"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || skip "slurm-wlm and munge are not installed and there is no apt-get"
  say "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

work=$(mktemp -d)
started_munge=""
cleanup() {
  rc=$?
  if [ -n "${SLURM_CONF:-}" ]; then
    # `scontrol shutdown` returns before slurmctld has saved its state: the daemons' pids are read
    # first, and both must have exited before $work is removed, or the removal races slurmctld
    # writing into $work/state.
    pids=$(cat "$work/slurmctld.pid" "$work/slurmd.pid" 2>/dev/null || true)
    scancel --quiet --user=root 2>/dev/null || true
    scontrol shutdown >/dev/null 2>&1 || true
    for pid in $pids; do
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
  fi
  [ -n "$started_munge" ] && kill "$started_munge" 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    say "failed; the daemons' logs:"
    tail -n 30 "$work"/*.log >&2 2>/dev/null || true
    tail -n 30 "$work"/out/slurm/logs/* >&2 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# munge: the one already running, or our own.
if ! (munge -n | unmunge) >/dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  [ -s /etc/munge/munge.key ] || { mungekey --create >/dev/null 2>&1 || true; chown munge:munge /etc/munge/munge.key; }
  runuser -u munge -- munged || skip "munged cannot start here"
  started_munge=$(pgrep -n munged)
  sleep 0.5
  (munge -n | unmunge) >/dev/null || skip "munge does not authenticate here"
fi

# Ports of their own, so that a Slurm this machine may already run is left alone.
host=$(hostname)
node=$(slurmd -C | head -n 1)
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<EOF
ClusterName=sovsimtest
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ReturnToService=2
MinJobAge=3600
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -i || skip "slurmctld cannot start here"
slurmd || skip "slurmd cannot start here"
for _ in $(seq 1 60); do
  sinfo -h -o %t 2>/dev/null | grep -qx idle && break
  sleep 0.5
done
sinfo -h -o %t | grep -qx idle || { say "the node never became idle"; exit 1; }
say "Slurm $(sinfo -V | cut -d' ' -f2) up on $host"

# A sweep of 36 cases (a Latin hypercube over rents, contract prices and grid delays) on a copy of
# the quickstart scenario, with enough replications that a task runs for a while.
mkdir -p "$work/sweep"
cp scenarios/quickstart.toml "$work/sweep/"
cat > "$work/sweep/sweep.toml" <<'EOF'
name = "slurm-test"
scenarios = ["quickstart.toml"]
runs = 150
seed = 7
outputs = ["project_irr", "dscr_min", "date_full_capacity"]
[design]
kind = "latin-hypercube"
samples = 36
seed = 11
[levers]
gpu_rent = [-0.4, 0.1]
contract_price = [-0.2, 0.1]
grid_delay_months = [0, 18]
EOF
spec="$work/sweep/sweep.toml"

# Wait until none of the jobs given is pending or running; then each must have COMPLETED.
wait_jobs() {
  for _ in $(seq 1 1200); do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && break
    sleep 0.5
  done
  [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] || { say "jobs $* did not finish"; squeue >&2; exit 1; }
}
completed() {
  local states
  states=$(scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | sort -u)
  [ "$states" = "JobState=COMPLETED" ] || { say "job $1 ended $states"; exit 1; }
}
cases_written() { find "$1/cases" -name '*.json' ! -name '.*' | wc -l; }
no_partial() {
  local n
  n=$(find "$1/cases" -name '.*' | wc -l)
  [ "$n" = 0 ] || { say "$n temporary file(s) left in $1/cases"; exit 1; }
  for f in "$1"/cases/*.json; do python3 -m json.tool "$f" >/dev/null || { say "$f is not whole"; exit 1; }; done
}

say "one machine"
"$sovsim" sweep run "$spec" --out "$work/local" >/dev/null
"$sovsim" sweep merge "$spec" --out "$work/local" >/dev/null 2>&1

say "as a Slurm array and its merge"
"$sovsim" sweep slurm "$spec" --out "$work/out" --shards 4 --throttle 2 >&2
read -r _ array _ merge < <(bash "$work/out/slurm/submit.sh")
wait_jobs "$array" "$merge"
completed "$array"; completed "$merge"
[ "$(cases_written "$work/out")" = 36 ] || { say "$(cases_written "$work/out") of 36 cases written"; exit 1; }
no_partial "$work/out"
cmp "$work/local/sweep.parquet" "$work/out/sweep.parquet"
cmp "$work/local/sweep.csv" "$work/out/sweep.csv"

say "one task cancelled mid-run, then resubmitted alone"
"$sovsim" sweep slurm "$spec" --out "$work/again" --shards 4 --throttle 4 >/dev/null 2>&1
# Held, so that the merge is not submitted: the array alone, task 1 to be cancelled.
array=$(sbatch --parsable "$work/again/slurm/sweep.sbatch"); array=${array%%;*}
for _ in $(seq 1 600); do
  running=$(squeue -h -j "${array}_1" -o %T 2>/dev/null || true)
  [ "$running" = RUNNING ] && [ "$(cases_written "$work/again")" -ge 3 ] && break
  sleep 0.1
done
[ "$running" = RUNNING ] || { say "task 1 never ran (state: ${running:-gone})"; exit 1; }
scancel --signal=KILL "${array}_1"
wait_jobs "$array"
state=$(scontrol -o show job "${array}_1" | grep -o 'JobState=[A-Z_]*')
before=$(cases_written "$work/again")
say "task 1 $state with $before of 36 cases written"
[ "$state" = JobState=CANCELLED ] || { say "task 1 was not cancelled"; exit 1; }
[ "$before" -lt 36 ] || { say "task 1 finished before it was cancelled: nothing was tested"; exit 1; }
resubmitted=$(sbatch --parsable --array=1 "$work/again/slurm/sweep.sbatch"); resubmitted=${resubmitted%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$resubmitted" "$work/again/slurm/merge.sbatch"); merge=${merge%%;*}
wait_jobs "$resubmitted" "$merge"
completed "$resubmitted"; completed "$merge"
grep -h "^Shard 1/4" "$work/again/slurm/logs/${resubmitted}"_1.out >&2
[ "$(cases_written "$work/again")" = 36 ] || { say "$(cases_written "$work/again") of 36 cases written"; exit 1; }
no_partial "$work/again"
cmp "$work/local/sweep.parquet" "$work/again/sweep.parquet"
cmp "$work/local/sweep.csv" "$work/again/sweep.csv"
say "ok: both merged tables equal the one-machine sweep byte for byte"
