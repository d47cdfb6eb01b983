// Hardware profiles (configs/hardware/*.toml) and precision handling.
#pragma once

#include <modelmeter/abi.h>

#include <array>
#include <filesystem>
#include <memory>
#include <modelmeter/core/export.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace modelmeter::core {

struct Calibration;

// "bf16" → MM_DTYPE_BF16; nullopt for an unknown name.
MM_CORE_API std::optional<mm_dtype> parse_dtype(std::string_view name);
MM_CORE_API const char* dtype_name(mm_dtype t);
// Bytes per element. int4 is 0.5 byte plus one fp16 scale per group of kInt4GroupSize elements.
inline constexpr double kInt4GroupSize = 128;
MM_CORE_API double dtype_bytes(mm_dtype t);

struct Hardware {
  std::string id;  // file stem, e.g. "h100-sxm"
  std::string name;
  std::string vendor;
  std::filesystem::path path;
  // Dense Tensor-Core peaks in FLOP/s per dtype (index mm_dtype); absent where the chip has none.
  std::array<std::optional<double>, 6> tensor_peak{};
  double cuda_fp32_peak = 0;  // FLOP/s
  double bandwidth = 0;       // bytes/s
  double capacity = 0;        // bytes
  double eff_tensor = 1, eff_cuda = 1, eff_memory = 1;
  bool efficiency_set = false;  // some [efficiency] factor differs from 1.0 (a calibration replaces them)
  // [chip] (optional): what the calibrated time model needs; 0 = not given.
  double sm_count = 0;
  double l2_bytes = 0;
  // [interconnect] (optional): GPUs per node, per-GPU link bandwidth per direction (bytes/s) within a node,
  // per-GPU network bandwidth (bytes/s) between nodes; 0 = not given.
  double gpus_per_node = 0;
  double link_bandwidth = 0;
  double network_bandwidth = 0;
  // [price] (optional): what one GPU of this kind costs per hour, in US dollars, and where the figure comes from
  // (`plan` ranks by cost per million output tokens with it); 0 = no price.
  double price_usd_per_gpu_hour = 0;
  std::string price_source;
  // Per-hop latency (seconds) of the intra-node link and of the network; 0 = not given (the collective models
  // then use only bandwidth). `nvswitch`: every GPU of a node reaches every other at full link bandwidth
  // through a switch (NVLink SHARP / NVLS all-reduce possible); false for PCIe and for direct NVLink bridges.
  double link_latency = 0;
  double network_latency = 0;
  bool nvswitch = false;
  // `nvls`: the NVSwitch reduces in the switch (NVLink SHARP, third-generation NVSwitch: H100/H200 SXM), so the
  // all-reduce model may pick NVLS within a node (docs/parallelism.md); needs nvswitch. `nvls_latency`: its
  // latency (seconds, once per all-reduce; 0 = not given).
  bool nvls = false;
  double nvls_latency = 0;
  // Nodes in the cluster the profile describes (default 1): the most GPUs a layout may use is
  // nodes × gpus_per_node (gpus_per_node 0 counts as 1).
  double nodes = 1;

  // nodes × max(gpus_per_node, 1).
  double cluster_gpus() const noexcept { return nodes * (gpus_per_node > 0 ? gpus_per_node : 1); }
  // The calibration applied to times (null: roofline). Set by whoever resolves --calibration.
  std::shared_ptr<const Calibration> calibration;

  // The Tensor-Core peak used for matmuls whose compute dtype is `t` (fp32 falls back to the CUDA-core
  // peak on chips without TF32); throws InputError naming the chip and dtype when it has none.
  MM_CORE_API double tensor_peak_for(mm_dtype t) const;
};

// Loads and strictly validates a profile; throws InputError (file, key, what is allowed).
MM_CORE_API Hardware load_hardware(const std::filesystem::path& path);
// The same for a profile already in memory; `path` names it in messages and gives its id (the stem).
MM_CORE_API Hardware parse_hardware(std::string_view text, const std::filesystem::path& path);

}  // namespace modelmeter::core
