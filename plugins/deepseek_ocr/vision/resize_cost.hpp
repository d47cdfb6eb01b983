// Closed-form costs of the position-table resizes the vision layers run (not a layer class): PyTorch's
// antialiased bicubic F.interpolate (SAM's and CLIP's absolute position embeddings) and its linear 1-D
// F.interpolate (SAM's relative-position tables). Each cost is written out in the doc page of the layer that uses it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace deepseek_ocr::resize {

inline constexpr double kFp32Bytes = 4;  // the resizes run in fp32 (`.to(torch.float32)` before, `.to(dtype)` after)

// Σ over the `dst` output positions of one axis of the source taps PyTorch's antialiased bicubic kernel reads
// (`_compute_weights_span`, in fp32 like its accscalar_t): scale = src/dst, support = 2·scale when scale ≥ 1 else 2,
// center = scale·(i + ½), xmin = max(int(center − support + ½), 0), xsize = min(int(center + support + ½), src) − xmin.
// 64 → 40: 250; 16 → 10: 58.
inline double bicubic_aa_taps(uint64_t src, uint64_t dst) {
  const float scale = static_cast<float>(src) / static_cast<float>(dst);
  const float support = scale >= 1.0f ? 2.0f * scale : 2.0f;
  double taps = 0;
  for (uint64_t i = 0; i < dst; ++i) {
    const float center = scale * (static_cast<float>(i) + 0.5f);
    const int64_t xmin = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5f), 0);
    const int64_t xmax = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5f), static_cast<int64_t>(src));
    taps += static_cast<double>(xmax - xmin);
  }
  return taps;
}

// One resize of a parameter table (held at the weight precision bw) into a table at bw, casts included. The
// backward runs the adjoint kernels in reverse and moves the same bytes back (reads what the forward wrote, writes
// what it read); the last of its writes, `parameter_read` bytes, is the parameter's gradient.
struct Cost {
  double cuda_forward;    // CUDA-core FLOPs of the forward kernel
  double cuda_backward;   // CUDA-core FLOPs of its adjoint
  double read;            // bytes the forward kernels read
  double written;         // bytes the forward kernels write (fp32 copies, the resized table)
  double parameter_read;  // of `read`: the parameter table itself
  double live;            // the largest live set of one of its kernels (the parameter excluded)
  double io() const { return read + written; }
};

// F.interpolate(mode="bicubic", antialias=True) of a src×src grid of `channels` to dst×dst (square grids), as
// `upsample_gen2d_aa_out_frame` runs it: per output element and channel, ysize row sums of xsize taps, then one
// sum over the ysize rows: 2·ysize·(xsize + 1) FLOPs (2 per multiply-accumulate); its adjoint scatters
// wx·wy·dy into every tap: 3 FLOPs per (x, y) tap pair. With S = Σ taps of one axis: forward 2·C·S·(S + dst),
// backward 3·C·S². Casts to and from fp32 are copies (none when bw is already fp32).
inline Cost bicubic_aa(uint64_t src, uint64_t dst, uint64_t channels, double bw) {
  const double c = static_cast<double>(channels);
  const double s = bicubic_aa_taps(src, dst);
  const double in = static_cast<double>(src * src) * c;   // source elements
  const double out = static_cast<double>(dst * dst) * c;  // resized elements
  const double cast = bw == kFp32Bytes ? 0.0 : 1.0;       // 1 when the casts are real copies
  return Cost{
      2 * c * s * (s + static_cast<double>(dst)),                   // ysize·(xsize + 1) MACs per output
      3 * c * s * s,                                                // wx·wy·dy added into each tap pair
      cast * bw * in + kFp32Bytes * (in + out * cast),              // cast in; kernel source; cast out
      cast * kFp32Bytes * in + kFp32Bytes * out + cast * bw * out,  // fp32 copy; fp32 result; result at bw
      cast > 0 ? bw * in : kFp32Bytes * in,                         // the parameter, read once
      std::max({cast * kFp32Bytes * in, kFp32Bytes * (in + out), cast * (kFp32Bytes + bw) * out}),  // one kernel
  };
}

// F.interpolate(mode="linear") of a table of `rows` × `channels` to `out_rows` × `channels`: each output is
// w0·x0 + w1·x1 (3 FLOPs); its adjoint adds w0·dy and w1·dy into two source rows (4 FLOPs per output).
inline Cost linear_1d(uint64_t rows, uint64_t out_rows, uint64_t channels, double bw) {
  const double in = static_cast<double>(rows * channels);
  const double out = static_cast<double>(out_rows * channels);
  const double cast = bw == kFp32Bytes ? 0.0 : 1.0;
  return Cost{
      3 * out,                                                      // w0·x0 + w1·x1
      4 * out,                                                      // w0·dy and w1·dy added into two rows
      cast * bw * in + kFp32Bytes * (in + out * cast),              // cast in; kernel source; cast out
      cast * kFp32Bytes * in + kFp32Bytes * out + cast * bw * out,  // fp32 copy; fp32 result; result at bw
      cast > 0 ? bw * in : kFp32Bytes * in,                         // the parameter, read once
      std::max({cast * kFp32Bytes * in, kFp32Bytes * (in + out), cast * (kFp32Bytes + bw) * out}),  // one kernel
  };
}

}  // namespace deepseek_ocr::resize
