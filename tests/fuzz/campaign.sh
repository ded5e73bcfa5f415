#!/usr/bin/env bash
# The long fuzzing campaign: the core fuzzer for --core-minutes, the wire parsers for
# --wire-minutes, then --captures mutated captures (and --randpkt randpkt files, and every
# truncation of a short capture) through tshark with the sanitized plugin.
#
#   tests/fuzz/campaign.sh [--core-minutes 30] [--wire-minutes 10] [--captures 2000]
#                          [--randpkt 50] [--work DIR]
#
# Findings land in DIR/findings (core, wire) and DIR/captures-findings; the corpus in
# DIR/corpus carries over to the next campaign with the same --work.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
core_minutes=30
wire_minutes=10
captures=2000
randpkt=50
work="${TMPDIR:-/tmp}/teardown-fuzz"
while [ $# -gt 0 ]; do
  case "$1" in
    --core-minutes) core_minutes="$2"; shift 2 ;;
    --wire-minutes) wire_minutes="$2"; shift 2 ;;
    --captures) captures="$2"; shift 2 ;;
    --randpkt) randpkt="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) sed -n '2,11p' "$0" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"

status=0
"$here/run_fuzzers.sh" --core-time $((core_minutes * 60)) --wire-time $((wire_minutes * 60)) \
  --work "$work" || status=1
python3 "$here/capture_fuzz.py" --captures "$captures" --randpkt "$randpkt" --truncate \
  --jobs 1 --build-dir "$work/asan-plugin" --findings "$work/captures-findings" || status=1
exit "$status"
