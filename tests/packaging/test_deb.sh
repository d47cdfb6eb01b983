#!/usr/bin/env bash
# The Debian packages end to end (spec §8): cpack -G DEB, apt-get install both packages, run from /tmp, build
# the example plugin out of tree against /usr and load it, then purge and check nothing is left.
# Needs root, dpkg and apt-get; otherwise prints a SKIPPED line (ctest reports the test skipped).
# It refuses to run while a modelmeter package is installed, and always purges what it installed.
#   test_deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
if [[ $(id -u) -ne 0 ]] || ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
  echo "SKIPPED: needs root and dpkg"
  exit 0
fi
step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps not found: install dpkg-dev (packaging/setup.sh does)"
command -v lintian >/dev/null || fail "lintian not found: install lintian (packaging/setup.sh does)"
for p in modelmeter modelmeter-dev python3-modelmeter; do
  ! dpkg -s "$p" >/dev/null 2>&1 || fail "package $p is already installed; this test would replace and purge it (apt-get purge -y python3-modelmeter modelmeter-dev modelmeter first)"
done
# Everything the packages own; none of it may exist before the install or after the purge.
owned=(/usr/bin/modelmeter /usr/bin/modelmeter-serve /usr/lib/modelmeter /usr/share/modelmeter /usr/include/modelmeter
  /usr/lib/cmake/ModelMeter /usr/share/doc/modelmeter /usr/share/doc/modelmeter-dev /usr/share/man/man1/modelmeter.1.gz
  /usr/share/man/man1/modelmeter-serve.1.gz /usr/lib/python3/dist-packages/modelmeter /usr/share/doc/python3-modelmeter)
leftovers() {
  local p
  for p in "${owned[@]}"; do [[ ! -e $p ]] || echo "$p"; done
  compgen -G '/usr/lib/libmodelmeter-core*' || true
  compgen -G '/usr/lib/*/libmodelmeter-core*' || true
}
[[ -z $(leftovers) ]] || fail "a ModelMeter install not from these packages is in /usr, remove it first: $(leftovers | tr '\n' ' ')"

export DEBIAN_FRONTEND=noninteractive
unset MODELMETER_PLUGIN_PATH CMAKE_PREFIX_PATH
work=$(mktemp -d /tmp/modelmeter-deb.XXXXXX)
chmod 755 "$work"  # apt's _apt user reads the local .debs
installed=0
cleanup() {
  local rc=$?
  if ((installed)); then
    echo "== cleanup: apt-get purge -y python3-modelmeter modelmeter-dev modelmeter"
    apt-get purge -o DPkg::Lock::Timeout=600 -y -q python3-modelmeter modelmeter-dev modelmeter >/dev/null 2>&1 ||
      echo "WARNING: purge failed; run: apt-get purge -y python3-modelmeter modelmeter-dev modelmeter" >&2
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

step "cpack -G DEB in $build"
(cd "$build" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs") >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
cd "$work/debs"
ls -la ./*.deb
runtime=$(compgen -G 'modelmeter_*.deb') || fail "no modelmeter_<ver>_<arch>.deb"
dev=$(compgen -G 'modelmeter-dev_*.deb') || fail "no modelmeter-dev_<ver>_<arch>.deb"
# The Python module's package, where the build has the module (python/; not in sanitizer builds).
python_deb=$(compgen -G 'python3-modelmeter_*.deb' || true)
if [[ -f $build/python/modelmeter/__init__.py ]]; then
  [[ -n $python_deb ]] || fail "the build has the Python module but cpack made no python3-modelmeter_<ver>_<arch>.deb"
fi
version=$(dpkg-deb -f "$runtime" Version)
arch=$(dpkg-deb -f "$runtime" Architecture)
[[ $runtime == "modelmeter_${version}_${arch}.deb" && $dev == "modelmeter-dev_${version}_${arch}.deb" ]] ||
  fail "unexpected file names: $runtime $dev"
for deb in "$runtime" "$dev"; do
  echo "-- $deb"
  dpkg-deb -f "$deb" Package Version Architecture Section Priority Maintainer Depends Recommends
done
dpkg-deb -f "$dev" Depends | grep -qF "modelmeter (= $version)" || fail "$dev does not depend on modelmeter (= $version)"
if [[ -n $python_deb ]]; then
  dpkg-deb -f "$python_deb" Package Version Architecture Section Depends
  dpkg-deb -f "$python_deb" Depends | grep -qF "modelmeter (= $version)" || fail "$python_deb does not depend on modelmeter (= $version)"
  dpkg-deb -c "$python_deb" >"$work/python.list"
  grep -q '/usr/lib/python3/dist-packages/modelmeter/_modelmeter\.cpython-.*\.so$' "$work/python.list" ||
    fail "$python_deb lacks /usr/lib/python3/dist-packages/modelmeter/_modelmeter.cpython-*.so"
  grep -q 'dist-packages' "$work/runtime.list" "$work/dev.list" && fail "the runtime or dev package holds Python files"
fi
dpkg-deb -f "$runtime" Depends | grep -q 'libc6' || fail "$runtime has no shlibs dependencies (dpkg-shlibdeps not run?)"
step "lintian $runtime $dev (Debian policy: no errors)"
# Every tag, errors and warnings, goes to the log; any error fails the test.
lintian --fail-on error --display-level '>=warning' --no-tag-display-limit "$runtime" "$dev" >"$work/lintian.log" 2>&1 ||
  { cat "$work/lintian.log"; fail "lintian reports errors (above)"; }
cat "$work/lintian.log"
! grep -E '^E: ' "$work/lintian.log" || fail "lintian reports errors (above)"

step "no build-tree-only files in the packages"
dpkg-deb -c "$runtime" >"$work/runtime.list"
dpkg-deb -c "$dev" >"$work/dev.list"
if grep -E 'test|golden|fixture|/usr/local|\.a$|CMakeFiles' "$work/runtime.list" "$work/dev.list"; then
  fail "the packages hold build-tree-only files (above)"
fi

step "apt-get install -y ./$runtime ./$dev ${python_deb:+./$python_deb}"
installed=1
apt-get install -o DPkg::Lock::Timeout=600 -y -q "./$runtime" "./$dev" ${python_deb:+"./$python_deb"} >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get install failed"; }
dpkg -L modelmeter modelmeter-dev ${python_deb:+python3-modelmeter} | sort -u >"$work/owned.list"
readelf -d /usr/bin/modelmeter | grep -E 'RPATH|RUNPATH' | grep -qF "$build" && fail "/usr/bin/modelmeter has an RPATH into the build tree"

cd /tmp
hash -r
step "command -v modelmeter"
[[ $(command -v modelmeter) == /usr/bin/modelmeter ]] || fail "modelmeter is $(command -v modelmeter), not /usr/bin/modelmeter"
modelmeter --version
step "modelmeter list plugins (from $PWD)"
modelmeter list plugins | tee "$work/plugins"
grep -q deepseek_ocr "$work/plugins" || fail "deepseek_ocr not listed"
if grep -oE '/[^ ]+\.so' "$work/plugins" | grep -vq '^/usr/lib/modelmeter/plugins/'; then
  fail "a listed plugin is not under /usr/lib/modelmeter/plugins"
fi
step "modelmeter run --plugin deepseek_ocr --workload std-v1 (from $PWD)"
modelmeter run --plugin deepseek_ocr --workload std-v1 --out "$work/out"
grep -q '"parameters": 3336106240' "$work/out/report.json" || fail 'report.json lacks "parameters": 3336106240'
step "modelmeter run --plugin hf_decoder --model llama-2-7b --workload llm-1024 (from $PWD)"
modelmeter run --plugin hf_decoder --model llama-2-7b --workload llm-1024 --out "$work/out-hf"
grep -q '"parameters": 6738415616' "$work/out-hf/report.json" || fail 'hf_decoder report.json lacks "parameters": 6738415616'
cp /usr/share/modelmeter/configs/models/mistral-7b-v0.1.json "$work/config.json"
modelmeter run --plugin hf_decoder --model "$work/config.json" --workload llm-1024 --out "$work/out-hf-path" >/dev/null
grep -q '"parameters": 7241732096' "$work/out-hf-path/report.json" || fail 'hf_decoder --model PATH: wrong parameters'
[[ -f /usr/share/doc/modelmeter/cli.md ]] || fail "no /usr/share/doc/modelmeter/cli.md"
for exe in $(dpkg -L modelmeter | grep '^/usr/bin/'); do
  [[ -f /usr/share/man/man1/$(basename "$exe").1.gz ]] || fail "no man page /usr/share/man/man1/$(basename "$exe").1.gz for $exe"
done
for p in modelmeter modelmeter-dev; do
  [[ -f /usr/share/doc/$p/copyright && -f /usr/share/doc/$p/changelog.Debian.gz ]] ||
    fail "/usr/share/doc/$p lacks copyright or changelog.Debian.gz"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
compgen -G "/usr/lib/$multiarch/libmodelmeter-core.so.*" >/dev/null ||
  fail "libmodelmeter-core is not in the multiarch folder /usr/lib/$multiarch"
ldconfig -p >"$work/ldconfig.txt"  # not piped into grep -q: with pipefail, its early exit would fail the pipe
grep -qE "libmodelmeter-core\.so\.[0-9.]+ .*=> (/usr)?/lib/$multiarch/libmodelmeter-core" "$work/ldconfig.txt" ||
  fail "libmodelmeter-core is not in the ldconfig cache (ldconfig trigger?): $(grep modelmeter "$work/ldconfig.txt")"
[[ $(realpath "$(ldd /usr/bin/modelmeter | awk '/libmodelmeter-core/ {print $3}')") == /usr/lib/$multiarch/* ]] ||
  fail "/usr/bin/modelmeter does not load /usr/lib/$multiarch/libmodelmeter-core"
step "the frozen ABI headers: a plugin built against /usr/include/modelmeter/abi_v1_0.h loads as ABI 1.0"
for minor in 0 1 2 3; do [[ -f /usr/include/modelmeter/abi_v1_$minor.h ]] || fail "no /usr/include/modelmeter/abi_v1_$minor.h"; done
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -shared -fPIC -o "$work/old_abi_1_0.so" \
  "$src/tests/abi/fixtures/old_abi_1_0.c" || fail "the ABI 1.0 fixture does not build against /usr/include"
modelmeter check-plugin "$work/old_abi_1_0.so" | tee "$work/old.txt"
grep -q '^plugin: old_abi_1_0 .*(ABI 1.0, model)' "$work/old.txt" || fail "check-plugin does not say ABI 1.0"
if [[ -n $python_deb ]]; then
  step "/usr/bin/python3 -c 'import modelmeter; …' (from $PWD, no PYTHONPATH)"
  ttft=$(env -u PYTHONPATH /usr/bin/python3 -c "import modelmeter; print(modelmeter.run('deepseek_ocr', workload='std-v1').summary['ttft_s'])") ||
    fail "import modelmeter from the package failed"
  expected=$(/usr/bin/python3 -c "import json; print(json.load(open('$work/out/report.json'))['summary']['ttft_s'])")
  [[ $ttft == "$expected" ]] || fail "the installed module's ttft_s $ttft differs from the installed CLI's $expected"
  env -u PYTHONPATH /usr/bin/python3 -c "import modelmeter, sys; sys.exit(modelmeter._modelmeter.prefix != '/usr')" ||
    fail "the installed module does not find its files under /usr"
fi

step "build /usr/share/modelmeter/sdk-example out of tree"
cmake -S /usr/share/modelmeter/sdk-example -B "$work/example" >"$work/example.log" 2>&1 ||
  { cat "$work/example.log"; fail "configuring the example failed"; }
grep -qx "ModelMeter_DIR:PATH=/usr/lib/cmake/ModelMeter" "$work/example/CMakeCache.txt" ||
  fail "find_package(ModelMeter) did not use /usr/lib/cmake/ModelMeter: $(grep ModelMeter_DIR "$work/example/CMakeCache.txt")"
cmake --build "$work/example" >>"$work/example.log" 2>&1 || { cat "$work/example.log"; fail "building the example failed"; }
so=$(find "$work/example" -name example_transformer.so -type f | head -n1)
[[ -n $so ]] || fail "example_transformer.so was not built"
# The runtime package bundles an example_transformer.so too, so the name alone would be found twice on
# MODELMETER_PLUGIN_PATH: load the built one by path.
step "MODELMETER_PLUGIN_PATH=$(dirname "$so") modelmeter check-plugin $so"
MODELMETER_PLUGIN_PATH=$(dirname "$so") modelmeter check-plugin "$so"
MODELMETER_PLUGIN_PATH=$(dirname "$so") modelmeter run --plugin "$so" --workload example --out "$work/out-example"
[[ -s $work/out-example/report.json ]] || fail "the example run wrote no report.json"

step "apt-get purge -y python3-modelmeter modelmeter-dev modelmeter"
apt-get purge -o DPkg::Lock::Timeout=600 -y -q python3-modelmeter modelmeter-dev modelmeter >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log"; fail "apt-get purge failed"; }
installed=0
for p in modelmeter modelmeter-dev python3-modelmeter; do
  ! dpkg -s "$p" >/dev/null 2>&1 || fail "package $p is still known to dpkg after the purge"
done
[[ -z $(leftovers) ]] || fail "left behind after the purge: $(leftovers | tr '\n' ' ')"
# Every file the packages owned is gone (directories shared with other packages, such as /usr/lib, stay).
left=$(while read -r p; do [[ -e $p && ! -d $p ]] && echo "$p"; done <"$work/owned.list" || true)
[[ -z $left ]] || fail "files left behind after the purge: $left"
left=$(while read -r p; do [[ -d $p ]] && ! dpkg -S "$p" >/dev/null 2>&1 && [[ -z $(ls -A "$p") ]] && echo "$p"; done <"$work/owned.list" || true)
[[ -z $left ]] || fail "empty folders left behind after the purge: $left"
echo "PASS: Debian packages install, work from /tmp, build the SDK example, and purge cleanly ($runtime, $dev${python_deb:+, $python_deb})"
