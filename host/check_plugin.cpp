// `modelmeter check-plugin`: the checks beyond loading (check_plugin.hpp).
#include "check_plugin.hpp"

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

  core::ResolveInputs inputs;
  inputs.workload_name = "(defaults)";
  apply_model(inputs, plugin, "");
  inputs.overrides.push_back(core::parse_override("decode.max_new_tokens=2"));
  std::shared_ptr<const core::PreparedRun> prepared;
  try {
    core::ResolvedConfig config = core::resolve_config(catalog, inputs);
    if (config.settings.at("prompt.text_tokens").value.integer == 0) {  // core's default: no text
      inputs.overrides.push_back(core::parse_override("prompt.text_tokens=1"));
      config = core::resolve_config(catalog, inputs);
    }
    prepared = core::prepare_run(ptr, std::move(config));
    core::evaluate_run(prepared, core::load_hardware(config_file("h100-sxm", "hardware", "hardware")));
  } catch (const core::InputError& e) {
    // The user gave nothing: a rejected default is the plugin's own mistake.
    throw core::PluginFailure(
        std::string(
            "its default keys (with 2 new tokens, and a 1-token prompt if the default is empty) are refused: ") +
        e.what());
  }
  for (const auto& s : prepared->stages) {
    const std::size_t n = s.tree->nodes.size();
    out.stages.push_back(std::string(core::stage_name(s.stage)) + " (" + std::to_string(n) +
                         (n == 1 ? " layer)" : " layers)"));
  }
  if (plugin.path().stem() != plugin.name()) {
    out.warnings.push_back("file '" + plugin.path().filename().string() + "' holds plugin '" + plugin.name() +
                           "': '--plugin " + plugin.name() + "' looks for " + plugin.name() +
                           ".so on the search path and will not find it; name the file " + plugin.name() + ".so");
  }
  return out;
}

}  // namespace modelmeter::host
