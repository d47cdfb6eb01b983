// Test support: load a writer plugin file the way the host does, with a fake host that captures the files
// it emits, and hand it a document tree built from JSON. For writer tests that need exact text the CLI
// cannot produce (characters to escape, number forms, malformed documents).
#pragma once

#include <dlfcn.h>
#include <doctest/doctest.h>
#include <modelmeter/abi.h>

#include <boost/json.hpp>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace mm_test {

// One `modelmeter run` of DeepSeek-OCR std-v1 into a temporary folder per `formats`, made once per process
// and shared by the test cases that only read it.
inline const TempDir& std_v1_run(const std::string& host, const std::string& formats) {
  static std::map<std::string, std::unique_ptr<TempDir>> runs;
  auto& dir = runs[formats];
  if (!dir) {
    dir = std::make_unique<TempDir>("modelmeter-std-v1");
    const ProcessResult r = run_process(
        {host, "run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", formats, "--out", dir->path()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  return *dir;
}

// The writer plugin file serving `format`, as `modelmeter list writers` reports it.
inline std::string writer_file(const std::string& host, const std::string& format) {
  const ProcessResult r = run_process({host, "list", "writers"});
  REQUIRE(r.exit_code == 0);
  for (const std::string& line : split_lines(r.out)) {
    if (line.find("\tformat " + format + "\t") != std::string::npos) return line.substr(line.rfind('\t') + 1);
  }
  FAIL("no writer serves format " << format);
  return {};
}

// A document tree in the ABI's form, built from JSON (integers stay integers).
class DocTree {
 public:
  explicit DocTree(const boost::json::value& v) : root_(make(v)) {}
  const mm_doc* root() const noexcept { return root_; }

 private:
  struct Node {
    mm_doc doc{};
    std::string text;
    std::vector<std::string> keys;
    std::vector<const char*> key_ptrs;
    std::vector<const mm_doc*> items;
  };
  const mm_doc* make(const boost::json::value& v) {
    Node& n = nodes_.emplace_back();  // a deque: nodes never move
    switch (v.kind()) {
      case boost::json::kind::null:
        n.doc.type = MM_DOC_NULL;
        break;
      case boost::json::kind::bool_:
        n.doc.type = MM_DOC_BOOL;
        n.doc.boolean = v.as_bool() ? 1 : 0;
        break;
      case boost::json::kind::int64:
        n.doc.type = MM_DOC_INT;
        n.doc.integer = v.as_int64();
        break;
      case boost::json::kind::uint64:
      case boost::json::kind::double_:
        n.doc.type = MM_DOC_NUMBER;
        n.doc.number = v.to_number<double>();
        break;
      case boost::json::kind::string:
        n.doc.type = MM_DOC_STRING;
        n.text = v.as_string();
        n.doc.string = n.text.c_str();
        break;
      case boost::json::kind::array:
        n.doc.type = MM_DOC_ARRAY;
        for (const auto& item : v.as_array()) n.items.push_back(make(item));
        break;
      case boost::json::kind::object:
        n.doc.type = MM_DOC_OBJECT;
        for (const auto& kv : v.as_object()) {
          n.keys.emplace_back(kv.key());
          n.items.push_back(make(kv.value()));
        }
        for (const auto& k : n.keys) n.key_ptrs.push_back(k.c_str());
        n.doc.keys = n.key_ptrs.data();
        break;
    }
    n.doc.size = n.items.size();
    n.doc.items = n.items.data();
    return &n.doc;
  }
  std::deque<Node> nodes_;
  const mm_doc* root_;
};

struct Written {
  mm_status status = MM_OK;
  std::string message;
  std::map<std::string, std::string> files;
};

inline mm_status capture_file(mm_output* out, const char* path, const char* data, size_t size, mm_error*) {
  reinterpret_cast<Written*>(out)->files[path] = std::string(data, size);
  return MM_OK;
}

// Loads the writer file as the host does and has it write `doc`.
inline Written write_with(const std::string& file, const boost::json::value& doc) {
  static const mm_host_api host = {sizeof(mm_host_api), MM_ABI_VERSION, nullptr, nullptr, nullptr, &capture_file};
  void* lib = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(lib != nullptr, dlerror());
  auto* entry = reinterpret_cast<mm_plugin_entry_fn>(dlsym(lib, "modelmeter_plugin_entry"));
  REQUIRE(static_cast<bool>(entry));
  mm_negotiation n{sizeof(mm_negotiation), MM_ABI_VERSION, MM_ABI_VERSION, &host, 0, nullptr};
  mm_error err{};
  REQUIRE(entry(&n, &err) == MM_OK);
  REQUIRE(n.info != nullptr);
  const DocTree tree(doc);
  Written w;
  w.status = n.info->write(tree.root(), reinterpret_cast<mm_output*>(&w), &err);
  w.message = err.message;
  dlclose(lib);
  return w;
}

}  // namespace mm_test
