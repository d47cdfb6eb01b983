#!/usr/bin/env python3
"""Measure GPU kernel times for ModelMeter's calibration (`modelmeter calibrate`).

Runs the linear and element-wise kernels of a decoder layer (fused QKV projection, output projection, fused
gate+up projection, down projection, SiLU-and-multiply, GELU, RMSNorm, rotary embedding, residual add,
embedding lookup) at many token counts and tensor-parallel shards on the GPU it runs on, and optionally NCCL
all-reduce under torchrun, and writes the measurements CSV that `modelmeter calibrate` and
`modelmeter validate` read (format: docs/measuring.md; the same as the shipped measured-llama2-7b.csv).

Times come from torch.profiler, as the shipped data was measured: the GPU time of every kernel an operator
launches, summed per invocation, median over --repeats invocations after --warmup untimed ones.

    measure_kernels.py --hardware my-gpu --out my-gpu.csv                  # compute kernels, one GPU
    torchrun --nproc-per-node 4 measure_kernels.py --hardware my-gpu --all-reduce --out my-gpu-ar.csv

The first half of this file (shape lists, arguments, CSV) is pure Python and never imports torch; the
measuring half imports torch when it runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass

PROG = "measure_kernels.py"

# The measurements format (docs/measuring.md): columns and operators, in this order.
COLUMNS = ("hardware", "dtype", "op", "m", "n", "k", "gpus", "nodes", "bytes", "measured_us", "source")
OPS = ("matmul", "rmsnorm", "silu_mul", "gelu", "rotary", "add", "embedding", "all_reduce")
DTYPES = ("fp16", "bf16")
DEVICES = ("cuda", "cpu")
IMPLS = ("auto", "eager", "compile")

DEFAULT_TP = (1, 2, 4, 8)
DEFAULT_REPEATS = 20
DEFAULT_WARMUP = 5
MAX_TOKENS = 1 << 20
KIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class ModelShape:
    """The sizes of a dense decoder layer that its kernels' shapes follow from."""

    name: str
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int


# Built-in shape sets: Llama-2-7B (the shipped data's model) and a tiny decoder for tests and smoke runs.
SHAPE_SETS = {
    "llama2-7b": ModelShape("llama2-7b", hidden=4096, intermediate=11008, heads=32, kv_heads=32, head_dim=128,
                            vocab=32000),
    "small": ModelShape("small", hidden=256, intermediate=512, heads=8, kv_heads=4, head_dim=32, vocab=1024),
}


@dataclass(frozen=True)
class Kernel:
    """One kernel to measure: an op and its shape (the CSV's m, n, k), with where it occurs in the model."""

    op: str
    m: int
    n: int
    k: int | None
    names: tuple  # the layer's operators with this shape, e.g. ("attn_pre_proj",)
    tps: tuple  # the tensor-parallel degrees whose shard has this shape


class UsageError(Exception):
    """A bad argument: reported as one line naming the flag and its value, exit status 2."""


def default_tokens():
    """The shipped file's 259 token counts: 1, 2, 4, then steps of 8 to 1024, of 16 to 2048, of 32 to 4096."""
    return [1, 2, 4] + list(range(8, 1024, 8)) + list(range(1024, 2048, 16)) + list(range(2048, 4097, 32))


def default_all_reduce_bytes():
    """The shipped file's buffer sizes, 2 KiB to 64 MiB: steps of 8 KiB below 1 MiB, of 32 KiB below 16 MiB,
    then of 128 KiB."""
    return (list(range(2 * KIB, MIB, 8 * KIB)) + list(range(MIB, 16 * MIB, 32 * KIB)) +
            list(range(16 * MIB, 64 * MIB + 1, 128 * KIB)))


def kv_heads_per_gpu(shape, tp):
    """Key/value heads of one shard: split over the GPUs, or replicated once there are more GPUs than heads
    (as vLLM shards grouped-query attention)."""
    return shape.kv_heads // tp if tp <= shape.kv_heads else 1


def check_tp(shape, tp):
    """None when `shape` splits over `tp` GPUs, else why not."""
    if tp < 1:
        return "must be at least 1"
    if shape.heads % tp:
        return f"does not divide the {shape.heads} attention heads of shape set {shape.name}"
    if shape.intermediate % tp:
        return f"does not divide the intermediate size {shape.intermediate} of shape set {shape.name}"
    if tp > shape.kv_heads and tp % shape.kv_heads:
        return f"is not a multiple of the {shape.kv_heads} key/value heads of shape set {shape.name}"
    if tp <= shape.kv_heads and shape.kv_heads % tp:
        return f"does not divide the {shape.kv_heads} key/value heads of shape set {shape.name}"
    return None


def layer_kernels(shape, tp, m):
    """The kernels one GPU runs for one decoder layer (plus the embedding lookup) at `m` tokens and
    tensor-parallel degree `tp`, as (name, op, m, n, k). Matmuls are C[m x n] = A[m x k] . B[k x n]."""
    q = shape.heads // tp
    kv = kv_heads_per_gpu(shape, tp)
    d = shape.head_dim
    inter = shape.intermediate // tp
    return [
        ("attn_pre_proj", "matmul", m, (q + 2 * kv) * d, shape.hidden),  # fused QKV projection
        ("attn_post_proj", "matmul", m, shape.hidden, q * d),  # output projection
        ("mlp_up_proj", "matmul", m, 2 * inter, shape.hidden),  # fused gate+up projection
        ("mlp_down_proj", "matmul", m, shape.hidden, inter),
        ("rmsnorm", "rmsnorm", m, shape.hidden, None),  # input and post-attention norms: same shape
        ("mlp_act", "silu_mul", m, inter, None),  # output m x inter from input m x 2*inter
        ("mlp_act_gelu", "gelu", m, inter, None),  # the same width as a GELU MLP's activation
        ("attn_rope", "rotary", m, (q + kv) * d, None),  # query and key heads of this GPU x head dim
        ("add", "add", m, shape.hidden, None),  # residual add
        ("emb", "embedding", m, shape.hidden, None),  # m looked-up rows of width hidden
    ]


def kernel_sort_key(kernel):
    return (OPS.index(kernel.op), kernel.m, kernel.n, kernel.k or 0)


def kernel_list(shape, tps, tokens):
    """Every distinct kernel of `shape` at each TP degree and token count, once each (norm, add and
    embedding have the same shape at every TP degree), sorted by op (in the format's order), m, n, k."""
    found = {}
    for tp in tps:
        reason = check_tp(shape, tp)
        if reason:
            raise UsageError(f"--tp: {tp} {reason}")
        for m in tokens:
            for name, op, km, n, k in layer_kernels(shape, tp, m):
                key = (op, km, n, k)
                names, kernel_tps = found.get(key, ((), ()))
                found[key] = (names + (name,) * (name not in names), kernel_tps + (tp,) * (tp not in kernel_tps))
    kernels = [Kernel(op, m, n, k, names, tps_) for (op, m, n, k), (names, tps_) in found.items()]
    return sorted(kernels, key=kernel_sort_key)


def load_shape(arg):
    """A built-in shape set by name, or a Hugging Face config.json of a dense decoder (hidden_size,
    intermediate_size, num_attention_heads, optional num_key_value_heads and head_dim, vocab_size)."""
    if arg in SHAPE_SETS:
        return SHAPE_SETS[arg]
    if not os.path.isfile(arg):
        raise UsageError(f"--shapes: '{arg}' is neither a shape set ({', '.join(SHAPE_SETS)}) nor a file")
    try:
        with open(arg, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"--shapes: cannot read '{arg}' as JSON: {e}") from None
    if not isinstance(config, dict):
        raise UsageError(f"--shapes: '{arg}' is not a JSON object")

    def size(key, default=None):
        value = config.get(key, default)
        if value is None:
            raise UsageError(f"--shapes: '{arg}' has no key '{key}' (a positive integer)")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"--shapes: '{arg}' key '{key}' is {json.dumps(value)}, not a positive integer")
        return value

    hidden = size("hidden_size")
    heads = size("num_attention_heads")
    if "head_dim" not in config and hidden % heads:
        raise UsageError(f"--shapes: '{arg}' hidden_size {hidden} is not a multiple of num_attention_heads "
                         f"{heads} and there is no head_dim")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", os.path.splitext(os.path.basename(arg))[0]) or "shapes"
    return ModelShape(name, hidden=hidden, intermediate=size("intermediate_size"), heads=heads,
                      kv_heads=size("num_key_value_heads", heads), head_dim=size("head_dim", hidden // heads),
                      vocab=size("vocab_size"))


def parse_int_list(flag, text, low, high):
    """A comma-separated list of integers in [low, high], sorted, without repeats."""
    values = []
    for item in text.split(","):
        item = item.strip()
        if not re.fullmatch(r"[0-9]+", item) or not low <= int(item) <= high:
            raise UsageError(f"--{flag}: '{item}' in '{text}' is not an integer from {low} to {high}")
        values.append(int(item))
    return sorted(set(values))


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors (unknown flag, missing value): one line, exit 2
        raise UsageError(message)


def build_parser():
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="Defaults measure what the shipped measured-llama2-7b.csv holds. See docs/measuring.md.")
    p.add_argument("--hardware", required=True,
                   help="the name written in the CSV's hardware column (the profile you will calibrate)")
    p.add_argument("--out", required=True, help="the CSV to write (replaced atomically when done)")
    p.add_argument("--dtype", default="fp16", help="operand dtype: fp16 (default) or bf16")
    p.add_argument("--shapes", default="llama2-7b",
                   help="llama2-7b (default), small, or a Hugging Face config.json of a dense decoder")
    p.add_argument("--tp", default=",".join(map(str, DEFAULT_TP)),
                   help="tensor-parallel degrees whose per-GPU shards to measure (default 1,2,4,8)")
    p.add_argument("--tokens", help="token counts (default: the shipped 259, 1 to 4096)")
    p.add_argument("--repeats", default=str(DEFAULT_REPEATS),
                   help=f"timed invocations per kernel, the median is written (default {DEFAULT_REPEATS})")
    p.add_argument("--warmup", default=str(DEFAULT_WARMUP),
                   help=f"untimed invocations before (default {DEFAULT_WARMUP})")
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu (tests only; needs --allow-cpu)")
    p.add_argument("--allow-cpu", action="store_true",
                   help="allow --device cpu: CPU times, NOT a GPU calibration (for tests)")
    p.add_argument("--impl", default="auto",
                   help="element-wise kernels: compile (torch.compile fuses RMSNorm, SiLU-and-multiply and rotary "
                        "into one kernel each, like serving stacks), eager (plain PyTorch, several kernels each) "
                        "or auto (default: compile on CUDA when torch.compile works, else eager)")
    p.add_argument("--all-reduce", action="store_true",
                   help="measure NCCL all-reduce instead (run under torchrun with 2 or more GPUs)")
    p.add_argument("--bytes", help="all-reduce buffer sizes in bytes (default: the shipped 993, 2 KiB to 64 MiB)")
    return p


@dataclass
class Options:
    hardware: str
    out: str
    dtype: str
    shape: ModelShape
    tps: list
    tokens: list
    repeats: int
    warmup: int
    device: str
    impl: str
    all_reduce: bool
    sizes: list


def parse_args(argv):
    """Checks every argument before anything is measured; raises UsageError naming the flag and value."""
    a = build_parser().parse_args(argv)

    def one_of(flag, value, allowed):
        if value not in allowed:
            raise UsageError(f"--{flag}: '{value}' is not one of {', '.join(allowed)}")
        return value

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", a.hardware):
        raise UsageError(f"--hardware: '{a.hardware}' is not a profile name (letters, digits, '.', '_', '-')")
    out_dir = os.path.dirname(os.path.abspath(a.out))
    if os.path.isdir(a.out) or not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        raise UsageError(f"--out: '{a.out}' is a folder, or its folder does not exist or is not writable")
    device = one_of("device", a.device, DEVICES)
    if device == "cpu" and not a.allow_cpu:
        raise UsageError("--device: 'cpu' measures CPU times, not a GPU calibration; add --allow-cpu for tests")
    dtype = one_of("dtype", a.dtype, DTYPES)
    impl = one_of("impl", a.impl, IMPLS)
    repeats = parse_int_list("repeats", a.repeats, 1, 100000)
    warmup = parse_int_list("warmup", a.warmup, 0, 100000)
    if len(repeats) != 1 or len(warmup) != 1:
        raise UsageError(f"--{'repeats' if len(repeats) != 1 else 'warmup'}: expects one integer")
    shape = load_shape(a.shapes)
    tps = parse_int_list("tp", a.tp, 1, 1024)
    tokens = default_tokens() if a.tokens is None else parse_int_list("tokens", a.tokens, 1, MAX_TOKENS)
    sizes = default_all_reduce_bytes() if a.bytes is None else parse_int_list("bytes", a.bytes, 1, 1 << 34)
    element = 2  # fp16 and bf16
    for size in sizes:
        if size % element:
            raise UsageError(f"--bytes: {size} is not a whole number of {dtype} elements ({element} bytes)")
    if not a.all_reduce:
        kernel_list(shape, tps, tokens)  # raises on a --tp the shapes do not split over
    return Options(a.hardware, a.out, dtype, shape, tps, tokens, repeats[0], warmup[0], device, impl,
                   a.all_reduce, sizes)


def format_us(value):
    """A time in microseconds as the CSV writes it: positive, at most three decimals."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    if not value > 0 or float(text) <= 0:
        raise ValueError(f"measured time {value!r} us is not positive")
    return text


def kernel_row(opts, kernel, us, source):
    return {"hardware": opts.hardware, "dtype": opts.dtype, "op": kernel.op, "m": kernel.m, "n": kernel.n,
            "k": "" if kernel.k is None else kernel.k, "gpus": "", "nodes": "", "bytes": "",
            "measured_us": format_us(us), "source": source}


def all_reduce_row(opts, gpus, nodes, size, us, source):
    return {"hardware": opts.hardware, "dtype": opts.dtype, "op": "all_reduce", "m": "", "n": "", "k": "",
            "gpus": gpus, "nodes": nodes, "bytes": size, "measured_us": format_us(us), "source": source}


def write_csv_atomic(path, rows):
    """Writes the header and `rows` to a temporary file beside `path`, then renames it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".measure_kernels.", suffix=".csv.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def launch_environment():
    """(rank, world size, local world size, nodes) from torchrun's variables; a plain run is (0, 1, 1, 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    return int(os.environ.get("RANK", "0")), world, local, max(1, -(-world // max(1, local)))


# ---------------------------------------------------------------------------------------------------------
# Measuring: everything below imports torch.

LABEL = "measure_kernels#"  # prefix of the record_function range around each timed invocation
DTYPE_NAMES = {"fp16": "float16", "bf16": "bfloat16"}


def warn(message):
    print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)


def device_time_us(event, label_names):
    """GPU time of the kernels launched inside `event` (a profiler FunctionEvent), children included.
    GPU-side copies of record_function ranges (gpu_user_annotation) are not kernels and are left out."""
    total = 0.0
    for kernel in event.kernels:
        if not kernel.name.startswith(LABEL) and kernel.name not in label_names:
            total += kernel.duration
    for child in event.cpu_children:
        total += device_time_us(child, label_names)
    return total


def is_cpu_event(event):
    return str(getattr(event, "device_type", "CPU")).endswith("CPU")


def collect_times(prof, device):
    """{label: time in us} of every labelled range the profiler recorded: the GPU kernel time summed over the
    range on cuda, the range's CPU time on cpu."""
    events = prof.events()
    label_names = {e.name for e in events if e.name.startswith(LABEL)} | {"gpu_user_annotation"}
    times = {}
    for event in events:
        if event.name.startswith(LABEL) and is_cpu_event(event):
            if device == "cuda":
                times[event.name] = device_time_us(event, label_names)
            else:
                times[event.name] = float(event.cpu_time_total)
    return times


def profile(torch, device):
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    return torch.profiler.profile(activities=activities)


def median_of(times, label_base, repeats, what):
    values = []
    for rep in range(repeats):
        value = times.get(f"{label_base}.{rep}")
        if value is None:
            raise RuntimeError(f"the profiler recorded no range for {what} (invocation {rep})")
        if not value > 0:
            raise RuntimeError(f"the profiler recorded no time for {what} (invocation {rep}); on cuda: no GPU "
                               "kernel, is CUPTI available to torch.profiler?")
        values.append(value)
    return statistics.median(values)


class KernelRunner:
    """Builds each kernel's inputs and a function that runs it once."""

    def __init__(self, torch, device, dtype, impl):
        self.torch = torch
        self.device = device
        self.dtype = dtype
        self.impl = impl
        F = torch.nn.functional

        def rmsnorm(x, weight):  # as vLLM's fused kernel: in fp32, scaled by the weight
            xf = x.float()
            return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6)).to(x.dtype) * weight

        def silu_mul(x):  # SiLU of the gate half times the up half
            half = x.shape[-1] // 2
            return F.silu(x[..., :half]) * x[..., half:]

        def rotary(x, positions, cos_cache, sin_cache):  # GPT-NeoX style, cos/sin gathered by position
            half = x.shape[-1] // 2
            cos = cos_cache[positions].unsqueeze(1)
            sin = sin_cache[positions].unsqueeze(1)
            x1, x2 = x[..., :half], x[..., half:]
            return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)

        self.fused = {"rmsnorm": rmsnorm, "silu_mul": silu_mul, "rotary": rotary}
        if impl == "compile":
            try:
                torch._dynamo.config.cache_size_limit = max(64, torch._dynamo.config.cache_size_limit)
            except AttributeError:
                pass
            self.fused = {op: torch.compile(fn, dynamic=True) for op, fn in self.fused.items()}

    def tensor(self, *shape):
        return self.torch.randn(*shape, device=self.device, dtype=self.dtype)

    def build(self, kernel, shape):
        """(fn, args) such that fn(*args) runs `kernel` once."""
        torch = self.torch
        m, n = kernel.m, kernel.n
        if kernel.op == "matmul":
            return torch.nn.functional.linear, (self.tensor(m, kernel.k), self.tensor(n, kernel.k))
        if kernel.op == "rmsnorm":
            return self.fused["rmsnorm"], (self.tensor(m, n), self.tensor(n))
        if kernel.op == "silu_mul":
            return self.fused["silu_mul"], (self.tensor(m, 2 * n),)
        if kernel.op == "gelu":
            return torch.nn.functional.gelu, (self.tensor(m, n),)
        if kernel.op == "rotary":
            d = shape.head_dim
            positions = torch.arange(m, device=self.device) % 4096
            cos_cache, sin_cache = self.tensor(4096, d // 2), self.tensor(4096, d // 2)
            return self.fused["rotary"], (self.tensor(m, n // d, d), positions, cos_cache, sin_cache)
        if kernel.op == "add":
            return torch.add, (self.tensor(m, n), self.tensor(m, n))
        if kernel.op == "embedding":
            ids = torch.randint(0, shape.vocab, (m,), device=self.device)
            return torch.nn.functional.embedding, (ids, self.tensor(shape.vocab, n))
        raise ValueError(f"unknown op {kernel.op}")


def choose_impl(torch, opts):
    if opts.impl != "auto":
        if opts.impl == "compile" and not hasattr(torch, "compile"):
            raise UsageError(f"--impl: 'compile' needs torch.compile (PyTorch 2.0 or later; this is {torch.__version__})")
        return opts.impl
    if opts.device != "cuda" or not hasattr(torch, "compile"):
        return "eager"
    try:
        import triton  # noqa: F401  (torch.compile's GPU backend)
    except ImportError:
        warn("triton is not installed: element-wise ops run eagerly (several kernels each; see --impl)")
        return "eager"
    return "compile"


def measure_compute(torch, opts, chunk=32):
    """Times every kernel of the shape list; returns the CSV rows."""
    impl = choose_impl(torch, opts)
    kernels = kernel_list(opts.shape, opts.tps, opts.tokens)
    if opts.device == "cuda":
        runner = KernelRunner(torch, opts.device, getattr(torch, DTYPE_NAMES[opts.dtype]), impl)
        origin = f"{torch.cuda.get_device_name()} torch-{torch.__version__} {impl}"
    else:  # CPU kernels lack fp16 matmul in many PyTorch versions: fp32, and the source column says so
        runner = KernelRunner(torch, opts.device, torch.float32, impl)
        origin = f"cpu-fallback NOT-A-GPU-CALIBRATION computed-in-fp32 torch-{torch.__version__} {impl}"
    rows = []
    for start in range(0, len(kernels), chunk):
        batch = kernels[start:start + chunk]
        for kernel in batch:  # untimed: compiles, picks cuBLAS algorithms, fills caches
            fn, args = runner.build(kernel, opts.shape)
            for _ in range(max(1, opts.warmup)):
                fn(*args)
            del fn, args
        synchronize(torch, opts.device)
        with profile(torch, opts.device) as prof:
            for index, kernel in enumerate(batch, start):
                fn, args = runner.build(kernel, opts.shape)
                for _ in range(2):  # untimed, inside the profiler too (it can miss a session's first kernels)
                    fn(*args)
                for rep in range(opts.repeats):
                    with torch.profiler.record_function(f"{LABEL}{index}.{rep}"):
                        fn(*args)
                del fn, args
            synchronize(torch, opts.device)
        times = collect_times(prof, opts.device)
        for index, kernel in enumerate(batch, start):
            what = f"{kernel.op} m={kernel.m} n={kernel.n}" + (f" k={kernel.k}" if kernel.k else "")
            us = median_of(times, f"{LABEL}{index}", opts.repeats, what)
            tps = "/".join(map(str, kernel.tps))
            source = f"measure_kernels {opts.shape.name} tp{tps} {'+'.join(kernel.names)} {origin}"
            rows.append(kernel_row(opts, kernel, us, source))
        print(f"{PROG}: {min(start + chunk, len(kernels))}/{len(kernels)} kernels", file=sys.stderr, flush=True)
    return rows


def synchronize(torch, device):
    if device == "cuda":
        torch.cuda.synchronize()


def measure_all_reduce(torch, opts):
    """Times all-reduce of each buffer size across the torchrun job's processes; returns rank 0's rows
    (other ranks return [])."""
    import torch.distributed as dist

    rank, world, local_world, nodes = launch_environment()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if opts.device == "cuda":
        torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl")

        def barrier():
            dist.barrier(device_ids=[local_rank])
    else:
        dist.init_process_group("gloo")
        barrier = dist.barrier
    dtype = getattr(torch, DTYPE_NAMES[opts.dtype])
    if opts.device == "cuda":
        origin = f"{torch.cuda.get_device_name()} torch-{torch.__version__} nccl"
    else:
        origin = f"cpu-fallback NOT-A-GPU-CALIBRATION torch-{torch.__version__} gloo"
    source = f"measure_kernels all_reduce gpus={world} nodes={nodes} gpus_per_node={local_world} {origin}"
    rows = []
    try:
        for index, size in enumerate(opts.sizes):
            buf = torch.ones(size // 2, dtype=dtype, device=opts.device)
            for _ in range(max(1, opts.warmup)):
                dist.all_reduce(buf)
            synchronize(torch, opts.device)
            with profile(torch, opts.device) as prof:
                for rep in range(-2, opts.repeats):  # two untimed invocations first
                    barrier()  # all ranks start together: the kernel does not wait for late peers
                    synchronize(torch, opts.device)
                    if rep < 0:
                        dist.all_reduce(buf)
                        continue
                    with torch.profiler.record_function(f"{LABEL}{index}.{rep}"):
                        dist.all_reduce(buf)
                    synchronize(torch, opts.device)
            times = collect_times(prof, opts.device)
            us = median_of(times, f"{LABEL}{index}", opts.repeats, f"all_reduce of {size} bytes")
            if rank == 0:
                rows.append(all_reduce_row(opts, world, nodes, size, us, source))
                if index % 64 == 63 or index == len(opts.sizes) - 1:
                    print(f"{PROG}: {index + 1}/{len(opts.sizes)} all-reduce sizes", file=sys.stderr, flush=True)
        barrier()
    finally:
        dist.destroy_process_group()
    return rows


def main(argv=None):
    try:
        opts = parse_args(sys.argv[1:] if argv is None else argv)
        rank, world, _, _ = launch_environment()
        if opts.all_reduce and world < 2:
            raise UsageError("--all-reduce: needs 2 or more processes: run under "
                             "torchrun --nproc-per-node N (N >= 2)")
        if not opts.all_reduce and world > 1:
            raise UsageError(f"--all-reduce: not given but WORLD_SIZE is {world}: measure the compute kernels "
                             "in a plain run, all-reduce under torchrun")
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    if opts.device == "cpu":
        warn("--device cpu: these are CPU times for testing this script, NOT a GPU calibration; "
             "their source column says cpu-fallback")
    try:
        import torch
    except ImportError as e:
        print(f"{PROG}: error: cannot import torch ({e}): install PyTorch", file=sys.stderr)
        return 1
    if opts.device == "cuda" and not torch.cuda.is_available():
        print(f"{PROG}: error: --device cuda but torch.cuda.is_available() is False (torch {torch.__version__})",
              file=sys.stderr)
        return 1
    try:
        rows = measure_all_reduce(torch, opts) if opts.all_reduce else measure_compute(torch, opts)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    if rank == 0:
        write_csv_atomic(opts.out, rows)
        print(f"{PROG}: wrote {len(rows)} rows to {opts.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
