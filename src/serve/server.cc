#include "kiln/serve/server.h"

#include <thread>

#include <fmt/format.h>

#include "access_log.h"
#include "admin_api.h"
#include "rest_api.h"

namespace kiln::serve {

Server::Server(ServerOptions options, const ProcessorRegistry& processors,
               std::unique_ptr<ModelSource> source)
    : options_(std::move(options)),
      manager_(processors, options_.batching),
      source_(std::move(source)) {
  if (!options_.log)
    options_.log = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
  ModelControlOptions control;
  control.mode = options_.model_control;
  control.poll_seconds = options_.poll_seconds;
  control.log = options_.log;
  control_ = std::make_unique<ModelControl>(control, manager_, *source_);
}

Server::~Server() { Stop(); }

core::Status Server::Start() {
  if (!options_.access_log.empty()) {
    KILN_ASSIGN_OR_RETURN(access_log_, AccessLog::Open(options_.access_log));
  }
  KILN_RETURN_IF_ERROR(control_->Start(options_.initial_loads));

  AdminApiOptions admin_options;
  admin_options.auth_token = options_.auth_token;
  admin_options.admin_token = options_.admin_token;
  admin_ = std::make_unique<AdminApi>(*control_, admin_options);
  RestApiOptions api_options;
  api_options.auth_token = options_.auth_token;
  api_options.server_version = options_.version;
  api_ = std::make_unique<RestApi>(manager_, api_options, access_log_.get(), admin_.get());
  RestApi* api = api_.get();
  options_.http.record_remote_address = access_log_ != nullptr;
  KILN_ASSIGN_OR_RETURN(
      http_, HttpServer::Start(options_.http, [api](HttpRequest&& req, HttpResponder respond) {
        api->Handle(std::move(req), std::move(respond));
      }));
  if (options_.grpc_port >= 0) {
    GrpcServerOptions grpc_options;
    grpc_options.host = options_.grpc_host.empty() ? options_.http.host : options_.grpc_host;
    grpc_options.port = options_.grpc_port;
    grpc_options.threads = options_.http.threads;
    grpc_options.max_message_bytes = options_.http.max_body_bytes;
    grpc_options.auth_token = options_.auth_token;
    grpc_options.server_version = options_.version;
    grpc_options.tls_cert_file = options_.http.tls_cert_file;
    grpc_options.tls_key_file = options_.http.tls_key_file;
    KILN_ASSIGN_OR_RETURN(grpc_, GrpcServer::Start(grpc_options, manager_, access_log_.get()));
  }
  source_->OnListening(http_->port());
  control_->Run();  // tells the source what is live, then polls and runs admin commands
  return core::Status::Ok();
}

int Server::port() const { return http_ ? http_->port() : 0; }

int Server::grpc_port() const { return grpc_ ? grpc_->port() : 0; }

void Server::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  // No more polls or admin commands; one in progress finishes and answers, queued ones are
  // answered "cancelled" while the HTTP server still writes answers.
  control_->Stop();
  // REST and gRPC drain at the same time.
  std::thread grpc_stop;
  if (grpc_) grpc_stop = std::thread([this] { grpc_->Stop(options_.drain_seconds); });
  if (http_) http_->Stop(options_.drain_seconds);
  if (grpc_stop.joinable()) grpc_stop.join();
  // Requests still queued in a batcher (the drain timed out) are answered now, while the API
  // objects their callbacks use are alive; their answers go nowhere.
  for (const ModelState& model : manager_.List())
    for (const ServableHandle& version : model.versions)
      if (version->batcher) version->batcher->Drain();
  source_->OnShutdown();
}

}  // namespace kiln::serve
