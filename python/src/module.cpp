// modelmeter._modelmeter: the compiled half of the Python module (python/modelmeter/__init__.py is the public
// API; docs/python.md). Every input goes through the functions the command line uses (host/resources.cpp:
// run_request, sweep_request, describe_request, load_writers, write_outputs), and every result through core's
// report building (build_report, add_summary, sweep_columns), so a Python run accepts, rejects and reports
// exactly what `modelmeter run` does. Long calls (runs, sweeps, writers) release the GIL.
#include <dlfcn.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/sweep.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "install_layout.hpp"
#include "log.hpp"
#include "resources.hpp"

namespace py = pybind11;
namespace core = modelmeter::core;
namespace host = modelmeter::host;
namespace fs = std::filesystem;
using modelmeter::kExitInvalidInput, modelmeter::kExitOutput, modelmeter::kExitPluginFailure,
    modelmeter::kExitPluginLoad, modelmeter::kExitUsage;
using modelmeter::host::kToolVersion;

namespace {

// The exception classes, made in PYBIND11_MODULE (they live as long as the module).
struct Exceptions {
  PyObject* error = nullptr;           // modelmeter.Error(Exception): base of all below
  PyObject* input_error = nullptr;     // InputError(Error, ValueError): exit code 3 (and 2, a bad argument)
  PyObject* plugin_error = nullptr;    // PluginError(Error, RuntimeError): a plugin not found/loaded, exit code 4
  PyObject* plugin_failure = nullptr;  // PluginFailure(Error, RuntimeError): a plugin failed, exit code 5
  PyObject* output_error = nullptr;    // OutputError(Error, OSError): the report not written, exit code 6
};
Exceptions g_exc;

PyObject* new_exception(py::module_& m, const char* name, const char* doc, std::vector<PyObject*> bases, int code) {
  py::tuple base_tuple(bases.size());
  for (std::size_t i = 0; i < bases.size(); ++i) base_tuple[i] = py::reinterpret_borrow<py::object>(bases[i]);
  const std::string qualified = std::string("modelmeter.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base_tuple.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  if (code >= 0 && PyObject_SetAttrString(cls, "exit_code", py::int_(code).ptr()) != 0) throw py::error_already_set();
  m.add_object(name, py::handle(cls));
  return cls;
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const core::InputError& e) {
    PyErr_SetString(g_exc.input_error, e.what());
  } catch (const core::PluginLoadError& e) {
    PyErr_SetString(g_exc.plugin_error, e.what());
  } catch (const core::PluginFailure& e) {
    PyErr_SetString(g_exc.plugin_failure, e.what());
  } catch (const core::OutputError& e) {
    PyErr_SetString(g_exc.output_error, e.what());
  } catch (const core::Failure& e) {
    PyErr_SetString(e.code() == kExitUsage ? g_exc.input_error : g_exc.error, e.what());
  }
}

// A document tree as Python objects (objects keep their key order).
py::object to_py(const mm_doc& d) {
  switch (d.type) {
    case MM_DOC_BOOL:
      return py::bool_(d.boolean != 0);
    case MM_DOC_INT:
      return py::int_(d.integer);
    case MM_DOC_NUMBER:
      return py::float_(d.number);
    case MM_DOC_STRING:
      return py::str(d.string);
    case MM_DOC_ARRAY: {
      py::list l(d.size);
      for (std::size_t i = 0; i < d.size; ++i) PyList_SET_ITEM(l.ptr(), i, to_py(*d.items[i]).release().ptr());
      return l;
    }
    case MM_DOC_OBJECT: {
      py::dict o;
      for (std::size_t i = 0; i < d.size; ++i) o[py::str(d.keys[i])] = to_py(*d.items[i]);
      return o;
    }
    default:
      return py::none();
  }
}

py::object to_py(const core::Value& v) {
  switch (v.type) {
    case MM_VALUE_BOOL:
      return py::bool_(v.boolean);
    case MM_VALUE_INT:
      return py::int_(v.integer);
    case MM_VALUE_FLOAT:
      return py::float_(v.number);
    case MM_VALUE_STRING:
      return py::str(v.string);
    case MM_VALUE_INT_ARRAY: {
      py::list l;
      for (int64_t i : v.ints) l.append(py::int_(i));
      return l;
    }
    default:
      return py::none();
  }
}

host::GlobalOptions globals(const std::vector<std::string>& plugin_dirs) {
  host::GlobalOptions g;
  for (const auto& d : plugin_dirs) g.plugin_dirs.emplace_back(d);
  return g;
}

// One run's result. The full report document is built on first use (summary alone needs none of it).
class Report {
 public:
  Report(core::RunResult result, host::GlobalOptions g, std::string workload)
      : result_(std::move(result)), global_(std::move(g)), workload_(std::move(workload)) {}

  const core::RunResult& result() const noexcept { return result_; }
  const std::string& workload() const noexcept { return workload_; }

  const mm_doc* document() {
    if (doc_ == nullptr) {
      py::gil_scoped_release nogil;
      tree_ = core::build_report(result_, kToolVersion);
      doc_ = tree_->freeze();
    }
    return doc_;
  }

  // report.json's "summary", built with the same function (core::add_summary); one dict per Report.
  py::object summary() {
    if (!summary_) {
      core::DocTree t;
      core::add_summary(t, t.root(), result_);
      summary_ = to_py(*t.freeze())["summary"];
    }
    return summary_;
  }

  py::object to_dict() { return to_py(*document()); }

  // The one file `format`'s writer makes of this report (json: report.json's text, html: report.html).
  std::string render_one(const std::string& format) {
    const auto writers = host::load_writers(global_, {format});
    const mm_doc* doc = document();
    std::vector<mm_output> outputs;
    {
      py::gil_scoped_release nogil;
      outputs = host::render(writers, doc);
    }
    if (outputs.empty() || outputs[0].files.empty()) {
      throw core::PluginFailure("writer '" + writers[0]->name() + "' made no file of this report");
    }
    return outputs[0].files[0].second;
  }

  std::vector<std::string> write(const std::string& out, const std::string& formats) {
    const auto writers = host::load_writers(global_, host::split_list(formats, "formats"));
    const mm_doc* doc = document();
    py::gil_scoped_release nogil;
    return host::write_outputs(writers, doc, out);
  }

 private:
  core::RunResult result_;
  host::GlobalOptions global_;
  std::string workload_;
  std::unique_ptr<core::DocTree> tree_;
  const mm_doc* doc_ = nullptr;
  py::object summary_;
};

Report run(const std::string& plugin, const std::string& workload, const std::string& model,
           const std::string& hardware, const std::vector<std::string>& sets,
           const std::vector<std::string>& plugin_dirs, const std::string& calibration) {
  host::GlobalOptions g = globals(plugin_dirs);
  host::RunOptions o;
  o.plugin = plugin;
  o.workload = workload;
  o.model = model;
  if (!hardware.empty()) o.hardware = hardware;  // empty: the command line's default
  o.sets = sets;
  o.calibration = calibration;  // "": the hardware's bundled calibration, as the command line's default
  core::RunResult result;
  {
    py::gil_scoped_release nogil;
    result = core::run_model(host::run_request(g, o));
  }
  return Report(std::move(result), std::move(g), workload);
}

// A column per sweep_columns() name, as Python lists (None where sweep.csv has an empty cell); with the workload's
// and the plugin's names.
py::tuple sweep(const std::string& plugin, const std::string& workload, const std::string& model,
                const std::string& hardware, const std::vector<std::string>& sets, const std::vector<std::string>& vary,
                const std::string& shard, unsigned threads, const std::vector<std::string>& plugin_dirs,
                const std::string& calibration) {
  if (vary.empty()) throw core::Failure(kExitUsage, "sweep needs at least one vary key (start:stop:step or a list)");
  host::GlobalOptions g = globals(plugin_dirs);
  host::SweepOptions o;
  o.plugin = plugin;
  o.workload = workload;
  o.model = model;
  if (!hardware.empty()) o.hardware = hardware;
  o.sets = sets;
  o.vary = vary;
  o.shard = shard;
  o.calibration = calibration;
  core::SweepRequest req;
  {
    py::gil_scoped_release nogil;
    req = host::sweep_request(g, o);
  }
  req.threads = threads;
  // Ctrl-C: the progress callback runs on this thread; about every 100 ms it takes the GIL and lets Python run
  // its signal handlers. A KeyboardInterrupt stops the sweep after the current point and is raised afterwards.
  std::atomic<bool> stop{false};
  PyObject *signal_type = nullptr, *signal_value = nullptr, *signal_trace = nullptr;
  auto last_check = std::chrono::steady_clock::now();
  req.stop = &stop;
  req.progress = [&](std::size_t done, std::size_t) {
    if ((done & 63) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check < std::chrono::milliseconds(100)) return;
    last_check = now;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Fetch(&signal_type, &signal_value, &signal_trace);
      stop = true;
    }
  };
  std::vector<core::SweepPoint> points;
  {
    py::gil_scoped_release nogil;
    points = core::run_sweep(req);
  }
  if (signal_type != nullptr) {
    PyErr_Restore(signal_type, signal_value, signal_trace);
    throw py::error_already_set();
  }

  // Varied values as typed Python values (sweep.csv has their TOML text), each distinct text parsed once. Rows are
  // turned into columns with the C API and shared objects for repeated texts: this loop is a fifth of a sweep's time.
  using Interned = std::unordered_map<std::string, py::object>;
  const core::KeyCatalog& catalog = core::catalog_for(*req.plugin);
  std::vector<Interned> typed(req.vary.size());
  for (std::size_t k = 0; k < req.vary.size(); ++k) {
    const core::KeyDecl* decl = catalog.find(req.vary[k].key);
    for (const auto& text : req.vary[k].values) {
      py::object v = py::str(text);
      if (decl != nullptr) {
        try {
          v = to_py(core::parse_value_text(*decl, text, req.vary[k].key));
        } catch (const core::InputError&) {
          // A value the key rejects: those points are rows with the reason; keep the text.
        }
      }
      typed[k].emplace(text, v);
    }
  }
  Interned texts;  // hardware ids and reasons
  const auto text = [&](const std::string& t) {
    auto it = texts.find(t);
    if (it == texts.end()) it = texts.emplace(t, py::str(t)).first;
    return it->second.inc_ref().ptr();
  };
  const auto number = [](const std::optional<double>& v) {
    return v ? PyFloat_FromDouble(*v) : py::none().release().ptr();
  };
  const auto boolean = [](bool b) { return py::bool_(b).release().ptr(); };

  const std::vector<std::string> names = core::sweep_columns(req);
  const std::size_t n = points.size();
  std::vector<py::list> cols;
  cols.reserve(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) cols.emplace_back(n);
  std::vector<PyObject*> col(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) col[c] = cols[c].ptr();
  const std::size_t nv = req.vary.size();
  const mm_stage stages[] = {MM_STAGE_VISION, MM_STAGE_PREFILL, MM_STAGE_DECODE};
  for (std::size_t r = 0; r < n; ++r) {
    const core::SweepPoint& p = points[r];
    std::size_t c = 0;
    for (std::size_t k = 0; k < nv; ++k, ++c) {
      PyList_SET_ITEM(col[c], r, typed[k].find(p.values[k])->second.inc_ref().ptr());
    }
    PyList_SET_ITEM(col[c++], r, text(p.hardware));
    PyList_SET_ITEM(col[c++], r, boolean(p.feasible));
    PyList_SET_ITEM(col[c++], r, text(p.reason));
    if (!p.figures) {
      for (; c < names.size(); ++c) PyList_SET_ITEM(col[c], r, py::none().release().ptr());
      continue;
    }
    const core::SweepFigures& f = *p.figures;
    PyList_SET_ITEM(col[c++], r, PyLong_FromLongLong(f.vision_tokens));
    PyList_SET_ITEM(col[c++], r, PyLong_FromLongLong(f.prefill_tokens));
    PyList_SET_ITEM(col[c++], r, PyLong_FromLongLong(f.decode_steps));
    for (mm_stage st : stages) {
      for (std::size_t m = 0; m < 3; ++m) {
        PyList_SET_ITEM(col[c++], r, number(f.stages[static_cast<std::size_t>(st) * 3 + m]));
      }
    }
    for (const auto* v : {&f.ttft_s, &f.tpot_s, &f.decode_tokens_per_s, &f.weights_bytes, &f.kv_cache_bytes,
                          &f.activations_peak_bytes}) {
      PyList_SET_ITEM(col[c++], r, number(*v));
    }
    PyList_SET_ITEM(col[c++], r, f.fits ? boolean(*f.fits) : py::none().release().ptr());
  }
  py::dict columns;
  for (std::size_t c = 0; c < names.size(); ++c) columns[py::str(names[c])] = std::move(cols[c]);
  return py::make_tuple(columns, py::str(req.inputs.workload_name), py::str(req.plugin->name()));
}

py::dict plugin_info(const core::Plugin& p) {
  py::dict d;
  d["name"] = p.name();
  d["version"] = p.version();
  d["abi_version"] = p.abi_version();
  d["abi_version_text"] = core::abi_version_text(p.abi_version());
  d["kind"] = p.kind() == MM_PLUGIN_MODEL ? "model" : "writer";
  if (p.kind() == MM_PLUGIN_WRITER) d["format"] = p.info().format;
  d["description"] = p.description();
  d["path"] = p.path().string();
  return d;
}

py::list layer_classes(const mm_plugin_info& info) {
  py::list l;
  for (std::size_t i = 0; i < info.class_count; ++i) {
    py::dict c;
    c["name"] = info.classes[i]->name;
    c["category"] = core::category_name(info.classes[i]->category);
    l.append(c);
  }
  return l;
}

py::list key_list(const core::KeyCatalog& catalog) {
  py::list l;
  for (const auto& k : catalog.keys()) {
    py::dict d;
    d["key"] = k.key;
    d["type"] = core::type_name(k.type);
    d["allowed"] = k.allowed_text();
    d["default"] = k.default_value ? to_py(*k.default_value) : py::none();
    d["required"] = k.required;
    d["owner"] = k.owner;
    d["help"] = k.help;
    l.append(d);
  }
  return l;
}

// `modelmeter list WHAT`: the same files the command prints, as Python values.
py::list list_what(const std::string& what, const std::string& plugin, const std::vector<std::string>& plugin_dirs) {
  const host::GlobalOptions g = globals(plugin_dirs);
  py::list out;
  if (what == "plugins" || what == "writers") {
    const bool writers = what == "writers";
    std::set<std::string> seen;
    for (const auto& file : core::plugin_files(host::search_path(g, writers))) {
      try {
        const auto p = core::Plugin::load(file);
        if ((p->kind() == MM_PLUGIN_WRITER) != writers) continue;
        py::dict d = plugin_info(*p);
        d["shadowed"] = seen.count(p->name()) != 0;  // an earlier folder on the search path has this name
        seen.insert(p->name());
        out.append(d);
      } catch (const core::PluginLoadError& e) {
        host::log_warning(e.what());
      }
    }
    return out;
  }
  if (what == "workloads" || what == "hardware" || what == "models") {
    for (const auto& n : host::bundled_names(host::configs_dir() / what, ".toml")) out.append(n);
    if (what == "models") {
      for (const auto& n : host::bundled_names(host::configs_dir() / what, ".json")) out.append(n);
    }
    return out;
  }
  if (what == "layers") {
    for (const mm_layer_class* c : core::op_classes()) {
      py::dict d;
      d["name"] = c->name;
      d["category"] = core::category_name(c->category);
      d["owner"] = "core";
      out.append(d);
    }
    if (!plugin.empty()) {
      const auto p = host::load_model_plugin(g, plugin);
      for (auto c : layer_classes(p->info())) {
        c["owner"] = p->name();
        out.append(c);
      }
    }
    return out;
  }
  throw core::Failure(kExitUsage,
                      "unknown list '" + what + "'; choose plugins, workloads, hardware, models, writers, layers");
}

py::dict describe(const std::string& plugin, const std::string& workload, const std::string& model,
                  const std::vector<std::string>& sets, const std::vector<std::string>& plugin_dirs) {
  const host::GlobalOptions g = globals(plugin_dirs);
  host::DescribeOptions o;
  o.plugin = plugin;
  o.workload = workload;
  o.model = model;
  o.sets = sets;
  core::RunResult r;
  std::unique_ptr<core::DocTree> tree;
  {
    py::gil_scoped_release nogil;
    const core::RunRequest req = host::describe_request(g, o);
    r = core::run_model(req);
    tree = core::build_report(r, kToolVersion);
  }
  py::dict d = plugin_info(*r.plugin);
  d["classes"] = layer_classes(r.plugin->info());
  d["keys"] = key_list(core::catalog_for(*r.plugin));
  d["model"] = r.model_name;
  d["workload"] = workload.empty() ? "(defaults)" : workload;
  const auto params = r.parameters();
  d["parameters"] = params ? py::object(py::int_(static_cast<long long>(*params))) : py::object(py::none());
  // The module tree of each one-step stage, as report.json's stages.<stage>.modules.
  const py::object report = to_py(*tree->freeze());
  py::dict modules;
  for (auto [name, stage] : py::dict(report["stages"])) {
    if (py::str(name).cast<std::string>() != "decode") modules[name] = stage["modules"];
  }
  d["modules"] = modules;
  return d;
}

py::dict check_plugin(const std::string& path) {
  const auto p = core::Plugin::load(path);
  py::dict d = plugin_info(*p);
  if (p->kind() == MM_PLUGIN_MODEL) {
    d["classes"] = layer_classes(p->info());
    d["keys"] = key_list(core::catalog_for(*p));  // also validates the plugin's key declarations
  }
  d["host_abi_version_text"] = core::abi_version_text(MM_ABI_VERSION);
  return d;
}

std::vector<std::string> docs(const std::string& plugin, const std::string& out, const std::string& formats,
                              const std::vector<std::string>& plugin_dirs) {
  const host::GlobalOptions g = globals(plugin_dirs);
  const auto writers = host::load_writers(g, host::split_list(formats, "formats"));
  const auto p = host::load_model_plugin(g, plugin);
  py::gil_scoped_release nogil;
  const auto doc = core::build_docs(*p, kToolVersion);
  return host::write_outputs(writers, doc->freeze(), out);
}

// The install prefix (or build tree) of the core library this module is linked to: <prefix>/<libdir>/.
fs::path core_prefix() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&core::run_model), &info) == 0 || info.dli_fname == nullptr) {
    throw std::runtime_error("modelmeter: cannot locate libmodelmeter-core");
  }
  fs::path dir = fs::canonical(fs::path(info.dli_fname)).parent_path();
  const fs::path libdir(host::kLibSubdir);
  for (auto it = libdir.begin(); it != libdir.end(); ++it) dir = dir.parent_path();
  return dir;
}

}  // namespace

PYBIND11_MODULE(_modelmeter, m) {
  m.doc() = "ModelMeter's compiled core: use the package modelmeter (docs/python.md), not this module.";
  host::set_install_prefix(core_prefix());
  host::keep_loaded(true);                      // a notebook runs many times: load each plugin file once
  host::init_logging(host::Verbosity::Normal);  // warnings (a broken file on the plugin path) to stderr, as the CLI
  m.attr("__version__") = kToolVersion;
  m.attr("abi_version_text") = core::abi_version_text(MM_ABI_VERSION);
  m.attr("prefix") = core_prefix().string();  // where bundled plugins, writers and configs are found
  m.attr("default_hardware") = host::RunOptions{}.hardware;

  g_exc.error = new_exception(m, "Error", "Base of ModelMeter's errors; the message is the command line's one line.",
                              {PyExc_Exception}, -1);
  g_exc.input_error = new_exception(m, "InputError",
                                    "Invalid input: a workload, model or hardware file, a set= or vary= value, an "
                                    "unknown name (exit code 3 of the command line).",
                                    {g_exc.error, PyExc_ValueError}, kExitInvalidInput);
  g_exc.plugin_error =
      new_exception(m, "PluginError", "A plugin or writer could not be found, loaded or accepted (exit code 4).",
                    {g_exc.error, PyExc_RuntimeError}, kExitPluginLoad);
  g_exc.plugin_failure = new_exception(m, "PluginFailure",
                                       "A plugin failed while planning, building, evaluating or "
                                       "writing (exit code 5).",
                                       {g_exc.error, PyExc_RuntimeError}, kExitPluginFailure);
  g_exc.output_error = new_exception(m, "OutputError", "The report could not be written (exit code 6).",
                                     {g_exc.error, PyExc_OSError}, kExitOutput);
  py::register_exception_translator(translate);

  py::class_<Report>(m, "Report", "One run's result: summary, stages, module tree, writers.")
      .def_property_readonly("summary", &Report::summary)
      .def("to_dict", &Report::to_dict)
      .def("render", &Report::render_one, py::arg("format"))
      .def("_write", &Report::write, py::arg("out"), py::arg("formats"))
      .def_property_readonly("plugin", [](const Report& r) { return r.result().plugin->name(); })
      .def_property_readonly("model", [](const Report& r) { return r.result().model_name; })
      .def_property_readonly("hardware", [](const Report& r) { return r.result().hardware.id; })
      .def_property_readonly("workload", &Report::workload)
      .def_property_readonly("warnings", [](const Report& r) { return r.result().warnings; });

  m.def("run", &run, py::arg("plugin"), py::arg("workload"), py::arg("model"), py::arg("hardware"), py::arg("sets"),
        py::arg("plugin_dirs"), py::arg("calibration") = std::string());
  m.def("sweep", &sweep, py::arg("plugin"), py::arg("workload"), py::arg("model"), py::arg("hardware"), py::arg("sets"),
        py::arg("vary"), py::arg("shard"), py::arg("threads"), py::arg("plugin_dirs"),
        py::arg("calibration") = std::string());
  m.def("list", &list_what, py::arg("what"), py::arg("plugin"), py::arg("plugin_dirs"));
  m.def("describe", &describe, py::arg("plugin"), py::arg("workload"), py::arg("model"), py::arg("sets"),
        py::arg("plugin_dirs"));
  m.def("check_plugin", &check_plugin, py::arg("path"));
  m.def("docs", &docs, py::arg("plugin"), py::arg("out"), py::arg("formats"), py::arg("plugin_dirs"));
}
