// HttpServer: an event-driven HTTP/1.1 server (Boost.Beast on Asio) with keep-alive, a request
// body limit, a connection limit, idle timeouts and a graceful stop that lets in-flight requests
// finish. A fixed set of I/O threads serves every connection (no thread per connection).
//
// The handler is called on an I/O thread and must call `respond` exactly once, from any thread,
// now or later (dynamic batching answers later).
// Thread-safety: Stop may be called from any thread (e.g. a signal watcher); port() is const.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/core/result.h"

namespace kiln::serve {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address, when HttpServerOptions::record_remote_address

  // The header's value, or "" (names are matched lower-case).
  std::string_view Header(std::string_view lower_name) const;
  std::string_view Path() const;  // target without the query
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, HttpResponder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port (see port())
  int threads = 0;  // I/O threads; 0 = one per core
  size_t max_body_bytes = size_t{64} << 20;
  size_t max_connections = 4096;
  int idle_timeout_seconds = 60;
  std::string server_name = "kiln";
  bool record_remote_address = false;  // fill HttpRequest::remote (for access logs)
  // HTTPS: a PEM certificate chain and its private key (both or neither; "" = plain HTTP).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  // Binds and starts the I/O threads; kIoError naming host:port if the address is taken.
  static core::Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                         HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Stops accepting, answers requests already read, closes idle connections, waits up to
  // `drain_seconds` for in-flight requests, then stops the threads. Idempotent.
  void Stop(double drain_seconds = 10);
  // Blocks until Stop has finished.
  void Wait();
  size_t open_connections() const;
  size_t inflight_requests() const;

  struct Impl;  // the Asio machinery, private to http_server.cc

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::serve
