#!/usr/bin/env bash
# Runs the GBDT benchmark (XGBoost hist vs scikit-learn HistGradientBoosting vs Kiln gbdt) on
# generated HIGGS-like dense data. Usage: bench/run_gbdt_bench.sh [BUILD_DIR] [extra args for
# bench/gbdt_bench.py, e.g. --repeat 5 --workdir /tmp/kiln-gbdt-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
exec /usr/bin/python3 bench/gbdt_bench.py --kiln "$build/bin/kiln" --gen "$build/bin/gen_dense" "$@"
