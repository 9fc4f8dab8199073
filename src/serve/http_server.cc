#include "kiln/serve/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "kiln/core/context.h"

namespace kiln::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Tcp = asio::ip::tcp;
// Sockets and streams bound to their io_context's own executor type, not the type-erased
// any_io_executor: no executor copies through a type-erased wrapper on every operation.
using Executor = asio::io_context::executor_type;
using Socket = Tcp::socket::rebind_executor<Executor>::other;
using Stream = beast::basic_stream<Tcp, Executor>;
using TlsStream = beast::ssl_stream<Stream>;

constexpr const char* kBodyTooLarge =
    R"({"error":"request body too large","code":"resource_exhausted"})";
constexpr const char* kMalformedHttp = R"({"error":"malformed HTTP request","code":"bad_request"})";

// Answers up to this size keep their buffer for the connection's next answer.
constexpr size_t kKeptBufferBytes = size_t{1} << 20;

// Appends "name: value\r\n" with CR and LF dropped from both, so no value can end the header
// block early.
void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  for (char c : name)
    if (c != '\r' && c != '\n') out.push_back(c);
  out += ": ";
  for (char c : value)
    if (c != '\r' && c != '\n') out.push_back(c);
  out += "\r\n";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A TLS server context from the PEM certificate chain and key the options name: TLS 1.2 and
// later only. Errors name the file and what OpenSSL found wrong.
core::Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const HttpServerOptions& options) {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty())
    return core::InvalidArgument(
        "TLS needs both a certificate chain and its private key (--tls-cert and --tls-key)");
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  beast::error_code ec;
  tls->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec)
    return core::InvalidArgument("--tls-cert {}: not a readable PEM certificate chain ({})",
                                 options.tls_cert_file, ec.message());
  tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec && ec.message().find("mismatch") != std::string::npos)
    return core::InvalidArgument("--tls-key {} is not the key of the certificate in --tls-cert {}",
                                 options.tls_key_file, options.tls_cert_file);
  if (ec)
    return core::InvalidArgument("--tls-key {}: not a readable PEM private key ({})",
                                 options.tls_key_file, ec.message());
  if (SSL_CTX_check_private_key(tls->native_handle()) != 1)
    return core::InvalidArgument("--tls-key {} is not the key of the certificate in --tls-cert {}",
                                 options.tls_key_file, options.tls_cert_file);
  return tls;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

// One connection, whatever carries it (plain TCP or TLS); the server keeps them to close idle
// ones on Stop.
class Session {
 public:
  virtual ~Session() = default;
  virtual void CloseIfIdle() = 0;
};

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  // Pointers so ~Impl can destroy them (and the sessions their pending handlers own) while the
  // counters and the session map below are still alive.
  // One io_context per I/O thread (like nginx's workers): a connection lives on one thread, so
  // it needs no strand and its handlers never contend for a shared scheduler. Context 0 also
  // runs the acceptor, which deals connections out round-robin.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // Keep every context's run() going while it has no connection yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::unique_ptr<Tcp::acceptor> acceptor;
  std::unique_ptr<asio::ssl::context> tls;  // null: plain HTTP
  size_t next_context = 0;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::atomic<size_t> inflight{0};
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::mutex stop_mutex;
  std::condition_variable stopped_cv;
  bool stop_started = false;
  bool stopped = false;

  ~Impl() {
    acceptor.reset();
    guards.clear();
    contexts.clear();
  }
  void Accept();
  void Forget(Session* s) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(s);
  }
};

// Transport is Stream (plain HTTP) or TlsStream (HTTPS).
template <class Transport>
class HttpSession final : public Session,
                          public std::enable_shared_from_this<HttpSession<Transport>> {
 public:
  static constexpr bool kTls = std::is_same_v<Transport, TlsStream>;

  template <class... Args>
  explicit HttpSession(HttpServer::Impl& server, Args&&... args)
      : stream_(std::forward<Args>(args)...), server_(server) {}
  ~HttpSession() override {
    server_.connections.fetch_sub(1);
    server_.Forget(this);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->tcp().expires_after(std::chrono::seconds(self->server_.options.idle_timeout_seconds));
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Drop();
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

  // Called on Stop: an idle connection is closed now; one that is receiving or processing a
  // request closes after its answer.
  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      const bool receiving =
          self->buffer_.size() > 0 || (self->parser_ && self->parser_->got_some());
      if (!self->busy_ && !receiving) self->Close();
    });
  }

 private:
  void Read() {
    if (server_.stopping) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    tcp().expires_after(std::chrono::seconds(server_.options.idle_timeout_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) return Fail(413, kBodyTooLarge);
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
      return Close();
    if (ec) {
      // A parse error: the stream is out of step, answer and close.
      if (ec.category() == http::make_error_code(http::error::bad_method).category())
        return Fail(400, kMalformedHttp);
      return Close();
    }
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg)
      req.headers.emplace_back(Lower(std::string(field.name_string())), std::string(field.value()));
    req.body = std::move(msg.body());
    if (server_.options.record_remote_address) {  // a getpeername call per request
      beast::error_code peer_ec;
      auto peer = tcp().socket().remote_endpoint(peer_ec);
      if (!peer_ec) req.remote = peer.address().to_string();
    }
    keep_alive_ = msg.keep_alive();
    head_request_ = msg.method() == http::verb::head;
    busy_ = true;
    server_.inflight.fetch_add(1);
    tcp().expires_never();
    server_.handler(std::move(req), [self = this->shared_from_this()](HttpResponse response) {
      // Inline when the handler answers on this connection's strand (the common, synchronous
      // case); queued to the strand when it answers from another thread (batching).
      asio::dispatch(self->stream_.get_executor(),
                     [self, response = std::move(response)]() mutable {
                       self->Write(std::move(response), /*finish_request=*/true);
                     });
    });
  }

  void Fail(int status, const char* body) {
    keep_alive_ = false;
    HttpResponse response;
    response.status = status;
    response.body = body;
    Write(std::move(response), /*finish_request=*/false);
  }

  // The answer goes out as one buffer, formatted into out_ (its capacity is kept across the
  // connection's requests, so a keep-alive answer allocates nothing here).
  void Write(HttpResponse response, bool finish_request) {
    close_after_write_ = !keep_alive_ || server_.stopping;
    out_.clear();
    const auto status = static_cast<unsigned>(response.status);
    const auto beast_reason = http::obsolete_reason(static_cast<http::status>(status));
    const std::string_view reason(beast_reason.data(), beast_reason.size());
    fmt::format_to(std::back_inserter(out_), "HTTP/1.1 {} {}\r\n", status,
                   reason.empty() ? std::string_view("Unknown") : reason);
    AppendHeader(out_, "Server", server_.options.server_name);
    AppendHeader(out_, "Content-Type", response.content_type);
    fmt::format_to(std::back_inserter(out_), "Content-Length: {}\r\n", response.body.size());
    for (const auto& [name, value] : response.headers) AppendHeader(out_, name, value);
    if (close_after_write_) out_ += "Connection: close\r\n";
    out_ += "\r\n";
    if (!head_request_) out_ += response.body;
    tcp().expires_after(std::chrono::seconds(30));
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this(), finish_request](
                          beast::error_code ec, size_t) { self->OnWrite(ec, finish_request); });
  }

  void OnWrite(beast::error_code ec, bool finish_request) {
    if (finish_request) server_.inflight.fetch_sub(1);
    busy_ = false;
    if (ec) return Close();
    if (close_after_write_) return finish_request ? Close() : Linger();
    if (out_.capacity() > kKeptBufferBytes) std::string().swap(out_);  // a huge answer's buffer
    Read();
  }

  // After an error answer sent mid-request (413, 400): stop sending, then read and discard what
  // the client is still sending for a moment, so it can finish its write and read the answer
  // instead of failing with a broken pipe (a "lingering close"). Over TLS the session is closed
  // with a close_notify instead.
  void Linger() {
    if constexpr (kTls) {
      Close();
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(Tcp::socket::shutdown_send, ignored);
      tcp().expires_after(std::chrono::seconds(2));
      LingerRead();
    }
  }

  void LingerRead() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > (size_t{256} << 20)) return self->Drop();
                              self->LingerRead();
                            });
  }

  // Ends the connection: over TLS a close_notify first (bounded by a short timeout).
  void Close() {
    if constexpr (kTls) {
      if (closing_) return;
      closing_ = true;
      tcp().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Drop(); });
    } else {
      Drop();
    }
  }

  // Closes the socket now.
  void Drop() {
    beast::error_code ignored;
    tcp().socket().shutdown(Tcp::socket::shutdown_send, ignored);
    tcp().socket().close(ignored);
  }

  Stream& tcp() { return beast::get_lowest_layer(stream_); }

  Transport stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;  // the answer being written
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool head_request_ = false;  // answer with headers only
  bool busy_ = false;
  bool closing_ = false;
  std::array<char, 16384> discard_{};
  size_t lingered_ = 0;
};

void HttpServer::Impl::Accept() {
  asio::io_context& target = *contexts[next_context++ % contexts.size()];
  acceptor->async_accept(target, [this](beast::error_code ec, Socket socket) {
    if (stopping) return;
    if (!ec) {
      if (connections.load() >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // over the limit: refuse rather than queue without bound
      } else {
        socket.set_option(Tcp::no_delay(true), ec);
        connections.fetch_add(1);
        auto start = [this](auto session) {
          {
            std::lock_guard lock(sessions_mutex);
            sessions.emplace(session.get(), session);
          }
          session->Start();
        };
        if (tls) {
          start(std::make_shared<HttpSession<TlsStream>>(*this, std::move(socket), *tls));
        } else {
          start(std::make_shared<HttpSession<Stream>>(*this, std::move(socket)));
        }
      }
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop(0);
  Wait();
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) return core::InvalidArgument("--host '{}': not an IP address", options.host);
  if (options.port < 0 || options.port > 65535)
    return core::InvalidArgument("--port {}: expected 0..65535", options.port);
  const Tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    KILN_ASSIGN_OR_RETURN(impl->tls, MakeTlsContext(options));
  }
  const int threads = core::ResolveThreads(options.threads);
  for (int i = 0; i < threads; ++i) {
    impl->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl->guards.push_back(asio::make_work_guard(*impl->contexts.back()));
  }
  impl->acceptor = std::make_unique<Tcp::acceptor>(*impl->contexts[0]);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::IoError("cannot listen on {}:{}: {}", options.host, options.port, ec.message());
  }
  impl->Accept();
  for (int i = 0; i < threads; ++i) {
    asio::io_context* context = impl->contexts[static_cast<size_t>(i)].get();
    impl->threads.emplace_back([context] { context->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->acceptor->local_endpoint().port(); }
size_t HttpServer::open_connections() const { return impl_->connections.load(); }
size_t HttpServer::inflight_requests() const { return impl_->inflight.load(); }

void HttpServer::Stop(double drain_seconds) {
  {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stop_started) return;
    impl_->stop_started = true;
  }
  impl_->stopping = true;
  asio::post(*impl_->contexts[0], [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& [_, weak] : impl_->sessions)
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
  }
  for (auto& s : sessions) s->CloseIfIdle();
  sessions.clear();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(std::max(0.0, drain_seconds));
  while ((impl_->inflight.load() > 0 || impl_->connections.load() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->guards.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (std::thread& t : impl_->threads)
    if (t.joinable()) t.join();
  {
    std::lock_guard lock(impl_->stop_mutex);
    impl_->stopped = true;
  }
  impl_->stopped_cv.notify_all();
}

void HttpServer::Wait() {
  std::unique_lock lock(impl_->stop_mutex);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace kiln::serve
