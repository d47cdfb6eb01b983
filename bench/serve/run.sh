#!/usr/bin/env bash
# Benchmark of `modelmeter serve`: POST /v1/runs (std-v1, summary response) from wrk on loopback with
# keep-alive. Starts the server on a free port, warms it up, measures, stops it (SIGTERM).
#
#   bench/serve/run.sh [BUILD_DIR] [CONNECTIONS] [SECONDS] [WRK_THREADS]     # defaults: build 4 10 1
#   SERVE_ARGS="--cache 0" bench/serve/run.sh build 4 10 1                  # options for the server
#   SCRIPT=post_varied.lua bench/serve/run.sh build 4 10 1                  # another wrk script (here: misses)
#
# Prints wrk's report (requests/s, latency percentiles with --latency), then the server's peak RSS (VmHWM)
# and its result-cache hit and miss counts. The figures in docs/serve.md come from this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
conns=${2:-4}
secs=${3:-10}
wthreads=${4:-1}
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
out=$(mktemp)
# -v: the result cache's counts are logged at stop (stderr, kept in $err); SERVE_ARGS split on spaces.
err=$(mktemp)
# shellcheck disable=SC2086
"$build/bin/modelmeter" -v serve --port 0 ${SERVE_ARGS:-} >"$out" 2>"$err" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out" "$err"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
[[ -n "$port" ]] || { echo "run.sh: the server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/v1/runs"
echo "modelmeter serve on port $port (${SERVE_ARGS:-default options}); $(nproc) cores; wrk -t$wthreads -c$conns -d${secs}s ${SCRIPT:-post_runs.lua}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t"$wthreads" -c"$conns" -d2s -s "$here/${SCRIPT:-post_runs.lua}" "$url" >/dev/null  # warm-up
wrk -t"$wthreads" -c"$conns" -d"${secs}s" --latency -s "$here/${SCRIPT:-post_runs.lua}" "$url"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server peak RSS: $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")"
kill -TERM $pid
wait $pid || true
grep -o 'result cache: .*' "$err" || true
