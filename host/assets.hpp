// Files embedded in the executable at build time (host/embed_assets.cmake), so an installed modelmeter serves
// them without looking for them on disk.
#pragma once

#include <string_view>

namespace modelmeter::host {

extern const std::string_view kPageHtml;     // host/page.html, served at GET /
extern const std::string_view kOpenApiYaml;  // docs/openapi.yaml, served at GET /openapi.yaml

}  // namespace modelmeter::host
