#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in a build tree of their own, replays the
# committed regression inputs, then fuzzes the core and the wire parsers from seeds made
# from captures/*.pcap.
#
#   run_fuzzers.sh [--core-time S] [--wire-time S] [--core-runs N] [--wire-runs N]
#                  [--seed S] [--work DIR]
#
# A number of runs (--core-runs, --wire-runs) replaces that target's time limit. With run
# counts and --seed the run is repeatable: it starts from the seeds and regressions alone
# (its new inputs go to a corpus folder of its own, emptied first), so the same build
# takes the same path every time. ctest runs it that way, so that a failure there is a
# failure on every run; the long campaigns use time limits and a new seed each run.
# --work keeps the build, the corpus and the findings (default: a folder under $TMPDIR);
# a corpus left there by an earlier run without --seed is fuzzed further. Exit status 1
# on any finding: the input is in DIR/findings/, to be committed under
# tests/fuzz/regressions/core/ or regressions/wire/ once understood.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
source_root="$(cd "$here/../.." && pwd)"
core_time=60
wire_time=20
core_runs=""
wire_runs=""
seed=""
work="${TMPDIR:-/tmp}/teardown-fuzz"
while [ $# -gt 0 ]; do
  case "$1" in
    --core-time) core_time="$2"; shift 2 ;;
    --wire-time) wire_time="$2"; shift 2 ;;
    --core-runs) core_runs="$2"; shift 2 ;;
    --wire-runs) wire_runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "usage: $0 [--core-time S] [--wire-time S] [--core-runs N] [--wire-runs N]" \
            "[--seed S] [--work DIR]" >&2; exit 2 ;;
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

corpus="$work/corpus"
if [ -n "$seed" ]; then
  corpus="$work/corpus-seed-$seed"
  rm -rf "$corpus"
fi
rm -rf "$work/seeds"
mkdir -p "$work/seeds" "$corpus/core" "$corpus/wire" "$work/findings"
python3 "$here/pcap2records.py" "$work/seeds" "$source_root"/captures/*.pcap

# Address randomisation changes libFuzzer's path even with a fixed seed.
same_addresses=()
if [ -n "$seed" ]; then
  if setarch "$(uname -m)" -R true 2> /dev/null; then
    same_addresses=(setarch "$(uname -m)" -R)
  else
    echo "note: address randomisation cannot be turned off here (setarch -R), so this" \
         "seeded run may take another path each time"
  fi
fi

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
  local target="$1" seconds="$2" runs="$3" limit
  if [ -n "$runs" ]; then
    limit="-runs=$runs"
    echo "== fuzz_$target for $runs runs${seed:+, seed $seed}"
  else
    [ "$seconds" -gt 0 ] || return 0
    limit="-max_total_time=$seconds"
    echo "== fuzz_$target for ${seconds}s${seed:+, seed $seed}"
  fi
  # One job, leaving the other cores to whatever else runs. The corpus folder comes first, so new inputs go
  # there; a failing regression input is left out, or it would end the run at once.
  # shellcheck disable=SC2086
  if ! ${same_addresses[@]+"${same_addresses[@]}"} "$build/fuzz_$target" "$limit" ${seed:+-seed=$seed -reload=0} -max_len=8192 -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/findings/$target-" \
       "$corpus/$target" "$work/seeds/$target" ${corpus_extra[$target]} \
       > "$work/fuzz-$target.log" 2>&1; then
    grep -E 'invariant|ERROR|runtime error|Test unit written' "$work/fuzz-$target.log" >&2 || true
    echo "FAIL: fuzz_$target found a problem; inputs in $work/findings/ (log: $work/fuzz-$target.log)" >&2
    if [ "$target" = core ]; then
      echo "      replay one, each segment traced: TEARDOWN_FUZZ_TRACE=1 $build/fuzz_core FILE" >&2
    else
      echo "      replay one: $build/fuzz_wire FILE" >&2
    fi
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$work/fuzz-$target.log" || true
  echo "corpus: $(find "$corpus/$target" -type f | wc -l) inputs"
}
run core "$core_time" "$core_runs"
run wire "$wire_time" "$wire_runs"
exit "$status"
