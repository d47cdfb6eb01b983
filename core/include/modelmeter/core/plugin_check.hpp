// Mistakes a model plugin can make that the C ABI cannot rule out, found in what it declares and in the
// stage trees it builds. `run` applies the stage checks to every run, so a report never carries two modules
// with one id or a decode length that disagrees with its steps; `check-plugin` applies all of them.
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <string>
#include <vector>

namespace modelmeter::core {

// Problems of the plugin's class table, one line each (empty: none): two classes with one name.
MM_CORE_API std::vector<std::string> class_table_problems(const Plugin& plugin);

// One stage's tree as the plugin built it: no two children of one parent share a name (the names make the
// report's module ids) and every class in it is registered by the plugin or is one of core's ops (else its
// formula page goes missing). Throws PluginFailure naming plugin, stage, layer path and class.
MM_CORE_API void check_stage_tree(const Plugin& plugin, mm_stage stage, const StageTree& tree);

// A stage the plugin did not build (its build_stage answered MM_ERR_NOT_FOUND): fine unless the run needs it —
// prefill always, vision when the plan says has_vision, decode when `new_tokens` >= 2. Throws PluginFailure
// saying what to return.
MM_CORE_API void check_missing_stage(const Plugin& plugin, mm_stage stage, const mm_plan& plan, uint64_t new_tokens);

// A prepared run asked for `new_tokens` new tokens: its decode stage exists when N >= 2 (check_missing_stage),
// and a plugin that builds a decode stage states the model's maximum context (max_positions >= 1).
MM_CORE_API void check_prepared_stages(const PreparedRun& prepared, uint64_t new_tokens);

}  // namespace modelmeter::core
