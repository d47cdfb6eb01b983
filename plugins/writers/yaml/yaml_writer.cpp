// The `yaml` writer: report.yaml (kind "report") or sweep.yaml (kind "sweep") with the same content as the json
// writer's file, emitted by yaml-cpp's YAML::Emitter: block style, keys in document order, deterministic.
//
// Strings: yaml-cpp quotes whatever YAML syntax needs ("a: b", "#x", line breaks) but leaves plain the strings a
// reader would resolve to another type ("512", "true", "null", "2024-01-01"); those are double-quoted here so
// every string reads back as a string. Multi-line texts (the layers' Markdown pages) are written as `|` blocks
// when that reads back exactly; strings yaml-cpp would copy raw although a reader cannot take them (invalid
// UTF-8, DEL, U+2028, ...) are double-quoted with yaml-cpp's escapes for everything outside ASCII. Numbers: integers,
// and whole doubles below 2^53, as integers (as the json writer does); other doubles in their shortest round-trip form
// (std::to_chars), always with a '.' so that YAML 1.1 readers (PyYAML) read "1.0e-05" as a float too. null, and the
// non-finite numbers core never produces, as ~. Empty objects and arrays are written {} and [], and an array of scalars
// inside an array (a sweep row) on one line, in flow style.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <modelmeter/sdk.hpp>
#include <string>
#include <string_view>

namespace {

// True when a YAML 1.1 or 1.2 reader would take `s`, written plain, for a number, boolean, null, date or merge
// key, or might not read it as a plain scalar in flow context. Errs on the safe side: quoting a string that did not
// need it changes nothing for a reader.
bool plain_is_risky(std::string_view s) {
  if (s.empty()) return false;  // yaml-cpp quotes the empty string itself
  const char c = s.front();
  if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == '?' || c == ':') return true;
  static constexpr std::string_view kWords[] = {"y",  "n",   "yes",  "no", "true", "false",
                                                "on", "off", "null", "~",  "<<",   "="};
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; });
  return std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords);
}

// True when yaml-cpp would copy a character of `s` raw that a YAML reader rejects or reads differently: invalid
// UTF-8, DEL, C1 controls, U+2028/U+2029 (line breaks to YAML 1.1), U+FFFE/U+FFFF. (It escapes C0 controls.)
bool has_unprintable(std::string_view s) {
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};  // the smallest code point of each length
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      if (lead == 0x7F) return true;
      ++i;
      continue;
    }
    const std::size_t n = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;  // continuation bytes
    if (n == 0 || lead > 0xF4 || i + n >= s.size()) return true;
    char32_t cp = lead & (0x3F >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return true;
      cp = cp << 6 | (b & 0x3F);
    }
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return true;  // overlong, surrogate
    if (cp <= 0x9F || cp == 0x2028 || cp == 0x2029 || cp == 0xFFFE || cp == 0xFFFF) return true;
    i += n + 1;
  }
  return false;
}

// A multi-line text (a layer's Markdown page) reads back exactly from a `|` block: it ends with one line break,
// its first line is not indented and it holds nothing but printable characters, tabs and line breaks.
bool fits_literal_block(std::string_view s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t'; });
}

void emit_string(YAML::Emitter& e, std::string_view s, bool block) {
  if (has_unprintable(s)) {
    e << YAML::EscapeNonAscii << YAML::DoubleQuoted;
  } else if (block && fits_literal_block(s)) {
    e << YAML::Literal;
  } else if (plain_is_risky(s)) {
    e << YAML::DoubleQuoted;
  }
  e << std::string(s);
}

// The text of a double that is not a whole number below 2^53 (a valid YAML 1.1 and 1.2 float).
std::string float_text(double v) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  std::string s(buf, end);
  if (s.find('.') == std::string::npos) {
    const std::size_t exp = s.find('e');
    s.insert(exp == std::string::npos ? s.size() : exp, ".0");
  }
  return s;
}

bool is_scalar(const modelmeter::Doc& d) {
  return d.type() != MM_DOC_ARRAY && d.type() != MM_DOC_OBJECT;
}

// `in_array`: `d` is an item of an array; `in_flow`: of a container written in flow style.
void emit(YAML::Emitter& e, const modelmeter::Doc& d, bool in_array, bool in_flow) {
  switch (d.type()) {
    case MM_DOC_NULL:
      e << YAML::Null;
      break;
    case MM_DOC_BOOL:
      e << d.as_bool();
      break;
    case MM_DOC_INT:
      e << static_cast<long long>(d.as_int());
      break;
    case MM_DOC_NUMBER: {
      const double v = d.as_number();
      if (!std::isfinite(v)) {
        e << YAML::Null;  // as the json writer does; core never produces NaN/inf (metrics are validated)
      } else if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
        e << static_cast<long long>(v);
      } else {
        e << float_text(v);  // a plain scalar: yaml-cpp does not quote number-like strings
      }
      break;
    }
    case MM_DOC_STRING:
      emit_string(e, d.as_string(), !in_flow);
      break;
    case MM_DOC_ARRAY:
    case MM_DOC_OBJECT: {
      const bool obj = d.type() == MM_DOC_OBJECT;
      bool flow = d.size() == 0;
      if (!obj && in_array) {
        flow = true;
        for (std::size_t i = 0; i < d.size() && flow; ++i) flow = is_scalar(d.at(i));
      }
      if (flow) e << YAML::Flow;
      e << (obj ? YAML::BeginMap : YAML::BeginSeq);
      for (std::size_t i = 0; i < d.size(); ++i) {
        if (obj) {
          e << YAML::Key;
          emit_string(e, d.key(i), false);
          e << YAML::Value;
        }
        emit(e, d.at(i), !obj, flow);
      }
      e << (obj ? YAML::EndMap : YAML::EndSeq);
      break;
    }
    default:
      throw modelmeter::InvalidArgument("unknown document node type " + std::to_string(d.type()));
  }
}

struct YamlWriter {
  static constexpr const char* kName = "yaml";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "report.yaml / sweep.yaml: the full report as YAML (yaml-cpp)";
  static constexpr const char* kFormat = "yaml";

  static void write(const modelmeter::Doc& doc, const modelmeter::Output& out) {
    const std::string_view kind = doc["kind"].as_string();
    if (kind == "docs") throw modelmeter::InvalidArgument("the yaml writer writes reports and sweeps, not layer pages");
    if (kind != "report" && kind != "sweep") {
      throw modelmeter::InvalidArgument("the yaml writer cannot write a document of kind '" + std::string(kind) + "'");
    }
    YAML::Emitter e;
    emit(e, doc, false, false);
    if (!e.good()) throw modelmeter::Error(MM_ERR_INTERNAL, "yaml-cpp: " + e.GetLastError());
    std::string text(e.c_str(), e.size());
    text += '\n';
    out.emit(std::string(kind) + ".yaml", text);
  }
};

}  // namespace

MODELMETER_WRITER_PLUGIN(YamlWriter)
