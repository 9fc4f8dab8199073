// AdminApi: the model repository routes of `kiln serve` (the Open Inference Protocol's model
// repository extension, as Triton and KServe serve it):
//   GET|POST /v2/repository/index                 live versions and models being (un)loaded
//   POST     /v2/repository/models/NAME/load      body (optional): ParseLoadBody
//   POST     /v2/repository/models/NAME/unload
// Loads and unloads run on the ModelControl's thread, never on the I/O thread that received
// them; the answer is sent when they finish (or at once, 202, with "wait": false).
//
// Auth: the index needs the server's --auth-token when one is set (the admin token works too);
// load and unload need --admin-token when one is set, else --auth-token when that is set.
// Thread-safety: Route is called concurrently from the I/O threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/http_server.h"
#include "kiln/serve/model_control.h"

namespace kiln::serve {

struct AdminApiOptions {
  std::string auth_token;   // "" = reads need no token
  std::string admin_token;  // "" = load/unload need auth_token (or nothing when that is "" too)
};

struct ParsedLoad {
  LoadRequest request;
  bool wait = true;  // answer when the load has finished (false: 202 at once)
};

// The body of a load: empty, or a JSON object with any of
//   "version": 3 | "3"   that version (of the repository's model, or the number a file serves as)
//   "alias": "canary"    the version a registry alias or config.json label names
//   "path": "/m/x.json"  a model file on the server's disk instead of the repository
//   "platform": "kiln"   with "path": its processor ("kiln", "xgboost_json"); default: detected
//   "wait": false        answer 202 at once; the index shows LOADING, then READY or UNAVAILABLE
// The same keys may come inside "parameters" (Open Inference Protocol clients send that).
// kInvalidArgument names the key and what was expected.
core::Result<ParsedLoad> ParseLoadBody(const std::string& model, const std::string& body);

// A name a model can be loaded under: 1-128 of [A-Za-z0-9_.-], starting with a letter or digit.
core::Status ValidateModelName(const std::string& model);

class AdminApi {
 public:
  using Respond = std::function<void(HttpResponse)>;

  // `control` is borrowed and must outlive this object.
  AdminApi(ModelControl& control, AdminApiOptions options);

  // True for the paths this API answers (/v2/repository and below).
  static bool Handles(const std::vector<std::string>& segments);
  // The answer now, or nullopt when `respond` will be called with it later (from the control
  // thread, when a load or unload has finished).
  std::optional<HttpResponse> Route(const HttpRequest& request,
                                    const std::vector<std::string>& segments,
                                    const Respond& respond);

 private:
  std::optional<HttpResponse> Authorize(const HttpRequest& request, bool admin) const;
  HttpResponse Index(const HttpRequest& request) const;

  ModelControl& control_;
  AdminApiOptions options_;
};

}  // namespace kiln::serve
