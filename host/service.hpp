// The HTTP API of `modelmeter serve`, independent of the HTTP library: a request (method, path, content
// type, body) in, a response (status, content type, body) out. serve.cpp connects it to Boost.Beast.
//
// Everything is loaded once, at construction: the model plugins and writers on the search path, the bundled
// hardware profiles and workloads. A run is evaluated exactly as `modelmeter run` evaluates it (run_model,
// then the writer plugins on build_report's document), with files kept in memory. handle() may be called
// from many threads at once.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"

namespace modelmeter::host {

inline constexpr std::size_t kMaxBodyBytes = 1 << 20;  // larger request bodies are refused (413)

// The result cache of POST /v1/runs (docs/serve.md, "The result cache"): at most `cache_entries` entries and
// kMaxCacheBytes bytes; a request body over kMaxCachedBodyBytes is never cached.
inline constexpr std::size_t kMaxCacheBytes = 32u << 20;
inline constexpr std::size_t kMaxCachedBodyBytes = 16u << 10;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Location, Allow)
};

// {"error": {"code": …, "message": …, "key": …}} (key omitted when empty).
HttpResponse error_response(int status, const std::string& code, const std::string& message,
                            const std::string& key = {});

class Service {
 public:
  // `cache_entries`: results of POST /v1/runs kept by request body (0: none).
  Service(const GlobalOptions& g, std::size_t max_runs, std::size_t cache_entries);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // `content_type` is the request's Content-Type header ("" when absent); HEAD is answered as GET.
  HttpResponse handle(const std::string& method, const std::string& path, const std::string& content_type,
                      const std::string& body);

  std::size_t model_plugin_count() const;
  std::size_t writer_count() const;

  struct CacheStats {
    std::size_t entries = 0, bytes = 0;
    unsigned long long hits = 0, misses = 0;
  };
  CacheStats cache_stats() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace modelmeter::host
