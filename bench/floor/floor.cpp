// The floor for the whole-process time of `modelmeter run`: a program built from the same libraries (CLI11,
// spdlog, toml++, Boost.DLL, Boost.JSON) doing the same kinds of work — parse the arguments and a workload TOML,
// load one plugin, compute a few thousand figures and write a JSON file of a given size atomically — and nothing
// of ours. bench/run.sh times it and `modelmeter run` in one hyperfine call; the difference is ours to explain.
#define BOOST_DLL_USE_STD_FS
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"modelmeter_floor: the libraries' own cost of a modelmeter run"};
  std::string workload, plugin, out;
  std::size_t bytes = 0;
  app.add_option("--workload", workload, "a workload TOML")->required();
  app.add_option("--plugin", plugin, "a plugin .so to load")->required();
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--bytes", bytes, "size of the JSON file to write")->required();
  std::size_t pages = 0, page_bytes = 0;
  app.add_option("--pages", pages, "also write this many small files under pages/ (the md writer's layer pages)");
  app.add_option("--page-bytes", page_bytes, "size of each of those files");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  try {
    const toml::table t = toml::parse_file(workload);
    const boost::dll::shared_library lib(plugin, boost::dll::load_mode::rtld_now);
    if (!lib.has("modelmeter_plugin_entry")) throw std::runtime_error(plugin + ": no entry symbol");
    // A few thousand figures, each a little arithmetic, until the document reaches the size asked for.
    boost::json::object doc;
    doc["keys"] = t.size();
    boost::json::array& figures = doc["figures"].emplace_array();
    double x = 1;
    std::string text;
    while (text.size() < bytes) {  // serialised once or twice: aim from the size per figure seen so far
      const std::size_t per = figures.empty() ? 24 : std::max<std::size_t>(1, text.size() / figures.size());
      for (std::size_t i = 0, n = (bytes - text.size()) / per + 16; i < n; ++i) {
        x = std::fma(x, 1.0000001, static_cast<double>(i % 256) * 1e-3);
        figures.emplace_back(x);
      }
      text = boost::json::serialize(doc);
    }
    const std::filesystem::path dir(out), tmp = dir / ".floor.json.tmp";
    std::filesystem::create_directories(dir);
    {
      std::ofstream f(tmp, std::ios::binary);
      f.write(text.data(), static_cast<std::streamsize>(std::min(text.size(), bytes)));
      if (!f) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, dir / "floor.json");
    if (pages > 0) std::filesystem::create_directories(dir / "pages");
    for (std::size_t i = 0; i < pages; ++i) {  // each written to a temporary name, then renamed, as ours are
      const std::string name = "page" + std::to_string(i) + ".md";
      const std::filesystem::path ptmp = dir / "pages" / ("." + name + ".tmp");
      {
        std::ofstream f(ptmp, std::ios::binary);
        f << std::string(page_bytes, static_cast<char>('a' + i % 26));
        if (!f) throw std::runtime_error("cannot write " + ptmp.string());
      }
      std::filesystem::rename(ptmp, dir / "pages" / name);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "modelmeter_floor: %s\n", e.what());
    return 1;
  }
  return 0;
}
