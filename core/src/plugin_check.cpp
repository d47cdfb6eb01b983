// Checks of a model plugin's declarations and stage trees (plugin_check.hpp).
#include <cstring>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/core/plugin_check.hpp>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace modelmeter::core {

namespace {

std::string stage_prefix(const Plugin& plugin, mm_stage stage) {
  return "plugin '" + plugin.name() + "' stage '" + stage_name(stage) + "': ";
}

std::string_view class_name(const mm_layer_class& cls) {
  return cls.name != nullptr ? std::string_view(cls.name) : std::string_view();
}

}  // namespace

std::vector<std::string> class_table_problems(const Plugin& plugin) {
  std::vector<std::string> problems;
  const mm_plugin_info& info = plugin.info();
  std::unordered_map<std::string_view, std::size_t> first;  // class name -> its first index
  for (std::size_t i = 0; i < info.class_count; ++i) {
    const std::string_view name = info.classes[i]->name;  // Plugin::load checked every entry is complete
    const auto [it, fresh] = first.emplace(name, i);
    if (!fresh) {
      problems.push_back("plugin '" + plugin.name() + "' registers two layer classes named '" + std::string(name) +
                         "' (#" + std::to_string(it->second) + " and #" + std::to_string(i) +
                         "); class names must be unique: each names one formula page and one class in reports");
    }
  }
  return problems;
}

void check_stage_tree(const Plugin& plugin, mm_stage stage, const StageTree& tree) {
  std::unordered_set<std::string_view> registered;
  const mm_plugin_info& info = plugin.info();
  for (std::size_t i = 0; i < info.class_count; ++i) registered.insert(info.classes[i]->name);
  for (const mm_layer_class* c : op_classes()) registered.insert(c->name);
  std::unordered_set<std::string_view> siblings;
  for (uint32_t i = 0; i < tree.nodes.size(); ++i) {
    const StageTree::Node& nd = tree.nodes[i];
    const std::string_view cls = class_name(nd.cls);
    if (cls.empty()) {
      throw PluginFailure(stage_prefix(plugin, stage) + "layer '" + tree.path(i) +
                          "' has a class table without a name; give every layer class a name and register it");
    }
    if (!registered.count(cls)) {
      throw PluginFailure(stage_prefix(plugin, stage) + "layer '" + tree.path(i) + "' has class '" + std::string(cls) +
                          "', which the plugin does not register; list it in MODELMETER_MODEL_PLUGIN(...) "
                          "(mm_plugin_info.classes) so that its formula page is published");
    }
    if (nd.first_child == StageTree::kNone || tree.nodes[nd.first_child].next_sibling == StageTree::kNone) continue;
    siblings.clear();
    for (uint32_t c = nd.first_child; c != StageTree::kNone; c = tree.nodes[c].next_sibling) {
      const char* name = tree.nodes[c].name;
      if (name[0] == '\0') {
        throw PluginFailure(stage_prefix(plugin, stage) + "layer '" + tree.path(i) + "' (" + std::string(cls) +
                            ") has a child with an empty name; name every child (the names make the module ids)");
      }
      if (!siblings.insert(name).second) {
        throw PluginFailure(stage_prefix(plugin, stage) + "layer '" + tree.path(i) + "' (" + std::string(cls) +
                            ") has two children named '" + name +
                            "'; sibling names must differ, they make the report's module ids (use 'blocks.0', "
                            "'blocks.1', … or one child with a repeat count)");
      }
    }
  }
}

void check_missing_stage(const Plugin& plugin, mm_stage stage, const mm_plan& plan, uint64_t new_tokens) {
  const std::string where = stage_prefix(plugin, stage);
  switch (stage) {
    case MM_STAGE_PREFILL:
      throw PluginFailure(where +
                          "build() returned no root layer; every run has a prefill stage: return the "
                          "model run on the whole prompt (ctx.query_tokens = P tokens per sequence)");
    case MM_STAGE_VISION:
      if (plan.has_vision != 0) {
        throw PluginFailure(where +
                            "the plan says has_vision = 1 but build() returned no root layer; return the "
                            "vision encoder run on the image (ctx.query_tokens = " +
                            std::to_string(plan.vision_tokens) + " vision tokens) or plan has_vision = 0");
      }
      return;
    case MM_STAGE_DECODE:
      if (new_tokens >= 2) {
        throw PluginFailure(
            where + "build() returned no root layer, but the workload asks for N = " + std::to_string(new_tokens) +
            " new tokens (decode.max_new_tokens), so N - 1 decode steps; return the model run on one "
            "new token per sequence per step (ctx.query_tokens = 1, context ctx.kv_len + step)");
      }
      return;
    default:
      return;
  }
}

void check_prepared_stages(const PreparedRun& prepared, uint64_t new_tokens) {
  bool decodes = false;
  for (const PreparedRun::Stage& s : prepared.stages) decodes = decodes || s.stage == MM_STAGE_DECODE;
  if (!decodes) {
    check_missing_stage(*prepared.plugin, MM_STAGE_DECODE, prepared.plan, new_tokens);
  } else if (prepared.plan.max_positions == 0) {
    throw PluginFailure("plugin '" + prepared.plugin->name() +
                        "': the plan says max_positions = 0, but the plugin builds a decode stage; return the "
                        "model's maximum context in positions (mm_plan.max_positions >= 1), so that a "
                        "generation longer than the model allows is refused");
  }
}

}  // namespace modelmeter::core
