// `modelmeter check-plugin`: the checks beyond loading (check_plugin.hpp).
#include "check_plugin.hpp"

#include <algorithm>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/plugin_check.hpp>
#include <modelmeter/core/run.hpp>
#include <utility>

#include "resources.hpp"

namespace modelmeter::host {

PluginCheck check_plugin(const std::shared_ptr<const core::Plugin>& ptr) {
  const core::Plugin& plugin = *ptr;
  PluginCheck out;
  if (plugin.kind() != MM_PLUGIN_MODEL) return out;
  if (const auto problems = core::class_table_problems(plugin); !problems.empty()) {
    throw core::PluginLoadError(problems.front());
  }
  const core::KeyCatalog& catalog = core::catalog_for(plugin);  // validates the key declarations

  // Every task the plugin declares (ABI 1.3; generation only for older plugins), on its default keys.
  for (mm_task task : {MM_TASK_GENERATE, MM_TASK_FORWARD, MM_TASK_TRAIN}) {
    if ((catalog.tasks() & MM_TASK_BIT(task)) == 0) continue;
    const bool generate = task == MM_TASK_GENERATE;
    core::ResolveInputs inputs;
    inputs.workload_name = "(defaults)";
    apply_model(inputs, plugin, "");
    if (catalog.find(core::kTaskKey) != nullptr) {
      inputs.overrides.push_back(core::parse_override(std::string(core::kTaskKey) + "=" + core::task_name(task)));
    }
    if (generate) inputs.overrides.push_back(core::parse_override("decode.max_new_tokens=2"));
    std::shared_ptr<const core::PreparedRun> prepared;
    try {
      core::ResolvedConfig config = core::resolve_config(catalog, inputs);
      const auto text = config.settings.find(std::string_view("prompt.text_tokens"));
      if (text != config.settings.end() && text->second.value.integer == 0) {  // core's default: no text
        inputs.overrides.push_back(core::parse_override("prompt.text_tokens=1"));
        config = core::resolve_config(catalog, inputs);
      }
      prepared = core::prepare_run(ptr, std::move(config));
      core::evaluate_run(prepared, core::load_hardware(config_file("h100-sxm", "hardware", "hardware")));
    } catch (const core::InputError& e) {
      // The user gave nothing: a rejected default is the plugin's own mistake.
      throw core::PluginFailure(
          generate ? std::string("its default keys (with 2 new tokens, and a 1-token prompt if the default is empty) "
                                 "are refused: ") +
                         e.what()
                   : std::string("its default keys (task ") + core::task_name(task) +
                         ", and a 1-token prompt if the default is empty) are refused: " + e.what());
    }
    for (const auto& s : prepared->stages) {
      const std::size_t n = s.tree->nodes.size();
      std::string line =
          std::string(core::stage_name(s.stage)) + " (" + std::to_string(n) + (n == 1 ? " layer)" : " layers)");
      if (std::find(out.stages.begin(), out.stages.end(), line) == out.stages.end()) out.stages.push_back(line);
    }
  }
  if (plugin.path().stem() != plugin.name()) {
    out.warnings.push_back("file '" + plugin.path().filename().string() + "' holds plugin '" + plugin.name() +
                           "': '--plugin " + plugin.name() + "' looks for " + plugin.name() +
                           ".so on the search path and will not find it; name the file " + plugin.name() + ".so");
  }
  return out;
}

}  // namespace modelmeter::host
