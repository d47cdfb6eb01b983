// `modelmeter serve`: the HTTP side (cpp-httplib, the only file that includes it). Requests go to Service
// (service.cpp); SIGTERM and SIGINT stop accepting, let in-flight requests finish, and exit 0.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <modelmeter/core/errors.hpp>
#include <thread>

#include "commands.hpp"
#include "log.hpp"
#include "service.hpp"

namespace modelmeter::host {

namespace {

// The status of an error httplib answers by itself (before any handler ran) as the API's error body.
HttpResponse library_error(int status) {
  switch (status) {
    case 400:
      return error_response(400, "invalid_request", "malformed HTTP request");
    case 404:
      return error_response(404, "not_found", "no such path; see GET /openapi.yaml");
    case 413:
      return error_response(413, "payload_too_large",
                            "the request body is over " + std::to_string(kMaxBodyBytes) + " bytes (1 MiB)");
    case 414:
      return error_response(414, "uri_too_long", "the request URI is too long");
    default:
      return error_response(status, "http_error", "HTTP error " + std::to_string(status));
  }
}

void apply(const HttpResponse& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers) to.set_header(k, v);
  to.set_content(from.body, from.content_type);
}

}  // namespace

int cmd_serve(const GlobalOptions& g, const ServeOptions& o) {
  if (o.port < 0 || o.port > 65535) throw core::Failure(kExitUsage, "--port must be 0 to 65535");
  if (o.max_runs < 1) throw core::Failure(kExitUsage, "--max-runs must be at least 1");
  if (o.threads < 0) throw core::Failure(kExitUsage, "--threads must be at least 1 (0: the default)");
  if (!(o.timeout_s > 0) || o.timeout_s > 3600) throw core::Failure(kExitUsage, "--timeout must be 0 to 3600 seconds");
  const int threads =
      o.threads > 0 ? o.threads : static_cast<int>(std::max(8u, 2 * std::thread::hardware_concurrency()));

  // SIGTERM and SIGINT go to one thread that stops the server; every other thread (httplib's workers are
  // started later and inherit the mask) has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-response is an error on its socket, not our death

  Service service(g, o.max_runs);  // loads every plugin and writer once, before the port opens

  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  const auto secs = static_cast<time_t>(std::floor(o.timeout_s));
  const auto usecs = static_cast<time_t>((o.timeout_s - std::floor(o.timeout_s)) * 1e6);
  server.set_read_timeout(secs, usecs);
  server.set_write_timeout(secs, usecs);
  // An idle keep-alive connection holds its worker until this expires, and a stop waits for it: keep it short.
  server.set_keep_alive_timeout(1);
  server.set_keep_alive_max_count(100000);
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_tcp_nodelay(true);
  // Our own listening-socket options: SO_REUSEADDR (a restart need not wait for TIME_WAIT) but not httplib's
  // default SO_REUSEPORT, with which a second server on the same port would start and share the traffic.
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](int sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });

  const auto handler = [&service](const httplib::Request& req, httplib::Response& res) {
    apply(service.handle(req.method, req.path, req.get_header_value("Content-Type"), req.body), res);
  };
  // Every method reaches the service, which answers 404 and 405 itself.
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // the service's own error body
    apply(library_error(res.status), res);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log_error("internal error: " + what);
    apply(error_response(500, "internal", "internal error: " + what), res);
  });

  int port = o.port;
  if (port == 0) {
    port = server.bind_to_any_port(o.host);
    if (port < 0) throw core::Failure(kExitUsage, "cannot listen on " + o.host + " (any port)");
  } else if (!server.bind_to_port(o.host, port)) {
    throw core::Failure(kExitUsage, "cannot listen on " + o.host + ":" + std::to_string(port) +
                                        " (in use, or not an address of this machine)");
  }

  // httplib listens with a backlog of 5; a burst of clients connecting at once would see dropped SYNs and
  // one-second retries. listen() again on the bound socket raises it.
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);

  std::atomic<bool> finished{false};
  std::thread stopper([&server, &finished, stop_signals] {
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    if (finished.load()) return;
    log_info("signal " + std::to_string(sig) + ": stopping");
    // A signal that arrives before the accept loop runs must still stop it.
    while (!server.is_running() && !finished.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.stop();
  });

  const std::string host_text = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  std::cout << "modelmeter serve: listening on http://" << host_text << ":" << port << "/ ("
            << service.model_plugin_count() << " model plugins, " << service.writer_count() << " writers, " << threads
            << " threads, max runs " << o.max_runs << ")" << std::endl;

  const bool ok = server.listen_after_bind();  // returns once stop() was called and the workers finished
  finished.store(true);
  if (!ok) pthread_kill(stopper.native_handle(), SIGTERM);  // the accept loop failed: wake the signal thread
  stopper.join();
  if (!ok)
    throw core::Failure(kExitInternal, "the server stopped accepting connections: " + std::string(strerror(errno)));
  std::cout << "modelmeter serve: stopped" << std::endl;
  return kExitOk;
}

}  // namespace modelmeter::host
