#!/usr/bin/env bash
# clang-tidy naming checks (.clang-tidy) over every source file, using BUILD's
# compile_commands.json. Prints only real findings; fails if there are any.
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
out=$(git ls-files 'src/*.cc' 'apps/*.cc' | xargs -P 2 -n 4 clang-tidy -p "$build" --quiet 2>&1)
status=$?
findings=$(printf '%s\n' "$out" | grep -E '(error|warning): ' || true)
if [ $status -ne 0 ] || [ -n "$findings" ]; then
  printf '%s\n' "$out" | grep -vE '^[0-9]+ warnings? generated|^Suppressed [0-9]+ warnings|^Use -header-filter'
  echo "tidy: naming check failed" >&2
  exit 1
fi
echo "tidy: clean"
