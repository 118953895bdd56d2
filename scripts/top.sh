#!/usr/bin/env bash
# Watch the painters work the way `top` sees them, and check that atelier's
# own figures agree.
#
# Starts a long run in the background (4 s of painting per painting, so
# there is time to look, and the default 800 ms of drying), samples
# `top -b` every half second for exactly the painter processes of that
# run until it ends, shows `ps` (PSR: the core each
# painter runs on), and finally puts each painter's mean %CPU in `top` beside
# atelier's own figure for it: the CPU time the kernel accounted to the
# reaped painter (wait4), over the run's wall time.
#
#   scripts/top.sh                      # parallel: one painter per core, each near 100% while painting
#   scripts/top.sh --mode async         # one painter, busy only while painting
#   scripts/top.sh --mode threads       # one process at up to N×100% (`top -H` shows its threads)
#   scripts/top.sh --mode hybrid --paintings 6
#
# Any other argument is passed to `coordinator run`. Needs top, ps, pgrep, python3.
set -euo pipefail

mode=parallel
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode="${2:?--mode needs a value}"; shift 2 ;;
    --mode=*) mode="${1#--mode=}"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
report="$out/report.json"

./target/release/coordinator run --mode "$mode" --paint 4s --out "$out" --json "${args[@]}" >"$report" &
coordinator=$!
cleanup() {
  kill "$coordinator" 2>/dev/null || true   # the coordinator stops its painters
  wait "$coordinator" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT INT TERM

# The run's painters are the coordinator's children that save into the
# mode's folder (`--out $out/$mode`). The painter that measures a stroke
# first, also named painter-0, saves into $out itself: it is left out, so
# that a slow calibration on a busy machine is not watched instead of the
# run. Wait until the set is stable.
painters() { pgrep -P "$coordinator" -d, -f -- "--out $out/$mode( |\$)" || true; }
pids="" previous="-"
for _ in $(seq 100); do
  pids=$(painters)
  if [ -n "$pids" ] && [ "$pids" = "$previous" ]; then break; fi
  previous=$pids
  sleep 0.3
done
if [ -z "$pids" ]; then
  echo "top.sh: no painter processes appeared; the coordinator said:" >&2
  wait "$coordinator" || true
  cat "$report" >&2
  exit 1
fi

echo "== ps: PSR is the core each painter is running on"
ps -o pid,psr,pcpu,comm -p "$pids"
echo
echo "== top, every 0.5 s until the run ends (%CPU: share of one core); the first samples:"
samples="$out/top.txt"
# Per process, threads summed: a `threads` painter shows up to N×100%.
top -b -w 160 -d 0.5 -p "$pids" >"$samples" 2>/dev/null &
sampler=$!
sleep 2.2
grep -E '^ *(PID|[0-9]+) ' "$samples" | head -n 12
status=0
wait "$coordinator" || status=$?
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
if [ "$status" -ne 0 ]; then
  echo "top.sh: the run failed (exit $status)" >&2
  exit "$status"
fi

echo
echo "== the same painters: top's mean %CPU over the run, beside atelier's figure"
python3 - "$report" "$samples" <<'PY'
import json, sys
from collections import defaultdict

report = json.load(open(sys.argv[1]))
seen = defaultdict(list)
# top's frames each start with a "top - " line; the first frame's %CPU
# covers an unknown interval, so it is left out.
frames = open(sys.argv[2]).read().split("top - ")[2:]
for frame in frames:
    for line in frame.splitlines():
        fields = line.split()
        # top's columns: PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND
        if len(fields) >= 12 and fields[0].isdigit():
            seen[int(fields[0])].append(float(fields[8].replace(",", ".")))
wall = report["wall_s"]
print(f"{'painter':<11} {'pid':>7} {'core':>5} {'top %CPU':>9} {'samples':>8} {'atelier %CPU':>13} {'waited %':>9}")
for p in report["painters"]:
    samples = seen.get(p["pid"], [])
    top = sum(samples) / len(samples) if samples else float("nan")
    ours = 100 * (p["cpu_s"] or 0) / wall
    waited = 100 * sum(s["end_s"] - s["start_s"] for s in p.get("states") or [] if s["state"] == "waiting") / wall
    core = "-" if p["core"] is None else p["core"]
    print(f"painter-{p['id']:<3} {p['pid']:>7} {core:>5} {top:>9.1f} {len(samples):>8} {ours:>13.1f} {waited:>9.1f}")
print(f"\nwall {wall:.2f} s (ideal {report['ideal_s']:.2f} s); atelier %CPU = cpu_s (wait4) / wall_s.")
print("top's samples span the painter's whole life, a little longer than the run: expect agreement within a few %.")
source = report.get("state_source") or "no states"
print(f"waited %: the time the painter was ready to paint but its core was held by another ({source}), over wall_s.")
print("top cannot show it: a waiting painter and a sleeping one both use no CPU. Where two painters share a core,")
print("each shows about 50% in top and waits the other half: taking turns, not painting at once.")
PY
