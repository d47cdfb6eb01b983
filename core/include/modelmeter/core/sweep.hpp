// Sweeps: the cartesian product of --vary values (and hardware profiles), each point a full run.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace modelmeter::core {

// One --vary: a key and its values as TOML literal texts, in order.
struct Vary {
  std::string key;
  std::vector<std::string> values;
};

// Parses `key=start:stop:step` (integers, or numbers when any part has a fraction or exponent; inclusive of
// stop when a step lands on it; step must move from start toward stop) or `key=a,b,c` (any values; commas
// inside brackets belong to the value, so `vision.grid=[2,2],[2,3]` is two values). Throws InputError.
MM_CORE_API Vary parse_vary(std::string_view arg);

// A sweep row's figures (the summary of a run, as evaluate_totals gives it).
struct SweepFigures {
  int64_t vision_tokens = 0, prefill_tokens = 0, decode_steps = 0;
  std::array<std::optional<double>, 3 * MM_STAGE_COUNT> stages{};  // per stage: tc_flops, io_bytes, time_s
  std::optional<double> ttft_s, tpot_s, decode_tokens_per_s, weights_bytes, kv_cache_bytes, activations_peak_bytes,
      memory_total_bytes;
  std::optional<bool> fits;
};

struct SweepPoint {
  std::vector<std::string> values;  // one per varied key, in --vary order
  std::string hardware;             // the hardware profile's id
  bool feasible = false;
  std::string reason;                   // why not, when not feasible
  std::optional<SweepFigures> figures;  // absent when the workload was rejected for this point
};

// At most this many points in one sweep (a typo in a range should not run for hours).
inline constexpr std::size_t kMaxSweepPoints = 10'000'000;

// At most this many rows in a sweep written through a writer that takes the whole document (json, yaml, md, html:
// every row is held in memory until the writer has run). sweep.csv streams and has no such limit.
inline constexpr std::size_t kMaxDocumentSweepRows = 20'000;

struct SweepRequest {
  std::shared_ptr<const Plugin> plugin;
  ResolveInputs inputs;  // workload, model, the --set overrides applied to every point
  std::vector<Vary> vary;
  std::vector<Hardware> hardware;           // at least one
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by Ctrl-C) to end after the current point
  // Shard `shard` of `shards`: this run evaluates only its contiguous block of the points (see shard_range).
  std::size_t shard = 0, shards = 1;
  // Called after each point with (points done, points in this shard); may be empty.
  std::function<void(std::size_t, std::size_t)> progress;
  // Worker threads (0: one per core). Rows come out in the same order whatever the count.
  unsigned threads = 1;
};

// Points [first, last) of `total` that shard K of N evaluates: contiguous blocks of ⌊total/N⌋ or ⌈total/N⌉
// points in order (the first total mod N blocks one point larger), so the shards' rows concatenated in shard order are
// the unsharded rows.
MM_CORE_API std::pair<std::size_t, std::size_t> shard_range(std::size_t total, std::size_t shard, std::size_t shards);

// Parses "K/N" (0 <= K < N); throws InputError.
MM_CORE_API std::pair<std::size_t, std::size_t> parse_shard(std::string_view text);

// Evaluates every point in order: the last --vary varies fastest, the hardware slowest. Points that differ only
// in hardware or decode.max_new_tokens share one prepared run (plan and stage trees), keyed on the values of every
// other varied key: the same figures as separate runs, without rebuilding what those keys do not change. A point whose
// workload is rejected (too long a context, an impossible value) or whose memory does not fit is a row with feasible =
// false and the reason; a plugin failure ends the sweep (PluginFailure). Returns the points done (all of them unless
// `stop` was set).
MM_CORE_API std::vector<SweepPoint> run_sweep(const SweepRequest& request);

// Receives a sweep's rows in point order, one call at a time (from whichever worker thread hands them on).
using SweepSink = std::function<void(SweepPoint&&)>;

// run_sweep that hands each row to `sink` as soon as every row before it is done, instead of collecting them: at
// most a fixed window of rows (a few thousand, set by the thread count, never by the point count) is held at
// once. A stop hands on the rows done, in order, then returns; an exception from the sink ends the sweep and is
// rethrown. Returns the number of rows handed on.
MM_CORE_API std::size_t run_sweep(const SweepRequest& request, const SweepSink& sink);

// The number of points run_sweep evaluates for `request` (its shard's), after the same checks (throws InputError):
// what a caller needs to refuse or plan before any point runs.
MM_CORE_API std::size_t sweep_point_count(const SweepRequest& request);

// sweep.csv written row by row, byte for byte what the csv writer makes of the sweep document: the header line
// (sweep_columns), then one line per row appended to `out`.
MM_CORE_API std::string sweep_csv_header(const SweepRequest& request);
MM_CORE_API void append_sweep_csv_row(std::string& out, const SweepPoint& point);
// The last line of an interrupted sweep's sweep.csv (docs/cli.md).
inline constexpr std::string_view kSweepCsvPartialMarker =
    "# partial: the sweep was interrupted; the rows above are the points done\n";

// The sweep's column names, in order: the varied keys, hardware, feasible, reason, the token counts, then
// <stage>.tc_flops/io_bytes/time_s per stage and the summary figures (sweep.csv's header; the Python module's columns).
MM_CORE_API std::vector<std::string> sweep_columns(const SweepRequest& request);

// The sweep document for the writers (docs/report-schema.md, kind "sweep").
MM_CORE_API std::unique_ptr<DocTree> build_sweep_doc(const SweepRequest& request, const std::vector<SweepPoint>& points,
                                                     bool interrupted, std::string_view tool_version);

}  // namespace modelmeter::core
