#!/usr/bin/env python3
"""Micro-benchmarks of the host-side serving costs (docs/serving.md, "Host-side costs").

1. sample: one call of a no-repeat n-gram logits check as DeepSeek-OCR's vLLM set-up uses it (pure Python: for
   each position of the last `window` tokens, compare the (n-1)-token prefix that ends there with the current one
   and collect the token that followed), on a sequence of `length` token ids. Written here from the algorithm's
   description; the scores tensor is not touched (no token is banned in a sequence without repeats).
2. page: preprocessing of one A4 page at 150 dpi (1240 x 1754) in Gundam mode, when Pillow and NumPy are
   installed (Debian: python3-pil, python3-numpy): the 1024 x 1024 padded global view and the 2 x 3 grid of
   640 x 640 tiles, each converted to normalised float32 CHW arrays.

Prints one line per measurement: name, median seconds per call over repeats.
"""
import random
import statistics
import sys
import time


def no_repeat_ngram_banned(ids, ngram, window):
    if len(ids) < ngram:
        return set()
    prefix = tuple(ids[len(ids) - (ngram - 1):])
    start = max(0, len(ids) - window)
    end = len(ids) - ngram + 1
    banned = set()
    for i in range(start, end):
        if tuple(ids[i:i + ngram - 1]) == prefix:
            banned.add(ids[i + ngram - 1])
    return banned


def time_per_call(fn, calls, repeats=7):
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


def bench_sample(ngram, window, length):
    rng = random.Random(0)
    ids = [rng.randrange(129280) for _ in range(length)]
    return time_per_call(lambda: no_repeat_ngram_banned(ids, ngram, window), 2000)


def bench_page():
    try:
        import numpy as np
        from PIL import Image
    except ImportError:
        return None
    rng = np.random.default_rng(0)
    page = Image.fromarray(rng.integers(0, 256, size=(1754, 1240, 3), dtype=np.uint8), "RGB")
    mean = np.array([0.5, 0.5, 0.5], dtype=np.float32)
    std = np.array([0.5, 0.5, 0.5], dtype=np.float32)

    def to_tensor(img):
        a = np.asarray(img, dtype=np.float32) / 255.0
        return ((a - mean) / std).transpose(2, 0, 1).copy()

    def preprocess():
        # Global view: fit into 1024 x 1024, pad with the mean colour.
        scale = 1024 / max(page.size)
        w, h = round(page.size[0] * scale), round(page.size[1] * scale)
        canvas = Image.new("RGB", (1024, 1024), (127, 127, 127))
        canvas.paste(page.resize((w, h), Image.BICUBIC), ((1024 - w) // 2, (1024 - h) // 2))
        out = [to_tensor(canvas)]
        # Tiles: resize to 2 x 3 tiles of 640 and crop.
        grid = page.resize((2 * 640, 3 * 640), Image.BICUBIC)
        for r in range(3):
            for c in range(2):
                out.append(to_tensor(grid.crop((c * 640, r * 640, (c + 1) * 640, (r + 1) * 640))))
        return out

    return time_per_call(preprocess, 5, repeats=5)


def main():
    for ngram, window in ((20, 50), (30, 90)):
        print(f"sample ngram={ngram} window={window} length=1424: {bench_sample(ngram, window, 1424):.3e} s")
    page = bench_page()
    if page is None:
        print("page: skipped (Pillow and NumPy are not installed)")
    else:
        print(f"page 1240x1754 gundam 2x3: {page:.3e} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
