#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 (ASan + UBSan) and runs each for a bounded time on its seed
# corpus (tests/fuzz/corpus/<target>) and dictionary. Exits non-zero when any target finds a crash, a
# sanitizer report, a leak, a timeout or an input over the memory limit; the reproducer is left in
# <build-dir>/fuzz-artifacts/ (rerun it: <build-dir>/tests/fuzz/fuzz_<target> <file>).
#
#   tests/fuzz/run.sh SECONDS [BUILD_DIR]      # e.g. tests/fuzz/run.sh 60 build-fuzz (CI)
#
# New inputs found are kept in <build-dir>/fuzz-corpus/<target> (not in the source tree), so repeated
# runs on one machine start where the last stopped.
set -euo pipefail
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]}
cd "$(dirname "$0")/../.."
build=${2:-build-fuzz}
here=tests/fuzz

# libFuzzer's runtime: Debian's libclang-rt-14-dev, which a --no-install-recommends install of clang leaves out.
if [[ ! -e "$(${CXX:-clang++} -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]] &&
  ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "fuzz: the libFuzzer runtime is missing (run as root to install libclang-rt-14-dev)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libclang-rt-14-dev ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libclang-rt-14-dev; }
fi

CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMODELMETER_FUZZ=ON -DMODELMETER_BUILD_TESTS=OFF -DMODELMETER_WERROR=ON >/dev/null
cmake --build "$build" --target fuzzers

mkdir -p "$build/fuzz-artifacts"
failed=()
for target in workload hardware set; do
  work="$build/fuzz-corpus/$target"
  mkdir -p "$work"
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/tests/fuzz/fuzz_$target" "$work" "$here/corpus/$target" -dict="$here/$target.dict" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" 2>"$build/fuzz-$target.log"; then
    failed+=("$target")
    tail -n 60 "$build/fuzz-$target.log" >&2
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|DONE' "$build/fuzz-$target.log" || true
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in $build/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets clean"
