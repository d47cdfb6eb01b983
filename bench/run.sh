#!/usr/bin/env bash
# The performance figures of docs/performance.md, on this machine: the engine benchmarks (Google Benchmark),
# then the whole `modelmeter run` process against the floor program in one hyperfine call, and peak RSS.
# Usage: bench/run.sh [build-dir]   (default: build, as packaging/setup.sh makes it; installs what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
need=()
for p in libbenchmark-dev hyperfine time bc; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
[ -f "$BUILD_DIR/CMakeCache.txt" ] || BUILD_DIR=$BUILD_DIR packaging/setup.sh
cmake -S . -B "$BUILD_DIR" >/dev/null  # picks Google Benchmark up if it was just installed
cmake --build "$BUILD_DIR" -j2 --target modelmeter modelmeter_bench modelmeter_floor deepseek_ocr
bin=$BUILD_DIR/bin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== engine (in process, one core unless the name says 2 threads)"
"$bin/modelmeter_bench" --benchmark_min_time=0.5

echo "== whole process: modelmeter run std-v1 vs the floor (same libraries, same kind of work, none of ours)"
"$bin/modelmeter" run --plugin deepseek_ocr --workload std-v1 --format json,md --out "$out/ours" >/dev/null
bytes=$(stat -c %s "$out/ours/report.json")
pages=$(find "$out/ours" -name '*.md' | wc -l)
page_bytes=$(( $(find "$out/ours" -name '*.md' -printf '%s\n' | paste -sd+ | bc) / pages ))
plugin=$BUILD_DIR/lib/modelmeter/plugins/deepseek_ocr.so
floor="$bin/modelmeter_floor --workload configs/workloads/std-v1.toml --plugin $plugin --out $out/floor --bytes $bytes"
ours="$bin/modelmeter run --plugin deepseek_ocr --workload std-v1 --out $out/ours"
# Every run writes into a fresh folder (--prepare): replacing existing files costs ext4 a writeback per file
# (auto_da_alloc), which measures the disk, not the program; docs/performance.md has those figures too.
hyperfine -N --warmup 5 --runs 40 --prepare "rm -rf $out/ours $out/floor" \
  -n "floor (report.json only)" "$floor" \
  -n "modelmeter --format json" "$ours --format json" \
  -n "floor + $pages pages of $page_bytes B" "$floor --pages $pages --page-bytes $page_bytes" \
  -n "modelmeter --format json,md" "$ours --format json,md"
for cmd in "$floor" "$ours --format json" "$floor --pages $pages --page-bytes $page_bytes" "$ours --format json,md"; do
  rm -rf "$out/ours" "$out/floor"
  echo "peak RSS $(/usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1) KiB: ${cmd#"$bin/"}"
done
