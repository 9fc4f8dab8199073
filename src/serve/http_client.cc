#include "kiln/serve/http_client.h"

#include <charconv>
#include <chrono>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace kiln::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Tcp = asio::ip::tcp;

core::Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (std::string_view(url).starts_with("https://"))
    return core::Unimplemented(
        "--url '{}': this client speaks plain HTTP only; a server started with --tls-cert is "
        "reached with curl or any HTTPS client (or serve without TLS on loopback)",
        url);
  if (!std::string_view(url).starts_with(kScheme))
    return core::InvalidArgument("--url '{}': expected http://HOST[:PORT][/PATH]", url);
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  HttpUrl out;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || p != port.data() + port.size() || out.port <= 0 || out.port > 65535)
      return core::InvalidArgument("--url '{}': the port '{}' is not a number in 1..65535", url,
                                   port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return core::InvalidArgument("--url '{}': no host", url);
  out.host = std::string(authority);
  return out;
}

core::Result<HttpClientResponse> HttpCall(
    const std::string& method, const HttpUrl& url, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers, double timeout_seconds) {
  const std::string where = "http://" + url.host + ":" + std::to_string(url.port) + url.path;
  asio::io_context ioc;
  Tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  const auto timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(timeout_seconds));
  http::request<http::string_body> req{http::string_to_verb(method), url.path, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "kiln");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(size_t{1} << 30);
  beast::flat_buffer buffer;
  beast::error_code result;
  const char* stage = "resolving";
  resolver.async_resolve(
      url.host, std::to_string(url.port),
      [&](beast::error_code ec, const Tcp::resolver::results_type& endpoints) {
        if (ec) {
          result = ec;
          return;
        }
        stage = "connecting to";
        stream.expires_after(timeout);
        stream.async_connect(endpoints, [&](beast::error_code ec2, const Tcp::endpoint&) {
          if (ec2) {
            result = ec2;
            return;
          }
          stage = "sending to";
          http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
            if (ec3) {
              result = ec3;
              return;
            }
            stage = "reading the answer of";
            http::async_read(stream, buffer, parser,
                             [&](beast::error_code ec4, size_t) { result = ec4; });
          });
        });
      });
  ioc.run();
  if (result) {
    return core::IoError("{} {}: {}", stage, where,
                         result == beast::error::timeout ? "timed out" : result.message());
  }
  HttpClientResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.content_type = std::string(parser.get()[http::field::content_type]);
  out.body = std::move(parser.get().body());
  beast::error_code ignored;
  stream.socket().shutdown(Tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace kiln::serve
