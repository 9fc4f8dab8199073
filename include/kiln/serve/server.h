// Server: `kiln serve` as an object — a ModelControl (model_control.h) that loads what a model
// source names (polled for hot reload) and what the admin API asks for into a ServableManager, the
// REST API and admin routes on an HttpServer, and optionally the gRPC API on a GrpcServer.
//
// Start fails if the first poll fails, it names no model (poll mode), or any version (or start
// load) fails to load. Stop drains in-flight requests, then tells the source nothing is live
// (deployments are marked stopped).
// Thread-safety: Stop may be called from any thread; the rest from the owning thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/grpc_server.h"
#include "kiln/serve/http_server.h"
#include "kiln/serve/model_control.h"
#include "kiln/serve/model_source.h"
#include "kiln/serve/processor_registry.h"
#include "kiln/serve/servable_manager.h"

namespace kiln::serve {

class AccessLog;
class AdminApi;
class RestApi;

struct ServerOptions {
  HttpServerOptions http;
  double poll_seconds = 2;   // how often the source is asked again (hot reload)
  BatchingOptions batching;  // default dynamic batching of every version (off: max 0 rows)
  std::string auth_token;    // "" = no auth
  // Needed by load/unload when set (else auth_token is); admin_api.h.
  std::string admin_token;
  ModelControlMode model_control = ModelControlMode::kPoll;
  // Loaded at start in explicit mode (--load), beside what the source names in poll mode.
  std::vector<LoadRequest> initial_loads;
  std::string access_log;     // "" = none, "-" = stderr, else a file
  double drain_seconds = 10;  // graceful stop: how long in-flight requests may take
  std::string version;        // reported by GET /v2
  // Progress lines ("loaded churn v3 in 0.02 s"); default: stderr.
  std::function<void(const std::string&)> log;
  // The Open Inference Protocol over gRPC (grpc_server.h): -1 = off, 0 = any free port.
  int grpc_port = -1;
  std::string grpc_host;  // "" = http.host
};

class Server {
 public:
  Server(ServerOptions options, const ProcessorRegistry& processors,
         std::unique_ptr<ModelSource> source);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  core::Status Start();
  int port() const;
  int grpc_port() const;  // the bound gRPC port; 0 when gRPC is off
  void Stop();
  const ServableManager& manager() const { return manager_; }

 private:
  ServerOptions options_;
  ServableManager manager_;
  std::unique_ptr<ModelSource> source_;
  std::unique_ptr<ModelControl> control_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<AdminApi> admin_;
  std::unique_ptr<RestApi> api_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GrpcServer> grpc_;
  std::mutex mutex_;
  bool stopped_ = false;
};

}  // namespace kiln::serve
