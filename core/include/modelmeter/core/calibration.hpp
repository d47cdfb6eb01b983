// Calibrated kernel time: a model of how long one GPU kernel takes from its shape, dtype and the GPU (tiles and
// waves over the SMs, bandwidth reached at a size, caches, launch latency), with parameters fitted to measured
// kernel times. The formulas are in docs/calibration.md; the roofline stays the lower bound next to it.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <modelmeter/core/export.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modelmeter::core {

struct Hardware;

// The kernel families the model knows, named as the measurements CSV's `op` column names them.
enum class KernelKind : uint8_t { Matmul, RmsNorm, SiluMul, Gelu, Rotary, Add, Embedding, AllReduce, Count };
inline constexpr std::size_t kKernelKinds = static_cast<std::size_t>(KernelKind::Count);
MM_CORE_API const char* kernel_kind_name(KernelKind k);
MM_CORE_API std::optional<KernelKind> parse_kernel_kind(std::string_view name);

// One kernel launch (or `groups` identical launches: a grouped GEMM's touched experts).
//   Matmul: C[m×n] = A[m×k]·B[k×n] per group; m may be fractional (an expected token count).
//   RmsNorm, Add, Gelu, Rotary, Embedding: m rows × n columns; SiluMul: output m × n (input m × 2n).
//   AllReduce: `bytes` reduced on each of `gpus` GPUs spread over `nodes` nodes.
// `bytes` < 0 means: the DRAM bytes of the canonical kernel (kernel_bytes); a kernel known only by its metrics
// (a plugin's own leaf layer) gives its I/O bytes here and m = n = 0.
struct KernelShape {
  KernelKind kind = KernelKind::Add;
  double m = 0, n = 0, k = 0;
  double groups = 1;
  double activation_bytes = 2;  // bytes per element of activations (A, C, rows)
  double weight_bytes = 2;      // bytes per element of weights (B, the norm's γ, the embedding table)
  double bytes = -1;
  uint32_t gpus = 1, nodes = 1;
  double tensor_flops = 0;  // metrics-only kernels: their Tensor-Core and CUDA-core FLOPs
  double cuda_flops = 0;
};

// DRAM bytes of the canonical kernel of `s` (see docs/calibration.md, "Kernels").
MM_CORE_API double kernel_bytes(const KernelShape& s);

struct FitStats {
  std::size_t rows = 0;
  double mape = 0, median = 0, p90 = 0;  // absolute percentage errors as fractions
};

struct MatmulParams {
  double eta_compute = 1;       // fraction of the Tensor-Core peak a full wave of tiles reaches
  double eta_memory = 1;        // fraction of DRAM bandwidth a weight-streaming GEMM reaches
  double latency_us = 0;        // fixed cost of one launch
  double blend = 8;             // p of the p-norm that joins compute and memory time (large: max)
  double wave_overhead_us = 0;  // prologue/epilogue cost of each wave of tiles
  double cache_gain = 0;        // share of the memory time saved when the data is small next to L2 (see below)
};
struct MemoryParams {
  double latency_us = 0;  // fixed cost of one launch
  double eta = 1;         // fraction of DRAM bandwidth reached by a large kernel
  // Share of the memory time saved when the data is small next to L2: memory time × (1 − gain·L2/(L2 + bytes)),
  // gain in [0, 0.95]; large kernels stream from DRAM at `eta`.
  double cache_gain = 0;
};
struct AllReduceParams {
  double latency_us = 0;          // fixed cost of one collective
  double step_latency_us = 0;     // per ring step (2·(g − 1) steps)
  double link_efficiency = 1;     // fraction of the intra-node link bandwidth the ring reaches
  double network_latency_us = 0;  // extra fixed cost once the collective spans nodes
  double network_efficiency = 1;  // fraction of the inter-node network bandwidth reached
};

// Where a kind's parameters come from.
struct KindFit {
  std::string source;  // "fitted", "borrowed from silu_mul (no gelu rows)", "derived from a100-80g", …
  FitStats stats;      // in-sample error on the rows it was fitted on (rows = 0 when not fitted here)
};

struct Calibration {
  std::string name;      // bundled name (the hardware's id) or the file's stem
  std::string hardware;  // the profile it was fitted for
  std::filesystem::path path;
  std::string note;
  std::vector<std::string> measured;  // the measurement files it was fitted on (file names)
  MatmulParams matmul;
  std::array<MemoryParams, kKernelKinds> memory{};  // indexed by KernelKind (RmsNorm … Embedding)
  AllReduceParams all_reduce;
  std::array<KindFit, kKernelKinds> fit{};
  FitStats overall;
};

// Time of one kernel on `hw` in seconds, with the parts the report needs: `compute_s` is the share of it
// spent compute-bound (a matmul whose tile work exceeds its memory time; 0 for memory-bound kinds).
struct KernelTime {
  double time_s = 0;
  double compute_s = 0;
};
MM_CORE_API KernelTime kernel_time(const Hardware& hw, const Calibration& c, const KernelShape& s);
// The pure roofline of the same kernel (vendor peaks × the profile's efficiency, no latency): the baseline.
MM_CORE_API double roofline_kernel_time(const Hardware& hw, const KernelShape& s);

// Loads a calibration file (strict: unknown keys, missing parameters, values out of range are InputErrors
// naming the file, key and what is allowed).
MM_CORE_API Calibration load_calibration(const std::filesystem::path& path);
MM_CORE_API Calibration parse_calibration(std::string_view text, const std::filesystem::path& path);
// The TOML text of a calibration (what `calibrate --out` writes). Deterministic.
MM_CORE_API std::string calibration_toml(const Calibration& c);

// ---------------------------------------------------------------------------------------------------------
// Measurements (the CSV format of shared/calibration/README.md)

struct Measurement {
  std::string hardware;
  std::string dtype;
  KernelKind op = KernelKind::Matmul;
  double m = 0, n = 0, k = 0;
  uint32_t gpus = 0, nodes = 0;
  double bytes = 0;
  double measured_us = 0;
  std::size_t line = 0;  // 1-based line in its file
  uint32_t file = 0;     // index into the files read
};
struct MeasurementSet {
  std::vector<std::filesystem::path> files;
  std::vector<Measurement> rows;
};
// Reads and strictly validates measurement files: a missing column, unknown op or dtype, a value that is not a
// positive finite number where one is needed, NaN, a negative time: InputError "FILE:LINE: column 'c': …".
MM_CORE_API void read_measurements(const std::filesystem::path& path, MeasurementSet& into);
MM_CORE_API void parse_measurements(std::string_view text, const std::filesystem::path& path, MeasurementSet& into);

// The kernel a measurement row describes, on hardware `hw` (bytes per element from the row's dtype).
MM_CORE_API KernelShape measurement_kernel(const Measurement& row);

// Fits every parameter the rows of `hw` support; kinds without rows borrow from a related kind (said in
// KindFit::source). Deterministic. Throws InputError when `rows` holds no row for `hw`.
MM_CORE_API Calibration fit_calibration(const Hardware& hw, const MeasurementSet& set);

// A calibration for `hw` derived from one fitted on another profile with the same chip (same SM count):
// compute and latency parameters carried over, memory parameters kept as fractions of bandwidth.
MM_CORE_API Calibration derive_calibration(const Calibration& from, const Hardware& from_hw, const Hardware& hw);

// Error statistics of a list of (predicted, measured) pairs.
MM_CORE_API FitStats error_stats(const std::vector<std::pair<double, double>>& predicted_measured);

}  // namespace modelmeter::core
