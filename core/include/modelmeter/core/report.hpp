// The report data model handed to writer plugins: a document tree (mm_doc) built from a RunResult.
// Its schema is documented in docs/report-schema.md; keys keep a fixed order, so output is deterministic.
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/run.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modelmeter::core {

inline constexpr int64_t kReportSchemaVersion = 1;

// An owning document tree. Build with the value constructors, then freeze() into the C view.
class MM_CORE_API DocTree {
 public:
  struct Node;
  DocTree();
  ~DocTree();
  DocTree(const DocTree&) = delete;
  DocTree& operator=(const DocTree&) = delete;

  Node* root() noexcept { return root_; }
  Node* object(Node* parent, std::string_view key);  // parent: object
  Node* array(Node* parent, std::string_view key);
  Node* push_object(Node* array);
  void set(Node* obj, std::string_view key, std::string_view s);
  void set(Node* obj, std::string_view key, const char* s) { set(obj, key, std::string_view(s)); }
  void set(Node* obj, std::string_view key, double d);
  void set_int(Node* obj, std::string_view key, int64_t i);
  void set(Node* obj, std::string_view key, bool b);
  void set_null(Node* obj, std::string_view key);
  void set(Node* obj, std::string_view key, const std::optional<double>& d);
  void push(Node* arr, std::string_view s);
  void push_int(Node* arr, int64_t i);
  void push_number(Node* arr, const std::optional<double>& d);  // null when absent
  void push_bool(Node* arr, bool b);
  void push_null(Node* arr);
  Node* push_array(Node* arr);

  // The C view; valid while the tree lives. Building further after freeze() is not allowed.
  const mm_doc* freeze();

 private:
  Node* add(Node* parent, std::string_view key);
  std::deque<Node> nodes_;
  Node* root_;
  bool frozen_ = false;
};

// A new document of `kind` ("report", "sweep", "docs") with the keys every kind starts with:
// schema_version, kind, tool {name, version}, plugin {name, version, abi_version, abi_version_text, description}.
MM_CORE_API std::unique_ptr<DocTree> new_document(std::string_view kind, const Plugin& plugin,
                                                  std::string_view tool_version);

// `freeze` false leaves the tree open, for a caller that adds keys (simulate adds `serving`) and freezes it itself.
MM_CORE_API std::unique_ptr<DocTree> build_report(const RunResult& run, std::string_view tool_version,
                                                  bool freeze = true);

// The report's `summary` object (spec §7.1), added under `parent` as key "summary": build_report uses it, and
// so does the server, whose run responses therefore hold the summary exactly as report.json has it.
MM_CORE_API void add_summary(DocTree& tree, DocTree::Node* parent, const RunResult& run);

// The "docs" document: every layer class the model plugin registers and every core op, with their formula
// pages and no instances (for `modelmeter docs`).
MM_CORE_API std::unique_ptr<DocTree> build_docs(const Plugin& plugin, std::string_view tool_version);

}  // namespace modelmeter::core
