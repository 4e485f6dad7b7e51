#!/usr/bin/env bash
# A private one-node Slurm cluster on 127.0.0.1 for tests and benchmarks:
# munged (as the munge user), slurmctld and slurmd with their config, state,
# spool, logs and a fresh munge key in DIR, on free ports; no systemd, no
# accounting (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none).
# Needs root and the Debian packages slurmctld slurmd slurm-client munge
# (scripts/setup.sh installs them).
#
#   bash scripts/slurm_cluster.sh start DIR   # then: export SLURM_CONF=DIR/slurm.conf
#   bash scripts/slurm_cluster.sh stop DIR    # stops the three daemons by pid
set -euo pipefail

die() { printf 'slurm_cluster: error: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: slurm_cluster.sh start|stop DIR"
cmd=$1; d=$2

logs() {
  local f
  for f in "$d/log/slurmctld.log" "$d/log/slurmd.log" "$d/munge/log"; do
    [ -f "$f" ] && { printf -- '--- %s\n' "$f" >&2; tail -n 30 "$f" >&2; }
  done
  return 0
}

stop() {
  local f pid pids=()
  for f in "$d/slurmd.pid" "$d/slurmctld.pid" "$d/munge/pid"; do
    [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ] && pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "${pids[@]}" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
  stop) stop; exit 0 ;;
  start) ;;
  *) die "unknown command \`$cmd\` (start or stop)" ;;
esac

[ "$(id -u)" -eq 0 ] || die "the Slurm daemons need root (run as root, as CI does)"
for tool in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch; do
  [ -x "$tool" ] || die "$tool not found: run scripts/setup.sh (Debian packages slurmctld slurmd slurm-client munge)"
done
id munge >/dev/null 2>&1 || die "no munge user: reinstall the munge package"

mkdir -p "$d"
d=$(cd "$d" && pwd)
# munged runs as the munge user: every folder above its own must be
# traversable, and its own private.
chmod 755 "$d"
mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge"
head -c 128 /dev/urandom > "$d/munge/munge.key"
chmod 400 "$d/munge/munge.key"
chmod 700 "$d/munge"
chown -R munge:munge "$d/munge"
runuser -u munge -- /usr/sbin/munged --force \
  --socket="$d/munge/socket" --key-file="$d/munge/munge.key" \
  --log-file="$d/munge/log" --pid-file="$d/munge/pid" --seed-file="$d/munge/seed" \
  || { logs; die "munged did not start"; }

host=$(hostname -s)
cat > "$d/slurm.conf" <<CONF
ClusterName=retaketest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$d/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=retake-node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=main Nodes=retake-node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$d/slurm.conf"
/usr/sbin/slurmctld -i || { logs; stop; die "slurmctld did not start"; }
/usr/sbin/slurmd -N retake-node || { logs; stop; die "slurmd did not start"; }
for _ in $(seq 150); do
  [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && exit 0
  sleep 0.2
done
logs; stop
die "the node did not become idle within 30 s"
