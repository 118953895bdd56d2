#!/usr/bin/env bash
# `scripts/bench.sh --only hosts`: painters over ssh and srun on the test
# hosts (`scripts/hosts.sh up` first, as root), beside local pipes, with the
# floor of each launcher measured in the same run: `true` started through it,
# and a bare `cat` ping-pong through it.
#
# Figures, per launcher (local, ssh, srun): start-up per painter (spawn to
# Hello; target ≤ 1.2× the launcher's `true`), the fastest round trip (twice
# the clock's bound; target ≤ 1.3× the `cat` ping-pong), and empty paintings
# per second. srun runs inside one allocation made for the bench.
# Then start-up against the number of hosts (1, 2 and 4, beside each other):
# a mode's first hand-out from the command, against one login (ssh) or one
# job step (srun) timed in the same run (target ≤ 1.3×), and over ssh
# against the slowest login of that run itself (its hosts' own login_s);
# the same from the wall clock (the command started, to the coordinator's
# log saying the first mode's last painter ready); a later mode's start-up
# (target ≤ 0.1 s); whether one step per host for all its painters
# would start them faster than a step each; and the CPU one login and one
# step cost, client and server.
#   scripts/bench/hosts.sh [--quick] [--keep DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=0 keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --keep) keep="${2:?--keep needs a folder}"; shift 2 ;;
    --only|--only=*) [ "$1" = --only ] && shift; shift ;;
    *) shift ;;
  esac
done
scripts/hosts.sh status >/dev/null || { echo "bench hosts: the test hosts are not up: run scripts/hosts.sh up (as root)" >&2; exit 1; }
reps=8 rounds=4 paintings=20000
[ "$quick" = 1 ] && reps=3 rounds=4 paintings=4000
echo "bench hosts: building release..." >&2
cargo build --release --quiet
coordinator=$PWD/target/release/coordinator
if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); else work=$(mktemp -d); fi
counts="1 2" nodes=h1,h2
if ssh -o BatchMode=yes -o ConnectTimeout=3 h4 true 2>/dev/null && [ "$(sinfo -h -N -n h3,h4 -o %N 2>/dev/null | wc -l)" -ge 2 ]; then
  counts="1 2 4" nodes=h1,h2,h3,h4
else
  echo "bench hosts: no h3 and h4 (scripts/hosts.sh up --hosts 4 makes them): rows for 1 and 2 hosts only" >&2
fi
job=$(salloc --no-shell --immediate=30 --job-name=atelier-bench --nodes="$(echo "$nodes" | tr , '\n' | wc -l)" --nodelist="$nodes" 2>&1 | sed -n 's/.*Granted job allocation \([0-9]*\).*/\1/p')
[ -n "$job" ] || { echo "bench hosts: salloc failed" >&2; exit 1; }
cleanup() { scancel "$job" 2>/dev/null || true; [ -n "$keep" ] || rm -rf "$work"; }
trap cleanup EXIT
export SLURM_JOB_ID=$job
for launcher in local ssh srun; do
  hosts=(--hosts h1,h2 --launcher "$launcher")
  [ "$launcher" = local ] && hosts=()
  echo "bench hosts: $launcher" >&2
  # The floor is measured between the runs, a few rounds at a time, so
  # that both see the same moments of a machine other programs share.
  for i in $(seq "$reps"); do
    # Two modes: over srun the first mode's painters are the hosts' probes,
    # told to paint; the second mode's are started through the launcher.
    "$coordinator" compare --modes parallel,hybrid --painters 2 --paintings 2 --paint 0ms --dry 0ms "${hosts[@]}" \
      --json --out "$work/out" >"$work/startup-$launcher-$i.json"
    python3 scripts/bench/hosts.py floor "$launcher" "$rounds" >"$work/floor-$launcher-$i.json"
  done
  "$coordinator" run --mode parallel --paintings "$paintings" --paint 0ms --dry 0ms "${hosts[@]}" \
    --json --out "$work/out" >"$work/throughput-$launcher-1.json"
done
# Start-up against the number of hosts, 1, 2 and 4 side by side: a
# two-mode compare (so the second mode shows what a mode after the first
# pays), with one login (ssh) or one job step (srun) timed between runs.
for launcher in ssh srun; do
  for i in $(seq "$reps"); do
    for n in $counts; do
      list=$(seq -f 'h%g' 1 "$n" | paste -sd, -)
      echo "bench hosts: $launcher, $n hosts ($i/$reps)" >&2
      # The coordinator's own log (not the painters': the filter names
      # only its target) times each painter ready, on the wall clock.
      date +%s.%N >"$work/scale-$launcher-$n-$i.started"
      RUST_LOG=coordinator=debug "$coordinator" compare --modes parallel,hybrid --paintings "$n" --paint 0ms --dry 0ms \
        --hosts "$list" --launcher "$launcher" --json --out "$work/out" \
        >"$work/scale-$launcher-$n-$i.json" 2>"$work/scale-$launcher-$n-$i.log"
      python3 scripts/bench/hosts.py floor "$launcher" 2 --no-cat >"$work/scale-floor-$launcher-$n-$i.json"
    done
  done
done
# One job step per painter (what the coordinator does) against one step
# with a task per painter (what srun --multi-prog would do), N at once on h1.
python3 scripts/bench/hosts.py steps "$reps" >"$work/steps.json"
# What one login and one job step cost the CPUs, client and server: four
# at once on this machine's cores bound the 4-host rows.
python3 scripts/bench/hosts.py cpu $((reps * 4)) >"$work/cpu.json"
python3 scripts/bench/hosts.py table "$work"
