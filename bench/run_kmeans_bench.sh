#!/usr/bin/env bash
# Runs the k-means benchmark (scikit-learn KMeans vs Kiln, same data and initial centres).
# Usage: bench/run_kmeans_bench.sh [BUILD_DIR] [extra args for bench/kmeans_bench.py]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
exec /usr/bin/python3 bench/kmeans_bench.py --kiln "$build/bin/kiln" "$@"
