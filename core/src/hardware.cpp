// Hardware profiles and dtype helpers.
#include <toml++/toml.h>

#include <cmath>
#include <cstdio>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/files.hpp>
#include <modelmeter/core/hardware.hpp>
#include <set>

namespace modelmeter::core {

namespace {

constexpr const char* kDtypeNames[] = {"fp32", "bf16", "fp16", "fp8", "int8", "int4"};

std::string where(const std::filesystem::path& p, const toml::node& n) {
  return p.string() + ":" + std::to_string(n.source().begin.line) + ":" + std::to_string(n.source().begin.column);
}

// Reads a positive number from `table.key`, times `scale` (the unit); throws InputError when missing, not a
// number, not > 0 or too large to be finite in that unit.
double positive(const std::filesystem::path& path, const toml::table& table, const std::string& section,
                const char* key, bool required, double fallback = 0, double scale = 1) {
  const toml::node* n = table.get(key);
  const std::string full = section.empty() ? key : section + "." + key;
  if (n == nullptr) {
    if (required) throw InputError("hardware file '" + path.string() + "': missing key '" + full + "'");
    return fallback;
  }
  std::optional<double> v =
      n->is_integer() ? std::optional<double>(static_cast<double>(*n->value<int64_t>())) : n->value<double>();
  if (!n->is_number() || !v) throw InputError(where(path, *n) + ": key '" + full + "' must be a number");
  if (!(*v > 0) || !std::isfinite(*v)) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.17g", *v);
    throw InputError(where(path, *n) + ": key '" + full + "' must be > 0, got " + shown);
  }
  if (!std::isfinite(*v * scale)) throw InputError(where(path, *n) + ": key '" + full + "' is too large");
  return *v * scale;
}

void only_keys(const std::filesystem::path& path, const toml::table& t, const std::string& section,
               const std::set<std::string>& allowed) {
  for (auto&& [k, n] : t) {
    if (allowed.count(std::string(k.str())) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      (void)n;
      throw InputError(path.string() + ":" + std::to_string(k.source().begin.line) + ":" +
                       std::to_string(k.source().begin.column) + ": unknown key '" +
                       (section.empty() ? "" : section + ".") + std::string(k.str()) + "' (allowed: " + list + ")");
    }
  }
}

const toml::table& section(const std::filesystem::path& path, const toml::table& root, const char* name,
                           bool required) {
  static const toml::table empty;
  const toml::node* n = root.get(name);
  if (n == nullptr) {
    if (required) throw InputError("hardware file '" + path.string() + "': missing section [" + name + "]");
    return empty;
  }
  if (!n->is_table()) throw InputError(where(path, *n) + ": '" + name + "' must be a table");
  return *n->as_table();
}

}  // namespace

std::optional<mm_dtype> parse_dtype(std::string_view name) {
  for (int i = 0; i < 6; ++i)
    if (name == kDtypeNames[i]) return static_cast<mm_dtype>(i);
  return std::nullopt;
}

const char* dtype_name(mm_dtype t) {
  return (t >= 0 && t < 6) ? kDtypeNames[t] : "?";
}

double dtype_bytes(mm_dtype t) {
  switch (t) {
    case MM_DTYPE_FP32:
      return 4;
    case MM_DTYPE_BF16:
    case MM_DTYPE_FP16:
      return 2;
    case MM_DTYPE_FP8:
    case MM_DTYPE_INT8:
      return 1;
    case MM_DTYPE_INT4:
      return 0.5 + 2.0 / kInt4GroupSize;  // 4 bits + an fp16 scale per group
    default:
      throw InputError("unknown dtype id " + std::to_string(t));  // every caller passes a parsed dtype
  }
}

double Hardware::tensor_peak_for(mm_dtype t) const {
  if (t >= 0 && t < 6 && tensor_peak[static_cast<std::size_t>(t)]) return *tensor_peak[static_cast<std::size_t>(t)];
  if (t == MM_DTYPE_FP32) return cuda_fp32_peak;
  throw InputError("hardware '" + id + "' (" + path.string() + ") has no " + dtype_name(t) +
                   " Tensor-Core peak; choose another precision.activations or hardware");
}

namespace {

Hardware from_table(const std::filesystem::path& path, const toml::table& root);

[[noreturn]] void malformed(const std::filesystem::path& path, const toml::parse_error& e) {
  throw InputError("hardware file " + path.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                   std::to_string(e.source().begin.column) + ": malformed TOML: " + std::string(e.description()));
}

}  // namespace

Hardware load_hardware(const std::filesystem::path& path) {
  const std::string text = read_regular_file(path, "hardware file");
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    malformed(path, e);
  }
  return from_table(path, root);
}

Hardware parse_hardware(std::string_view text, const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    malformed(path, e);
  }
  return from_table(path, root);
}

namespace {

Hardware from_table(const std::filesystem::path& path, const toml::table& root) {
  only_keys(path, root, "",
            {"name", "vendor", "tensor_core", "cuda_core", "memory", "efficiency", "chip", "interconnect", "price"});
  Hardware hw;
  hw.id = path.stem().string();
  hw.path = path;
  for (const char* key : {"name", "vendor"}) {
    const toml::node* n = root.get(key);
    if (n == nullptr || !n->is_string()) {
      throw InputError("hardware file '" + path.string() + "': key '" + key + "' must be a string");
    }
    (std::string_view(key) == "name" ? hw.name : hw.vendor) = *n->value<std::string>();
  }
  const toml::table& tc = section(path, root, "tensor_core", true);
  only_keys(path, tc, "tensor_core", {"fp32", "bf16", "fp16", "fp8", "int8"});
  for (int i = 0; i < 5; ++i) {
    if (tc.get(kDtypeNames[i]) != nullptr) {
      hw.tensor_peak[static_cast<std::size_t>(i)] = positive(path, tc, "tensor_core", kDtypeNames[i], true, 0, 1e12);
    }
  }
  if (!hw.tensor_peak[MM_DTYPE_BF16] && !hw.tensor_peak[MM_DTYPE_FP16]) {
    throw InputError("hardware file '" + path.string() + "': [tensor_core] needs at least bf16 or fp16");
  }
  const toml::table& cc = section(path, root, "cuda_core", true);
  only_keys(path, cc, "cuda_core", {"fp32"});
  hw.cuda_fp32_peak = positive(path, cc, "cuda_core", "fp32", true, 0, 1e12);
  const toml::table& mem = section(path, root, "memory", true);
  only_keys(path, mem, "memory", {"bandwidth_gb_s", "capacity_gib"});
  hw.bandwidth = positive(path, mem, "memory", "bandwidth_gb_s", true, 0, 1e9);
  hw.capacity = positive(path, mem, "memory", "capacity_gib", true, 0, 1024.0 * 1024.0 * 1024.0);
  const toml::table& eff = section(path, root, "efficiency", false);
  only_keys(path, eff, "efficiency", {"tensor_core", "cuda_core", "memory"});
  hw.eff_tensor = positive(path, eff, "efficiency", "tensor_core", false, 1.0);
  hw.eff_cuda = positive(path, eff, "efficiency", "cuda_core", false, 1.0);
  hw.eff_memory = positive(path, eff, "efficiency", "memory", false, 1.0);
  for (double e : {hw.eff_tensor, hw.eff_cuda, hw.eff_memory}) {
    if (e > 1.0) throw InputError("hardware file '" + path.string() + "': efficiency factors must be in (0, 1]");
    if (e != 1.0) hw.efficiency_set = true;
  }
  const toml::table& chip = section(path, root, "chip", false);
  only_keys(path, chip, "chip", {"sm_count", "l2_cache_mib", "boost_clock_mhz"});
  hw.sm_count = positive(path, chip, "chip", "sm_count", false, 0);
  if (hw.sm_count != std::floor(hw.sm_count) || hw.sm_count > 100000) {
    throw InputError("hardware file '" + path.string() + "': key 'chip.sm_count' must be a whole number of SMs");
  }
  hw.l2_bytes = positive(path, chip, "chip", "l2_cache_mib", false, 0, 1024.0 * 1024.0);
  (void)positive(path, chip, "chip", "boost_clock_mhz", false, 0);
  const toml::table& ic = section(path, root, "interconnect", false);
  only_keys(path, ic, "interconnect",
            {"gpus_per_node", "link", "link_gb_s", "link_latency_us", "nvswitch", "nvls", "nvls_latency_us", "network",
             "network_gb_s", "network_latency_us", "nodes"});
  const auto whole = [&](const char* key, double max) {
    const double v = positive(path, ic, "interconnect", key, false, 0);
    if (v != std::floor(v) || v > max) {
      throw InputError("hardware file '" + path.string() + "': key 'interconnect." + key +
                       "' must be a whole number from 1 to " + std::to_string(static_cast<int>(max)));
    }
    return v;
  };
  hw.gpus_per_node = whole("gpus_per_node", 1024);
  hw.nodes = ic.get("nodes") != nullptr ? whole("nodes", 65536) : 1;
  hw.link_bandwidth = positive(path, ic, "interconnect", "link_gb_s", false, 0, 1e9);
  hw.network_bandwidth = positive(path, ic, "interconnect", "network_gb_s", false, 0, 1e9);
  hw.link_latency = positive(path, ic, "interconnect", "link_latency_us", false, 0, 1e-6);
  hw.network_latency = positive(path, ic, "interconnect", "network_latency_us", false, 0, 1e-6);
  hw.nvls_latency = positive(path, ic, "interconnect", "nvls_latency_us", false, 0, 1e-6);
  for (const char* key : {"link", "network"}) {
    if (const toml::node* n = ic.get(key); n != nullptr && !n->is_string()) {
      throw InputError(where(path, *n) + ": key 'interconnect." + key + "' must be a string (a description)");
    }
  }
  const toml::table& price = section(path, root, "price", false);
  only_keys(path, price, "price", {"usd_per_gpu_hour", "source"});
  hw.price_usd_per_gpu_hour = positive(path, price, "price", "usd_per_gpu_hour", false, 0);
  if (hw.price_usd_per_gpu_hour > 10000) {
    throw InputError("hardware file '" + path.string() +
                     "': key 'price.usd_per_gpu_hour' must be at most 10000 (US dollars per GPU-hour)");
  }
  if (const toml::node* n = price.get("source"); n != nullptr) {
    if (!n->is_string())
      throw InputError(where(path, *n) + ": key 'price.source' must be a string (where the price comes from)");
    hw.price_source = *n->value<std::string>();
  }
  if (hw.price_usd_per_gpu_hour > 0 && hw.price_source.empty()) {
    throw InputError("hardware file '" + path.string() +
                     "': key 'price.usd_per_gpu_hour' needs 'price.source' (where the price comes from)");
  }
  if (const toml::node* n = ic.get("nvswitch"); n != nullptr) {
    if (!n->is_boolean()) {
      throw InputError(where(path, *n) + ": key 'interconnect.nvswitch' must be true or false");
    }
    hw.nvswitch = *n->value<bool>();
  }
  if (const toml::node* n = ic.get("nvls"); n != nullptr) {
    if (!n->is_boolean()) {
      throw InputError(where(path, *n) + ": key 'interconnect.nvls' must be true or false");
    }
    hw.nvls = *n->value<bool>();
    if (hw.nvls && !hw.nvswitch) {
      throw InputError(where(path, *n) +
                       ": key 'interconnect.nvls' = true needs 'interconnect.nvswitch' = true (NVLink SHARP reduces "
                       "in the NVSwitch)");
    }
  }
  if (ic.get("nvls_latency_us") != nullptr && !hw.nvls) {
    throw InputError("hardware file '" + path.string() +
                     "': key 'interconnect.nvls_latency_us' needs 'interconnect.nvls' = true");
  }
  if (hw.nodes > 1 && !(hw.network_bandwidth > 0)) {
    throw InputError("hardware file '" + path.string() +
                     "': key 'interconnect.nodes' > 1 needs 'interconnect.network_gb_s' (the network between nodes)");
  }
  return hw;
}

}  // namespace

}  // namespace modelmeter::core
