#!/usr/bin/env bash
# Measure atelier against the ideal, the pipe's limit, and Python.
#
# Builds release, then runs every section in one go and prints one table:
# each row a figure, what it stands beside (the ideal, a floor measured in
# the same run, a Python peer), their ratio, a target, and `ok` or
# `MISSED`. Exits non-zero only when a run fails, never for a missed target.
#
#   scripts/bench.sh                    # everything, < 5 minutes on 2 cores
#   scripts/bench.sh --quick            # fewer repetitions, smaller counts (~1 minute)
#   scripts/bench.sh --only scaling     # one section (repeatable)
#   scripts/bench.sh --max-painters 16  # scaling up to 16 painters (default 4)
#   scripts/bench.sh --keep DIR         # keep every raw JSON in DIR
#
# Sections: efficiency async startup roundtrip throughput memory scaling codec states gap.
# Counts (full / --quick): efficiency 5 / 1 runs of `compare` per workload,
# async 5 / 2 (each beside one run of Python's asyncio peer), throughput 3 / 1 runs of 200000 / 20000 paintings for each of
# --chunk 1, 16, 256 and auto (beside Python's Pool(2).map with chunksize 1,
# 16, 256 and its default), then 3 / 1 runs of a million, each followed by
# Python's Pool(2).map of a million with its default chunks, scaling 3 / 1
# runs per painter count, cargo bench throughput 20000 / 5000 jobs, gap 10 / 3
# default compares on a quiet machine and 10 / 3 with a busy loop that the
# script pins to the last allowed core (taskset), then stops; states 5 / 2
# rounds of the same paintings with the threads' states measured (switch
# events, then self-measured) and not, in turns.
# Needs python3 (standard library); /usr/bin/time adds a whole-tree RSS figure.
set -euo pipefail

# `--only hosts` (painters on other hosts; needs `scripts/hosts.sh up`) is a
# script of its own: scripts/bench/hosts.sh.
case " $* " in *" --only hosts "*|*" --only=hosts "*) exec "$(dirname "$0")/bench/hosts.sh" "$@" ;; esac

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

all_sections="efficiency async startup roundtrip throughput memory scaling codec states gap"
sections=""
quick=0
max_painters=4
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --only) sections="$sections ${2:?--only needs a section}"; shift 2 ;;
    --only=*) sections="$sections ${1#--only=}"; shift ;;
    --max-painters) max_painters="${2:?--max-painters needs a number}"; shift 2 ;;
    --max-painters=*) max_painters="${1#--max-painters=}"; shift ;;
    --keep) keep="${2:?--keep needs a folder}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
sections="${sections:-$all_sections}"
for s in $sections; do
  case " $all_sections " in
    *" $s "*) ;;
    *) echo "bench.sh: unknown section '$s'; sections: $all_sections" >&2; exit 2 ;;
  esac
done
case "$max_painters" in ''|*[!0-9]*) echo "bench.sh: --max-painters takes a number" >&2; exit 2 ;; esac
want() { case " $sections " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if [ "$quick" = 1 ]; then
  reps=1 async_reps=2 tp_reps=1 tp_paintings=20000 scale_reps=1 bench_jobs=5000 gap_reps=3 states_reps=2
else
  reps=5 async_reps=5 tp_reps=3 tp_paintings=200000 scale_reps=3 bench_jobs=20000 gap_reps=10 states_reps=5
fi

cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
echo "bench.sh: building release and the benches..." >&2
cargo build --release --quiet
if want startup || want roundtrip || want throughput || want codec; then
  cargo bench --quiet --workspace --no-run 2>/dev/null || cargo bench --workspace --no-run
fi

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
out="$work/paintings"
coordinator="$root/target/release/coordinator"
mkdir -p "$out"
uptime >"$work/load-before.txt"

# One coordinator invocation: JSON to $1.json, cost to $1.meta.json.
coord() {
  local name=$1; shift
  mkdir -p "$(dirname "$work/$name")"
  if ! python3 "$root/scripts/bench/measure.py" "$work/$name.meta.json" "$work/$name.json" -- \
      "$coordinator" "$@" --json --out "$out"; then
    echo "bench.sh: run failed: coordinator $*" >&2
    exit 1
  fi
}
# The same without measure.py, whose polling of /proc every 2 ms would
# compete for the 2 cores with what is being timed: for start-up.
plain() {
  local name=$1; shift
  mkdir -p "$(dirname "$work/$name")"
  if ! "$coordinator" "$@" --json --out "$out" >"$work/$name.json"; then
    echo "bench.sh: run failed: coordinator $*" >&2
    exit 1
  fi
}
step() { echo "bench.sh: [$(( $(date +%s) - started ))s] $*" >&2; }

if want efficiency; then
  for i in $(seq "$reps"); do
    step "efficiency: default workload, compare $i/$reps"
    coord "efficiency/default-$i" compare
  done
  for i in $(seq "$reps"); do
    step "efficiency: large workload (12 paintings, 2 coats, 50ms/100ms), compare $i/$reps"
    coord "efficiency/large-$i" compare --paintings 12 --coats 2 --paint 50ms --dry 100ms
  done
fi

if want async; then
  # Taking turns with the Python peer, so that the machine's moments fall
  # on both alike.
  for i in $(seq "$async_reps"); do
    step "async: 3 x (300ms paint, 1s dry) $i/$async_reps, then Python's asyncio peer"
    coord "async/atelier-$i" run --mode async --paintings 3 --paint 300ms --dry 1s
    python3 scripts/peers/asyncio_peer.py --paintings 3 --paint-ms 300 --dry-ms 1000 --repeat 1 \
      >"$work/async/python-$i.json"
  done
fi

if want startup || want throughput; then
  step "Python multiprocessing peer"
  if [ "$quick" = 1 ]; then
    python3 scripts/peers/pool_peer.py --rounds 12 --jobs-chunk1 5000 --jobs-chunk16 50000 --jobs-default 200000 \
      >"$work/pool.json"
  else
    python3 scripts/peers/pool_peer.py >"$work/pool.json"
  fi
fi

if want startup; then
  # The painter as `cargo build --release` builds it (statically linked,
  # painter/build.rs), and the same painter linked dynamically beside the
  # same coordinator, taking turns: what static linking buys. The dynamic
  # one is built in a target folder of its own, leaving the default build
  # as it is.
  step "startup: building a dynamically linked painter (target/dynamic)"
  ATELIER_PAINTER_DYNAMIC=1 cargo build --quiet --release -p atelier-painter --bin painter \
    --target-dir "$root/target/dynamic"
  cp "$coordinator" "$root/target/dynamic/release/coordinator"
  for i in $(seq "$reps"); do
    step "startup: 4 painters, nothing to paint $i/$reps, then 4 dynamically linked ones"
    plain "startup/run-$i" run --mode parallel --painters 4 --paintings 4 --paint 0ms --dry 0ms
    # The floor, timed between the runs: the machine's speed drifts.
    python3 "$root/scripts/bench/floor.py" 20 >"$work/startup/floor-$i.json"
    "$root/target/dynamic/release/coordinator" run --mode parallel --painters 4 --paintings 4 --paint 0ms --dry 0ms \
      --json --out "$out" >"$work/startup/dynamic-$i.json"
    python3 "$root/scripts/bench/floor.py" 20 >"$work/startup/floor-dynamic-$i.json"
  done
fi

if want startup || want roundtrip || want throughput; then
  step "cargo bench pipe (start-up, round trip, pipelined throughput, per-job cost)"
  ATELIER_BENCH_OUT="$work/pipe.json" ATELIER_BENCH_JOBS="$bench_jobs" \
    cargo bench --quiet -p atelier-painter --bench pipe >"$work/pipe.txt"
fi

if want throughput; then
  # The same empty paintings handed out one per message, then in chunks;
  # `auto` (what a mode chooses) is throughput/run-*.
  for chunk in 1 16 256 auto; do
    for i in $(seq "$tp_reps"); do
      step "throughput: $tp_paintings empty paintings through parallel, --chunk $chunk $i/$tp_reps"
      rm -rf "$out/parallel"
      if [ "$chunk" = auto ]; then
        coord "throughput/run-$i" run --mode parallel --paintings "$tp_paintings" --paint 0ms --dry 0ms
      else
        # --chunk 1 is slow: a tenth of the paintings tell the same.
        n=$tp_paintings
        [ "$chunk" = 1 ] && n=$((tp_paintings / 10))
        coord "throughput/chunk$chunk-$i" run --mode parallel --paintings "$n" --paint 0ms --dry 0ms --chunk "$chunk"
      fi
    done
  done
  # A million empty paintings against Python's Pool(2).map of a million
  # no-ops with its default chunks, taking turns so that the machine's
  # drift falls on both.
  for i in $(seq "$tp_reps"); do
    step "throughput: a million empty paintings through parallel, then Pool(2).map, $i/$tp_reps"
    rm -rf "$out/parallel"
    plain "million/run-$i" run --mode parallel --paintings 1000000 --paint 0ms --dry 0ms
    python3 scripts/peers/pool_peer.py --map-only --jobs-default 1000000 >"$work/million/python-$i.json"
  done
  # The lesson: with a message per painting, parallel loses to sequential.
  for chunk in 1 auto; do
    step "throughput: compare sequential,parallel on 100000 empty paintings, --chunk $chunk"
    rm -rf "$out/sequential" "$out/parallel"
    if [ "$chunk" = auto ]; then
      coord "lesson/auto" compare --modes sequential,parallel --paintings 100000 --paint 0ms --dry 0ms
    else
      coord "lesson/chunk1" compare --modes sequential,parallel --paintings 100000 --paint 0ms --dry 0ms --chunk 1
    fi
  done
fi

if want memory; then
  if [ ! -e "$work/efficiency/default-1.json" ]; then
    step "memory: one default compare"
    coord "memory/default" compare
  fi
  if [ ! -e "$work/throughput/run-1.json" ]; then
    step "memory: $tp_paintings empty paintings"
    coord "memory/many" run --mode parallel --paintings "$tp_paintings" --paint 0ms --dry 0ms
  fi
fi

if want scaling; then
  counts=""
  n=1
  while [ "$n" -le "$max_painters" ]; do counts="$counts $n"; n=$((n * 2)); done
  for mode in parallel hybrid; do
    for n in $counts; do
      for i in $(seq "$scale_reps"); do
        step "scaling: $mode, $n painters $i/$scale_reps"
        coord "scaling/$mode-$n-$i" run --mode "$mode" --painters "$n" --paintings 8 --paint 100ms --dry 100ms
      done
    done
  done
fi

if want codec; then
  step "cargo bench codec"
  ATELIER_BENCH_OUT="$work/codec.json" cargo bench --quiet -p atelier-protocol --bench codec >"$work/codec.txt"
fi

if want states; then
  # What measuring the painters' threads costs: the same strokes (not the
  # same time, which calibration would make differ) with their states
  # measured from switch events, self-measured (the switch events refused,
  # as a fault), and not measured, in turns so that the machine's drift
  # falls on all three; then many empty paintings, measured and not.
  for i in $(seq "$states_reps"); do
    for how in on self off; do
      step "states: 4 paintings of 8000 strokes, one painter, states $how $i/$states_reps"
      case $how in
        on) ATELIER_PAINTER_STATES=on plain "states/paint-on-$i" run --mode sequential --paintings 4 --strokes 8000 --dry 0ms ;;
        self) ATELIER_PAINTER_FAULT=no-perf/0 plain "states/paint-self-$i" run --mode sequential --paintings 4 --strokes 8000 --dry 0ms ;;
        off) ATELIER_PAINTER_STATES=off plain "states/paint-off-$i" run --mode sequential --paintings 4 --strokes 8000 --dry 0ms ;;
      esac
    done
    for how in on off; do
      step "states: $tp_paintings empty paintings through parallel, states $how $i/$states_reps"
      rm -rf "$out/parallel"
      ATELIER_PAINTER_STATES=$how plain "states/empty-$how-$i" run --mode parallel --paintings "$tp_paintings" --paint 0ms --dry 0ms
    done
  done
fi

busy_pid=""
stop_busy() { if [ -n "$busy_pid" ]; then kill "$busy_pid" 2>/dev/null || true; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; fi; }
if want gap; then
  # Each run's gap between prediction and measurement, cause by cause:
  # first as the machine is, then with another program holding one core.
  for i in $(seq "$gap_reps"); do
    step "gap: default compare $i/$gap_reps"
    coord "gap/quiet-$i" compare
  done
  busy_core=$(taskset -pc $$ | sed 's/.*: //; s/.*[,-]//')
  taskset -c "$busy_core" sh -c 'while :; do :; done' &
  busy_pid=$!
  trap 'stop_busy; [ -n "$keep" ] || rm -rf "$work"' EXIT
  for i in $(seq "$gap_reps"); do
    step "gap: default compare with a busy loop on core $busy_core $i/$gap_reps"
    coord "gap/busy-$i" compare
  done
  stop_busy
fi

uptime >"$work/load-after.txt"
step "done"
python3 scripts/bench/table.py "$work" --sections "$sections" --seconds "$(( $(date +%s) - started ))" \
  --cores "$(nproc)" --quick "$quick"
if want gap; then
  python3 scripts/bench/gap.py "$work/gap"
fi
