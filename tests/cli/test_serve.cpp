// `modelmeter serve` through the real binary: each test starts a server on an ephemeral loopback port
// (--port 0; the port is read from the first line it prints) and talks to it with cpp-httplib's client or a
// raw socket. Responses are checked against what `modelmeter run` writes for the same inputs.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

extern char** environ;

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace mm_test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kHost = MM_TEST_HOST;
const std::string kFixtureDir = MM_TEST_FIXTURE_DIR;
const std::string kChromium = "/usr/bin/chromium";

// A `modelmeter serve --port 0 …` child; stopped with SIGTERM (and checked to exit 0) unless stop() ran.
class Server {
 public:
  // `global`: options before the subcommand (--plugin-dir); `extra`: serve's own.
  explicit Server(std::vector<std::string> extra = {}, std::vector<std::string> global = {}) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    std::vector<std::string> args = {kHost};
    args.insert(args.end(), global.begin(), global.end());
    args.insert(args.end(), {"serve", "--port", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, kHost.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out_ = fds[0];
    REQUIRE(rc == 0);
    const std::string first = read_until('\n', std::chrono::seconds(20));
    INFO("first line: " << first << " stderr: " << err());
    const auto at = first.find("http://127.0.0.1:");
    REQUIRE(at != std::string::npos);
    port_ = std::stoi(first.substr(at + 17));
    REQUIRE(port_ > 0);
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string err() const { return fs::exists(dir_ / "stderr") ? read_file(dir_ / "stderr") : ""; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    c.set_write_timeout(30, 0);
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);  // else Nagle holds the body (written after the headers) for a delayed ACK
    return c;
  }

  // Sends `sig`, waits (at most 20 s) and returns the exit code (-1: did not exit, killed) and the rest of stdout.
  std::pair<int, std::string> stop(int sig = SIGTERM) {
    ::kill(pid_, sig);
    const auto until = Clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > until) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return {-1, ""};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    const std::string rest = read_until('\0', std::chrono::seconds(2));
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), rest};
  }

 private:
  std::string read_until(char end, std::chrono::seconds limit) {
    std::string s;
    const auto until = Clock::now() + limit;
    while (Clock::now() < until) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::read(out_, &c, 1) != 1) break;
      s += c;
      if (c == end) break;
    }
    return s;
  }

  TempDir dir_{"modelmeter-serve"};
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

// `modelmeter run … --format <formats> --out <dir>`; returns the result.
ProcessResult cli_run(const std::string& dir, const std::vector<std::string>& extra, const std::string& formats) {
  std::vector<std::string> args = {kHost,    "run",      "--plugin", "deepseek_ocr", "--workload",
                                   "std-v1", "--format", formats,    "--out",        dir};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_process(args);
}

// The `"summary": {…}` member of a document the json writer printed at depth 1, as text.
std::string summary_text(const std::string& doc) {
  const std::size_t a = doc.find("\n  \"summary\": {");
  if (a == std::string::npos) return {};
  const std::size_t b = doc.find("\n  }", a);
  return b == std::string::npos ? std::string() : doc.substr(a + 1, b + 4 - (a + 1));
}

json::object parse_object(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  INFO("body: " << body.substr(0, 400));
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

// The error body's fields; checks the shape {error: {code, message, key?}}.
struct ApiError {
  std::string code, message, key;
};
ApiError api_error(const httplib::Result& r, int status) {
  REQUIRE(r);
  INFO("body: " << r->body);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  const json::object o = parse_object(r->body);
  REQUIRE(o.contains("error"));
  const json::object& e = o.at("error").as_object();
  ApiError out{std::string(e.at("code").as_string()), std::string(e.at("message").as_string()), ""};
  if (const json::value* k = e.if_contains("key")) out.key = std::string(k->as_string());
  CHECK_FALSE(out.message.empty());
  return out;
}

// The one error line `modelmeter run` prints for `extra`, without "modelmeter: error: ".
std::string cli_error(const std::vector<std::string>& extra) {
  const TempDir td;
  const ProcessResult r = cli_run(td / "out", extra, "json");
  CHECK(r.exit_code == 3);
  std::string line = r.err.substr(0, r.err.find('\n'));
  const std::string prefix = "modelmeter: error: ";
  REQUIRE(line.rfind(prefix, 0) == 0);
  return line.substr(prefix.size());
}

const std::string kStd = R"({"plugin":"deepseek_ocr","workload":"std-v1"})";

}  // namespace

TEST_CASE("serve: POST /v1/runs and GET /v1/runs/{id} equal the CLI's report.json byte for byte") {
  Server server;
  auto c = server.client();
  struct Case {
    const char* name;
    std::string body;
    std::vector<std::string> cli;
  };
  const std::vector<Case> cases = {
      {"std-v1", kStd, {}},
      {"std-v1 with --set",
       R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":2048,"vision.mode":"base"},"hardware":"h200"})",
       {"--set", "decode.max_new_tokens=2048", "--set", "vision.mode=base", "--hardware", "h200"}},
  };
  for (const Case& k : cases) {
    CAPTURE(k.name);
    const TempDir td;
    const ProcessResult cli = cli_run(td.path(), k.cli, "json");
    REQUIRE(cli.exit_code == 0);
    const std::string report = read_file(td / "report.json");

    const auto post = c.Post("/v1/runs", k.body, "application/json");
    REQUIRE(post);
    INFO(post->body);
    REQUIRE(post->status == 201);
    CHECK(post->get_header_value("Content-Type") == "application/json");
    const json::object created = parse_object(post->body);
    const std::string id(created.at("id").as_string());
    CHECK(id.size() == 16);
    CHECK(post->get_header_value("Location") == "/v1/runs/" + id);
    CHECK(created.size() == 2);
    // the summary, byte for byte and as a value
    CHECK(summary_text(post->body) == summary_text(report));
    CHECK(created.at("summary") == json::parse(report).at("summary"));

    const auto full = c.Get("/v1/runs/" + id);
    REQUIRE(full);
    CHECK(full->status == 200);
    CHECK(full->get_header_value("Content-Type") == "application/json");
    CHECK(full->body == report);

    const auto summary = c.Get("/v1/runs/" + id + "/summary");
    REQUIRE(summary);
    CHECK(summary->status == 200);
    CHECK(summary->body == post->body);
  }
}

TEST_CASE("serve: GET /v1/runs/{id}/report.{md,csv,html,yaml} equal the CLI's files") {
  Server server;
  auto c = server.client();
  const TempDir td;
  REQUIRE(cli_run(td.path(), {}, "json,md,csv,html,yaml").exit_code == 0);
  const auto post = c.Post("/v1/runs", kStd, "application/json");
  REQUIRE(post);
  REQUIRE(post->status == 201);
  const std::string id(parse_object(post->body).at("id").as_string());
  const std::vector<std::pair<std::string, std::string>> formats = {{"md", "text/markdown; charset=utf-8"},
                                                                    {"csv", "text/csv; charset=utf-8"},
                                                                    {"html", "text/html; charset=utf-8"},
                                                                    {"yaml", "application/yaml; charset=utf-8"},
                                                                    {"json", "application/json"}};
  for (const auto& ft : formats) {  // not a structured binding: clang 14 cannot capture one
    const std::string& format = ft.first;
    const std::string& type = ft.second;
    CAPTURE(format);
    const auto r = c.Get("/v1/runs/" + id + "/report." + format);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == type);
    CHECK(r->body == read_file(td / ("report." + format)));
  }
  const ApiError e = api_error(c.Get("/v1/runs/" + id + "/report.pdf"), 404);
  CHECK(e.code == "not_found");
  CHECK(e.message.find("no report format 'pdf'; available: csv, html, json, md, yaml") != std::string::npos);
}

TEST_CASE("serve: an inline workload object runs like the same TOML file") {
  Server server;
  auto c = server.client();
  const TempDir td;
  write_file(td / "mine.toml",
             "[decode]\nmax_new_tokens = 64\n[prompt]\ntext_tokens = 20\n[vision]\nmode = \"tiny\"\n"
             "page = [640, 640]\n");
  const ProcessResult cli = run_process({kHost, "run", "--plugin", "deepseek_ocr", "--workload", td / "mine.toml",
                                         "--format", "json", "--out", td / "out"});
  REQUIRE(cli.exit_code == 0);
  const auto r = c.Post("/v1/runs",
                        R"({"plugin":"deepseek_ocr","workload":{"decode":{"max_new_tokens":64},)"
                        R"("prompt":{"text_tokens":20},"vision":{"mode":"tiny","page":[640,640]}}})",
                        "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 201);
  CHECK(summary_text(r->body) == summary_text(read_file(td / "out/report.json")));

  const ApiError e = api_error(
      c.Post("/v1/runs", R"({"plugin":"deepseek_ocr","workload":{"decode":{"max_new_tokns":5}}})", "application/json"),
      400);
  CHECK(e.code == "invalid_input");
  CHECK(e.key == "decode.max_new_tokns");
  CHECK(e.message.find("unknown key 'decode.max_new_tokns'; did you mean 'decode.max_new_tokens'?") !=
        std::string::npos);
}

TEST_CASE("serve: the catalogues, the health check, the page and the OpenAPI document") {
  Server server;
  auto c = server.client();
  {
    const auto r = c.Get("/v1/plugins");
    REQUIRE(r);
    CHECK(r->status == 200);
    const json::object o = parse_object(r->body);
    const json::array& a = o.at("plugins").as_array();
    const auto it =
        std::find_if(a.begin(), a.end(), [](const json::value& p) { return p.at("name") == "deepseek_ocr"; });
    REQUIRE(it != a.end());
    CHECK(it->at("abi_version_text").is_string());
    bool mode = false;
    for (const auto& k : it->at("keys").as_array()) mode = mode || k.at("key") == "vision.mode";
    CHECK(mode);
  }
  {
    const json::object o = parse_object(c.Get("/v1/workloads")->body);
    std::vector<std::string> names;
    for (const auto& w : o.at("workloads").as_array()) names.emplace_back(w.at("name").as_string());
    CHECK(std::find(names.begin(), names.end(), "std-v1") != names.end());
    CHECK(std::find(names.begin(), names.end(), "example") != names.end());
  }
  {
    const json::object o = parse_object(c.Get("/v1/hardware")->body);
    CHECK(o.at("default") == "h100-sxm");
    CHECK(o.at("hardware").as_array().size() >= 6);
  }
  {
    const json::object o = parse_object(c.Get("/v1/writers")->body);
    std::vector<std::string> formats;
    for (const auto& w : o.at("writers").as_array()) formats.emplace_back(w.at("format").as_string());
    std::sort(formats.begin(), formats.end());
    CHECK(formats == std::vector<std::string>{"csv", "html", "json", "md", "yaml"});
  }
  {
    const auto r = c.Get("/healthz");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(parse_object(r->body).at("status") == "ok");
  }
  {
    const auto r = c.Get("/");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(r->body.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(r->body.find("src=\"http") == std::string::npos);  // self-contained
    CHECK(r->body.find("href=\"http") == std::string::npos);
  }
  {
    const auto r = c.Get("/openapi.yaml");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == read_file(std::string(MM_TEST_SOURCE_DIR) + "/docs/openapi.yaml"));
    CHECK(r->body.rfind("openapi: 3.0", 0) == 0);
  }
  {
    const auto r = c.Head("/healthz");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("serve: every error status has a JSON body with the CLI's message") {
  Server server({"--plugin-dir", kFixtureDir});  // after `serve`, as the issue writes it
  auto c = server.client();
  const auto post = [&](const std::string& body) { return c.Post("/v1/runs", body, "application/json"); };

  SUBCASE("400 for bad workload values, with the CLI's message and the key") {
    const ApiError e = api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"batch.size":0}})"), 400);
    CHECK(e.code == "invalid_input");
    CHECK(e.key == "batch.size");
    CHECK(e.message == cli_error({"--set", "batch.size=0"}));
    const ApiError m =
        api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"vision.mode":"huge"}})"), 400);
    CHECK(m.message == cli_error({"--set", "vision.mode=huge"}));
    CHECK(m.key == "vision.mode");
    const ApiError t =
        api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":9000}})"), 400);
    CHECK(t.message == cli_error({"--set", "decode.max_new_tokens=9000"}));
  }
  SUBCASE("400 for unknown keys and names, listing what exists") {
    const ApiError k =
        api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"vision.mod":"base"}})"), 400);
    CHECK(k.message == cli_error({"--set", "vision.mod=base"}));
    CHECK(k.key == "vision.mod");
    const ApiError w = api_error(post(R"({"plugin":"deepseek_ocr","workload":"nope"})"), 400);
    CHECK(w.key == "workload");
    CHECK(w.message.rfind("unknown workload 'nope'; available: base-v1, example, ", 0) == 0);
    CHECK(w.message.find("std-v1") != std::string::npos);
    const ApiError h = api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","hardware":"tpu"})"), 400);
    CHECK(h.key == "hardware");
    CHECK(h.message.rfind("unknown hardware 'tpu'; available: a100-40g, a100-80g, h100-sxm", 0) == 0);
    const ApiError p = api_error(post(R"({"plugin":"nope","workload":"std-v1"})"), 400);
    CHECK(p.key == "plugin");
    CHECK(p.message.find("unknown plugin 'nope'; available: ") == 0);
    CHECK(p.message.find("deepseek_ocr") != std::string::npos);
    const ApiError path = api_error(post(R"({"plugin":"/tmp/x.so","workload":"std-v1"})"), 400);
    CHECK(path.message.find("plugin names, not paths") != std::string::npos);
  }
  SUBCASE("400 for a body that does not parse or has the wrong shape") {
    CHECK(api_error(post(R"({"plugin":"deepseek_ocr",)"), 400).code == "invalid_json");
    CHECK(api_error(post(""), 400).code == "invalid_json");
    CHECK(api_error(post("[1,2]"), 400).code == "invalid_request");
    const ApiError f = api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","colour":"red"})"), 400);
    CHECK(f.code == "invalid_request");
    CHECK(f.key == "colour");
    CHECK(api_error(post(R"({"workload":"std-v1"})"), 400).key == "plugin");
    CHECK(api_error(post(R"({"plugin":"deepseek_ocr"})"), 400).key == "workload");
    CHECK(api_error(post(R"({"plugin":7,"workload":"std-v1"})"), 400).key == "plugin");
    CHECK(api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","set":[1]})"), 400).key == "set");
    CHECK(api_error(post(R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"batch.size":null}})"), 400).key ==
          "batch.size");
  }
  SUBCASE("404 for an unknown run id or path") {
    CHECK(api_error(c.Get("/v1/runs/0123456789abcdef"), 404).message.find("no run '0123456789abcdef'") == 0);
    CHECK(api_error(c.Get("/v1/runs/0123456789abcdef/summary"), 404).code == "not_found");
    CHECK(api_error(c.Get("/v1/runs/xyz"), 404).code == "not_found");
    CHECK(api_error(c.Get("/v2/anything"), 404).message.find("no such path '/v2/anything'") == 0);
  }
  SUBCASE("405 with an Allow header") {
    const auto r = c.Get("/v1/runs");
    CHECK(api_error(r, 405).code == "method_not_allowed");
    CHECK(r->get_header_value("Allow") == "POST");
    const auto d = c.Delete("/v1/plugins");
    CHECK(api_error(d, 405).code == "method_not_allowed");
    CHECK(d->get_header_value("Allow") == "GET, HEAD");
    CHECK(api_error(c.Put("/v1/runs", kStd, "application/json"), 405).code == "method_not_allowed");
  }
  SUBCASE("413 for a body over 1 MiB") {
    const std::string big =
        R"({"plugin":"deepseek_ocr","workload":"std-v1","pad":")" + std::string(1 << 20, 'x') + "\"}";
    const ApiError e = api_error(post(big), 413);
    CHECK(e.code == "payload_too_large");
  }
  SUBCASE("415 for a declared non-JSON Content-Type") {
    const ApiError e = api_error(c.Post("/v1/runs", kStd, "text/plain"), 415);
    CHECK(e.code == "unsupported_media_type");
    CHECK(c.Post("/v1/runs", kStd, "application/json; charset=utf-8")->status == 201);
  }
  SUBCASE("500 when a plugin throws, naming plugin, layer and call; the server keeps serving") {
    const ApiError e =
        api_error(post(R"({"plugin":"thrower","workload":"example","set":{"thrower.where":"metric"}})"), 500);
    CHECK(e.code == "plugin_failure");
    CHECK(e.message.find("thrower") != std::string::npos);
    CHECK(e.message.find("block") != std::string::npos);
    CHECK(e.message.find("metrics") != std::string::npos);
    CHECK(e.message.find("boom in metric") != std::string::npos);
    CHECK(api_error(post(R"({"plugin":"thrower","workload":"example","set":{"thrower.where":"build"}})"), 500)
              .message.find("boom in build") != std::string::npos);
    const auto ok = post(R"({"plugin":"thrower","workload":"example","set":{"thrower.where":"none"}})");
    REQUIRE(ok);
    CHECK(ok->status == 201);
    CHECK(c.Get("/healthz")->status == 200);
    CHECK(post(kStd)->status == 201);
  }
}

TEST_CASE("serve: --max-runs keeps the newest runs and evicts the oldest") {
  Server server({"--max-runs", "2"});
  auto c = server.client();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const auto r = c.Post("/v1/runs", kStd, "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
    ids.emplace_back(parse_object(r->body).at("id").as_string());
  }
  CHECK(api_error(c.Get("/v1/runs/" + ids[0] + "/summary"), 404).message.find("evicted") != std::string::npos);
  CHECK(c.Get("/v1/runs/" + ids[1] + "/summary")->status == 200);
  CHECK(c.Get("/v1/runs/" + ids[2] + "/summary")->status == 200);
  CHECK(parse_object(c.Get("/healthz")->body).at("runs") == 2);
}

TEST_CASE("serve: 8 clients x 500 requests, valid and invalid mixed, all answered correctly") {
  Server server;
  const auto first = server.client().Post("/v1/runs", kStd, "application/json");
  REQUIRE(first);
  REQUIRE(first->status == 201);
  const std::string expected_summary = summary_text(first->body);
  const std::string bad = R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"batch.size":0}})";
  const std::string expected_error = server.client().Post("/v1/runs", bad, "application/json")->body;

  constexpr int kThreads = 8, kRequests = 500;
  std::atomic<int> wrong{0}, done{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = server.client();
      for (int i = 0; i < kRequests; ++i) {
        bool ok = false;
        switch ((i + t) % 4) {
          case 0: {
            const auto r = c.Post("/v1/runs", kStd, "application/json");
            ok = r && r->status == 201 && summary_text(r->body) == expected_summary;
            break;
          }
          case 1: {
            const auto r = c.Post("/v1/runs", bad, "application/json");
            ok = r && r->status == 400 && r->body == expected_error;
            break;
          }
          case 2: {
            const auto r = c.Post("/v1/runs", "{not json", "application/json");
            ok = r && r->status == 400 && r->body.find("invalid_json") != std::string::npos;
            break;
          }
          default: {
            const auto r = c.Get("/v1/runs/0000000000000000");
            ok = r && r->status == 404;
            break;
          }
        }
        if (!ok) ++wrong;
        ++done;
      }
    });
  }
  for (auto& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  MESSAGE((kThreads * kRequests) << " requests in " << seconds << " s");
  CHECK(done == kThreads * kRequests);
  CHECK(wrong == 0);
  CHECK(seconds < 60);
  CHECK(server.client().Get("/healthz")->status == 200);
  const auto [code, out] = server.stop();
  CHECK(code == 0);
}

TEST_CASE("serve: a client that sends half a body and stalls does not block the others") {
  Server server({"--threads", "2", "--timeout", "1"});
  // The stalled client: headers announcing 200 bytes, then 100 of them.
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string head =
      "POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";
  const std::string half = std::string(kStd) + std::string(100 - kStd.size(), ' ');
  REQUIRE(::send(sock, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()));
  REQUIRE(::send(sock, half.data(), half.size(), 0) == static_cast<ssize_t>(half.size()));

  // Meanwhile the other worker answers at once.
  const auto t0 = Clock::now();
  auto c = server.client();
  for (int i = 0; i < 5; ++i) {
    const auto r = c.Post("/v1/runs", kStd, "application/json");
    REQUIRE(r);
    CHECK(r->status == 201);
  }
  CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 0.9);

  // The stalled connection is closed after the read timeout (1 s), not held forever.
  pollfd p{sock, POLLIN, 0};
  const auto t1 = Clock::now();
  REQUIRE(::poll(&p, 1, 5000) == 1);
  char buf[512];
  const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
  CHECK(n >= 0);  // EOF, or an error response, then EOF
  CHECK(std::chrono::duration<double>(Clock::now() - t1).count() < 3);
  ::close(sock);
  CHECK(c.Get("/healthz")->status == 200);
}

TEST_CASE("serve: SIGTERM and SIGINT stop it with exit code 0, without waiting on idle connections") {
  for (const int sig : {SIGTERM, SIGINT}) {
    CAPTURE(sig);
    Server server;
    auto idle = server.client();  // a keep-alive connection left open and idle
    CHECK(idle.Post("/v1/runs", kStd, "application/json")->status == 201);
    const auto t0 = Clock::now();
    const auto [code, out] = server.stop(sig);
    CHECK(code == 0);
    CHECK(out.find("stopped") != std::string::npos);
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 3);
  }
}

TEST_CASE("serve: the page runs std-v1 in Chromium from the inputs in its URL") {
  if (!fs::exists(kChromium)) {
    MESSAGE("SKIPPED: chromium not installed");
    return;
  }
  Server server;
  const TempDir td;
  const auto chromium = [&](const std::string& url, const std::string& what) {
    return run_process({"timeout", "60", kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--no-proxy-server", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--user-data-dir=" + (td / "profile"), "--virtual-time-budget=20000",
                        "--window-size=1280,1800", what, url});
  };
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) +
                          "/?plugin=deepseek_ocr&workload=std-v1&hardware=h100-sxm&set=decode.max_new_tokens=1024";
  // What the page must show: the same run through the API.
  const auto api = server.client().Post(
      "/v1/runs", R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":1024}})",
      "application/json");
  REQUIRE(api);
  REQUIRE(api->status == 201);
  const json::object summary = parse_object(api->body).at("summary").as_object();

  const ProcessResult r = chromium(url, "--dump-dom");
  CAPTURE(r.err.substr(0, 2000));
  REQUIRE(r.exit_code == 0);
  const std::string& dom = r.out;
  CHECK(dom.find("data-state=\"done\"") != std::string::npos);
  CHECK(dom.find("id=\"error-message\"") == std::string::npos);
  // the summary table, from the run's summary
  CHECK(dom.find("id=\"summary-stages\"") != std::string::npos);
  CHECK(dom.find("id=\"time-model\">calibrated:h100-sxm (fitted to measured kernels") != std::string::npos);
  CHECK(dom.find(std::to_string(summary.at("prefill_tokens").as_int64()) + " prefill, 1024 new (1023 decode steps)") !=
        std::string::npos);
  const double ttft = summary.at("ttft_s").as_double();
  REQUIRE(ttft > 1e-3);
  REQUIRE(ttft < 1);
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3g ms", ttft * 1e3);  // as the page prints it: 3 significant digits
  CHECK(dom.find(std::string("id=\"ttft\" class=\"num\">") + ms + "<") != std::string::npos);
  // the html writer's charts for that run: a roofline per stage, time and memory bars
  for (const char* id : {"roofline-vision", "roofline-prefill", "roofline-decode", "time-by-component", "memory"}) {
    CAPTURE(id);
    CHECK(dom.find(std::string("id=\"") + id + "\"") != std::string::npos);
  }
  // the inputs came from the URL
  CHECK(dom.find("decode.max_new_tokens = 1024") != std::string::npos);

  // a bad input shows the API's message
  const ProcessResult bad = chromium(
      "http://127.0.0.1:" + std::to_string(server.port()) + "/?plugin=deepseek_ocr&workload=std-v1&set=batch.size=0",
      "--dump-dom");
  CHECK(bad.out.find("data-state=\"failed\"") != std::string::npos);
  CHECK(bad.out.find("key 'batch.size' = 0 is not allowed") != std::string::npos);

  // and a screenshot renders
  const std::string shot = td / "page.png";
  chromium(url, "--screenshot=" + shot);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 50 * 1024);
}

TEST_CASE("serve: a port in use is one error line and exit code 2") {
  Server first;
  const ProcessResult second = run_process({kHost, "serve", "--port", std::to_string(first.port())});
  CHECK(second.exit_code == 2);
  CHECK(second.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
  CHECK(split_lines(second.err).size() == 1);
  CHECK(first.client().Get("/healthz")->status == 200);
}

TEST_CASE("serve: a model by bundled name, TOML (deepseek_ocr) or config.json (hf_decoder), as --model gives it") {
  Server server;
  auto c = server.client();
  struct Case {
    std::string plugin, model, workload;
  };
  for (const Case& k :
       {Case{"deepseek_ocr", "deepseek-ocr-mla", "text-only"}, Case{"hf_decoder", "llama-2-7b", "llm-1024"}}) {
    CAPTURE(k.plugin);
    const TempDir td;
    const ProcessResult cli = run_process({kHost, "run", "--plugin", k.plugin, "--model", k.model, "--workload",
                                           k.workload, "--format", "json", "--out", td.path()});
    REQUIRE(cli.exit_code == 0);
    const auto r =
        c.Post("/v1/runs",
               R"({"plugin":")" + k.plugin + R"(","model":")" + k.model + R"(","workload":")" + k.workload + R"("})",
               "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 201);
    const std::string id(parse_object(r->body).at("id").as_string());
    CHECK(summary_text(r->body) == summary_text(read_file(td / "report.json")));
    CHECK(c.Get("/v1/runs/" + id)->body == read_file(td / "report.json"));
  }
  const ApiError e = api_error(
      c.Post("/v1/runs", R"({"plugin":"deepseek_ocr","model":"nope","workload":"std-v1"})", "application/json"), 400);
  CHECK(e.key == "model");
  CHECK(e.message.rfind("unknown model 'nope'; available: ", 0) == 0);
  CHECK(api_error(c.Post("/v1/runs", R"({"plugin":"deepseek_ocr","model":"/etc/x.toml","workload":"std-v1"})",
                         "application/json"),
                  400)
            .message.find("not paths") != std::string::npos);
}

TEST_CASE("serve: the result cache answers with the bytes an evaluation gives and never another request's") {
  Server cached({}, {"-v"});  // -v: the hit and miss counts are logged at stop
  Server uncached({"--cache", "0"});
  auto c = cached.client();
  auto u = uncached.client();
  // Bodies that differ in one input each, one only in spacing (another key, the same result), an inline
  // workload and a config.json model: none may get another's answer.
  const std::vector<std::string> bodies = {
      kStd,
      R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":2048}})",
      R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":1024}})",
      R"({"plugin":"deepseek_ocr","workload":"std-v1","hardware":"h200"})",
      R"({"plugin":"deepseek_ocr","workload":"std-v1","calibration":"none"})",
      R"({"plugin": "deepseek_ocr", "workload": "std-v1"})",
      R"({"plugin":"deepseek_ocr","workload":{"decode":{"max_new_tokens":64},"vision":{"mode":"tiny"}}})",
      R"({"plugin":"hf_decoder","model":"llama-2-7b","workload":"llm-1024"})",
  };
  // The 201 body with its id replaced by a fixed one, so that two runs' bodies compare.
  auto without_id = [](const std::string& body, const std::string& id) {
    std::string s = body;
    const auto at = s.find('"' + id + '"');
    REQUIRE(at != std::string::npos);
    s.replace(at + 1, id.size(), "ID");
    return s;
  };
  std::vector<std::string> answers, ids;
  for (int round = 0; round < 2; ++round) {  // the first round fills the cache, the second hits it
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      CAPTURE(round);
      CAPTURE(bodies[i]);
      const auto want = u.Post("/v1/runs", bodies[i], "application/json");
      const auto got = c.Post("/v1/runs", bodies[i], "application/json");
      REQUIRE(want);
      REQUIRE(got);
      REQUIRE(want->status == 201);
      REQUIRE(got->status == 201);
      const std::string want_id(parse_object(want->body).at("id").as_string());
      const std::string got_id(parse_object(got->body).at("id").as_string());
      CHECK(got->get_header_value("Location") == "/v1/runs/" + got_id);
      CHECK(without_id(got->body, got_id) == without_id(want->body, want_id));
      CHECK(c.Get("/v1/runs/" + got_id + "/summary")->body == got->body);
      CHECK(c.Get("/v1/runs/" + got_id)->body == u.Get("/v1/runs/" + want_id)->body);
      CHECK(c.Get("/v1/runs/" + got_id + "/report.md")->body == u.Get("/v1/runs/" + want_id + "/report.md")->body);
      if (round == 0) {
        answers.push_back(without_id(got->body, got_id));
        ids.push_back(got_id);
      } else {
        CHECK(without_id(got->body, got_id) == answers[i]);
        CHECK(got_id != ids[i]);  // a hit is a new run
      }
    }
  }
  CHECK(answers[1] != answers[0]);  // decode.max_new_tokens changes the summary
  CHECK(answers[1] != answers[2]);
  CHECK(answers[3] != answers[0]);  // hardware
  CHECK(answers[4] != answers[0]);  // calibration
  CHECK(answers[5] == answers[0]);  // spacing only
  CHECK(answers[7] != answers[0]);
  // A request that fails is never cached: the same failing body fails again, with the same message.
  const std::string bad = R"({"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":-1}})";
  const std::string first = api_error(c.Post("/v1/runs", bad, "application/json"), 400).message;
  CHECK(api_error(c.Post("/v1/runs", bad, "application/json"), 400).message == first);
  // The checks before the cache still apply to a cached body: a Content-Type that is not JSON is refused.
  CHECK(api_error(c.Post("/v1/runs", kStd, "text/plain"), 415).code == "unsupported_media_type");
  // A path refused twice, with the same message: refusals are not cached either.
  const std::string path = R"({"plugin":"hf_decoder","workload":"llm-1024","set":{"model.config":"/etc/passwd"}})";
  const ApiError refused = api_error(c.Post("/v1/runs", path, "application/json"), 400);
  CHECK(refused.code == "invalid_input");
  CHECK(api_error(c.Post("/v1/runs", path, "application/json"), 400).message == refused.message);
  const auto [code, out] = cached.stop();
  CHECK(code == 0);
  CHECK(out.find("stopped") != std::string::npos);
  // 8 misses in the first round, 8 hits in the second; the failing bodies: two misses each (the 415 is refused
  // before the cache is looked at).
  CHECK(cached.err().find("result cache: 8 hits, 12 misses, 8 entries") != std::string::npos);
}

TEST_CASE("serve: --cache 1 keeps only the last result and still answers every request correctly") {
  Server server({"--cache", "1"}, {"-v"});
  auto c = server.client();
  const std::string other = R"({"plugin":"deepseek_ocr","workload":"std-v1","hardware":"h200"})";
  std::vector<std::string> summaries;
  for (const std::string& body : {kStd, other, kStd, kStd, other}) {  // miss, miss, miss, hit, miss
    const auto r = c.Post("/v1/runs", body, "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
    summaries.push_back(summary_text(r->body));
  }
  CHECK(summaries[0] == summaries[2]);
  CHECK(summaries[0] == summaries[3]);
  CHECK(summaries[1] == summaries[4]);
  CHECK(summaries[0] != summaries[1]);
  CHECK(server.stop().first == 0);
  CHECK(server.err().find("result cache: 1 hits, 4 misses, 1 entries") != std::string::npos);
}
