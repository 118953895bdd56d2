#!/usr/bin/env bash
# Fuzz the protocol's decoders with cargo-fuzz (libFuzzer), time-bounded.
#
#   scripts/fuzz.sh            # 60 s in all, split between the targets
#   scripts/fuzz.sh 600        # ten minutes
#
# Targets (fuzz/fuzz_targets/): `frame` reads any bytes as a stream of frames
# with the blocking reader and the tokio codecs, both directions; `message`
# decodes any bytes as one message, and re-encodes what decodes;
# `conversation` checks any stream of messages against the protocol's
# contract (protocol/src/contract.rs), as the coordinator does. Needs the
# nightly toolchain; installs cargo-fuzz when it is missing. The corpus
# (fuzz/corpus/) grows from run to run; crashes are saved in fuzz/artifacts/.
# Prints a summary line per target and exits non-zero if any target crashed.
set -euo pipefail

usage() { echo "usage: scripts/fuzz.sh [SECONDS]   (default 60, split between the targets)" >&2; }

case "${1:-}" in
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
if [ $# -gt 1 ] || ! [[ "${1:-60}" =~ ^[1-9][0-9]*$ ]]; then
  usage
  exit 2
fi
total=${1:-60}
targets=(frame message conversation)

cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

per_target=$(( total / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Build first, so that compile time does not eat into the fuzzing time.
for target in "${targets[@]}"; do
  cargo +nightly fuzz build "$target"
done

crashed=0
summary=()
for target in "${targets[@]}"; do
  log="$logs/$target.log"
  echo "fuzz.sh: $target for ${per_target}s" >&2
  status=0
  # -rss_limit_mb: the decoders must never allocate much; 512 MiB is far
  # beyond one 64 KiB frame and well under what ASan itself needs to trip.
  cargo +nightly fuzz run "$target" -- -max_total_time="$per_target" -rss_limit_mb=512 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  # libFuzzer's final stats: stat::number_of_executed_units, stat::average_exec_per_sec…
  execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log" | tail -n1)
  rate=$(awk '/stat::average_exec_per_sec:/ {print $2}' "$log" | tail -n1)
  rss=$(awk '/stat::peak_rss_mb:/ {print $2}' "$log" | tail -n1)
  corpus=$(find "fuzz/corpus/$target" -type f 2>/dev/null | wc -l)
  line="$target: ${execs:-?} execs in ${per_target}s (${rate:-?}/s), corpus $corpus inputs, peak RSS ${rss:-?} MB"
  if [ "$status" -ne 0 ]; then
    crashed=1
    line="$line, CRASHED (exit $status)"
    tail -n 40 "$log" >&2
    grep -o 'Test unit written to .*' "$log" >&2 || true
  fi
  summary+=("$line")
done

echo "fuzz summary (${total}s):"
printf '  %s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
  echo "fuzz.sh: a target crashed: reproduce with cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/<file>" >&2
  exit 1
fi
