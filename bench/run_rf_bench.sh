#!/usr/bin/env bash
# Runs the random forest benchmark (scikit-learn RandomForestClassifier vs Kiln random_forest,
# 100 trees, 2 threads) on generated HIGGS-like dense data (200,000 x 28). Usage:
# bench/run_rf_bench.sh [BUILD_DIR] [extra args for bench/rf_bench.py, e.g. --repeat 3]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
exec /usr/bin/python3 bench/rf_bench.py --kiln "$build/bin/kiln" --gen "$build/bin/gen_dense" "$@"
