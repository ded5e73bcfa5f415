#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in a build tree of their own, replays the
# committed regression inputs, then fuzzes the core and the wire parsers from seeds made
# from captures/*.pcap.
#
#   run_fuzzers.sh [--core-time S] [--wire-time S] [--work DIR]
#
# --work keeps the build, the corpus and the findings (default: a folder under $TMPDIR);
# a corpus left there by an earlier run is fuzzed further. Exit status 1 on any finding:
# the input is in DIR/findings/, to be committed under tests/fuzz/regressions/core/ or
# regressions/wire/ once understood.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
source_root="$(cd "$here/../.." && pwd)"
core_time=60
wire_time=20
work="${TMPDIR:-/tmp}/teardown-fuzz"
while [ $# -gt 0 ]; do
  case "$1" in
    --core-time) core_time="$2"; shift 2 ;;
    --wire-time) wire_time="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "usage: $0 [--core-time S] [--wire-time S] [--work DIR]" >&2; exit 2 ;;
  esac
done

cc="${TEARDOWN_FUZZ_CC:-clang}"
if ! command -v "$cc" > /dev/null; then
  echo "FAIL: the fuzz targets need clang with libFuzzer, and '$cc' is not installed." >&2
  echo "      Debian: apt-get install clang libclang-rt-dev" >&2
  exit 1
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  > "$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" 2> "$probe/err"; then
  echo "FAIL: '$cc' cannot link libFuzzer with AddressSanitizer:" >&2
  sed 's/^/      /' "$probe/err" >&2
  echo "      Debian: apt-get install libclang-rt-dev" >&2
  exit 1
fi

cmake="${TEARDOWN_CMAKE:-cmake}"
build="$work/build"
CC="$cc" "$cmake" -S "$here/harness" -B "$build" > "$work.configure.log" 2>&1 \
  || { cat "$work.configure.log" >&2; exit 1; }
rm -f "$work.configure.log"
"$cmake" --build "$build" -j2 > /dev/null

mkdir -p "$work/seeds" "$work/corpus/core" "$work/corpus/wire" "$work/findings"
python3 "$here/pcap2records.py" "$work/seeds" "$source_root"/captures/*.pcap

status=0
declare -A corpus_extra
for target in core wire; do
  regressions="$here/regressions/$target"
  corpus_extra[$target]=""
  compgen -G "$regressions/*" > /dev/null || continue
  echo "== fuzz_$target: replaying $(find "$regressions" -type f | wc -l) regression inputs"
  if "$build/fuzz_$target" -runs=0 "$regressions"/* > "$work/replay-$target.log" 2>&1; then
    corpus_extra[$target]="$regressions"
  else
    grep -E 'invariant|ERROR|runtime error|Running:' "$work/replay-$target.log" >&2
    echo "FAIL: a regression input of fuzz_$target fails (log: $work/replay-$target.log)" >&2
    status=1
  fi
done

run() {
  local target="$1" seconds="$2"
  [ "$seconds" -gt 0 ] || return 0
  echo "== fuzz_$target for ${seconds}s"
  # One job, leaving the other cores to whatever else runs. The corpus folder comes first, so new inputs go
  # there; a failing regression input is left out, or it would end the run at once.
  # shellcheck disable=SC2086
  if ! "$build/fuzz_$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/findings/$target-" \
       "$work/corpus/$target" "$work/seeds/$target" ${corpus_extra[$target]} \
       > "$work/fuzz-$target.log" 2>&1; then
    grep -E 'invariant|ERROR|runtime error|Test unit written' "$work/fuzz-$target.log" >&2 || true
    echo "FAIL: fuzz_$target found a problem; inputs in $work/findings/ (log: $work/fuzz-$target.log)" >&2
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$work/fuzz-$target.log" || true
  echo "corpus: $(find "$work/corpus/$target" -type f | wc -l) inputs"
}
run core "$core_time"
run wire "$wire_time"
exit "$status"
