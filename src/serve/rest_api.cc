#include "rest_api.h"

#include "http_json.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin_api.h"
#include "kiln/core/error_code.h"
#include "kiln/core/hash.h"
#include "kiln/core/strings.h"
#include "kiln/serve/inference_codec.h"

namespace kiln::serve {
namespace {

using nlohmann::json;

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const size_t j = path.find('/', i);
    const size_t end = j == std::string_view::npos ? path.size() : j;
    if (end > i) out.push_back(PercentDecode(path.substr(i, end - i)));
    i = end;
  }
  return out;
}

bool ParseVersion(const std::string& text, int64_t& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out > 0;
}

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string Escape(const std::string& label) {
  std::string out;
  for (char c : label) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

RestApi::RestApi(const ServableManager& manager, RestApiOptions options, AccessLog* access_log,
                 AdminApi* admin)
    : manager_(manager), options_(std::move(options)), access_log_(access_log), admin_(admin) {}

void RestApi::CountRequest(int status, double seconds) {
  by_status_[static_cast<size_t>(std::clamp(status, 0, 599))].fetch_add(1);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  latency_buckets_[b].fetch_add(1);
  latency_us_sum_.fetch_add(static_cast<uint64_t>(seconds * 1e6));
}

void RestApi::Finish::operator()(HttpResponse response, const std::string& model,
                                 int64_t version) const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  api->CountRequest(response.status, seconds);
  const int status = response.status;
  respond(std::move(response));
  if (log == nullptr) return;
  json line = {{"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()},
               {"remote", log->remote},
               {"method", log->method},
               {"path", log->path},
               {"status", status},
               {"latency_us", static_cast<int64_t>(seconds * 1e6)},
               {"bytes_in", log->bytes_in}};
  if (!model.empty()) {
    line["model"] = model;
    line["version"] = version;
  }
  api->access_log_->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
}

void RestApi::Handle(HttpRequest&& request, HttpResponder respond) {
  Finish finish{this, std::chrono::steady_clock::now(), std::move(respond), nullptr};
  if (access_log_ != nullptr) {
    finish.log = std::make_shared<const LogFields>(LogFields{
        request.remote, request.method, std::string(request.Path()), request.body.size()});
  }
  std::string model;
  int64_t version = 0;
  std::optional<HttpResponse> response = Route(request, model, version, finish);
  if (response) finish(std::move(*response), model, version);
}

std::optional<HttpResponse> RestApi::Route(const HttpRequest& request, std::string& model_out,
                                           int64_t& version_out, const Finish& finish) {
  const std::vector<std::string> seg = Segments(request.Path());
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (admin_ != nullptr && AdminApi::Handles(seg)) {  // its own auth (an admin token)
    if (seg.size() >= 4) model_out = seg[3];
    return admin_->Route(request, seg, [finish, model = model_out](HttpResponse response) {
      finish(std::move(response), model, 0);
    });
  }
  const bool health = seg.size() == 3 && seg[0] == "v2" && seg[1] == "health";
  if (!options_.auth_token.empty() && !health &&
      !BearerTokenMatches(request.Header("authorization"), options_.auth_token)) {
    HttpResponse r = ErrorAnswer(401, "unauthenticated",
                                 "this server needs an 'Authorization: Bearer <token>' header");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (health) {
    if (!get) return MethodNotAllowed(request, "GET");
    if (seg[2] == "live") return JsonAnswer(200, {{"live", true}});
    if (seg[2] == "ready") {
      const bool ready = manager_.ready();
      return JsonAnswer(ready ? 200 : 503, {{"ready", ready}});
    }
  }
  if (seg.size() == 1 && seg[0] == "v2") {
    if (!get) return MethodNotAllowed(request, "GET");
    return JsonAnswer(200, {{"name", "kiln"},
                            {"version", options_.server_version},
                            {"extensions", {"model_repository", "metrics", "row_format"}}});
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (!get) return MethodNotAllowed(request, "GET");
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = Metrics();
    return r;
  }
  if (seg.size() >= 3 && seg[0] == "v2" && seg[1] == "models") {
    const std::string& model = seg[2];
    std::optional<int64_t> version;
    size_t next = 3;
    if (seg.size() >= 5 && seg[3] == "versions") {
      int64_t v = 0;
      if (!ParseVersion(seg[4], v))
        return ErrorAnswer(
            400, "invalid_argument",
            fmt::format("version '{}' in {} is not a positive integer", seg[4], request.Path()));
      version = v;
      next = 5;
    }
    const std::string action = next < seg.size() ? seg[next] : "";
    if (next + 1 < seg.size()) return ErrorAnswer(404, "not_found", "no route " + request.target);
    if (action == "infer") {
      if (!post) return MethodNotAllowed(request, "POST");
      return Infer(request, model, version, /*v1=*/false, model_out, version_out, finish);
    }
    if (!get) return MethodNotAllowed(request, "GET");
    RouteRequest rr;
    rr.model = model;
    rr.version = version;
    auto route = manager_.Resolve(rr);
    if (action == "ready") {
      if (!route.ok()) return StatusAnswer(route.status());
      return JsonAnswer(200, {{"name", model}, {"ready", true}});
    }
    if (!action.empty()) return ErrorAnswer(404, "not_found", "no route " + request.target);
    if (!route.ok()) return StatusAnswer(route.status());
    std::vector<int64_t> versions;
    if (version) {
      versions.push_back(*version);
    } else if (auto state = manager_.Find(model)) {
      for (const ServableHandle& h : state->versions) versions.push_back(h->version);
    }
    return JsonAnswer(200, MetadataJson(model, versions, route->primary->servable->metadata()));
  }
  if (seg.size() == 3 && seg[0] == "v1" && seg[1] == "models" && seg[2].ends_with(":predict")) {
    if (!post) return MethodNotAllowed(request, "POST");
    return Infer(request, seg[2].substr(0, seg[2].size() - 8), std::nullopt, /*v1=*/true, model_out,
                 version_out, finish);
  }
  return ErrorAnswer(404, "not_found",
                     fmt::format("no route {} {}; see /v2 (Open Inference Protocol) and "
                                 "/v1/models/NAME:predict",
                                 request.method, request.Path()));
}

std::optional<HttpResponse> RestApi::Infer(const HttpRequest& request, const std::string& model,
                                           std::optional<int64_t> version, bool v1,
                                           std::string& model_out, int64_t& version_out,
                                           const Finish& finish) {
  RouteRequest rr;
  rr.model = model;
  rr.version = version;
  if (v1) {
    if (const size_t at = model.find('@'); at != std::string::npos) {
      rr.model = model.substr(0, at);
      rr.label = model.substr(at + 1);
    }
  }
  if (auto v = request.Header("x-kiln-version"); !v.empty() && !rr.version) {
    int64_t parsed = 0;
    if (!ParseVersion(std::string(v), parsed))
      return ErrorAnswer(
          400, "invalid_argument",
          fmt::format("header X-Kiln-Version: expected a positive integer, found '{}'", v));
    rr.version = parsed;
  }
  if (auto l = request.Header("x-kiln-label"); !l.empty() && rr.label.empty())
    rr.label = std::string(l);
  if (auto key = request.Header("x-kiln-route-key"); !key.empty()) {
    rr.key_hash = core::Hash64(key.data(), key.size());
    rr.has_key = true;
  } else {
    rr.key_hash = request_counter_.fetch_add(1);
  }
  model_out = rr.model;
  auto route = manager_.Resolve(rr);
  if (!route.ok()) return StatusAnswer(route.status());
  const ServedVersion& served = *route->primary;
  version_out = served.version;
  const ServableMetadata& metadata = served.servable->metadata();
  auto fail = [&](const core::Status& s) {
    served.stats->errors.fetch_add(1);
    return StatusAnswer(s);
  };
  served.stats->requests.fetch_add(1);
  FeatureBatch batch;
  V2Request v2;
  if (v1) {
    auto decoded = DecodeV1(request.body, metadata);
    if (!decoded.ok()) return fail(decoded.status());
    batch = std::move(*decoded);
  } else {
    auto body = ParseJsonBody(request.body);
    if (!body.ok()) return fail(body.status());
    auto decoded = DecodeV2(*body, metadata);
    if (!decoded.ok()) return fail(decoded.status());
    v2 = std::move(*decoded);
    batch = std::move(v2.batch);
  }
  if (served.batcher) {
    // Dynamic batching: the batcher's thread merges this request with its neighbours and
    // answers through `finish` (the I/O thread moves on).
    auto shadow_rows = route->shadow ? std::make_shared<FeatureBatch>(batch) : nullptr;
    const size_t rows = batch.rows;
    const auto start = std::chrono::steady_clock::now();
    served.batcher->Submit(std::move(batch), [this, route = *route, v1, v2 = std::move(v2),
                                              shadow_rows, rows, start,
                                              finish](core::Result<InferenceOutput> output) {
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count();
      FeatureBatch none;
      finish(Answer(route, v1, v2, shadow_rows ? *shadow_rows : none, rows, std::move(output), us),
             route.primary->model, route.primary->version);
    });
    return std::nullopt;
  }
  const auto start = std::chrono::steady_clock::now();
  auto output = served.servable->Infer(batch);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  return Answer(*route, v1, v2, batch, batch.rows, std::move(output), us);
}

HttpResponse RestApi::Answer(const serve::Route& route, bool v1, const V2Request& v2,
                             const FeatureBatch& batch, size_t rows,
                             core::Result<InferenceOutput> output, double infer_us) {
  const ServedVersion& served = *route.primary;
  served.stats->latency_us_total.fetch_add(static_cast<uint64_t>(infer_us));
  if (!output.ok()) {
    served.stats->errors.fetch_add(1);
    return StatusAnswer(output.status());
  }
  served.stats->rows.fetch_add(rows);
  HttpResponse response;
  if (v1) {
    response.body = EncodeV1(served.model, served.version, *output);
  } else {
    auto encoded = EncodeV2(served.model, served.version, v2.id, *output, v2.outputs);
    if (!encoded.ok()) {
      served.stats->errors.fetch_add(1);
      return StatusAnswer(encoded.status());
    }
    response = JsonAnswer(200, *encoded);
  }
  response.headers.emplace_back("X-Kiln-Model-Version", std::to_string(served.version));
  if (route.shadow) {
    // The shadow sees the same rows; its answer is counted and logged, never returned.
    const ServedVersion& shadow = *route.shadow;
    shadow.stats->shadow_requests.fetch_add(1);
    auto shadow_output = shadow.servable->Infer(batch);
    if (!shadow_output.ok()) shadow.stats->errors.fetch_add(1);
    if (access_log_ != nullptr) {
      json line = {{"shadow", true}, {"model", shadow.model}, {"version", shadow.version}};
      if (shadow_output.ok()) {
        line["answer"] = json::parse(EncodeV1(shadow.model, shadow.version, *shadow_output));
      } else {
        line["error"] = shadow_output.status().message();
      }
      access_log_->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  return response;
}

std::string RestApi::Metrics() const {
  std::string out;
  out += "# HELP kiln_http_requests_total HTTP requests answered, by status code.\n";
  out += "# TYPE kiln_http_requests_total counter\n";
  for (size_t code = 0; code < by_status_.size(); ++code) {
    const uint64_t n = by_status_[code].load();
    if (n > 0) out += fmt::format("kiln_http_requests_total{{code=\"{}\"}} {}\n", code, n);
  }
  out += "# HELP kiln_http_request_duration_seconds Time from request read to response ready.\n";
  out += "# TYPE kiln_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kBuckets.size(); ++b) {
    cumulative += latency_buckets_[b].load();
    const std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
    out +=
        fmt::format("kiln_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  out += fmt::format("kiln_http_request_duration_seconds_sum {}\n",
                     static_cast<double>(latency_us_sum_.load()) / 1e6);
  out += fmt::format("kiln_http_request_duration_seconds_count {}\n", cumulative);

  const std::vector<ModelState> models = manager_.List();
  auto per_version = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const ModelState& m : models)
      for (const ServableHandle& h : m.versions)
        out += fmt::format("{}{{model=\"{}\",version=\"{}\"}} {}\n", name, Escape(m.name),
                           h->version, value(*h));
  };
  per_version("kiln_model_requests_total", "counter", "Inference requests routed to a version.",
              [](const ServedVersion& v) { return v.stats->requests.load(); });
  per_version("kiln_model_errors_total", "counter", "Inference requests that failed.",
              [](const ServedVersion& v) { return v.stats->errors.load(); });
  per_version("kiln_model_rows_total", "counter", "Rows predicted.",
              [](const ServedVersion& v) { return v.stats->rows.load(); });
  per_version("kiln_model_shadow_requests_total", "counter",
              "Copies of requests a shadow version answered (never returned).",
              [](const ServedVersion& v) { return v.stats->shadow_requests.load(); });
  per_version("kiln_model_inference_seconds_total", "counter", "Time spent predicting.",
              [](const ServedVersion& v) {
                return static_cast<double>(v.stats->latency_us_total.load()) / 1e6;
              });
  per_version("kiln_model_batches_total", "counter",
              "Merged predictions run by dynamic batching (rows / batches = mean batch size).",
              [](const ServedVersion& v) { return v.batcher ? v.batcher->batches() : 0; });
  per_version("kiln_model_batched_rows_total", "counter", "Rows predicted in merged batches.",
              [](const ServedVersion& v) { return v.batcher ? v.batcher->batched_rows() : 0; });
  per_version("kiln_model_memory_bytes", "gauge", "Bytes a loaded version holds.",
              [](const ServedVersion& v) { return v.servable->memory_bytes(); });
  per_version("kiln_model_loaded_timestamp_seconds", "gauge", "When the version went live.",
              [](const ServedVersion& v) { return static_cast<double>(v.loaded_ms) / 1e3; });
  out += "# HELP kiln_process_resident_memory_bytes Resident memory of the server.\n";
  out += "# TYPE kiln_process_resident_memory_bytes gauge\n";
  out += fmt::format("kiln_process_resident_memory_bytes {}\n", ResidentBytes());
  return out;
}

}  // namespace kiln::serve
