#!/usr/bin/env bash
# Measures ReadDataset parse speed and peak memory on generated data: a HIGGS-like dense CSV
# (1M rows x 28 floats + label, ~309 MB), a mixed CSV (24 floats, 4 text columns with quoted
# values, 5% missing, ~283 MB), CTR-like LibSVM (1M rows, ~40 nonzeros, ~360 MB) and the mixed
# data as JSON Lines (480k rows, ~250 MB).
# The files are generated once into OUT_DIR (default /tmp/kiln-parse-bench), never into the repo.
# Usage: bench/run_parse_bench.sh [BUILD_DIR] [REPEAT]
# The machine is shared: note `uptime` next to the numbers, and re-run when the load is high.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeat=${2:-5}
out=${OUT_DIR:-/tmp/kiln-parse-bench}
mkdir -p "$out"
[[ -f $out/higgs.csv ]] || "$build/bin/gen_dense" --rows 1000000 --seed 1 --out "$out/higgs.csv"
[[ -f $out/mixed.csv ]] ||
  "$build/bin/gen_dense" --rows 1000000 --features 24 --categorical 4 --missing 0.05 --seed 1 \
    --out "$out/mixed.csv"
[[ -f $out/ctr.libsvm ]] ||
  "$build/bin/gen_ctr" --rows 1000000 --test-rows 0 --seed 1 --out-train "$out/ctr.libsvm"
# JSON Lines: the first 480,000 records of mixed.csv (~250 MB).
[[ -f $out/mixed.jsonl ]] || /usr/bin/python3 bench/csv_to_jsonl.py "$out/mixed.csv" "$out/mixed.jsonl" 480000
for f in higgs.csv mixed.csv ctr.libsvm mixed.jsonl; do
  echo "== $f  (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$build/bin/parse_bench" "$out/$f" --threads 1,2 --repeat "$repeat"
done
