#include "kiln/serve/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "access_log.h"
#include "grpc_predict_v2.grpc.pb.h"
#include "kiln/core/error_code.h"
#include "kiln/core/file.h"
#include "kiln/core/hash.h"
#include "kiln/serve/grpc_codec.h"
#include "kiln/serve/inference_codec.h"

namespace kiln::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

grpc::Status ToGrpc(const core::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(core::SurfaceFor(status.code()).grpc_code),
                      status.ToString());
}

bool ParseVersion(const std::string& text, int64_t& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out > 0;
}

// A FIFO of tasks run by a fixed set of threads. Stop runs what is queued, then joins.
class WorkQueue {
 public:
  explicit WorkQueue(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~WorkQueue() { Stop(); }

  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

struct GrpcServer::Impl final : public inference::GRPCInferenceService::CallbackService {
  Impl(const GrpcServerOptions& options, const ServableManager& manager, AccessLog* access_log)
      : options_(options),
        manager_(manager),
        access_log_(access_log),
        workers_(options.threads > 0 ? options.threads
                                     : std::max(1u, std::thread::hardware_concurrency())) {}

  // Auth, then the live version a model-level RPC (ready, metadata) asks about.
  grpc::Status ResolveModel(grpc::CallbackServerContext* context, const std::string& name,
                            const std::string& version, RouteRequest& rr, Route& route) {
    if (grpc::Status denied = Authorize(context); !denied.ok()) return denied;
    if (grpc::Status bad = ModelAndVersion(name, version, rr); !bad.ok()) return bad;
    auto resolved = manager_.Resolve(rr);
    if (!resolved.ok()) return ToGrpc(resolved.status());
    route = std::move(*resolved);
    return grpc::Status::OK;
  }

  // --- RPCs ---------------------------------------------------------------------------------
  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context,
                                       const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* response) override {
    response->set_live(true);
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* response) override {
    response->set_ready(manager_.ready());
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* response) override {
    if (grpc::Status denied = Authorize(context); !denied.ok()) return Done(context, denied);
    response->set_name("kiln");
    response->set_version(options_.server_version);
    for (const char* e : {"model_repository", "metrics", "row_format"}) response->add_extensions(e);
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context,
                                       const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override {
    RouteRequest rr;
    Route route;
    if (grpc::Status s = ResolveModel(context, request->name(), request->version(), rr, route);
        !s.ok())
      return Done(context, s);
    response->set_ready(true);
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override {
    RouteRequest rr;
    Route route;
    if (grpc::Status s = ResolveModel(context, request->name(), request->version(), rr, route);
        !s.ok())
      return Done(context, s);
    response->set_name(request->name());
    if (rr.version) {
      response->add_versions(std::to_string(*rr.version));
    } else if (auto state = manager_.Find(request->name())) {
      for (const ServableHandle& h : state->versions)
        response->add_versions(std::to_string(h->version));
    }
    const ServableMetadata& metadata = route.primary->servable->metadata();
    response->set_platform(metadata.platform);
    auto add = [](const TensorSpec& spec, inference::ModelMetadataResponse::TensorMetadata* t) {
      t->set_name(spec.name);
      t->set_datatype(spec.datatype);
      for (int64_t d : spec.shape) t->add_shape(d);
    };
    for (const TensorSpec& spec : metadata.inputs) add(spec, response->add_inputs());
    for (const TensorSpec& spec : metadata.outputs) add(spec, response->add_outputs());
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context,
                                       const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const Clock::time_point start = Clock::now();
    workers_.Post([this, context, request, response, reactor, start] {
      Infer(context, *request, *response, reactor, start);
    });
    return reactor;
  }

  // --- helpers ------------------------------------------------------------------------------
  grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, const grpc::Status& s) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(s);
    return reactor;
  }

  // The value of metadata `key` (lower-case), or "".
  static std::string Metadata(const grpc::CallbackServerContext& context, const char* key) {
    const auto& md = context.client_metadata();
    auto it = md.find(key);
    return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
  }

  grpc::Status Authorize(const grpc::CallbackServerContext* context) const {
    if (options_.auth_token.empty()) return grpc::Status::OK;
    const std::string header = Metadata(*context, "authorization");
    const std::string expected = "Bearer " + options_.auth_token;
    unsigned char diff = header.size() == expected.size() ? 0 : 1;
    for (size_t i = 0; i < header.size() && i < expected.size(); ++i)
      diff |= static_cast<unsigned char>(header[i] ^ expected[i]);  // constant time
    if (diff == 0) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "this server needs 'authorization: Bearer <token>' metadata");
  }

  static grpc::Status ModelAndVersion(const std::string& name, const std::string& version,
                                      RouteRequest& rr) {
    if (name.empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name: expected a model name");
    rr.model = name;
    if (!version.empty()) {
      int64_t v = 0;
      if (!ParseVersion(version, v))
        return grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            fmt::format("version: expected a positive integer, found '{}'", version));
      rr.version = v;
    }
    return grpc::Status::OK;
  }

  // A routing setting from the request's parameters (first) or the call's metadata.
  static core::Result<std::string> Setting(const grpc::CallbackServerContext& context,
                                           const inference::ModelInferRequest& request,
                                           const char* key) {
    auto it = request.parameters().find(key);
    if (it == request.parameters().end()) return Metadata(context, key);
    const inference::InferParameter& p = it->second;
    if (p.has_string_param()) return p.string_param();
    if (p.has_int64_param()) return std::to_string(p.int64_param());
    if (p.has_uint64_param()) return std::to_string(p.uint64_param());
    return core::InvalidArgument("parameters[\"{}\"]: expected a string_param", key);
  }

  core::Result<RouteRequest> Routing(const grpc::CallbackServerContext& context,
                                     const inference::ModelInferRequest& request) {
    RouteRequest rr;
    if (request.model_name().empty())
      return core::InvalidArgument("model_name: expected the name of a served model");
    rr.model = request.model_name();
    KILN_ASSIGN_OR_RETURN(std::string version_text, Setting(context, request, "x-kiln-version"));
    const bool from_field = !request.model_version().empty();
    if (from_field) version_text = request.model_version();
    if (!version_text.empty()) {
      int64_t v = 0;
      if (!ParseVersion(version_text, v))
        return core::InvalidArgument("{}: expected a positive integer, found '{}'",
                                     from_field ? "model_version" : "x-kiln-version", version_text);
      rr.version = v;
    }
    KILN_ASSIGN_OR_RETURN(rr.label, Setting(context, request, "x-kiln-label"));
    KILN_ASSIGN_OR_RETURN(std::string key, Setting(context, request, "x-kiln-route-key"));
    if (!key.empty()) {
      rr.key_hash = core::Hash64(key);
      rr.has_key = true;
    } else {
      rr.key_hash = request_counter_.fetch_add(1);
    }
    return rr;
  }

  void Infer(grpc::CallbackServerContext* context, const inference::ModelInferRequest& request,
             inference::ModelInferResponse& response, grpc::ServerUnaryReactor* reactor,
             Clock::time_point start) {
    std::string model = request.model_name();
    int64_t version = 0;
    auto finish = [&](const grpc::Status& status) {
      Log(*context, request, status, start, model, version);
      reactor->Finish(status);
    };
    if (context->IsCancelled()) {
      finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it was run"));
      return;
    }
    if (grpc::Status denied = Authorize(context); !denied.ok()) return finish(denied);
    auto rr = Routing(*context, request);
    if (!rr.ok()) return finish(ToGrpc(rr.status()));
    auto route = manager_.Resolve(*rr);
    if (!route.ok()) return finish(ToGrpc(route.status()));
    const ServedVersion& served = *route->primary;
    version = served.version;
    auto fail = [&](const core::Status& s) {
      served.stats->errors.fetch_add(1);
      finish(ToGrpc(s));
    };
    served.stats->requests.fetch_add(1);
    auto decoded = DecodeGrpcInfer(request, served.servable->metadata());
    if (!decoded.ok()) return fail(decoded.status());
    const FeatureBatch& batch = decoded->batch;
    const Clock::time_point infer_start = Clock::now();
    auto output = served.servable->Infer(batch);
    served.stats->latency_us_total.fetch_add(static_cast<uint64_t>(
        std::chrono::duration<double, std::micro>(Clock::now() - infer_start).count()));
    if (!output.ok()) return fail(output.status());
    served.stats->rows.fetch_add(batch.rows);
    const bool raw = !request.raw_input_contents().empty();
    core::Status encoded = EncodeGrpcInfer(served.model, served.version, decoded->id, *output,
                                           decoded->outputs, raw, response);
    if (!encoded.ok()) return fail(encoded);
    context->AddInitialMetadata("x-kiln-model-version", std::to_string(served.version));
    finish(grpc::Status::OK);
    // `request` and `response` belong to gRPC again; the shadow works on the decoded batch.
    if (route->shadow) RunShadow(*route->shadow, batch);
  }

  // The shadow sees the same rows; its answer is counted and logged, never returned.
  void RunShadow(const ServedVersion& shadow, const FeatureBatch& batch) {
    shadow.stats->shadow_requests.fetch_add(1);
    auto shadow_output = shadow.servable->Infer(batch);
    if (!shadow_output.ok()) shadow.stats->errors.fetch_add(1);
    if (access_log_ == nullptr) return;
    json line = {{"shadow", true}, {"model", shadow.model}, {"version", shadow.version}};
    if (shadow_output.ok()) {
      line["answer"] =
          nlohmann::json::parse(EncodeV1(shadow.model, shadow.version, *shadow_output));
    } else {
      line["error"] = shadow_output.status().message();
    }
    access_log_->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  void Log(const grpc::CallbackServerContext& context, const inference::ModelInferRequest& request,
           const grpc::Status& status, Clock::time_point start, const std::string& model,
           int64_t version) {
    if (access_log_ == nullptr) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    json line = {{"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count()},
                 {"remote", context.peer()},
                 {"method", "grpc"},
                 {"path", "/inference.GRPCInferenceService/ModelInfer"},
                 {"grpc_status", static_cast<int>(status.error_code())},
                 {"latency_us", static_cast<int64_t>(seconds * 1e6)},
                 {"bytes_in", request.ByteSizeLong()}};
    if (!model.empty()) {
      line["model"] = model;
      if (version > 0) line["version"] = version;
    }
    access_log_->Write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  const GrpcServerOptions options_;
  const ServableManager& manager_;
  AccessLog* access_log_;
  std::atomic<uint64_t> request_counter_{0};
  WorkQueue workers_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { Stop(); }

core::Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                            const ServableManager& manager,
                                                            AccessLog* access_log) {
  auto impl = std::make_unique<Impl>(options, manager, access_log);
  const std::string address = options.host.find(':') != std::string::npos
                                  ? fmt::format("[{}]:{}", options.host, options.port)
                                  : fmt::format("{}:{}", options.host, options.port);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    KILN_ASSIGN_OR_RETURN(pair.cert_chain, core::ReadFileToString(options.tls_cert_file));
    KILN_ASSIGN_OR_RETURN(pair.private_key, core::ReadFileToString(options.tls_key_file));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back(std::move(pair));
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &impl->port_);
  builder.RegisterService(impl.get());
  const int max_bytes = static_cast<int>(
      std::min<size_t>(options.max_message_bytes, std::numeric_limits<int>::max()));
  builder.SetMaxReceiveMessageSize(max_bytes);
  builder.SetMaxSendMessageSize(max_bytes);
  impl->server_ = builder.BuildAndStart();
  if (impl->server_ == nullptr || impl->port_ == 0) {
    impl->workers_.Stop();
    return core::IoError("gRPC: cannot listen on {} (address in use or not available)", address);
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

int GrpcServer::port() const { return impl_->port_; }

void GrpcServer::Stop(double drain_seconds) {
  {
    std::lock_guard lock(impl_->stop_mutex_);
    if (impl_->stopped_) return;
    impl_->stopped_ = true;
  }
  // Shutdown returns once every call has finished: in-flight calls get `drain_seconds`, then
  // are cancelled (queued ones answer CANCELLED at once), so the workers must still run.
  impl_->server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               std::chrono::duration<double>(drain_seconds)));
  impl_->server_->Wait();
  impl_->workers_.Stop();
}

}  // namespace kiln::serve
