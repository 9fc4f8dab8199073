// A small blocking HTTP/1.1 client (Boost.Beast) for the CLI's client side: `kiln predict --url`
// and `kiln deployments show` reading a server's /metrics. One request per call, with a timeout.
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kiln/core/result.h"

namespace kiln::serve {

struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path;  // starts with '/'
};

// Parses "http://HOST[:PORT][/PATH]"; https and other schemes are errors naming the URL.
core::Result<HttpUrl> ParseHttpUrl(const std::string& url);

struct HttpClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// kIoError naming the URL when the server cannot be reached or does not answer in time.
core::Result<HttpClientResponse> HttpCall(
    const std::string& method, const HttpUrl& url, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    double timeout_seconds = 30);

}  // namespace kiln::serve
