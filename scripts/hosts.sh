#!/usr/bin/env bash
# Test hosts on this machine, h1 … hN (two unless asked), for painters on
# other machines.
#
#   scripts/hosts.sh up [--hosts N]  # make them (as root); installs what is missing
#   scripts/hosts.sh status          # say what is up; exit 0 only when all of it is
#   scripts/hosts.sh down            # remove what `up` made, and only that
#
# Each host is a network namespace joined to this one by a veth link
# (hK is 10.213.K.2; this side is .1), with its own hostname (a UTS
# namespace) and its own sshd, started under `taskset` on one core, so a
# program there that asks sched_getaffinity sees that core only. The hosts
# take this machine's allowed cores in turn: h1 the first, h2 the second,
# and so on, starting again at the first when there are more hosts than
# cores; then several hosts share a core (`up` says which), and their
# painters take turns on it. h2 also lives in a time namespace whose
# CLOCK_MONOTONIC is 1000 s ahead of this machine's, so clock offsets
# between hosts are real.
#
# `ssh h1` works for root with no other setup: a file in
# /etc/ssh/ssh_config.d names the hosts' addresses, the key this script made
# and the host keys it made. A Slurm cluster of one node per host runs on
# them: munged and slurmctld here, and one slurmd inside each host, so
# `srun -w h2 true` works too.
#
# `up` again with the hosts up does nothing; with another --hosts it takes
# the old ones down first.
#
# Everything `up` makes is recorded under /run/atelier-hosts; `down` removes
# exactly that (it never kills a munged or deletes a slurm.conf it did not
# make, and refuses to overwrite a slurm.conf that is not its own).
set -euo pipefail

state=/run/atelier-hosts
ssh_conf=/etc/ssh/ssh_config.d/atelier-hosts.conf
slurm_conf=/etc/slurm/slurm.conf
marker="# made by atelier scripts/hosts.sh up; removed by scripts/hosts.sh down"
# The hosts `up` makes (--hosts), or that the last `up` made (kept in
# $state/hosts), h1 … hN.
hosts="h1 h2"
[ -s "$state/hosts" ] && hosts=$(cat "$state/hosts")
# CLOCK_MONOTONIC offset of a host, in seconds: h2 is 1000 s ahead.
host_offset() { if [ "$1" = h2 ]; then echo 1000; else echo 0; fi; }

say() { echo "hosts.sh: $*" >&2; }
die() { say "$*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it makes network namespaces and starts sshd)"; }

host_index() { echo "${1#h}"; }
host_addr() { echo "10.213.$(host_index "$1").2"; }
gw_addr() { echo "10.213.$(host_index "$1").1"; }

# The core a host gets: hK the K-th allowed core, round-robin (h3 the first
# again on a two-core machine).
host_core() {
  local cores n i
  cores=$(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
  n=$(echo "$cores" | wc -w)
  i=$(( ($(host_index "$1") - 1) % n + 1 ))
  echo "$cores" | cut -d' ' -f"$i"
}

# Runs a command inside host $1: its network, its hostname, its clock, its core.
in_host() {
  local h=$1; shift
  local ns=(--net="/run/netns/$h" --uts="$state/$h/uts")
  [ -e "$state/$h/time" ] && ns+=(--time="$state/$h/time")
  nsenter "${ns[@]}" -- taskset -c "$(cat "$state/$h/core")" "$@"
}

# Runs a command, here a daemon, without this script's open files beyond
# stdin, stdout and stderr: a daemon keeps what it inherits until it ends,
# so a lock the caller held (`flock FILE scripts/hosts.sh up`) would stay
# held, and a pipe (`scripts/hosts.sh up | tee up.log`) would never reach
# its end. The daemons close 0-2 themselves when they detach.
detached() {
  (
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    "$@"
  )
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_in() { [ -s "$1" ] && tr -dc 0-9 <"$1" || true; }

install_missing() {
  local missing=()
  command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  [ -x /usr/sbin/slurmd ] && [ -x /usr/sbin/slurmctld ] && command -v srun >/dev/null || missing+=(slurm-wlm)
  [ -x /usr/sbin/munged ] || missing+=(munge)
  command -v ssh >/dev/null || missing+=(openssh-client)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian's packages"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

up_network() {
  local h=$1 a gw
  a=$(host_addr "$h"); gw=$(gw_addr "$h")
  ip netns add "$h"
  echo "$h" >>"$state/netns"
  ip link add "at-$h" type veth peer name eth0 netns "$h"
  ip addr add "$gw/24" dev "at-$h"
  ip link set "at-$h" up
  ip -n "$h" link set lo up
  ip -n "$h" addr add "$a/24" dev eth0
  ip -n "$h" link set eth0 up
  ip -n "$h" route add default via "$gw"
}

up_namespaces() {
  local h=$1 offset
  offset=$(host_offset "$h")
  mkdir -p "$state/$h"
  host_core "$h" >"$state/$h/core"
  touch "$state/$h/uts"
  unshare --uts="$state/$h/uts" hostname "$h"
  if [ "$offset" != 0 ]; then
    touch "$state/$h/time"
    unshare --time="$state/$h/time" --monotonic "$offset" true
  fi
}

up_sshd() {
  local h=$1 a
  a=$(host_addr "$h")
  ssh-keygen -q -t ed25519 -N '' -C "atelier-$h" -f "$state/$h/ssh_host_ed25519_key"
  echo "$h $(cut -d' ' -f1,2 "$state/$h/ssh_host_ed25519_key.pub")" >>"$state/known_hosts"
  mkdir -p "$state/$h/home"
  cat >"$state/$h/sshd_config" <<EOF
$marker
ListenAddress $a
Port 22
HostKey $state/$h/ssh_host_ed25519_key
PidFile $state/$h/sshd.pid
AuthorizedKeysFile $state/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
PrintMotd no
# Many painters log in at once; Debian's 10:30:100 refuses some past 10.
MaxStartups 64:30:128
MaxSessions 64
# A session whose link is lost ends within about 5 s, and the painter with
# it (its stdin hangs up): 3 s of unanswered keep-alives, then up to 2 s
# trying to say goodbye. Without this, a painter on a host cut off from its
# coordinator would paint on until TCP gave up, many minutes later.
ClientAliveInterval 1
ClientAliveCountMax 2
Subsystem sftp internal-sftp
# A host is a machine of its own: a session there reads its own (empty)
# home, not this machine's root dotfiles, which may start a shell slowly
# (a pyenv init in root's .bashrc costs 0.2 s a session on the development
# machine) and would be charged to every login of a run.
SetEnv HOME=$state/$h/home
EOF
  detached in_host "$h" /usr/sbin/sshd -f "$state/$h/sshd_config" -E "$state/$h/sshd.log"
}

write_ssh_config() {
  {
    echo "$marker"
    for h in $hosts; do
      printf 'Host %s\n  HostName %s\n  HostKeyAlias %s\n' "$h" "$(host_addr "$h")" "$h"
    done
    printf 'Host %s\n' "$hosts"
    printf '  User root\n  IdentityFile %s/id_ed25519\n  IdentitiesOnly yes\n' "$state"
    printf '  UserKnownHostsFile %s/known_hosts\n  StrictHostKeyChecking yes\n' "$state"
  } >"$ssh_conf"
  echo "$ssh_conf" >>"$state/files"
}

up_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    return # a munged is already serving; use it, and leave it be
  fi
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    echo /etc/munge/munge.key >>"$state/files"
  fi
  if [ ! -d /run/munge ]; then
    mkdir -p /run/munge
    echo /run/munge >>"$state/dirs"
  fi
  chown munge:munge /run/munge
  detached runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/atelier-munged.pid
  pid_in /run/munge/atelier-munged.pid >"$state/munged.pid"
}

# Each node is one of the hosts and offers what the host offers: one core.
# Its slurmd runs under `taskset` on that core (in_host), and a job step's
# tasks inherit slurmd's mask with task/none. (task/affinity would give a
# step every CPU of the machine, both cores, since Slurm knows nothing of
# the taskset; and `--cpu-bind=map_cpu:1` would put a step of h1 on h2's core.)
write_slurm_conf() {
  local ctl
  ctl=$(hostname -s)
  mkdir -p "$state/slurm/ctld"
  {
    echo "$marker"
    cat <<EOF
ClusterName=atelier
SlurmctldHost=$ctl($(gw_addr h1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/slurm/ctld
SlurmdSpoolDir=$state/slurm/%n
SlurmctldPidFile=$state/slurm/slurmctld.pid
SlurmdPidFile=$state/slurm/slurmd-%n.pid
SlurmctldLogFile=$state/slurm/slurmctld.log
SlurmdLogFile=$state/slurm/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/linear
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
EOF
    for h in $hosts; do
      echo "NodeName=$h NodeAddr=$(host_addr "$h") NodeHostname=$h CPUs=1 State=UNKNOWN"
    done
    # Jobs may share nodes: a run's own allocation never waits for another's.
    echo "PartitionName=atelier Nodes=$(echo $hosts | tr ' ' ,) Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:16"
  } >"$slurm_conf"
  echo "$slurm_conf" >>"$state/files"
}

up_slurm() {
  if [ -e "$slurm_conf" ] && ! grep -qF "$marker" "$slurm_conf"; then
    die "$slurm_conf exists and is not ours; leaving Slurm alone (move it away to get the test cluster)"
  fi
  write_slurm_conf
  detached /usr/sbin/slurmctld -i
  for h in $hosts; do
    mkdir -p "$state/slurm/$h"
    # slurmd looks for cgroups under its own view of /sys, which `ip netns
    # exec` remounts; nsenter keeps this machine's.
    detached in_host "$h" /usr/sbin/slurmd -N "$h"
  done
  local i
  for i in $(seq 1 150); do
    if [ "$(sinfo -h -N -o '%T' 2>/dev/null | grep -c -E '^(idle|mixed|allocated)')" = "$(echo $hosts | wc -w)" ]; then
      return
    fi
    sleep 0.2
  done
  sinfo -N >&2 || true
  die "the Slurm nodes did not come up in 30 s; see $state/slurm/*.log"
}

cmd_up() {
  need_root
  local n=2 wanted
  while [ $# -gt 0 ]; do
    case "$1" in
      --hosts) [ $# -ge 2 ] || die "--hosts needs a number"; n=$2; shift 2 ;;
      --hosts=*) n=${1#--hosts=}; shift ;;
      *) die "unknown argument to up: '$1' (up [--hosts N])" ;;
    esac
  done
  case "$n" in ''|*[!0-9]*) die "--hosts takes a number of hosts from 1 to 200, not '$n'" ;; esac
  [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "--hosts takes a number of hosts from 1 to 200, not '$n'"
  wanted=$(seq -f 'h%g' 1 "$n" | tr '\n' ' ' | sed 's/ $//')
  if [ -d "$state" ]; then
    if [ "$hosts" != "$wanted" ]; then
      say "up with $hosts; taking them down first for $wanted"
      cmd_down
    elif cmd_status >/dev/null 2>&1; then
      say "already up"
      cmd_status
      return
    else
      # Left half up, or by a session whose processes have since been
      # ended: take down what it recorded, then start over.
      say "found hosts that are not all up; taking them down first"
      cmd_down
    fi
  fi
  hosts=$wanted
  for h in $hosts; do
    if ip netns list | grep -qw "$h"; then die "a network namespace named $h already exists, not made by this script"; fi
  done
  [ -e "$ssh_conf" ] && die "$ssh_conf already exists, not made by this script"
  install_missing
  mkdir -m 700 "$state"
  touch "$state/netns" "$state/files" "$state/dirs"
  echo "$hosts" >"$state/hosts"
  # If anything below fails, undo what was made so far.
  trap 'say "up failed; removing what was made"; cmd_down >/dev/null 2>&1 || true' ERR
  ssh-keygen -q -t ed25519 -N '' -C atelier-hosts -f "$state/id_ed25519"
  cp "$state/id_ed25519.pub" "$state/authorized_keys"
  : >"$state/known_hosts"
  if [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd
    echo /run/sshd >>"$state/dirs"
  fi
  for h in $hosts; do
    up_network "$h"
    up_namespaces "$h"
    up_sshd "$h"
  done
  write_ssh_config
  up_munge
  up_slurm
  trap - ERR
  for h in $hosts; do
    local i
    for i in $(seq 1 50); do
      ssh -o BatchMode=yes -o ConnectTimeout=2 "$h" true 2>/dev/null && break
      sleep 0.1
    done
  done
  say_shared_cores
  cmd_status
}

# Says which hosts share a core, if any do: their painters take turns there.
say_shared_cores() {
  local core shared
  for core in $(cat "$state"/h*/core | sort -nu); do
    shared=$(for h in $hosts; do if [ "$(cat "$state/$h/core")" = "$core" ]; then printf '%s ' "$h"; fi; done)
    if [ "$(echo $shared | wc -w)" -gt 1 ]; then
      say "core $core is shared by $(echo $shared | sed 's/ /, /g'): their painters take turns on it"
    fi
  done
  return 0
}

kill_pidfile() {
  local pid
  pid=$(pid_in "$1")
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do alive "$pid" || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

cmd_down() {
  need_root
  [ -d "$state" ] || { say "nothing to take down ($state does not exist)"; return 0; }
  for h in $hosts; do kill_pidfile "$state/slurm/slurmd-$h.pid"; done
  kill_pidfile "$state/slurm/slurmctld.pid"
  for h in $hosts; do kill_pidfile "$state/$h/sshd.pid"; done
  [ -s "$state/munged.pid" ] && kill_pidfile "$state/munged.pid"
  # Whatever still runs inside the hosts (painters, sessions, steps) was
  # started there through what `up` made.
  local ns pids
  for ns in $(cat "$state/netns" 2>/dev/null); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip link del "at-$ns" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  for h in $hosts; do
    for f in uts time; do
      [ -e "$state/$h/$f" ] && { umount "$state/$h/$f" 2>/dev/null || true; }
    done
  done
  local f
  while read -r f; do
    [ -n "$f" ] || continue
    case "$f" in
      "$slurm_conf"|"$ssh_conf") grep -qF "$marker" "$f" 2>/dev/null && rm -f "$f" ;;
      *) rm -f "$f" ;;
    esac
  done <"$state/files"
  while read -r f; do
    [ -n "$f" ] && rm -rf "$f"
  done <"$state/dirs"
  rm -rf "$state"
  say "down: removed $(echo $hosts | sed 's/ /, /g'), their sshd and slurmd, and the files up made"
}

cmd_status() {
  local ok=0 h pid
  [ -d "$state" ] || { echo "down: $state does not exist"; return 1; }
  for h in $hosts; do
    local line="$h $(host_addr "$h")"
    if ip netns list | grep -qw "$h"; then line+=" netns"; else line+=" NO-netns"; ok=1; fi
    pid=$(pid_in "$state/$h/sshd.pid")
    if alive "$pid"; then line+=" sshd:$pid"; else line+=" NO-sshd"; ok=1; fi
    pid=$(pid_in "$state/slurm/slurmd-$h.pid")
    if alive "$pid"; then line+=" slurmd:$pid"; else line+=" NO-slurmd"; ok=1; fi
    if ssh -o BatchMode=yes -o ConnectTimeout=3 "$h" true 2>/dev/null; then line+=" ssh-ok"; else line+=" ssh-FAILS"; ok=1; fi
    line+=" core:$(cat "$state/$h/core" 2>/dev/null)"
    echo "$line"
  done
  if sinfo -h -N -o '%N %T' 2>/dev/null | sed 's/^/slurm node /'; then :; else echo "slurm: sinfo fails"; ok=1; fi
  return $ok
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h|--help|"") sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ] ;;
  *) die "unknown command '$1': use up, down or status" ;;
esac
