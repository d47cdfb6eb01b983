// Test support: reading values out of a parsed report.json by key path.
#pragma once

#include <boost/json.hpp>
#include <initializer_list>

namespace mm_test {

// The value at a key path (at(report, {"summary", "parameters"})); throws when a key is absent.
inline const boost::json::value& at(const boost::json::value& v, std::initializer_list<const char*> path) {
  const boost::json::value* cur = &v;
  for (const char* k : path) cur = &cur->as_object().at(k);
  return *cur;
}

// A JSON integer or number at a key path, as a double.
inline double num(const boost::json::value& v, std::initializer_list<const char*> path) {
  const auto& x = at(v, path);
  return x.is_int64() ? static_cast<double>(x.as_int64()) : x.as_double();
}

}  // namespace mm_test
