// RestApi: the HTTP routes of `kiln serve` — the Open Inference Protocol (health, server and
// model metadata, model ready, infer), the row format (/v1/models/NAME:predict) and Prometheus
// /metrics; /v2/repository/... (index, load, unload) goes to the AdminApi (admin_api.h). Stateless
// but for counters; looks servables up through the ServableManager for every request.
// Thread-safety: Handle is called concurrently from the I/O threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "access_log.h"
#include "kiln/serve/http_server.h"
#include "kiln/serve/inference_codec.h"
#include "kiln/serve/servable_manager.h"

namespace kiln::serve {

class AdminApi;

struct RestApiOptions {
  std::string auth_token;  // "" = no auth; else every route but /v2/health/* needs the bearer token
  std::string server_version;
};

class RestApi {
 public:
  // `admin` (borrowed; may be null: no repository routes) answers /v2/repository/...
  RestApi(const ServableManager& manager, RestApiOptions options, AccessLog* access_log,
          AdminApi* admin = nullptr);
  void Handle(HttpRequest&& request, HttpResponder respond);
  // Prometheus text exposition of the server's and every live version's counters.
  std::string Metrics() const;

 private:
  // What the access-log line of a request needs beyond its answer.
  struct LogFields {
    std::string remote, method, path;
    size_t bytes_in = 0;
  };
  // Completes one request: counts it, sends the answer, writes the access-log line. Called once:
  // on the I/O thread for most routes, from a batcher's thread (which keeps a copy) for batched
  // inference.
  struct Finish {
    RestApi* api;
    std::chrono::steady_clock::time_point start;
    HttpResponder respond;
    std::shared_ptr<const LogFields> log;  // null without an access log
    void operator()(HttpResponse response, const std::string& model, int64_t version) const;
  };
  // The answer, or nullopt when `finish` will be called with it later (dynamic batching).
  std::optional<HttpResponse> Route(const HttpRequest& request, std::string& model_out,
                                    int64_t& version_out, const Finish& finish);
  std::optional<HttpResponse> Infer(const HttpRequest& request, const std::string& model,
                                    std::optional<int64_t> version, bool v1, std::string& model_out,
                                    int64_t& version_out, const Finish& finish);
  // Stats, encoding and the shadow copy for one answered request.
  HttpResponse Answer(const serve::Route& route, bool v1, const V2Request& v2,
                      const FeatureBatch& batch, size_t rows, core::Result<InferenceOutput> output,
                      double infer_us);
  void CountRequest(int status, double seconds);

  const ServableManager& manager_;
  RestApiOptions options_;
  AccessLog* access_log_;
  AdminApi* admin_;
  std::atomic<uint64_t> request_counter_{0};
  // Requests by status class and a latency histogram over every request.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
  std::array<std::atomic<uint64_t>, 600> by_status_{};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_us_sum_{0};
};

}  // namespace kiln::serve
