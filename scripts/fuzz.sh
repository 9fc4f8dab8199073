#!/usr/bin/env bash
# Fuzzes the request decoders of `kiln serve` (tests/fuzz/request_parser_fuzz.cc) with libFuzzer:
# configures build-fuzz with clang and -DKILN_FUZZ=ON (ASan + UBSan in every Kiln target), builds
# the fuzz binary and runs it for SECONDS (default 60) on a working copy of the seed corpus and
# the saved findings; any further arguments go to libFuzzer (e.g. -jobs=2 -workers=2).
#
#   scripts/fuzz.sh [SECONDS] [LIBFUZZER_FLAGS...]
#
# The working corpus (build-fuzz/fuzz/request_parser/corpus) grows across runs; the seeds in
# tests/fuzz/corpus/ never change. A crash, leak or UB report leaves its input in
# build-fuzz/fuzz/request_parser/artifacts/ and exits non-zero: minimise it
# (kiln_request_parser_fuzz -minimize_crash=1 -runs=10000 FILE) and save it in
# tests/fuzz/regressions/request_parser/, where the ordinary test suite replays it.
set -euo pipefail

seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_FUZZ_BUILD_DIR:-$root/build-fuzz}
work=$build/fuzz/request_parser

# -O1 -g without NDEBUG: assertions stay on, and stacks stay readable.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" \
  -DKILN_FUZZ=ON -DKILN_WERROR=ON -DKILN_BUILD_BENCH=OFF
ninja -C "$build" kiln_request_parser_fuzz

mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$root"/tests/fuzz/corpus/request_parser/* "$work/corpus/"
cp -n "$build"/tests/fuzz/corpus/request_parser_grpc/*.pb "$work/corpus/"  # encoded from .txtpb
find "$root/tests/fuzz/regressions/request_parser" -type f ! -name README.md \
  -exec cp -n {} "$work/corpus/" \;

# Leak detection stays on (libFuzzer's -detect_leaks=1 default); 2 GiB RSS and 10 s per input
# are generous for requests of at most 64 KiB.
"$build/tests/fuzz/kiln_request_parser_fuzz" -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
  "$@" "$work/corpus"
