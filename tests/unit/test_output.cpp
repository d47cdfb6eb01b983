// Atomic commit of writer outputs (core/src/output.cpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/output.hpp>
#include <sstream>
#include <string>

using namespace modelmeter::core;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
std::filesystem::path fresh_dir(const char* name) {
  const auto d = std::filesystem::temp_directory_path() / (std::string(name) + "." + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}
}  // namespace

TEST_CASE("emit_file accepts relative paths only, once each") {
  mm_output out;
  mm_error err{};
  CHECK(emit_file(&out, "report.json", "{}", 2, &err) == MM_OK);
  CHECK(emit_file(&out, "layers/Linear.md", "x", 1, &err) == MM_OK);
  for (const char* bad : {"/etc/passwd", "../x", "a//b", "a/./b", "", "dir/"}) {
    CAPTURE(bad);
    CHECK(emit_file(&out, bad, "x", 1, &err) == MM_ERR_INVALID_ARGUMENT);
  }
  CHECK(emit_file(&out, "report.json", "{}", 2, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("emitted twice") != std::string::npos);
  CHECK(out.files.size() == 2);
}

TEST_CASE("commit writes every file, creating folders, and leaves no temporaries") {
  const auto dir = fresh_dir("mm_test_out_ok");
  mm_output out;
  out.files = {{"report.json", "{\"a\": 1}\n"}, {"layers/Linear.md", "# Linear\n"}};
  commit_outputs(dir, {&out});
  CHECK(slurp(dir / "report.json") == "{\"a\": 1}\n");
  CHECK(slurp(dir / "layers" / "Linear.md") == "# Linear\n");
  int entries = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) entries += e.is_regular_file() ? 1 : 0;
  CHECK(entries == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a failure writes nothing: a folder in the way of the second file") {
  const auto dir = fresh_dir("mm_test_out_fail");
  std::filesystem::create_directories(dir / "report.csv");  // a folder where a file must go
  mm_output out;
  out.files = {{"report.json", "{}"}, {"report.csv", "a,b\n"}};
  CHECK_THROWS_WITH_AS(commit_outputs(dir, {&out}), doctest::Contains("a folder is in the way"), OutputError);
  CHECK_FALSE(std::filesystem::exists(dir / "report.json"));
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an output path that is a file is refused") {
  const auto dir = fresh_dir("mm_test_out_file");
  std::ofstream(dir.string()) << "x";
  mm_output out;
  out.files = {{"report.json", "{}"}};
  CHECK_THROWS_WITH_AS(commit_outputs(dir, {&out}), doctest::Contains("is a file, not a folder"), OutputError);
  std::filesystem::remove(dir);
}

TEST_CASE("temporaries are created fresh: a link planted at the old temporary name is never followed") {
  const auto dir = fresh_dir("mm_test_out_plant");
  std::filesystem::create_directories(dir);
  const auto victim = dir.string() + ".victim";
  std::ofstream(victim) << "precious\n";
  // The predictable name of earlier versions, and a link at the final name itself.
  std::filesystem::create_symlink(victim, dir / (".report.json.tmp." + std::to_string(::getpid())));
  std::filesystem::create_symlink(victim, dir / "report.md");
  mm_output out;
  out.files = {{"report.json", "{}\n"}, {"report.md", "# r\n"}};
  commit_outputs(dir, {&out});
  CHECK(slurp(victim) == "precious\n");  // nothing written through either link
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(dir / "report.json")));
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(dir / "report.md")));  // the link replaced
  CHECK(slurp(dir / "report.md") == "# r\n");
  std::filesystem::remove_all(dir);
  std::filesystem::remove(victim);
}

TEST_CASE("a link in place of a subfolder is refused, and nothing is written") {
  const auto dir = fresh_dir("mm_test_out_linkdir");
  const auto elsewhere = fresh_dir("mm_test_out_elsewhere");
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(elsewhere);
  std::filesystem::create_directory_symlink(elsewhere, dir / "layers");
  mm_output out;
  out.files = {{"report.md", "# r\n"}, {"layers/Linear.md", "# Linear\n"}};
  CHECK_THROWS_WITH_AS(commit_outputs(dir, {&out}), doctest::Contains("is a symbolic link"), OutputError);
  CHECK(std::filesystem::is_empty(elsewhere));
  CHECK_FALSE(std::filesystem::exists(dir / "report.md"));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(elsewhere);
}

TEST_CASE("layer pages an earlier run left in a subfolder it writes are removed, other files stay") {
  const auto dir = fresh_dir("mm_test_out_stale");
  mm_output first;
  first.files = {{"report.md", "# a\n"}, {"layers/OldClass.md", "# old\n"}, {"layers/Shared.md", "# 1\n"}};
  commit_outputs(dir, {&first});
  std::ofstream(dir / "layers" / "notes.txt") << "mine\n";  // not a page: another extension
  std::ofstream(dir / "keep.md") << "top folder\n";         // the top folder is never cleaned
  mm_output second;
  second.files = {{"report.md", "# b\n"}, {"layers/Shared.md", "# 2\n"}};
  commit_outputs(dir, {&second});
  CHECK_FALSE(std::filesystem::exists(dir / "layers" / "OldClass.md"));
  CHECK(slurp(dir / "layers" / "Shared.md") == "# 2\n");
  CHECK(slurp(dir / "layers" / "notes.txt") == "mine\n");
  CHECK(slurp(dir / "keep.md") == "top folder\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a StreamedFile writes into a fresh temporary, renamed into place by commit_outputs with the rest") {
  const auto dir = fresh_dir("mm-streamed");
  {
    StreamedFile f(dir / "sub", "rows.csv");
    CHECK(std::filesystem::is_directory(dir / "sub"));
    CHECK(f.temp_path().parent_path() == dir / "sub");
    CHECK(f.temp_path().filename().string().rfind(".rows.csv.tmp.", 0) == 0);
    std::string expected;
    for (int i = 0; i < 300000; ++i) {  // ~3 MB through a 1 MiB buffer
      const std::string line = std::to_string(i) + ",row\n";
      f.write(line);
      expected += line;
    }
    f.write(std::string(StreamedFile::kBufferBytes + 5, 'x'));  // larger than the buffer
    expected += std::string(StreamedFile::kBufferBytes + 5, 'x');
    CHECK_FALSE(std::filesystem::exists(dir / "sub" / "rows.csv"));  // nothing at the final name until the commit
    f.finish();
    mm_output other;
    mm_error err{};
    REQUIRE(emit_file(&other, "other.txt", "o", 1, &err) == MM_OK);
    commit_outputs(dir / "sub", {&other}, {&f});
    CHECK(slurp(dir / "sub" / "rows.csv") == expected);
    CHECK(slurp(dir / "sub" / "other.txt") == "o");
  }
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "sub")) ++entries;
  CHECK(entries == 2);  // the committed files only: no temporary left
  std::filesystem::remove_all(dir);
}

TEST_CASE("a StreamedFile destroyed uncommitted removes its temporary and the folders it made") {
  const auto dir = fresh_dir("mm-streamed-abandon");
  {
    StreamedFile f(dir / "a" / "b", "rows.csv");
    f.write("partial\n");
    CHECK(std::filesystem::exists(f.temp_path()));
  }
  CHECK_FALSE(std::filesystem::exists(dir));  // dir, a and b were made for it: all gone
  // An existing final file is left as it was.
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "rows.csv") << "before"; }
  {
    StreamedFile f(dir, "rows.csv");
    f.write("new\n");
    f.finish();
  }
  CHECK(slurp(dir / "rows.csv") == "before");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a StreamedFile never writes through a planted link and refuses bad paths") {
  const auto dir = fresh_dir("mm-streamed-link");
  const auto target = fresh_dir("mm-streamed-target");
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(target);
  std::filesystem::create_directory_symlink(target, dir / "layers");
  CHECK_THROWS_AS(StreamedFile(dir, "layers/rows.csv"), OutputError);
  CHECK(std::filesystem::is_empty(target));
  CHECK_THROWS_AS(StreamedFile(dir, "../rows.csv"), OutputError);
  // A link at the final name is replaced by the commit, its target untouched.
  { std::ofstream(target / "victim") << "keep"; }
  std::filesystem::create_symlink(target / "victim", dir / "rows.csv");
  {
    StreamedFile f(dir, "rows.csv");
    f.write("rows\n");
    f.finish();
    commit_outputs(dir, {}, {&f});
  }
  CHECK_FALSE(std::filesystem::is_symlink(dir / "rows.csv"));
  CHECK(slurp(dir / "rows.csv") == "rows\n");
  CHECK(slurp(target / "victim") == "keep");
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(target);
}

TEST_CASE("commit_outputs refuses a StreamedFile that was not finished, and leaves nothing") {
  const auto dir = fresh_dir("mm-streamed-unfinished");
  {
    StreamedFile f(dir, "rows.csv");
    f.write("x\n");
    CHECK_THROWS_AS(commit_outputs(dir, {}, {&f}), OutputError);
  }
  CHECK_FALSE(std::filesystem::exists(dir));
}
