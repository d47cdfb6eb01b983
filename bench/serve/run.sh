#!/usr/bin/env bash
# Benchmark of `modelmeter serve`: POST /v1/runs (std-v1, summary response) from wrk on loopback with
# keep-alive. Starts the server on a free port, warms it up, measures, stops it (SIGTERM).
#
#   bench/serve/run.sh [BUILD_DIR] [CONNECTIONS] [SECONDS] [WRK_THREADS]     # defaults: build 4 10 1
#
# Prints wrk's report (requests/s, latency percentiles with --latency). The figures in docs/serve.md come
# from this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
conns=${2:-4}
secs=${3:-10}
wthreads=${4:-1}
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
out=$(mktemp)
"$build/bin/modelmeter" -q serve --port 0 >"$out" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
[[ -n "$port" ]] || { echo "run.sh: the server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/v1/runs"
echo "modelmeter serve on port $port; $(nproc) cores; wrk -t$wthreads -c$conns -d${secs}s"
wrk -t"$wthreads" -c"$conns" -d2s -s "$here/post_runs.lua" "$url" >/dev/null  # warm-up
wrk -t"$wthreads" -c"$conns" -d"${secs}s" --latency -s "$here/post_runs.lua" "$url"
