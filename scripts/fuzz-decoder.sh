#!/usr/bin/env bash
# Builds the wire decoder's libFuzzer target with clang (AddressSanitizer and UndefinedBehaviorSanitizer
# on) and runs it for SECONDS (default 60) from a corpus of one valid frame per message type.
# Exit status 0 when the time ran out without a finding; otherwise libFuzzer's, with the crashing input
# saved in the work directory it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
work=${FUZZ_DIR:-${BUILD_DIR:-build}/fuzz}
mkdir -p "$work/corpus"
flags=(-std=c++20 -O1 -g -I. -fsanitize=address,undefined -fno-sanitize-recover=undefined)
clang++ "${flags[@]}" tests/fuzz/write_seeds.cc common/protocol.cc -o "$work/write_seeds"
clang++ "${flags[@]}" -fsanitize=fuzzer tests/fuzz/decode_fuzzer.cc common/protocol.cc -o "$work/decode_fuzzer"
"$work/write_seeds" "$work/corpus"
cd "$work"
# rss_limit_mb: a hostile length must never make the decoder allocate more than the frame it reads.
status=0
./decode_fuzzer -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1 corpus \
  >fuzz.log 2>&1 || status=$?
grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==.*ERROR|SUMMARY|artifact)" fuzz.log || true
[ "$status" -eq 0 ] || echo "fuzz-decoder: finding; the full log is $PWD/fuzz.log" >&2
exit "$status"
