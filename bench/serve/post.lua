-- wrk script for bench/run_serve_bench.sh: POSTs the JSON file named by $KILN_BENCH_BODY on every
-- request and ends with one machine-readable line. No `response` hook: it would make wrk build
-- Lua strings for every answer and take CPU from the servers on a small machine; wrk already
-- counts answers with status >= 400 (errors.status), and the script checks Kiln's exact status
-- codes through /metrics.
local path = assert(os.getenv("KILN_BENCH_BODY"), "set KILN_BENCH_BODY to the request body file")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  -- Times in microseconds.
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f status_errors=%d socket_errors=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
