#!/usr/bin/env bash
# Runs the linear-model benchmark (LIBLINEAR vs scikit-learn vs Kiln) on generated CTR data.
# Usage: bench/run_linear_bench.sh [BUILD_DIR] [extra args for bench/linear_bench.py]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
exec /usr/bin/python3 bench/linear_bench.py --kiln "$build/bin/kiln" --gen "$build/bin/gen_ctr" "$@"
