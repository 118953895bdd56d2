#!/usr/bin/env bash
# Break runs on purpose, and check that nothing hangs, leaks or goes unreported.
#
#   scripts/chaos.sh           # 20 runs
#   scripts/chaos.sh 100       # more
#   CHAOS_SEED=7 scripts/chaos.sh 10   # the same choices again
#
# Builds the release binaries, then runs the coordinator N times with small
# random workloads, alternating `compare` and `run --mode M` (M at random),
# each with --json and its own temporary --out. At a random moment of each
# run it either SIGKILLs one of the live painters (the coordinator's
# `painter-K` children) or sends SIGINT to the coordinator's process group,
# as a terminal's Ctrl-C would; or, for a third of the runs, a painter
# breaks the protocol instead (ATELIER_PAINTER_FAULT: a coat finished before
# it started, a start said again and again, a timestamp years away, a
# painting never given, escape sequences on stderr, a Hello of no lanes, a
# calibration of 1e300 ns, bytes that are no message, a truncated or
# oversized frame). Every fifth run is instead many tiny paintings in chunks
# (--chunk 16 to 512, one stroke each, pictures saved) with faults drawn
# inside a chunk: a painting that fails, then at a later painting of the
# same or a later chunk a death, a hang or a stop, or another failure; or,
# when run as root, a full disk (a 1 MiB tmpfs as --out) with no fault at
# all. The log says when it struck: at the start
# (no painter yet), during calibration (only the first painter, which
# measures a stroke, had appeared), or once a mode's painters ran;
# CHAOS_SPARE_CALIBRATION=1 strikes only then. Each run then counts as:
#
#   hang      it did not end within CHAOS_TIMEOUT seconds (60) and was killed;
#   orphans   a painter seen during the run was still alive (not a zombie)
#             1 s after the coordinator exited;
#   lost      exit 0 but a run in the JSON lacks some painting 1..P, or a
#             non-zero exit whose error line does not list every painting
#             1..P as finished or unfinished (`finished: #1; unfinished: #2–#4`);
#             in a run that ended (exit 0 or 1) with JSON, a painting that is
#             neither among its paintings nor among its lost ones;
#   twice     a painting counted twice: listed twice as finished, twice as
#             lost, or both finished and lost;
#   panics    the coordinator panicked (exit 101, or `panicked` on stderr);
#   leaks     an escape character reached the coordinator's stderr.
#
# Prints a line per run and a final `runs N, hangs H, orphans O,
# lost-without-report L, twice T, panics P, leaks E`; exits non-zero if any
# is > 0.
set -euo pipefail

usage() { echo "usage: scripts/chaos.sh [N]   (N runs, default 20; CHAOS_SEED, CHAOS_TIMEOUT, CHAOS_SPARE_CALIBRATION in the environment)" >&2; }

case "${1:-}" in
  -h|--help) sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
if [ $# -gt 1 ] || ! [[ "${1:-20}" =~ ^[1-9][0-9]*$ ]]; then
  usage
  exit 2
fi
runs=${1:-20}
timeout_s=${CHAOS_TIMEOUT:-60}
spare_calibration=${CHAOS_SPARE_CALIBRATION:-0}
seed=${CHAOS_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$seed
modes=(sequential async parallel hybrid threads)
abuses=(unstarted restart time-travel foreign escape no-lanes huge-stroke garbage truncated oversize)
# What strikes after a painting failed inside a chunk.
chunk_ends=(exit hang stop fail)
root=0; [ "$(id -u)" = 0 ] && root=1

cd "$(dirname "$0")/.."
cargo build --release --quiet
coordinator_bin=$PWD/target/release/coordinator
export ATELIER_PAINTER=$PWD/target/release/painter
# The interpreter itself, not a version manager's shim that forks helpers
# and takes a while before the coordinator starts.
python=$(python3 -c 'import sys; print(sys.executable)')

work=$(mktemp -d)
coordinator=""        # pid of the coordinator now running, if any
declare -A seen=()    # painter pids seen during the current run

# Whatever happens to this script, nothing it started outlives it: the
# coordinator leads its own process group, and each painter leads its own.
cleanup() {
  for mounted in "$work"/*/small; do
    umount "$mounted" 2>/dev/null || true
  done
  if [ -n "$coordinator" ]; then
    kill -KILL -- "-$coordinator" 2>/dev/null || true
  fi
  for pid in "${!seen[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$coordinator" ]; then
    wait "$coordinator" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $(( t / 1000 )); }
# `rand VAR LO HI` sets VAR to an integer in [LO, HI]. Not `$(…)`: a
# subshell would draw from a copy of $RANDOM, and CHAOS_SEED would not
# replay the same choices.
rand() { printf -v "$1" '%d' $(( $2 + RANDOM % ($3 - $2 + 1) )); }

# Whether a pid is alive and not a zombie.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# The coordinator's live painter children.
painters_of() {
  local pid comm
  for pid in $(pgrep -P "$1" 2>/dev/null || true); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    if [[ $comm == painter-* ]] && alive "$pid"; then
      echo "$pid"
    fi
  done
}

# Checks a finished run's output. Prints `ok` or `lost: why`.
#   $1 exit code, $2 stdout file, $3 stderr file, $4 paintings
verdict() {
  python3 - "$@" <<'EOF'
import json, re, sys

code, out, err, paintings = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
every = set(range(1, paintings + 1))

def ids(text):
    if text.strip() == "none":
        return set()
    found = set()
    for first, last in re.findall(r"#(\d+)(?:–#(\d+))?", text):
        found.update(range(int(first), int(last or first) + 1))
    return found

if code == 101 or "panicked" in open(err, errors="replace").read():
    print(f"panic: exit {code}")
    sys.exit()
if "\x1b" in open(err, errors="replace").read():
    print("leak: an escape character reached stderr")
    sys.exit()

# A run that ended by itself (exit 0, or 1 with paintings lost) names
# each painting exactly once: finished, or lost.
if code in (0, 1):
    try:
        report = json.load(open(out))
    except ValueError as e:
        report = None
        if code == 0:
            print(f"lost: exit 0 but stdout is not JSON ({e})")
            sys.exit()
    for run in (report or {}).get("runs", [report] if report else []):
        named = [p["id"] for p in run.get("paintings", [])] + [l["id"] for l in run.get("lost", [])]
        twice = sorted({i for i in named if named.count(i) > 1}) if len(named) < 5000 else sorted(
            i for i, n in __import__("collections").Counter(named).items() if n > 1)
        if twice:
            print(f"twice: {run.get('mode')} names " + ", ".join(f"#{i}" for i in twice[:10]) + (" …" if len(twice) > 10 else "") + " more than once")
            sys.exit()
        never = every - set(named)
        if never:
            print(f"lost: exit {code} but {run.get('mode')} names neither finished nor lost " + ", ".join(f"#{i}" for i in sorted(never)[:10]))
            sys.exit()
    if report is not None and code == 1:
        print("ok")
        sys.exit()

if code == 0:
    for run in report.get("runs", [report]):
        missing = every - {p["id"] for p in run.get("paintings", [])}
        if missing:
            print(f"lost: exit 0 but {run.get('mode')} lacks " + ", ".join(f"#{i}" for i in sorted(missing)))
            sys.exit()
    print("ok")
    sys.exit()

# A failed or interrupted run's error line names both lists, as
#   ... (finished: #1, #3; unfinished: #2)
#   ... 1 of 3 paintings finished (#1), unfinished: #2, #3
lines = [l for l in open(err, errors="replace") if "unfinished" in l]
if not lines:
    print(f"lost: exit {code} and no line on stderr lists the unfinished paintings")
    sys.exit()
line = lines[-1]
listed = r"((?:#\d+(?:–#\d+)?(?:, )?)+|none)"
finished = re.search(r"(?<!un)finished(?::\s*| \()" + listed, line)
unfinished = re.search(r"unfinished:\s*" + listed, line)
if not finished or not unfinished:
    print(f"lost: exit {code}, cannot read the lists in: {line.strip()}")
    sys.exit()
missing = every - ids(finished.group(1)) - ids(unfinished.group(1))
if missing:
    print(f"lost: exit {code}, the error line leaves out " + ", ".join(f"#{i}" for i in sorted(missing)))
else:
    print("ok")
EOF
}

# Roughly how long a mode takes (the README's ideal, on $cores cores), so
# that the random moment falls inside the run more often than not.
cores=$(nproc)
calibration_ms=300
ideal_ms() {
  local rounds=$(( (paintings + cores - 1) / cores ))
  case "$1" in
    sequential) echo $(( paintings * (paint + dry) )) ;;
    async) echo $(( paintings * paint + dry )) ;;
    parallel|threads) echo $(( rounds * (paint + dry) )) ;;
    hybrid) echo $(( rounds * paint + dry )) ;;
  esac
}

hangs=0
killed=0
interrupted=0
orphans=0
lost=0
twice=0
chunked=0
panics=0
leaks=0
abused=0
echo "chaos: $runs runs, seed $seed, timeout ${timeout_s}s" >&2

for ((i = 1; i <= runs; i++)); do
  rand paintings 3 6
  rand paint 50 200
  rand dry 0 200
  if (( i % 2 == 1 )); then
    what=(compare)
    estimate=$calibration_ms
    for mode in "${modes[@]}"; do estimate=$(( estimate + $(ideal_ms "$mode") )); done
  else
    mode=${modes[RANDOM % ${#modes[@]}]}
    what=(run --mode "$mode")
    estimate=$(( calibration_ms + $(ideal_ms "$mode") ))
  fi
  fault=""
  case $(( RANDOM % 3 )) in
    0) action=kill ;;
    1) action=sigint ;;
    2) action=""; fault="${abuses[RANDOM % ${#abuses[@]}]}/$(( RANDOM % 2 ))" ;;
  esac
  rand at 100 $(( estimate * 9 / 10 ))

  out="$work/$i"
  mkdir -p "$out"
  args=("${what[@]}" --paintings "$paintings" --paint "${paint}ms" --dry "${dry}ms" --json --out "$out/paintings")
  small=""
  if (( i % 5 == 0 )); then
    # Tiny paintings in chunks, with faults inside a chunk, or a full disk.
    rand paintings 300 2500
    rand chunk 16 512
    rand retries 0 2
    paint=0; dry=0
    action=""
    mode=${modes[RANDOM % ${#modes[@]}]}
    what=(run --mode "$mode")
    args=("${what[@]}" --paintings "$paintings" --strokes 1 --paint 0ms --dry 0ms --chunk "$chunk"
      --retries "$retries" --timeout 5s --json --out "$out/paintings")
    if (( root )) && (( RANDOM % 4 == 0 )); then
      small="$out/small"
      mkdir -p "$small"
      mount -t tmpfs -o size=1m tmpfs "$small"
      args=("${args[@]:0:${#args[@]}-1}" "$small/paintings")
      fault=""
      done_what="a full disk (1 MiB tmpfs), --chunk $chunk --retries $retries"
    else
      rand first 1 $(( paintings / 2 ))
      rand later "$first" "$paintings"
      fault="fail@$first,${chunk_ends[RANDOM % ${#chunk_ends[@]}]}@$later"
    fi
    chunked=$(( chunked + 1 ))
  fi
  # Its own session and process group, with SIGINT at its default (a shell
  # without job control would start a background job ignoring it).
  ATELIER_PAINTER_FAULT=$fault "$python" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$coordinator_bin" "${args[@]}" \
    >"$out/stdout" 2>"$out/stderr" </dev/null &
  coordinator=$!
  pid_of_run=$coordinator
  seen=()
  calibrator=""   # the first painter: the one that measures a stroke
  phase=start     # start, calibration, then mode once another painter appears
  start=$(now_ms)
  [ -z "$small" ] && done_what="nothing (it ended first)"
  [ -n "$fault" ] && done_what="a painter that breaks the protocol ($fault)"
  [[ $fault == fail@* ]] && done_what="faults inside chunks of $chunk ($fault), --retries $retries"
  hung=0
  while alive "$coordinator"; do
    elapsed=$(( $(now_ms) - start ))
    live=($(painters_of "$coordinator"))
    for pid in "${live[@]}"; do
      seen[$pid]=1
      if [ -z "$calibrator" ]; then
        calibrator=$pid
      elif [ "$pid" != "$calibrator" ]; then
        phase=mode
      fi
    done
    [ "$phase" = start ] && [ -n "$calibrator" ] && phase=calibration
    # With CHAOS_SPARE_CALIBRATION=1, strike only once a mode's painters run.
    victims=()
    for pid in "${live[@]}"; do
      if [ "$spare_calibration" != 1 ] || [ "$pid" != "$calibrator" ]; then victims+=("$pid"); fi
    done
    # Strike only once the launcher has become the coordinator (and so
    # leads its own process group).
    if [ -n "$action" ] && (( elapsed >= at )) && [ "$(cat "/proc/$coordinator/comm" 2>/dev/null)" = coordinator ] \
      && { [ "$spare_calibration" != 1 ] || [ "$phase" = mode ]; }; then
      if [ "$action" = sigint ]; then
        if kill -INT -- "-$coordinator" 2>/dev/null; then
          done_what="SIGINT to the coordinator at ${elapsed}ms ($phase)"
        fi
        action=""
      elif (( ${#victims[@]} > 0 )); then
        victim=${victims[RANDOM % ${#victims[@]}]}
        name=$(cat "/proc/$victim/comm" 2>/dev/null || echo painter)
        if kill -KILL "$victim" 2>/dev/null; then
          done_what="SIGKILL to $name (pid $victim) at ${elapsed}ms ($phase)"
        fi
        action=""
      fi
    fi
    if (( elapsed > timeout_s * 1000 )); then
      hung=1
      kill -KILL -- "-$coordinator" 2>/dev/null || true
      break
    fi
    sleep 0.02
  done
  case "$done_what" in
    SIGKILL*) killed=$(( killed + 1 )) ;;
    SIGINT*) interrupted=$(( interrupted + 1 )) ;;
    a\ painter*) abused=$(( abused + 1 )) ;;
    faults*|a\ full*) ;;
  esac
  code=0
  wait "$coordinator" || code=$?
  duration=$(( $(now_ms) - start ))
  coordinator=""

  sleep 1
  # Painters too brief for the polling above are still found: each carries
  # its coordinator's pid in its environment.
  for environ in $(grep -lzx "ATELIER_COORDINATOR_PID=$pid_of_run" /proc/[0-9]*/environ 2>/dev/null || true); do
    pid=${environ#/proc/}
    seen[${pid%/environ}]=1
  done
  left=()
  for pid in "${!seen[@]}"; do
    if alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == painter-* ]]; then
      left+=("$pid")
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  seen=()

  if (( hung )); then
    result="HANG (killed after ${timeout_s}s)"
    hangs=$(( hangs + 1 ))
  else
    result=$(verdict "$code" "$out/stdout" "$out/stderr" "$paintings")
    case "$result" in
      ok) ;;
      panic*) panics=$(( panics + 1 )); result="PANIC: ${result#panic: }" ;;
      leak*) leaks=$(( leaks + 1 )); result="LEAK: ${result#leak: }" ;;
      twice*) twice=$(( twice + 1 )); result="TWICE: ${result#twice: }" ;;
      *) lost=$(( lost + 1 )); result="LOST: ${result#lost: }" ;;
    esac
  fi
  if (( ${#left[@]} > 0 )); then
    orphans=$(( orphans + 1 ))
    result="$result; ORPHANS: ${left[*]}"
  fi
  printf 'run %d: %s --paintings %d --paint %dms --dry %dms; %s; exit %d after %d.%03ds; %s\n' \
    "$i" "${what[*]}" "$paintings" "$paint" "$dry" "$done_what" "$code" \
    $(( duration / 1000 )) $(( duration % 1000 )) "$result"
  if [ "$code" -ne 0 ] && [ "$result" != ok ] || (( hung )); then
    sed 's/^/    stderr: /' "$out/stderr" | tail -n 5
  fi
  [ -n "$small" ] && umount "$small" 2>/dev/null
  rm -rf "$out"
done

echo "struck: a painter SIGKILLed in $killed runs, SIGINT in $interrupted, a painter broke the protocol in $abused, faults inside chunks or a full disk in $chunked, $(( runs - killed - interrupted - abused - chunked )) ended first"
echo "runs $runs, hangs $hangs, orphans $orphans, lost-without-report $lost, twice $twice, panics $panics, leaks $leaks"
(( hangs + orphans + lost + twice + panics + leaks == 0 ))
