"""Tests of host/tools/measure_kernels.py: the kernel shape list (exact, without torch), the CSV it writes,
its argument errors, and real CPU-fallback runs (Debian's python3-torch)."""

import csv
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "host" / "tools" / "measure_kernels.py"
COLUMNS = ["hardware", "dtype", "op", "m", "n", "k", "gpus", "nodes", "bytes", "measured_us", "source"]
OPS = ["matmul", "rmsnorm", "silu_mul", "gelu", "rotary", "add", "embedding", "all_reduce"]


def load_script():
    spec = importlib.util.spec_from_file_location("measure_kernels", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["measure_kernels"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


mk = load_script()
LLAMA = mk.SHAPE_SETS["llama2-7b"]
SMALL = mk.SHAPE_SETS["small"]


def shipped_csv():
    """The shipped Llama-2-7B measurements, where this checkout has them (MM_MEASURED_CSV overrides)."""
    candidates = [os.environ.get("MM_MEASURED_CSV", ""),
                  ROOT / "configs" / "calibrations" / "data" / "measured-llama2-7b.csv",
                  ROOT.parent / "shared" / "calibration" / "measured-llama2-7b.csv"]
    for path in candidates:
        if path and Path(path).is_file():
            return Path(path)
    pytest.skip("SKIPPED: the shipped measured-llama2-7b.csv is not in this checkout (set MM_MEASURED_CSV); "
                "the exact hand-computed shape tests still ran")


def run_script(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def torch_or_skip():
    try:
        import torch  # noqa: F401
    except ImportError as e:
        pytest.skip(f"SKIPPED: cannot import torch ({e}): install Debian's python3-torch for the CPU-fallback run")


# --- the shape list, exact --------------------------------------------------------------------------------

def test_llama2_7b_tp2_layer_is_each_gpus_shard():
    # hidden 4096, intermediate 11008, 32 heads and 32 KV heads of 128; tp=2: 16 + 16 heads per GPU.
    assert mk.layer_kernels(LLAMA, 2, 64) == [
        ("attn_pre_proj", "matmul", 64, 6144, 4096),  # (16 + 2*16) * 128 = 6144
        ("attn_post_proj", "matmul", 64, 4096, 2048),  # 16 * 128
        ("mlp_up_proj", "matmul", 64, 11008, 4096),  # 2 * 11008 / 2
        ("mlp_down_proj", "matmul", 64, 4096, 5504),  # 11008 / 2
        ("rmsnorm", "rmsnorm", 64, 4096, None),
        ("mlp_act", "silu_mul", 64, 5504, None),
        ("mlp_act_gelu", "gelu", 64, 5504, None),
        ("attn_rope", "rotary", 64, 4096, None),  # (16 + 16) * 128
        ("add", "add", 64, 4096, None),
        ("emb", "embedding", 64, 4096, None),
    ]


def test_llama2_7b_tp1_and_tp8_match_the_shipped_rows():
    # The shipped file's rows at 4096 tokens (vidur h100 ... tp1 / tp8), copied by hand.
    by_name = {name: (op, m, n, k) for name, op, m, n, k in mk.layer_kernels(LLAMA, 1, 4096)}
    assert by_name["attn_pre_proj"] == ("matmul", 4096, 12288, 4096)
    assert by_name["attn_post_proj"] == ("matmul", 4096, 4096, 4096)
    assert by_name["mlp_up_proj"] == ("matmul", 4096, 22016, 4096)
    assert by_name["mlp_down_proj"] == ("matmul", 4096, 4096, 11008)
    assert by_name["mlp_act"] == ("silu_mul", 4096, 11008, None)
    assert by_name["attn_rope"] == ("rotary", 4096, 8192, None)
    by_name = {name: (op, m, n, k) for name, op, m, n, k in mk.layer_kernels(LLAMA, 8, 4096)}
    assert by_name["attn_pre_proj"] == ("matmul", 4096, 1536, 4096)
    assert by_name["attn_post_proj"] == ("matmul", 4096, 4096, 512)
    assert by_name["mlp_up_proj"] == ("matmul", 4096, 2752, 4096)
    assert by_name["mlp_down_proj"] == ("matmul", 4096, 4096, 1376)
    assert by_name["mlp_act"] == ("silu_mul", 4096, 1376, None)
    assert by_name["attn_rope"] == ("rotary", 4096, 1024, None)
    assert by_name["rmsnorm"] == ("rmsnorm", 4096, 4096, None)
    assert by_name["emb"] == ("embedding", 4096, 4096, None)


def test_grouped_query_heads_split_then_replicate():
    # small: 8 query heads, 4 KV heads of 32. tp=2: 4 q + 2 kv; tp=8: 1 q + 1 kv (KV replicated past 4 GPUs).
    tp2 = {name: n for name, _, _, n, _ in mk.layer_kernels(SMALL, 2, 1)}
    assert (tp2["attn_pre_proj"], tp2["attn_rope"]) == ((4 + 2 * 2) * 32, (4 + 2) * 32)
    tp8 = {name: n for name, _, _, n, _ in mk.layer_kernels(SMALL, 8, 1)}
    assert (tp8["attn_pre_proj"], tp8["attn_rope"], tp8["attn_post_proj"]) == (3 * 32, 2 * 32, 256)
    assert mk.check_tp(SMALL, 16) == "does not divide the 8 attention heads of shape set small"
    assert mk.check_tp(LLAMA, 3) == "does not divide the 32 attention heads of shape set llama2-7b"
    assert mk.check_tp(mk.ModelShape("x", 64, 64, 8, 3, 8, 10), 2) == \
        "does not divide the 3 key/value heads of shape set x"


def test_kernel_list_merges_repeated_shapes_and_sorts_by_op_then_shape():
    kernels = mk.kernel_list(LLAMA, [1, 2, 4, 8], [4096, 1])
    # 16 distinct matmuls, 4 silu_mul, 4 gelu and 4 rotary widths (one per TP degree); rmsnorm, add and
    # embedding have one shape at every TP degree; each at 2 token counts.
    assert len(kernels) == 2 * (16 + 1 + 4 + 4 + 4 + 1 + 1)
    assert [k.op for k in kernels] == sorted((k.op for k in kernels), key=OPS.index)
    assert [(k.m, k.n, k.k) for k in kernels[:4]] == [(1, 1536, 4096), (1, 2752, 4096), (1, 3072, 4096),
                                                     (1, 4096, 512)]
    assert (kernels[1].names, kernels[1].tps) == (("mlp_up_proj",), (8,))
    rmsnorm = [k for k in kernels if k.op == "rmsnorm"]
    assert [(k.m, k.n, k.names, k.tps) for k in rmsnorm] == [(1, 4096, ("rmsnorm",), (1, 2, 4, 8)),
                                                             (4096, 4096, ("rmsnorm",), (1, 2, 4, 8))]
    # A shape several operators share is measured once and names them all: small's 256 x 256 matmul is the
    # output projection at tp=1, the QKV and down projections at tp=2 and the gate+up projection at tp=4.
    shared = [k for k in mk.kernel_list(SMALL, [1, 2, 4], [1]) if (k.op, k.n, k.k) == ("matmul", 256, 256)]
    assert [(k.names, k.tps) for k in shared] == [(("attn_post_proj", "attn_pre_proj", "mlp_down_proj",
                                                    "mlp_up_proj"), (1, 2, 4))]


def test_default_token_counts_and_buffer_sizes():
    tokens = mk.default_tokens()
    assert len(tokens) == 259
    assert tokens[:6] == [1, 2, 4, 8, 16, 24] and tokens[-2:] == [4064, 4096]
    assert {b - a for a, b in zip(tokens[3:], tokens[4:])} == {8, 16, 32}
    assert tokens[tokens.index(1024) + 1] == 1040 and tokens[tokens.index(2048) + 1] == 2080
    sizes = mk.default_all_reduce_bytes()
    assert len(sizes) == 993
    assert sizes[:2] == [2048, 10240] and sizes[-1] == 64 * 1024 * 1024
    assert sizes[sizes.index(1 << 20) - 1] == 1042432 and sizes[sizes.index(1 << 20) + 1] == (1 << 20) + 32768


def test_kernel_list_covers_exactly_the_shipped_shapes():
    path = shipped_csv()
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["hardware"] == "h100-sxm"]
    shipped = {(r["op"], int(r["m"]), int(r["n"]), int(r["k"]) if r["k"] else None)
               for r in rows if r["op"] != "all_reduce"}
    ours = {(k.op, k.m, k.n, k.k) for k in mk.kernel_list(LLAMA, [1, 2, 4, 8], mk.default_tokens())
            if k.op != "gelu"}  # the shipped Llama (SiLU MLP) has no GELU rows
    assert ours == shipped
    assert {int(r["bytes"]) for r in rows if r["op"] == "all_reduce"} == set(mk.default_all_reduce_bytes())


def test_shapes_from_a_hugging_face_config():
    llama = mk.load_shape(str(ROOT / "configs" / "models" / "llama-2-7b.json"))
    assert llama == mk.ModelShape("llama-2-7b", 4096, 11008, 32, 32, 128, 32000)
    llama3 = mk.load_shape(str(ROOT / "configs" / "models" / "llama-3-8b.json"))  # 32 q heads, 8 KV heads
    tp2 = {name: (n, k) for name, _, _, n, k in mk.layer_kernels(llama3, 2, 1)}
    assert tp2["attn_pre_proj"] == ((16 + 2 * 4) * 128, 4096)
    assert tp2["mlp_up_proj"] == (14336, 4096)
    assert tp2["attn_rope"] == ((16 + 4) * 128, None)


def test_shape_list_needs_no_torch(tmp_path):
    # With torch made unimportable, the shape list, the argument checks and the CSV writer all still work.
    code = f"""
import sys
sys.modules['torch'] = None
import importlib.util
spec = importlib.util.spec_from_file_location('mk', {str(SCRIPT)!r})
mk = importlib.util.module_from_spec(spec); sys.modules['mk'] = mk; spec.loader.exec_module(mk)
opts = mk.parse_args(['--hardware', 'x', '--out', {str(tmp_path / 'o.csv')!r}])
kernels = mk.kernel_list(opts.shape, opts.tps, opts.tokens)
mk.write_csv_atomic(opts.out, [mk.kernel_row(opts, kernels[0], 1.5, 'test')])
print(len(kernels))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 259 * (16 + 1 + 4 + 4 + 4 + 1 + 1)
    assert (tmp_path / "o.csv").read_text() == \
        ",".join(COLUMNS) + "\nx,fp16,matmul,1,1536,4096,,,,1.5,test\n"


# --- the CSV ------------------------------------------------------------------------------------------------

def test_columns_and_ops_are_the_documented_format():
    assert list(mk.COLUMNS) == COLUMNS and list(mk.OPS) == OPS
    # docs/measuring.md's format table lists the columns in the file's order.
    doc = (ROOT / "docs" / "measuring.md").read_text()
    table = re.search(r"\| column \| meaning \|\n\|[-| ]+\|\n((?:\|.*\n)+)", doc)
    assert table, "docs/measuring.md has no '| column | meaning |' table"
    documented = []
    for line in table.group(1).splitlines():
        documented += re.findall(r"`([a-z_]+)`", line.split("|")[1])
    assert documented == COLUMNS


def test_shipped_file_has_the_same_header():
    with open(shipped_csv(), newline="") as f:
        assert next(csv.reader(f)) == COLUMNS


def test_write_is_atomic_and_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "m.csv"
    opts = mk.parse_args(["--hardware", "gpu-x", "--out", str(out), "--dtype", "bf16"])
    kernel = mk.Kernel("rmsnorm", 8, 4096, None, ("rmsnorm",), (1,))
    mk.write_csv_atomic(str(out), [mk.kernel_row(opts, kernel, 12.34567, "s"),
                                   mk.all_reduce_row(opts, 4, 2, 2048, 30, "t")])
    assert out.read_text() == (",".join(COLUMNS) + "\n" + "gpu-x,bf16,rmsnorm,8,4096,,,,,12.346,s\n"
                               "gpu-x,bf16,all_reduce,,,,4,2,2048,30,t\n")
    with pytest.raises(ValueError):  # a row that is not in the format: the old file stays as it was
        mk.write_csv_atomic(str(out), [{"hardware": "x", "bogus": 1}])
    assert out.read_text().startswith("hardware,") and os.listdir(tmp_path) == ["m.csv"]


@pytest.mark.parametrize("value", [0, -1.0, 0.0004, float("nan")])
def test_times_must_be_positive(value):
    with pytest.raises(ValueError):
        mk.format_us(value)


def test_times_keep_three_decimals():
    assert [mk.format_us(v) for v in (584, 66.5, 0.0015, 1234.56789)] == ["584", "66.5", "0.002", "1234.568"]


# --- the profiler's events to times (the GPU path, on stand-in events shaped like torch's FunctionEvent) -----

def event(name, kernels=(), children=(), device="DeviceType.CPU"):
    return SimpleNamespace(name=name, device_type=device, cpu_children=list(children),
                           kernels=[SimpleNamespace(name=k, device=0, duration=d) for k, d in kernels])


def test_gpu_time_is_the_kernels_launched_inside_the_range():
    label = mk.LABEL + "3.0"
    mm = event("aten::mm", kernels=[("sm90_xmma_gemm", 10.5), ("splitKreduce_kernel", 2.0)])
    linear = event("aten::linear", children=[mm])
    # Some PyTorch versions attach the range's own GPU-side annotation to it as a "kernel": not kernel time.
    timed = event(label, kernels=[(label, 50.0)], children=[linear])
    gpu_side = event(label, kernels=[], device="DeviceType.CUDA")
    other = event(mk.LABEL + "3.1", children=[event("aten::add", kernels=[("vectorized_elementwise", 4.0)])])
    prof = SimpleNamespace(events=lambda: [timed, linear, mm, gpu_side, other])
    times = mk.collect_times(prof, "cuda")
    assert times == {label: 12.5, mk.LABEL + "3.1": 4.0}
    assert mk.median_of(times, mk.LABEL + "3", 2, "matmul") == 8.25
    with pytest.raises(RuntimeError, match="no range for matmul .invocation 2"):
        mk.median_of(times, mk.LABEL + "3", 3, "matmul")
    with pytest.raises(RuntimeError, match="no time for add"):  # no kernel recorded: an error, not a 0 row
        mk.median_of({mk.LABEL + "0.0": 0.0}, mk.LABEL + "0", 1, "add")


# --- argument errors: one line naming the flag and value, exit 2, nothing written --------------------------

BAD_ARGS = [
    (["--dtype", "fp32"], "--dtype: 'fp32' is not one of fp16, bf16"),
    (["--device", "tpu"], "--device: 'tpu' is not one of cuda, cpu"),
    (["--device", "cpu"], "--device: 'cpu' measures CPU times, not a GPU calibration; add --allow-cpu"),
    (["--tp", "3"], "--tp: 3 does not divide the 32 attention heads of shape set llama2-7b"),
    (["--tp", "1,x"], "--tp: 'x' in '1,x' is not an integer from 1 to 1024"),
    (["--tokens", "0,8"], "--tokens: '0' in '0,8' is not an integer from 1 to 1048576"),
    (["--repeats", "0"], "--repeats: '0' in '0' is not an integer from 1 to 100000"),
    (["--repeats", "2,3"], "--repeats: expects one integer"),
    (["--shapes", "llama-9b"], "--shapes: 'llama-9b' is neither a shape set (llama2-7b, small) nor a file"),
    (["--bytes", "2049"], "--bytes: 2049 is not a whole number of fp16 elements (2 bytes)"),
    (["--impl", "jit"], "--impl: 'jit' is not one of auto, eager, compile"),
    (["--hardware", "my gpu"], "--hardware: 'my gpu' is not a profile name"),
    (["--out", "/nonexistent-dir/m.csv"], "--out: '/nonexistent-dir/m.csv' is a folder, or its folder does not exist"),
    (["--all-reduce"], "--all-reduce: needs 2 or more processes: run under torchrun"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
]


@pytest.mark.parametrize("args,message", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments(tmp_path, args, message):
    out = tmp_path / "m.csv"
    base = {"--hardware": "gpu-x", "--out": str(out)}
    for flag in ("--hardware", "--out"):
        if flag in args:
            base.pop(flag)
    argv = [x for kv in base.items() for x in kv] + args
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_WORLD_SIZE")}
    result = run_script(*argv, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("measure_kernels.py: error: ")
    assert message in result.stderr
    assert os.listdir(tmp_path) == []


def test_missing_hardware_and_bad_shape_file(tmp_path):
    result = run_script("--out", str(tmp_path / "m.csv"))
    assert result.returncode == 2
    assert result.stderr == "measure_kernels.py: error: the following arguments are required: --hardware\n"
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"hidden_size": 64, "intermediate_size": 0, "num_attention_heads": 4,
                                  "vocab_size": 10}))
    result = run_script("--hardware", "x", "--out", str(tmp_path / "m.csv"), "--shapes", str(config))
    assert result.returncode == 2
    assert result.stderr == (f"measure_kernels.py: error: --shapes: '{config}' key 'intermediate_size' is 0, "
                             "not a positive integer\n")
    result = run_script("--hardware", "x", "--out", str(tmp_path / "m.csv"), env={**os.environ, "WORLD_SIZE": "2"})
    assert result.returncode == 2 and "--all-reduce: not given but WORLD_SIZE is 2" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["cfg.json"]


# --- real runs on the CPU fallback ------------------------------------------------------------------------

def read_rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def test_cpu_fallback_run_writes_every_kernel(tmp_path):
    torch_or_skip()
    out = tmp_path / "cpu.csv"
    result = run_script("--hardware", "test-gpu", "--out", str(out), "--shapes", "small", "--tokens", "1,16",
                        "--repeats", "2", "--warmup", "1", "--device", "cpu", "--allow-cpu")
    assert result.returncode == 0, result.stderr
    assert "NOT a GPU calibration" in result.stderr
    header, rows = read_rows(out)
    assert header == COLUMNS
    expected = mk.kernel_list(SMALL, [1, 2, 4, 8], [1, 16])
    assert len(rows) == len(expected) == 48
    for row, kernel in zip(rows, expected):
        assert (row["op"], int(row["m"]), int(row["n"])) == (kernel.op, kernel.m, kernel.n)
        assert row["k"] == ("" if kernel.k is None else str(kernel.k))
        assert (row["hardware"], row["dtype"], row["gpus"], row["nodes"], row["bytes"]) == \
            ("test-gpu", "fp16", "", "", "")
        assert float(row["measured_us"]) > 0
        assert row["source"].startswith(f"measure_kernels small tp{'/'.join(map(str, kernel.tps))} ")
        assert "cpu-fallback NOT-A-GPU-CALIBRATION" in row["source"]
    assert os.listdir(tmp_path) == ["cpu.csv"]


def test_cpu_fallback_all_reduce_under_a_torchrun_environment(tmp_path):
    torch_or_skip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "ar.csv"
    procs = []
    for rank in range(2):  # the variables torchrun --nproc-per-node 2 sets
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
               "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2"}
        procs.append(subprocess.Popen([sys.executable, str(SCRIPT), "--hardware", "test-gpu", "--out", str(out),
                                       "--all-reduce", "--bytes", "4096,65536", "--repeats", "2", "--warmup", "1",
                                       "--device", "cpu", "--allow-cpu"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    header, rows = read_rows(out)
    assert header == COLUMNS
    assert [(r["op"], r["m"], r["n"], r["k"], r["gpus"], r["nodes"], r["bytes"]) for r in rows] == \
        [("all_reduce", "", "", "", "2", "1", "4096"), ("all_reduce", "", "", "", "2", "1", "65536")]
    assert all(float(r["measured_us"]) > 0 and "cpu-fallback" in r["source"] for r in rows)
