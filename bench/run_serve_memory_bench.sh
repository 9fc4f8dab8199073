#!/usr/bin/env bash
# Serving memory benchmark: does loading and unloading a large model through the admin API give
# its memory back? Target (issue 5): after 20 cycles of load -> predict once -> unload of a 1 GB
# model, the server's resident memory is within 5 % of where it started.
#
# Usage: bench/run_serve_memory_bench.sh [BUILD_DIR] [--kind kiln|xgboost] [--size-mb N]
#          [--cycles N] [--repeat R] [--threads N] [--workdir DIR] [--keep] [--quiet]
#
#   --kind kiln      (default) a Kiln linear model whose hashed categorical column has enough
#                    buckets for N MiB of weights: a tiny model trained on a generated CSV, grown
#                    by BUILD_DIR/bin/gen_big_model (no training). Served by mapping the file.
#   --kind xgboost   an XGBoost JSON model of N MiB (bench/serve/big_xgboost_model.py): parsed
#                    into the heap, the case where allocator behaviour decides.
#   --size-mb N      size of the big model file (default 1024)
#   --cycles N       load/predict/unload cycles per run (default 20)
#   --repeat R       runs, each with a fresh server (default 1; medians over runs)
#   --workdir DIR    KILN_HOME, model directory and server log (default: a temp dir, removed
#                    unless --keep)
#
# The server runs `kiln serve --model-dir DIR --model-control explicit --load small`: a small
# model is loaded at start and answers a request before "start" is read, and again after every
# unload. RSS is /proc/PID/status VmRSS (split into RssAnon and RssFile), read after each load,
# predict and unload; peak is VmHWM. The /metrics gauge kiln_process_resident_memory_bytes is
# read at the start and after each unload. Exit status 1 when end/start is off by more than 5 %.
#
# Needs BUILD_DIR/bin/kiln (and gen_big_model for --kind kiln) and /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
exec /usr/bin/python3 bench/serve/memory_bench.py "$@"
