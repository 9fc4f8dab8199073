#!/usr/bin/env bash
# Runs the factorization machine benchmark (Kiln fm vs Kiln logistic_regression on CTR data).
# Usage: bench/run_fm_bench.sh [BUILD_DIR] [extra args for bench/fm_bench.py]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
exec /usr/bin/python3 bench/fm_bench.py --kiln "$build/bin/kiln" --gen "$build/bin/gen_ctr" "$@"
