// `modelmeter check-plugin`: the checks beyond loading (docs/cli.md, docs/plugin-guide.md).
#pragma once

#include <memory>
#include <modelmeter/core/plugin.hpp>
#include <string>
#include <vector>

namespace modelmeter::host {

// What check-plugin found in a model plugin beyond its ABI: each stage it builds on its default keys.
struct PluginCheck {
  std::vector<std::string> warnings;  // one line each (the file is named differently from the plugin)
  std::vector<std::string> stages;    // "prefill (12 layers)", in stage order
};

// Checks a loaded plugin: its class table (no two classes share a name), its key declarations, and for a model
// plugin every stage a generation needs, built on the declared defaults with N = 2 new tokens (so the decode
// stage is needed; a 1-token prompt when core's default prompt.text_tokens = 0 leaves it empty) and evaluated once
// on the bundled h100-sxm: the stage checks of `run` (core/plugin_check.hpp),
// the plan's max_positions, NaN or negative metrics. Throws core::Failure with one line for the first problem:
// PluginLoadError (exit 4) for a declaration, PluginFailure (exit 5) for what a build or evaluation shows.
PluginCheck check_plugin(const std::shared_ptr<const core::Plugin>& plugin);

}  // namespace modelmeter::host
