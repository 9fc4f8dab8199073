// GrpcServer: the Open Inference Protocol over gRPC (service inference.GRPCInferenceService,
// proto/grpc_predict_v2.proto) on top of a ServableManager — ServerLive, ServerReady,
// ModelReady, ServerMetadata, ModelMetadata and ModelInfer, routed, counted and shadowed the same
// way as the REST API (rest_api.h).
//
// Threading: gRPC's callback API, so connections cost no thread. The light RPCs answer on gRPC's
// own event threads; ModelInfer is handed to a fixed pool of `threads` inference workers, so
// model work never blocks gRPC's pollers and at most `threads` predictions run at once (further
// requests wait in a queue).
//
// Routing: model_version picks a version; the request parameter or gRPC metadata
// "x-kiln-version", "x-kiln-label" (an alias) and "x-kiln-route-key" (sticky traffic split)
// work as the REST headers of the same names. Errors carry the gRPC code of the error table
// (core::SurfaceFor) and the REST API's message.
//
// Thread-safety: Stop may be called from any thread; port() is const. The manager and the
// access log must outlive the server.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kiln/core/result.h"
#include "kiln/serve/servable_manager.h"

namespace kiln::serve {

class AccessLog;

struct GrpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;     // 0 = any free port (see port())
  int threads = 0;  // inference workers; 0 = one per core
  size_t max_message_bytes = size_t{64} << 20;
  std::string auth_token;      // "" = none; else "authorization: Bearer TOKEN" but for health
  std::string server_version;  // reported by ServerMetadata
  // TLS: PEM files of the certificate chain and its key (both or neither; "" = plaintext).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class GrpcServer {
 public:
  // Binds and starts serving; kIoError naming host:port if the address cannot be bound.
  // `access_log` may be null.
  static core::Result<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                         const ServableManager& manager,
                                                         AccessLog* access_log = nullptr);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const;
  // Stops accepting calls, lets in-flight calls finish for up to `drain_seconds` (then cancels
  // them), and stops the workers. Idempotent.
  void Stop(double drain_seconds = 10);

  struct Impl;  // the gRPC service and worker pool, private to grpc_server.cc

 private:
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::serve
