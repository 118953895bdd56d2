#!/usr/bin/env bash
# Watch the painters work, the way `top` sees them.
#
# Starts a long run in the background (4 s of painting per painting, so
# there is time to look), then samples `top -b` and `ps` for exactly the
# painter processes of that run, and finally prints the run's own report,
# whose `cpu` column should agree with what `top` showed.
#
#   scripts/top.sh                      # parallel: one painter per core, each near 100%
#   scripts/top.sh --mode async         # one painter, busy only while painting
#   scripts/top.sh --mode threads       # one process at up to N×100% (threads shown with -H)
#   scripts/top.sh --mode hybrid --paintings 6
#
# Any other argument is passed to `coordinator run`.
set -euo pipefail

mode=parallel
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode="${2:?--mode needs a value}"; shift 2 ;;
    --mode=*) mode="${1#--mode=}"; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
report="$out/report.txt"

./target/release/coordinator run --mode "$mode" --paint 4s --dry 1s --out "$out" "${args[@]}" >"$report" &
coordinator=$!
cleanup() {
  kill "$coordinator" 2>/dev/null || true   # the coordinator stops its painters
  wait "$coordinator" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT INT TERM

# The run's painters are the coordinator's children named painter-K. A
# calibrating painter comes and goes first; wait until the set is stable.
painters() { pgrep -P "$coordinator" -d, '^painter-' || true; }
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

threads=()
[ "$mode" = threads ] && threads=(-H)
echo "== top, 3 samples a second apart: %CPU is each painter's share of one core"
top -b -w 160 -n 3 -d 1 "${threads[@]}" -p "$pids" | grep -E '^ *(PID|[0-9]+) '
echo
echo "== ps: PSR is the core each painter is running on"
ps -o pid,psr,pcpu,comm -p "$pids"
echo
echo "== waiting for the run to finish…"
wait "$coordinator"
cat "$report"
