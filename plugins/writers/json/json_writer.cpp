// The `json` writer: report.json, the whole report document, pretty-printed; strings that need escaping go
// through Boost.JSON's serializer, numbers are written in its form. Numbers that are whole and exactly representable
// (|x| < 2^53) are written as integers.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <modelmeter/sdk.hpp>
#include <string>
#include <string_view>

namespace {

void indent(std::string& out, int depth) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

// A JSON string literal: as Boost.JSON's serializer writes it; plain printable ASCII without quotes or
// backslashes (nearly every key and value here) is copied as it is.
void write_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += boost::json::serialize(boost::json::value(boost::json::string_view(s.data(), s.size())));
  }
}

// A non-integral number as Boost.JSON 1.81 writes it (shortest round-trip digits, "1.5E-2"), without its
// allocations: std::to_chars gives the same shortest digits; only the exponent is spelled differently ("e-02").
void write_number(std::string& out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
  const std::size_t e = s.find('e');
  out += s.substr(0, e);
  out += 'E';
  int exp = 0;
  const std::string_view ex = s.substr(e + 1);
  std::from_chars(ex.data() + (ex.front() == '+' ? 1 : 0), ex.data() + ex.size(), exp);
  out += std::to_string(exp);
}

void write_value(std::string& out, const modelmeter::Doc& d, int depth) {
  switch (d.type()) {
    case MM_DOC_NULL:
      out += "null";
      break;
    case MM_DOC_BOOL:
      out += d.as_bool() ? "true" : "false";
      break;
    case MM_DOC_INT:
      out += std::to_string(d.as_int());
      break;
    case MM_DOC_NUMBER: {
      const double v = d.as_number();
      if (!std::isfinite(v)) {
        out += "null";  // JSON has no NaN/inf; core never produces them (metrics are validated)
      } else if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
        out += std::to_string(static_cast<long long>(v));
      } else {
        write_number(out, v);
      }
      break;
    }
    case MM_DOC_STRING:
      write_string(out, d.as_string());
      break;
    case MM_DOC_ARRAY:
    case MM_DOC_OBJECT: {
      const bool obj = d.type() == MM_DOC_OBJECT;
      if (d.size() == 0) {
        out += obj ? "{}" : "[]";
        break;
      }
      out += obj ? "{\n" : "[\n";
      for (std::size_t i = 0; i < d.size(); ++i) {
        indent(out, depth + 1);
        if (obj) {
          write_string(out, d.key(i));
          out += ": ";
        }
        write_value(out, d.at(i), depth + 1);
        out += i + 1 < d.size() ? ",\n" : "\n";
      }
      indent(out, depth);
      out += obj ? "}" : "]";
      break;
    }
    default:
      throw modelmeter::InvalidArgument("unknown document node type " + std::to_string(d.type()));
  }
}

struct JsonWriter {
  static constexpr const char* kName = "json";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "report.json: the full machine-readable report (Boost.JSON)";
  static constexpr const char* kFormat = "json";

  static void write(const modelmeter::Doc& report, const modelmeter::Output& out) {
    std::string text;
    text.reserve(1 << 16);
    write_value(text, report, 0);
    text += '\n';
    out.emit(report["kind"].as_string() == "plan" ? "plan.json" : "report.json", text);
  }
};

}  // namespace

MODELMETER_WRITER_PLUGIN(JsonWriter)
