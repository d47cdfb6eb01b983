// What every command needs before it evaluates anything: the install prefix, bundled configs, the plugin
// search path, loading model and writer plugins, and running writers into memory. Shared by the one-shot
// commands (commands.cpp) and the HTTP server (serve.cpp), so both take exactly the same path.
#pragma once

#include <filesystem>
#include <memory>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/sweep.hpp>
#include <string>
#include <vector>

#include "commands.hpp"

namespace modelmeter::host {

// Bundled files are found under an install prefix (or build tree): by default this executable's
// (<prefix>/bin/modelmeter, read from /proc/self/exe). A library that embeds these resources, such as the Python
// module, whose process is python3, sets the prefix it belongs to before using anything below.
void set_install_prefix(std::filesystem::path prefix);

// <prefix>/share/modelmeter/configs of this executable's install prefix (or build tree).
std::filesystem::path configs_dir();
// --plugin-dir, $MODELMETER_PLUGIN_PATH, then the bundled plugin (or writer) folder.
core::SearchPath search_path(const GlobalOptions& g, bool writers);

// Stems of the files with extension `ext` in `dir`, sorted.
std::vector<std::string> bundled_names(const std::filesystem::path& dir, const char* ext);
std::string join(const std::vector<std::string>& v, const char* sep = ", ");

// "unknown hardware 'x'; available: a, b" (+ " (or give a path to a .toml file)" with `path_hint`).
std::string unknown_config_message(const std::string& name, const char* kind, const char* what, bool path_hint);
// Resolves a bundled config name (configs/<kind>/<name>.toml) or a path; throws InputError for an unknown name.
std::filesystem::path config_file(const std::string& name_or_path, const char* kind, const char* what);

// --calibration for `hw`: "" = the bundled calibration of `hw` when one exists (none where it has none, or where
// the profile sets [efficiency] factors), "none" = none, else a bundled name or a path to a .toml. Null = roofline.
std::shared_ptr<const core::Calibration> resolve_calibration(const core::Hardware& hw, const std::string& option);

// Whether the plugin declares workload key `key` (e.g. core::kModelConfigKey).
bool declares_key(const core::Plugin& plugin, const char* key);

// --model for `plugin`: a plugin that declares `model.config` reads its own model file (hf_decoder: a
// config.json), so the name or path goes to that key (core resolves bundled names under configs/models/); any
// other plugin gets a TOML file of model.* keys. Also sets inputs.models_dir. Empty `model`: the plugin's own.
void apply_model(core::ResolveInputs& inputs, const core::Plugin& plugin, const std::string& model);

// Keep every model plugin loaded, by file, for the life of the process, so that loading one again (the ELF checks, the
// dlopen, the ABI negotiation and its key catalogue) is a lookup, and keep parsed hardware profiles (reread when the
// file's size or time changes): for the Python module, where a notebook runs many times. Off by default: a command
// loads each once anyway.
void keep_loaded(bool keep);

// A model plugin by registered name or path; throws PluginLoadError (unknown name, not a model plugin, …).
std::shared_ptr<const core::Plugin> load_model_plugin(const GlobalOptions& g, const std::string& name);

// A comma-separated option value ("json,md", "h100-sxm,h200"): no empty or repeated item.
std::vector<std::string> split_list(const std::string& s, const char* option);

// Every writer plugin on the writer search path (a broken file is a warning; a format served by two files is
// an error naming both).
std::vector<std::shared_ptr<const core::Plugin>> available_writers(const GlobalOptions& g);
// The writer for each format name, from `available`; an unknown one lists the formats available.
std::vector<std::shared_ptr<const core::Plugin>> choose_writers(
    const std::vector<std::shared_ptr<const core::Plugin>>& available, const std::vector<std::string>& formats);
// The writers for --format: by file name first (md.so serves md, found like a model plugin by name and
// checked to declare that format), else available_writers + choose_writers.
std::vector<std::shared_ptr<const core::Plugin>> load_writers(const GlobalOptions& g,
                                                              const std::vector<std::string>& formats);

// Runs every writer on the document and returns their files, in memory (nothing touches the disk). Throws
// PluginFailure naming the writer when one fails.
std::vector<mm_output> render(const std::vector<std::shared_ptr<const core::Plugin>>& writers, const mm_doc* doc);

// render(), then commits all the files atomically into `out` (core::commit_outputs); returns the paths written.
std::vector<std::string> write_outputs(const std::vector<std::shared_ptr<const core::Plugin>>& writers,
                                       const mm_doc* doc, const std::string& out);

// What `modelmeter run` evaluates, found and loaded before any work: the model plugin, the hardware profile, the
// workload file, --model and every --set (throws PluginLoadError, InputError). The command line and the Python
// module (python/) build their runs here, so both accept and reject exactly the same inputs.
core::RunRequest run_request(const GlobalOptions& g, const RunOptions& o);
// Likewise for `modelmeter sweep`: plugin, hardware list, workload, --model, --set, --vary and --shard (the caller
// sets threads, progress and the stop flag).
core::SweepRequest sweep_request(const GlobalOptions& g, const SweepOptions& o);
// The run `modelmeter describe` evaluates for its module tree and parameter counts: the given workload, else the
// declared defaults with a one-token generation (parameters do not depend on it), on the default hardware.
core::RunRequest describe_request(const GlobalOptions& g, const DescribeOptions& o);

}  // namespace modelmeter::host
