#!/usr/bin/env bash
# cmake --install into a staging prefix, then use the staged tree like an install: the staged host finds its
# staged plugins, writers and configs from any folder, and the staged SDK builds the example plugin out of
# tree and the staged host loads it.
#   test_staged_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d /tmp/modelmeter-staged.XXXXXX)
serve_pid=
trap '[[ -n $serve_pid ]] && kill -KILL "$serve_pid" 2>/dev/null; rm -rf "$work"' EXIT
stage=$work/stage
unset MODELMETER_PLUGIN_PATH CMAKE_PREFIX_PATH
step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "cmake --install $build --prefix $stage"
cmake --install "$build" --prefix "$stage" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install failed"; }

step "the install tree holds only the packaged layout (no tests, no fixtures, no build paths)"
(cd "$stage" && find . -mindepth 1 -maxdepth 3 | sort) >"$work/layout"
unexpected=$(grep -vE '^\./(bin|bin/modelmeter|bin/modelmeter-serve|include|include/modelmeter(/.*)?|lib|lib/([^/]+-linux-[^/]+/)?libmodelmeter-core\.so\.[0-9.]+|lib/[^/]+-linux-[^/]+|lib/modelmeter(/(plugins|writers))?|lib/cmake(/ModelMeter)?|share|share/modelmeter(/(configs|sdk-example)(/.*)?|/tools(/measure_kernels\.py)?)?|share/doc(/modelmeter(/([a-z-]+\.md|copyright|changelog\.Debian\.gz))?)?|share/doc/modelmeter-dev(/(copyright|changelog\.Debian\.gz))?|share/man(/man1(/modelmeter(-serve)?\.1\.gz)?)?|lib/python3(/dist-packages(/modelmeter(/.*)?)?)?|share/doc/python3-modelmeter(/python\.md)?)$' "$work/layout" || true)
[[ -z $unexpected ]] || fail "unexpected installed paths:
$unexpected
(whole install tree: $(tr '\n' ' ' <"$work/layout"))"
if grep -rlF "$build" "$stage/lib/cmake" "$stage/share" >/dev/null 2>&1; then
  fail "installed files mention the build tree $build: $(grep -rlF "$build" "$stage/lib/cmake" "$stage/share")"
fi
[[ -x $stage/share/modelmeter/tools/measure_kernels.py ]] || fail "no executable share/modelmeter/tools/measure_kernels.py"
"$stage/share/modelmeter/tools/measure_kernels.py" --help >"$work/measure-help" ||
  fail "share/modelmeter/tools/measure_kernels.py --help failed"
# python.md goes with the Python module (python3-modelmeter), every other page with the runtime.
diff <(cd "$src/docs" && ls -- *.md | grep -vx python.md) <(cd "$stage/share/doc/modelmeter" && ls -- *.md) ||
  fail "installed docs differ from $src/docs/*.md"
# `run` must not load the HTTP server's libraries (cpp-httplib and its OpenSSL): they live in modelmeter-serve.
if ldd "$stage/bin/modelmeter" | grep -qE 'httplib|libssl|libcrypto'; then
  fail "bin/modelmeter links the HTTP server's libraries: $(ldd "$stage/bin/modelmeter" | grep -E 'httplib|ssl|crypto')"
fi
core=$(ldd "$stage/bin/modelmeter" | awk '/libmodelmeter-core/ {print $3}')
[[ -n $core && $(realpath "$core") == "$stage/lib/"* ]] ||
  fail "staged modelmeter does not load the staged libmodelmeter-core: ${core:-not found}"

mkdir "$work/cwd" && cd "$work/cwd"
step "$stage/bin/modelmeter list plugins (from $PWD)"
"$stage/bin/modelmeter" list plugins | tee "$work/plugins"
grep -q deepseek_ocr "$work/plugins" || fail "deepseek_ocr not listed"
if grep -oE '/[^ ]+\.so' "$work/plugins" | grep -vq "^$stage/lib/modelmeter/plugins/"; then
  fail "a listed plugin is not under $stage/lib/modelmeter/plugins"
fi
"$stage/bin/modelmeter" list writers | tee "$work/writers"
if grep -oE '/[^ ]+\.so' "$work/writers" | grep -vq "^$stage/lib/modelmeter/writers/"; then
  fail "a listed writer is not under $stage/lib/modelmeter/writers"
fi

step "$stage/bin/modelmeter run --plugin deepseek_ocr --workload std-v1"
"$stage/bin/modelmeter" run --plugin deepseek_ocr --workload std-v1 --out "$work/out"
grep -q '"parameters": 3336106240' "$work/out/report.json" || fail 'report.json lacks "parameters": 3336106240'

step "$stage/bin/modelmeter run --plugin hf_decoder --model llama-2-7b --workload llm-1024"
"$stage/bin/modelmeter" run --plugin hf_decoder --model llama-2-7b --workload llm-1024 --out "$work/out-hf"
grep -q '"parameters": 6738415616' "$work/out-hf/report.json" || fail 'hf_decoder report.json lacks "parameters": 6738415616'
cp "$stage/share/modelmeter/configs/models/mixtral-8x7b.json" "$work/config.json"
"$stage/bin/modelmeter" run --plugin hf_decoder --model "$work/config.json" --workload llm-1024 --out "$work/out-hf-path" \
  >/dev/null
grep -q '"parameters": 46702792704' "$work/out-hf-path/report.json" || fail 'hf_decoder --model PATH: wrong parameters'

if [[ -d $stage/lib/python3/dist-packages/modelmeter ]]; then
  step "import modelmeter from $stage/lib/python3/dist-packages: it finds the staged plugins and configs"
  PYTHONPATH="$stage/lib/python3/dist-packages" /usr/bin/python3 - "$stage" "$work/out/report.json" <<'EOF' ||
import json, os, sys, modelmeter
stage, report = sys.argv[1], sys.argv[2]
assert modelmeter._modelmeter.prefix == os.path.realpath(stage), modelmeter._modelmeter.prefix
assert modelmeter.list("plugins")[0]["path"].startswith(os.path.realpath(stage)), modelmeter.list("plugins")
assert modelmeter.run("deepseek_ocr", workload="std-v1").summary == json.load(open(report))["summary"]
EOF
    fail "the staged Python module does not run from its prefix"
fi

step "$stage/bin/modelmeter serve: the installed host serves a run, the page and its embedded openapi.yaml"
"$stage/bin/modelmeter" -q serve --port 0 >"$work/serve.out" 2>&1 </dev/null &
serve_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" && break; sleep 0.1; done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.out")
[[ -n $port ]] || { kill "$serve_pid"; fail "serve printed no port: $(cat "$work/serve.out")"; }
http() {  # METHOD PATH [BODY]: the raw HTTP/1.0 response (bash's /dev/tcp, no client needed)
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  local body=${3:-}
  printf '%s %s HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' "$1" "$2" "${#body}" "$body" >&3
  cat <&3
  exec 3<&-
}
http GET /openapi.yaml >"$work/openapi.http"
grep -q '^HTTP/1.1 200' "$work/openapi.http" || fail "GET /openapi.yaml: $(head -n1 "$work/openapi.http")"
cmp -s <(sed '1,/^\r$/d' "$work/openapi.http") "$src/docs/openapi.yaml" || fail "the served openapi.yaml differs from docs/"
http GET / | grep -q '<title>ModelMeter</title>' || fail "GET / is not the page"
http POST /v1/runs '{"plugin":"deepseek_ocr","workload":"std-v1"}' >"$work/run.http"
grep -q '^HTTP/1.1 201' "$work/run.http" || fail "POST /v1/runs: $(cat "$work/run.http")"
grep -q '"parameters": 3336106240' "$work/run.http" || fail 'the run summary lacks "parameters": 3336106240'
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve did not exit 0 on SIGTERM"
serve_pid=

step "build the staged sdk-example out of tree against $stage"
cmake -S "$stage/share/modelmeter/sdk-example" -B "$work/example" -DCMAKE_PREFIX_PATH="$stage" >"$work/example.log" ||
  { cat "$work/example.log"; fail "configuring the example failed"; }
grep -qx "ModelMeter_DIR:PATH=$stage/lib/cmake/ModelMeter" "$work/example/CMakeCache.txt" ||
  fail "find_package(ModelMeter) did not use $stage/lib/cmake/ModelMeter: $(grep ModelMeter_DIR "$work/example/CMakeCache.txt")"
cmake --build "$work/example" >>"$work/example.log" || { cat "$work/example.log"; fail "building the example failed"; }
so=$(find "$work/example" -name example_transformer.so -type f | head -n1)
[[ -n $so ]] || fail "example_transformer.so was not built"

step "$stage/bin/modelmeter check-plugin $so"
"$stage/bin/modelmeter" check-plugin "$so"
"$stage/bin/modelmeter" run --plugin "$so" --workload example --out "$work/out-example" >/dev/null
[[ -s $work/out-example/report.json ]] || fail "the example run wrote no report.json"

# A real third-party build: the hf_decoder sources, configured on their own (not as part of this project)
# with plain find_package(ModelMeter CONFIG) against the staged SDK, and loaded by the staged host by path.
step "build $src/plugins/hf_decoder out of tree against $stage"
cmake -S "$src/plugins/hf_decoder" -B "$work/hf" -DCMAKE_PREFIX_PATH="$stage" -DCMAKE_BUILD_TYPE=Release \
  >"$work/hf.log" 2>&1 || { cat "$work/hf.log"; fail "configuring hf_decoder out of tree failed"; }
grep -qx "ModelMeter_DIR:PATH=$stage/lib/cmake/ModelMeter" "$work/hf/CMakeCache.txt" ||
  fail "find_package(ModelMeter) did not use $stage/lib/cmake/ModelMeter: $(grep ModelMeter_DIR "$work/hf/CMakeCache.txt")"
cmake --build "$work/hf" -j2 >>"$work/hf.log" 2>&1 || { cat "$work/hf.log"; fail "building hf_decoder out of tree failed"; }
hf_so=$(find "$work/hf" -name hf_decoder.so -type f | head -n1)
[[ -n $hf_so ]] || fail "hf_decoder.so was not built out of tree"
! ldd "$hf_so" | grep -q libmodelmeter-core || fail "the out-of-tree hf_decoder.so links libmodelmeter-core"
"$stage/bin/modelmeter" check-plugin "$hf_so"
"$stage/bin/modelmeter" run --plugin "$hf_so" --model llama-2-7b --workload llm-1024 --out "$work/out-hf-oot" >/dev/null
cmp <(grep -v '"path"' "$work/out-hf/report.json") <(grep -v '"path"' "$work/out-hf-oot/report.json") ||
  fail "the out-of-tree hf_decoder gives another report than the bundled one"
# A plugin for an older host: the ABI 1.0 fixture, built against the staged frozen header <modelmeter/abi_v1_0.h>
# as docs/plugin-guide.md shows, loads in this host as ABI 1.0.
step "build a plugin against $stage/include/modelmeter/abi_v1_0.h"
for h in "$src"/sdk/include/modelmeter/abi_v*.h; do
  cmp -s "$h" "$stage/include/modelmeter/$(basename "$h")" || fail "$(basename "$h") is not installed as it is in sdk/"
done
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -shared -fPIC -I"$stage/include" -o "$work/old_abi_1_0.so" \
  "$src/tests/abi/fixtures/old_abi_1_0.c" || fail "the ABI 1.0 fixture does not build against $stage/include"
"$stage/bin/modelmeter" check-plugin "$work/old_abi_1_0.so" >"$work/old.txt" || { cat "$work/old.txt"; fail "check-plugin refused it"; }
grep -q '^plugin: old_abi_1_0 .*(ABI 1.0, model)' "$work/old.txt" || fail "check-plugin does not say ABI 1.0: $(cat "$work/old.txt")"
echo "PASS: staged install works"
