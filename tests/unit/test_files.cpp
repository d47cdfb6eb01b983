// Reading input files: regular files only, size-capped (core/src/files.cpp).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/files.hpp>
#include <string>

using namespace modelmeter::core;
namespace fs = std::filesystem;

TEST_CASE("read_regular_file reads a regular file and refuses everything else, quickly") {
  const fs::path dir = fs::temp_directory_path() / ("mm_test_files." + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "w.toml") << "a = 1\n";
  CHECK(read_regular_file(dir / "w.toml", "workload file") == "a = 1\n");
  fs::create_symlink(dir / "w.toml", dir / "link.toml");  // links to regular files are followed
  CHECK(read_regular_file(dir / "link.toml", "workload file") == "a = 1\n");

  CHECK_THROWS_WITH_AS(read_regular_file(dir / "missing.toml", "workload file"),
                       doctest::Contains("does not exist or is not a file"), InputError);
  CHECK_THROWS_WITH_AS(read_regular_file(dir, "workload file"), doctest::Contains("is a folder, not a regular file"),
                       InputError);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);  // no writer: a blocking open would hang here
  CHECK_THROWS_WITH_AS(read_regular_file(dir / "fifo", "model file"),
                       doctest::Contains("is a FIFO, not a regular file"), InputError);
  CHECK_THROWS_WITH_AS(read_regular_file("/dev/zero", "hardware file"),
                       doctest::Contains("'/dev/zero' is a character device, not a regular file"), InputError);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));

  std::ofstream(dir / "big.toml") << std::string(1000, 'x');
  CHECK(read_regular_file(dir / "big.toml", "workload file", 1000).size() == 1000);
  CHECK_THROWS_WITH_AS(read_regular_file(dir / "big.toml", "workload file", 999),
                       doctest::Contains("is larger than 999 bytes"), InputError);
  fs::remove_all(dir);
}
