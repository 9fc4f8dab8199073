// Small helpers for JSON answers and bearer tokens shared by the REST routes (admin_api.cc).
// Private to src/serve.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/core/error_code.h"
#include "kiln/core/status.h"
#include "kiln/serve/http_server.h"

namespace kiln::serve {

inline HttpResponse JsonAnswer(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// {"error": message, "code": name} with the HTTP status of the error table (core/error_code.h).
inline HttpResponse StatusAnswer(const core::Status& status) {
  return JsonAnswer(core::SurfaceFor(status.code()).http_status,
                    {{"error", status.ToString()}, {"code", core::StatusCodeName(status.code())}});
}

inline HttpResponse ErrorAnswer(int http_status, const std::string& code,
                                const std::string& message) {
  return JsonAnswer(http_status, {{"error", message}, {"code", code}});
}

// 405 naming the methods the route takes, with an Allow header.
inline HttpResponse MethodNotAllowed(const HttpRequest& request, const char* allowed) {
  HttpResponse r =
      ErrorAnswer(405, "method_not_allowed",
                  fmt::format("{} {}: use {}", request.method, request.Path(), allowed));
  r.headers.emplace_back("Allow", allowed);
  return r;
}

// True when `header` is "Bearer <token>"; compared in constant time over the token.
inline bool BearerTokenMatches(std::string_view header, std::string_view token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() != kBearer.size() + token.size() || !header.starts_with(kBearer)) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(header[kBearer.size() + i] ^ token[i]);
  return diff == 0;
}

}  // namespace kiln::serve
