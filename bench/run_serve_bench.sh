#!/usr/bin/env bash
# Serving benchmark: `kiln serve` (logistic regression on breast_cancer) against nginx answering a
# fixed JSON body, both on loopback with the same number of worker threads, loaded by wrk.
#
# Usage: bench/run_serve_bench.sh [BUILD_DIR] [--repeat N] [--duration SECONDS]
#          [--connections C] [--wrk-threads T] [--threads N] [--workdir DIR] [--keep]
#
#   --repeat N        throughput runs per server, interleaved nginx/kiln (default 3; medians)
#   --duration S      seconds per throughput and latency run (default 10)
#   --connections C   wrk connections for the throughput runs (default 64)
#   --wrk-threads T   wrk threads (default 2)
#   --threads N       nginx worker_processes and `kiln serve --threads` (default: nproc)
#   --workdir DIR     KILN_HOME, nginx prefix and logs (default: a fresh mktemp dir, removed
#                     at exit unless --keep)
#
# Latency: wrk cannot hold a fixed rate, so the script sweeps Kiln with 1, 2, 4, 8 and 16
# connections (closed loop, one request in flight per connection), takes the connection count
# whose throughput is nearest half of Kiln's median maximum, and reports wrk's p50/p90/p99 at that
# load (--repeat runs, median of each percentile).
#
# Needs wrk, nginx and curl (scripts/install-deps.sh installs them); installs nothing itself.
# Nothing is pinned to CPUs: wrk, nginx and Kiln share the machine's cores under the scheduler,
# so on a small machine wrk's own CPU use lowers both servers' numbers alike.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=build
if [ $# -gt 0 ] && [[ $1 != --* ]]; then
  build=$1
  shift
fi
repeat=3
duration=10
connections=64
wrk_threads=2
threads=$(nproc)
workdir=""
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --repeat) repeat=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --wrk-threads) wrk_threads=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_serve_bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

kiln=$build/bin/kiln
[ -x "$kiln" ] || { echo "run_serve_bench: $kiln not found; build it first (ninja -C $build kiln)" >&2; exit 1; }
kiln=$(realpath "$kiln")
nginx_bin=$(command -v nginx || true)
[ -n "$nginx_bin" ] || [ ! -x /usr/sbin/nginx ] || nginx_bin=/usr/sbin/nginx
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -n "$nginx_bin" ] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "run_serve_bench: missing ${missing[*]}; run scripts/install-deps.sh" >&2
  exit 1
fi
data=$root/data/breast_cancer/train.csv
[ -f "$data" ] || { echo "run_serve_bench: $data missing; run /usr/bin/python3 scripts/fetch_datasets.py data" >&2; exit 1; }

if [ -z "$workdir" ]; then
  workdir=$(mktemp -d /tmp/kiln-serve-bench.XXXXXX)
else
  mkdir -p "$workdir"
  workdir=$(realpath "$workdir")
fi
nginx_pid=""
kiln_pid=""
cleanup() {
  local status=$?
  if [ -n "$kiln_pid" ] && kill -0 "$kiln_pid" 2>/dev/null; then
    kill -TERM "$kiln_pid" 2>/dev/null || true
    wait "$kiln_pid" 2>/dev/null || true
  fi
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true # the master stops its workers
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [ "$keep" -eq 0 ] && [ $status -eq 0 ]; then
    rm -rf "$workdir"
  else
    echo "run_serve_bench: logs kept in $workdir" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for_port_answer() { # URL
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.05
  done
  echo "run_serve_bench: nothing answers at $1" >&2
  return 1
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { # LINE NAME -> value of NAME=value
  tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

body=$root/bench/serve/request.json
response=$root/bench/serve/response.json
lua=$root/bench/serve/post.lua
export KILN_BENCH_BODY=$body

tick_us=$((1000000 / $(getconf CLK_TCK)))
cpu_ticks() { # PID... -> user + system clock ticks used so far by these processes (all threads)
  local total=0 pid stat fields
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat")
    read -r -a fields <<<"${stat##*) }" # fields after "pid (comm) ": state is [0], utime [11]
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

# wrk once: prints the RESULT line plus the servers' CPU time per request (cpu_us_per_req);
# fails on socket or HTTP errors. Args: URL CONNECTIONS SECONDS LOG SERVER_PID...
run_wrk() {
  local url=$1 c=$2 seconds=$3 log=$4 t=$wrk_threads
  shift 4
  [ "$t" -le "$c" ] || t=$c
  local before after line
  before=$(cpu_ticks "$@")
  wrk -t "$t" -c "$c" -d "${seconds}s" --latency -s "$lua" "$url" >"$log" 2>&1 || {
    cat "$log" >&2
    return 1
  }
  after=$(cpu_ticks "$@")
  line=$(grep '^RESULT ' "$log") || { cat "$log" >&2; return 1; }
  if [ "$(field "$line" status_errors)" != 0 ] || [ "$(field "$line" socket_errors)" != 0 ]; then
    echo "run_serve_bench: errors under load at $url:" >&2
    cat "$log" >&2
    return 1
  fi
  echo "$line cpu_us_per_req=$(awk -v t=$((after - before)) -v us="$tick_us" -v n="$(field "$line" requests)" \
    'BEGIN { printf "%.1f", t * us / n }')"
}

# --- nginx: a private prefix, the current user, one worker per Kiln thread -------------------
nginx_port=$(free_port)
nprefix=$workdir/nginx
mkdir -p "$nprefix"/{body,proxy,fastcgi,uwsgi,scgi}
user_line=""
[ "$(id -u)" -ne 0 ] || user_line="user root;" # otherwise root's workers would switch to nobody
{
  echo "$user_line"
  cat <<EOF
worker_processes $threads;
daemon off;
pid $nprefix/nginx.pid;
error_log $nprefix/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
  client_body_temp_path $nprefix/body;
  proxy_temp_path $nprefix/proxy;
  fastcgi_temp_path $nprefix/fastcgi;
  uwsgi_temp_path $nprefix/uwsgi;
  scgi_temp_path $nprefix/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      default_type application/json;
      return 200 '$(tr -d '\n' <"$response")';
    }
  }
}
EOF
} >"$nprefix/nginx.conf"
"$nginx_bin" -p "$nprefix" -c "$nprefix/nginx.conf" -e "$nprefix/error.log" &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port/v1/models/bc:predict
wait_for_port_answer "$nginx_url"

# --- kiln: train the model into a private KILN_HOME and serve it -----------------------------
export KILN_HOME=$workdir/home
(cd "$workdir" && "$kiln" train --algo logistic_regression --data "$data" -o bc.kiln >train.log 2>&1) || {
  cat "$workdir/train.log" >&2
  exit 1
}
"$kiln" serve --models bc --port 0 --port-file "$workdir/kiln.port" --threads "$threads" \
  >"$workdir/serve.log" 2>&1 &
kiln_pid=$!
for _ in $(seq 1 400); do
  [ -s "$workdir/kiln.port" ] && break
  kill -0 "$kiln_pid" 2>/dev/null || { cat "$workdir/serve.log" >&2; exit 1; }
  sleep 0.05
done
kiln_port=$(cat "$workdir/kiln.port")
kiln_url=http://127.0.0.1:$kiln_port/v1/models/bc:predict

# --- both answer 200 to the request ------------------------------------------------------------
check() { # NAME URL -> prints the body size
  local out status
  out=$(curl -s -o "$workdir/$1.answer" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$body" "$2")
  status=$out
  if [ "$status" != 200 ]; then
    echo "run_serve_bench: $1 answered $status:" >&2
    cat "$workdir/$1.answer" >&2
    exit 1
  fi
  wc -c <"$workdir/$1.answer"
}
nginx_bytes=$(check nginx "$nginx_url")
kiln_bytes=$(check kiln "$kiln_url")
grep -q '"predictions"' "$workdir/kiln.answer" || { echo "run_serve_bench: no predictions in Kiln's answer" >&2; exit 1; }
echo "request: $(wc -c <"$body")-byte JSON body (1 breast_cancer row, 30 features) -> POST /v1/models/bc:predict"
echo "kiln answers ($kiln_bytes bytes): $(cat "$workdir/kiln.answer")"
echo "nginx answers a fixed $nginx_bytes-byte body"
echo "servers: $threads threads each (nproc $(nproc)); wrk -t $wrk_threads -c $connections -d ${duration}s; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- throughput: warm up, then nginx and kiln interleaved ------------------------------------
mapfile -t nginx_pids < <(echo "$nginx_pid"; pgrep -P "$nginx_pid") # the master and its workers
run_wrk "$nginx_url" "$connections" 2 "$workdir/warmup-nginx.log" "${nginx_pids[@]}" >/dev/null
run_wrk "$kiln_url" "$connections" 2 "$workdir/warmup-kiln.log" "$kiln_pid" >/dev/null
nginx_rps=()
kiln_rps=()
nginx_cpu=()
kiln_cpu=()
for i in $(seq 1 "$repeat"); do
  line=$(run_wrk "$nginx_url" "$connections" "$duration" "$workdir/nginx-$i.log" "${nginx_pids[@]}")
  nginx_rps+=("$(field "$line" rps)")
  nginx_cpu+=("$(field "$line" cpu_us_per_req)")
  line=$(run_wrk "$kiln_url" "$connections" "$duration" "$workdir/kiln-$i.log" "$kiln_pid")
  kiln_rps+=("$(field "$line" rps)")
  kiln_cpu+=("$(field "$line" cpu_us_per_req)")
  echo "run $i: nginx ${nginx_rps[-1]} req/s (${nginx_cpu[-1]} us CPU/request), kiln ${kiln_rps[-1]} req/s (${kiln_cpu[-1]} us CPU/request, p99 $(field "$line" p99_us) us)"
done
nginx_med=$(echo "${nginx_rps[*]}" | median)
kiln_med=$(echo "${kiln_rps[*]}" | median)
nginx_cpu_med=$(echo "${nginx_cpu[*]}" | median)
kiln_cpu_med=$(echo "${kiln_cpu[*]}" | median)
ratio=$(awk -v k="$kiln_med" -v n="$nginx_med" 'BEGIN { printf "%.3f", k / n }')

# --- latency at about half of Kiln's maximum throughput ----------------------------------------
half=$(awk -v k="$kiln_med" 'BEGIN { printf "%.1f", k / 2 }')
sweep_seconds=$(((duration + 1) / 2))
best_c=""
best_gap=""
sweep=""
for c in 1 2 4 8 16; do
  line=$(run_wrk "$kiln_url" "$c" "$sweep_seconds" "$workdir/sweep-$c.log" "$kiln_pid")
  rps=$(field "$line" rps)
  sweep+="c=$c: $rps req/s; "
  gap=$(awk -v r="$rps" -v h="$half" 'BEGIN { d = r - h; if (d < 0) d = -d; printf "%.1f", d }')
  if [ -z "$best_gap" ] || awk -v g="$gap" -v b="$best_gap" 'BEGIN { exit !(g < b) }'; then
    best_c=$c
    best_gap=$gap
  fi
done
echo "latency sweep (${sweep_seconds}s each): ${sweep%; }"
lat_rps=()
p50=()
p90=()
p99=()
for i in $(seq 1 "$repeat"); do
  line=$(run_wrk "$kiln_url" "$best_c" "$duration" "$workdir/latency-$i.log" "$kiln_pid")
  lat_rps+=("$(field "$line" rps)")
  p50+=("$(field "$line" p50_us)")
  p90+=("$(field "$line" p90_us)")
  p99+=("$(field "$line" p99_us)")
  echo "latency run $i: $best_c connections, ${lat_rps[-1]} req/s, p50 ${p50[-1]} us, p90 ${p90[-1]} us, p99 ${p99[-1]} us"
done
lat_rps_med=$(echo "${lat_rps[*]}" | median)
p50_med=$(echo "${p50[*]}" | median)
p90_med=$(echo "${p90[*]}" | median)
p99_med=$(echo "${p99[*]}" | median)

# --- Kiln answered every request with 200 --------------------------------------------------------
metrics=$(curl -s "http://127.0.0.1:$kiln_port/metrics")
codes=$(grep '^kiln_http_requests_total{' <<<"$metrics" || true)
ok=$(sed -n 's/^kiln_http_requests_total{code="200"} //p' <<<"$codes")
if [ -z "$ok" ] || [ "$(grep -vc 'code="200"' <<<"$codes")" != 0 ]; then
  echo "run_serve_bench: Kiln answered with other status codes:" >&2
  echo "$codes" >&2
  exit 1
fi

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }
verdict() { if awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { exit !(dir == "ge" ? v >= t : v <= t) }'; then echo met; else echo MISSED; fi; }
echo
echo "Serving benchmark ($(date '+%Y-%m-%d %H:%M'), $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| %-28s | %-12s | %-40s |\n' "measure" "median" "runs"
printf '|%s|%s|%s|\n' "------------------------------" "--------------" "------------------------------------------"
printf '| %-28s | %-12s | %-40s |\n' "nginx req/s (c=$connections)" "$nginx_med" "${nginx_rps[*]}"
printf '| %-28s | %-12s | %-40s |\n' "kiln req/s (c=$connections)" "$kiln_med" "${kiln_rps[*]}"
printf '| %-28s | %-12s | %-40s |\n' "kiln / nginx" "$ratio" "target >= 0.6: $(verdict "$ratio" 0.6 ge)"
printf '| %-28s | %-12s | %-40s |\n' "nginx CPU us/request" "$nginx_cpu_med" "${nginx_cpu[*]}"
printf '| %-28s | %-12s | %-40s |\n' "kiln CPU us/request" "$kiln_cpu_med" "${kiln_cpu[*]}"
printf '| %-28s | %-12s | %-40s |\n' "kiln req/s (c=$best_c, latency)" "$lat_rps_med" "${lat_rps[*]} ($(pct "$lat_rps_med" "$kiln_med") % of max)"
printf '| %-28s | %-12s | %-40s |\n' "kiln p50 ms (c=$best_c)" "$(ms "$p50_med")" "${p50[*]} us"
printf '| %-28s | %-12s | %-40s |\n' "kiln p90 ms (c=$best_c)" "$(ms "$p90_med")" "${p90[*]} us"
printf '| %-28s | %-12s | %-40s |\n' "kiln p99 ms (c=$best_c)" "$(ms "$p99_med")" "${p99[*]} us; target <= 2 ms: $(verdict "$p99_med" 2000 le)"
echo "kiln answered $ok requests, all with status 200 (/metrics)"
echo "command: bench/run_serve_bench.sh $build --repeat $repeat --duration $duration --connections $connections --wrk-threads $wrk_threads --threads $threads"
