// Reading measured kernel times (the CSV format of shared/calibration/README.md, docs/calibration.md).
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace modelmeter::core {

namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{512} << 20;  // 512 MiB: ~5M rows
constexpr std::size_t kMaxRows = 10'000'000;

enum Column { kHardware, kDtype, kOp, kM, kN, kK, kGpus, kNodes, kBytes, kMeasured, kColumns };
constexpr const char* kColumnNames[] = {"hardware", "dtype", "op",    "m",     "n",
                                        "k",        "gpus",  "nodes", "bytes", "measured_us"};
static_assert(std::size(kColumnNames) == kColumns);

// Splits one CSV line (RFC 4180 quotes, no embedded newlines). Returns false on a malformed quote.
bool split_csv(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  std::string cell;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cell += ch;
      }
    } else if (ch == '"') {
      if (!cell.empty() || was_quoted) return false;
      quoted = was_quoted = true;
    } else if (ch == ',') {
      out.push_back(std::move(cell));
      cell.clear();
      was_quoted = false;
    } else {
      if (was_quoted) return false;
      cell += ch;
    }
  }
  if (quoted) return false;
  out.push_back(std::move(cell));
  return true;
}

struct RowReader {
  const std::filesystem::path& path;
  std::size_t line;
  const std::vector<std::string>& cells;
  const std::array<std::size_t, kColumns>& index;

  [[noreturn]] void fail(Column c, const std::string& what) const {
    throw InputError(path.string() + ":" + std::to_string(line) + ": column '" + kColumnNames[c] + "': " + what);
  }
  const std::string& cell(Column c) const { return cells[index[c]]; }
  // A finite number > 0 (or >= 0 when `zero_ok`); `required` = must not be empty.
  double number(Column c, const char* why) const {
    const std::string& s = cell(c);
    if (s.empty()) fail(c, std::string("empty; a number > 0 is required ") + why);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) fail(c, "'" + s + "' is not a number");
    if (!std::isfinite(v)) fail(c, "'" + s + "' is not finite");
    if (!(v > 0)) fail(c, "'" + s + "' must be > 0");
    return v;
  }
  uint32_t whole(Column c, const char* why, double max) const {
    const double v = number(c, why);
    if (v != std::floor(v) || v > max) {
      fail(c, "'" + cell(c) + "' must be a whole number from 1 to " + std::to_string(static_cast<long long>(max)));
    }
    return static_cast<uint32_t>(v);
  }
};

}  // namespace

void parse_measurements(std::string_view text, const std::filesystem::path& path, MeasurementSet& into) {
  const auto file = static_cast<uint32_t>(into.files.size());
  into.files.push_back(path);
  std::size_t pos = 0, line_no = 0;
  std::array<std::size_t, kColumns> index{};
  std::size_t header_cells = 0;
  std::vector<std::string> cells;
  bool header = true;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!split_csv(line, cells)) {
      throw InputError(path.string() + ":" + std::to_string(line_no) + ": malformed CSV (unbalanced quotes)");
    }
    if (header) {
      header = false;
      header_cells = cells.size();
      for (std::size_t c = 0; c < kColumns; ++c) {
        std::size_t found = cells.size();
        for (std::size_t i = 0; i < cells.size(); ++i)
          if (cells[i] == kColumnNames[c]) found = i;
        if (found == cells.size()) {
          throw InputError(path.string() + ":" + std::to_string(line_no) + ": missing column '" + kColumnNames[c] +
                           "' (the header needs hardware,dtype,op,m,n,k,gpus,nodes,bytes,measured_us; see "
                           "docs/calibration.md)");
        }
        index[c] = found;
      }
      continue;
    }
    if (cells.size() != header_cells) {
      throw InputError(path.string() + ":" + std::to_string(line_no) + ": " + std::to_string(cells.size()) +
                       " fields, the header has " + std::to_string(header_cells));
    }
    if (into.rows.size() >= kMaxRows) {
      throw InputError(path.string() + ": more than " + std::to_string(kMaxRows) + " rows");
    }
    const RowReader r{path, line_no, cells, index};
    Measurement m;
    m.line = line_no;
    m.file = file;
    m.hardware = r.cell(kHardware);
    if (m.hardware.empty()) r.fail(kHardware, "empty; a hardware profile name is required");
    m.dtype = r.cell(kDtype);
    if (m.dtype != "fp16" && m.dtype != "bf16" && m.dtype != "fp32" && m.dtype != "fp8") {
      r.fail(kDtype, "'" + m.dtype + "' is not one of fp16, bf16, fp32, fp8");
    }
    const auto op = parse_kernel_kind(r.cell(kOp));
    if (!op) {
      r.fail(kOp, "unknown op '" + r.cell(kOp) +
                      "' (allowed: matmul, rmsnorm, silu_mul, gelu, rotary, add, embedding, all_reduce)");
    }
    m.op = *op;
    if (m.op == KernelKind::AllReduce) {
      m.gpus = r.whole(kGpus, "for all_reduce", 1'000'000);
      m.nodes = r.whole(kNodes, "for all_reduce", 1'000'000);
      if (m.nodes > m.gpus) r.fail(kNodes, "'" + r.cell(kNodes) + "' exceeds gpus (" + r.cell(kGpus) + ")");
      m.bytes = r.number(kBytes, "for all_reduce");
    } else {
      m.m = r.number(kM, "for this op");
      m.n = r.number(kN, "for this op");
      if (m.op == KernelKind::Matmul) m.k = r.number(kK, "for matmul");
    }
    m.measured_us = r.number(kMeasured, "(the measured time in microseconds)");
    into.rows.push_back(std::move(m));
  }
  if (header) throw InputError(path.string() + ": empty file (no header row)");
}

void read_measurements(const std::filesystem::path& path, MeasurementSet& into) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw InputError("measurements file '" + path.string() + "' does not exist");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw InputError("measurements file '" + path.string() + "' is not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxFileBytes) {
    throw InputError("measurements file '" + path.string() + "' is larger than 512 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("measurements file '" + path.string() + "' cannot be opened");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  parse_measurements(text, path, into);
}

KernelShape measurement_kernel(const Measurement& row) {
  KernelShape s;
  s.kind = row.op;
  const double b = row.dtype == "fp32" ? 4 : row.dtype == "fp8" ? 1 : 2;
  s.activation_bytes = b;
  s.weight_bytes = b;
  s.m = row.m;
  s.n = row.n;
  s.k = row.k;
  if (row.op == KernelKind::AllReduce) {
    s.bytes = row.bytes;
    s.gpus = row.gpus;
    s.nodes = row.nodes;
  }
  return s;
}

}  // namespace modelmeter::core
