// `modelmeter serve`: the HTTP side (Boost.Beast, the only file that includes it). Requests go to Service
// (service.cpp). An asynchronous server on a fixed pool of threads: a connection holds a thread only while its
// request is being evaluated, never while it sends slowly or sits idle, and every phase of a connection has a
// deadline and a size limit (docs/serve.md, "Limits and threat model").
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <modelmeter/core/errors.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "log.hpp"
#include "service.hpp"

namespace modelmeter::host {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;   // request line and headers together
constexpr std::size_t kReadBufferBytes = 64 * 1024;  // one connection's read buffer, at most
constexpr std::size_t kMaxConnections = 512;         // open connections; more are answered 503 and closed

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Whether a Host header may be answered: an IP literal (a browser reaches those only by address, so DNS
// rebinding cannot use them), `localhost`, or a name given with --allow-host. `bound_loopback`: only loopback
// literals then. An optional `:port` is ignored.
bool host_allowed(std::string_view value, bool bound_loopback, const std::vector<std::string>& extra) {
  std::string h = lower(value);
  std::string name;
  if (!h.empty() && h.front() == '[') {  // [v6]:port
    const auto close = h.find(']');
    if (close == std::string::npos) return false;
    name = h.substr(1, close - 1);
    const std::string rest = h.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || rest.find_first_not_of("0123456789", 1) != std::string::npos)) return false;
    boost::system::error_code ec;
    const auto a = asio::ip::make_address_v6(name, ec);
    return !ec && (!bound_loopback || a.is_loopback());
  }
  const auto colon = h.find(':');
  name = h.substr(0, colon);
  if (colon != std::string::npos && h.find_first_not_of("0123456789", colon + 1) != std::string::npos) return false;
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name == "localhost") return true;
  boost::system::error_code ec;
  const auto a = asio::ip::make_address_v4(name, ec);
  if (!ec) return !bound_loopback || a.is_loopback();
  return std::any_of(extra.begin(), extra.end(), [&](const std::string& e) { return lower(e) == name; });
}

struct Config {
  std::chrono::milliseconds timeout;
  bool bound_loopback;
  std::vector<std::string> allow_hosts;
  std::size_t max_connections;
};

class Session;

// What every connection shares: the service, the limits, and the open connections (to close idle ones at stop).
struct Shared {
  Shared(Service& s, Config c) : service(s), config(std::move(c)) {}
  Service& service;
  Config config;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
  std::mutex mutex;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {}
  ~Session() {
    --shared_.open;
    std::lock_guard<std::mutex> lock(shared_.mutex);
    shared_.sessions.erase(self_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    self_ = weak_from_this();
    {
      std::lock_guard<std::mutex> lock(shared_.mutex);
      shared_.sessions.insert(self_);
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // At stop: a connection waiting for (the rest of) a request's headers is closed; one whose request is under
  // way finishes it and then closes.
  void stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_header_) self->close();
    });
  }

 private:
  void read_header() {
    if (shared_.stopping) return close();
    parser_.emplace();
    request_done_ = false;
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);  // applies to chunked bodies as well as Content-Length
    reading_header_ = true;
    // One deadline for the whole request line and headers (idle time before it included): a client that
    // trickles a header line every few seconds is cut off at --timeout however steady its trickle.
    stream_.expires_after(shared_.config.timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    reading_header_ = false;
    if (ec) return fail(ec);
    const auto& h = parser_->get();
    if (auto refused = check_headers(h)) return reply(std::move(*refused), false);
    if (parser_->is_done()) return respond();
    const auto expect = h.find(http::field::expect);
    if (expect != h.end() && beast::iequals(expect->value(), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, h.version());
      stream_.expires_after(shared_.config.timeout);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(shared_.config.timeout);  // the whole body, however it is framed
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(ec);
      self->respond();
    });
  }

  // The header checks that come before any body is read; an answer means the request is refused.
  std::optional<HttpResponse> check_headers(const http::request_parser<http::string_body>::value_type& h) const {
    const auto host = h.find(http::field::host);
    if (host == h.end()) {
      if (h.version() >= 11) return error_response(400, "invalid_request", "HTTP/1.1 requests need a Host header");
    } else if (h.count(http::field::host) > 1) {
      return error_response(400, "invalid_request", "more than one Host header");
    } else if (!host_allowed(host->value(), shared_.config.bound_loopback, shared_.config.allow_hosts)) {
      return error_response(421, "host_not_allowed",
                            "Host '" + std::string(host->value()) + "' is not answered here: " +
                                (shared_.config.bound_loopback ? std::string("use a loopback address or localhost")
                                                               : std::string("use an IP address, localhost or a "
                                                                             "name given with --allow-host")));
    }
    const auto te = h.find(http::field::transfer_encoding);
    if (te != h.end() && (h.count(http::field::transfer_encoding) > 1 || !beast::iequals(te->value(), "chunked"))) {
      return error_response(400, "invalid_request",
                            "Transfer-Encoding '" + std::string(te->value()) + "' is not accepted (only chunked)");
    }
    const auto ce = h.find(http::field::content_encoding);
    if (ce != h.end() && !beast::iequals(ce->value(), "identity")) {
      return error_response(415, "unsupported_media_type",
                            "Content-Encoding '" + std::string(ce->value()) +
                                "' is not accepted; send the body uncompressed (at most 1 MiB)");
    }
    const std::string_view target = h.target();
    if (target.empty() || target.front() != '/') {
      return error_response(400, "invalid_request", "the request target must be a path starting with '/'");
    }
    return std::nullopt;
  }

  void respond() {
    request_done_ = true;
    const auto req = parser_->release();
    parser_.reset();
    const std::string_view target = req.target();
    const std::string path(target.substr(0, target.find('?')));
    const auto ct = req.find(http::field::content_type);
    const std::string method(req.method_string());
    HttpResponse r =
        shared_.service.handle(method, path, ct == req.end() ? std::string() : std::string(ct->value()), req.body());
    reply(std::move(r), req.keep_alive(), method == "HEAD");
  }

  // Always an HTTP/1.1 response (a server answers with the highest version it speaks); an HTTP/1.0 request is
  // not kept alive, so the answer says Connection: close.
  void reply(HttpResponse r, bool keep_alive, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::content_type, r.content_type);
    res->set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : r.headers) res->set(k, v);
    const std::size_t length = r.body.size();
    if (!head) res->body() = std::move(r.body);
    res->content_length(length);
    keep_alive = keep_alive && !shared_.stopping;
    res->keep_alive(keep_alive);
    const bool linger = !keep_alive && !request_done_;
    stream_.expires_after(shared_.config.timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive, linger](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (linger) return self->linger();
                        if (!keep_alive) return self->close();
                        self->read_header();
                      });
  }

  // After refusing a request whose rest is still coming (a body over the limit): stop sending, then read and
  // discard what the client still sends, for at most a second and 4 MiB, so that it sees the answer instead of
  // a reset; then close.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    drain(0);
  }
  void drain(std::size_t discarded) {
    if (discarded > (4u << 20)) return close();
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this(), discarded](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              self->drain(discarded + n);
                            });
  }

  // A read that failed: the limits get their documented answer (then the connection closes); a timeout, a
  // hang-up or a reset just closes it.
  void fail(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return reply(error_response(
                       431, "headers_too_large",
                       "the request line and headers are over " + std::to_string(kMaxHeaderBytes) + " bytes (16 KiB)"),
                   false);
    }
    if (ec == http::error::body_limit) {
      return reply(error_response(413, "payload_too_large",
                                  "the request body is over " + std::to_string(kMaxBodyBytes) + " bytes (1 MiB)"),
                   false);
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::bad_method).category()) {
      return close();
    }
    reply(error_response(400, "invalid_request", "malformed HTTP request: " + ec.message()), false);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  Shared& shared_;
  beast::flat_buffer buffer_{kReadBufferBytes};
  std::optional<http::request_parser<http::string_body>> parser_;
  bool reading_header_ = false;
  bool request_done_ = false;  // the whole request was read (nothing of it is still to come)
  std::array<char, 8192> discard_{};
  std::weak_ptr<Session> self_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, tcp::acceptor acceptor, Shared& shared)
      : ioc_(ioc), acceptor_(std::move(acceptor)), shared_(shared) {}

  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      self->on_accept(ec, std::move(s));
    });
  }

  void close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // closed at stop
    if (ec) {
      // Out of file descriptors and the like: wait a little rather than spin, then go on accepting.
      log_warning("accept: " + ec.message());
      auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(100));
      timer->async_wait([self = shared_from_this(), timer](beast::error_code) { self->accept(); });
      return;
    }
    if (shared_.open.load() >= shared_.config.max_connections) {
      // Over the connection limit: a fixed answer, sent without waiting (it fits the socket buffer), and close.
      static const std::string busy = [] {
        const std::string body = "{\"error\":{\"code\":\"server_busy\",\"message\":\"too many open connections (" +
                                 std::to_string(kMaxConnections) + "); retry later\"}}\n";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
      }();
      [[maybe_unused]] const ssize_t n =
          ::send(socket.native_handle(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      ++shared_.open;
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), shared_)->start();
    }
    accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  Shared& shared_;
};

// The connection limit: kMaxConnections, or fewer when the descriptor limit would not allow that many.
std::size_t connection_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < kMaxConnections + 64) {
    return rl.rlim_cur > 96 ? static_cast<std::size_t>(rl.rlim_cur) - 64 : 32;
  }
  return kMaxConnections;
}

}  // namespace

int cmd_serve(const GlobalOptions& g, const ServeOptions& o) {
  if (o.port < 0 || o.port > 65535) throw core::Failure(kExitUsage, "--port must be 0 to 65535");
  if (o.max_runs < 1 || o.max_runs > kMaxServeRuns) {
    throw core::Failure(kExitUsage, "--max-runs must be 1 to " + std::to_string(kMaxServeRuns));
  }
  if (o.cache > kMaxServeCache) {
    throw core::Failure(kExitUsage, "--cache must be 0 to " + std::to_string(kMaxServeCache));
  }
  if (o.threads < 0 || o.threads > kMaxServeThreads) {
    throw core::Failure(kExitUsage, "--threads must be 1 to " + std::to_string(kMaxServeThreads) + " (0: the default)");
  }
  if (!(o.timeout_s >= 0.1) || o.timeout_s > 3600) {
    throw core::Failure(kExitUsage, "--timeout must be 0.1 to 3600 seconds");
  }
  const int threads = o.threads > 0 ? o.threads
                                    : std::min(kMaxServeThreads,
                                               static_cast<int>(std::max(8u, 2 * std::thread::hardware_concurrency())));
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000));

  // SIGTERM and SIGINT are taken by sigwait below, in this thread; every other thread (started later, so they
  // inherit the mask) has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-response is an error on its socket, not our death

  Service service(g, o.max_runs, o.cache);  // loads every plugin and writer once, before the port opens

  boost::system::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) {  // a name (localhost): its first address
    asio::io_context lookup;
    const auto found = tcp::resolver(lookup).resolve(o.host, "", ec);
    if (ec || found.empty()) {
      throw core::Failure(kExitUsage, "cannot listen on '" + o.host + "': not an address of this machine (" +
                                          (ec ? ec.message() : std::string("no address")) + ")");
    }
    address = found.begin()->endpoint().address();
  }
  // Declared before the io_context, so that connections it still holds at its destruction find it alive.
  Shared shared(service, Config{timeout, address.is_loopback(), o.allow_hosts, connection_limit()});

  asio::io_context ioc(threads);
  tcp::acceptor acceptor(ioc);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR: a restart need not wait for TIME_WAIT. No SO_REUSEPORT: a second server on the port must fail.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw core::Failure(kExitUsage, "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message() +
                                        " (in use, or not an address of this machine)");
  }
  const int port = acceptor.local_endpoint().port();

  auto listener = std::make_shared<Listener>(ioc, std::move(acceptor), shared);
  listener->accept();

  std::vector<std::thread> pool;
  std::atomic<int> running{0};
  try {
    pool.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
      ++running;
      try {
        pool.emplace_back([&ioc, &running] {
          ioc.run();
          --running;
        });
      } catch (...) {
        --running;
        throw;
      }
    }
  } catch (const std::system_error& e) {
    ioc.stop();
    for (auto& t : pool) t.join();
    throw core::Failure(kExitInternal, "cannot start " + std::to_string(threads) + " worker threads (" +
                                           std::to_string(pool.size()) + " started): " + e.what() +
                                           "; try fewer --threads");
  }

  const std::string host_text = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  std::cout << "modelmeter serve: listening on http://" << host_text << ":" << port << "/ ("
            << service.model_plugin_count() << " model plugins, " << service.writer_count() << " writers, " << threads
            << " threads, max runs " << o.max_runs << ", cache " << o.cache << ")" << std::endl;

  // Wait for a stop signal (or for every worker to have ended, which only a bug would cause).
  int sig = 0;
  const timespec tick{0, 200 * 1000 * 1000};
  while (running.load() > 0) {
    sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig > 0) break;
  }
  if (sig > 0) log_info("signal " + std::to_string(sig) + ": stopping");

  // Stop: no new connections; idle ones and those still sending headers close now; requests under way get
  // the grace time (--timeout) to finish; whatever is left after it is abandoned.
  shared.stopping = true;
  listener->close();
  std::vector<std::shared_ptr<Session>> open_sessions;
  {
    std::lock_guard<std::mutex> lock(shared.mutex);
    for (const auto& w : shared.sessions)
      if (auto s = w.lock()) open_sessions.push_back(std::move(s));
  }
  // Outside the lock: dropping the last reference destroys a session, whose destructor takes the lock.
  for (const auto& s : open_sessions) s->stop();
  open_sessions.clear();
  const auto grace_end = std::chrono::steady_clock::now() + timeout;
  while (running.load() > 0 && std::chrono::steady_clock::now() < grace_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ioc.stop();  // connections still open after the grace time are dropped
  const auto hard_end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (running.load() > 0 && std::chrono::steady_clock::now() < hard_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (running.load() > 0) {
    // A request still evaluating (a plugin that does not return): nothing can interrupt it, so the process
    // ends here rather than wait for it.
    std::cout << "modelmeter serve: stopped (" << running.load()
              << " worker(s) still busy after the grace time were abandoned)" << std::endl;
    std::fflush(nullptr);
    std::_Exit(kExitOk);
  }
  for (auto& t : pool) t.join();
  const Service::CacheStats cache = service.cache_stats();
  log_info("result cache: " + std::to_string(cache.hits) + " hits, " + std::to_string(cache.misses) + " misses, " +
           std::to_string(cache.entries) + " entries, " + std::to_string(cache.bytes) + " bytes");
  std::cout << "modelmeter serve: stopped" << std::endl;
  return kExitOk;
}

}  // namespace modelmeter::host
