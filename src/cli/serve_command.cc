// kiln serve: the online prediction service over registered models or a model directory.
#include <malloc.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "kiln/core/file.h"
#include "kiln/serve/model_source.h"
#include "kiln/serve/registry_source.h"
#include "kiln/serve/server.h"

namespace kiln::cli {
namespace {

constexpr const char* kServeExamples = R"(Examples:
  kiln serve --models bc
  kiln serve --models bc@production --models churn --port 9000 --access-log access.log
  kiln serve --model-control explicit --load bc --admin-token s3cret

Models come from the registry (--models NAME: its latest version; NAME@ALIAS; NAME/VERSION) or
from a directory: 'kiln serve --model-dir models/' serves models/NAME/VERSION/<model file> (a Kiln
model, an XGBoost JSON model), with an optional models/NAME/config.json for the version policy,
labels, traffic split and shadow (docs/serving.md).

Loading and unloading (the model repository extension; docs/serving.md):
  POST /v2/repository/models/NAME/load     body: {} | {"version": V} | {"alias": A} |
                                           {"path": FILE, "version": V} [, "wait": false]
  POST /v2/repository/models/NAME/unload   GET|POST /v2/repository/index
With --model-control poll (default) the source is polled and an unload pins a model out until
it is loaded again; with explicit, nothing loads but --load NAME and load requests, and nothing
is polled ('kiln models load|unload --url'). --admin-token guards load and unload.

Endpoints (Open Inference Protocol / KServe V2, plus a row format):
  GET  /v2/health/live   /v2/health/ready   /v2   /v2/models/NAME[/versions/V][/ready]
  POST /v2/models/NAME[/versions/V]/infer   {"inputs": [{"name", "shape", "datatype", "data"}]}
  POST /v1/models/NAME[@ALIAS]:predict      {"instances": [{"feature": value, ...}]}
  GET  /metrics (Prometheus)
Headers: X-Kiln-Version / X-Kiln-Label pick a version; X-Kiln-Route-Key makes a traffic split
sticky per key. New versions and moved aliases are picked up every --poll-interval (hot reload:
in-flight requests finish on the old version). Ctrl-C or SIGTERM drains and stops. With
--tls-cert and --tls-key (PEM files) the port speaks HTTPS only, and gRPC uses TLS too.

gRPC (--grpc-port): the same Open Inference Protocol as inference.GRPCInferenceService
(proto/grpc_predict_v2.proto): ServerLive, ServerReady, ServerMetadata, ModelReady, ModelMetadata,
ModelInfer. Metadata x-kiln-version / x-kiln-label / x-kiln-route-key route as the headers do.)";

// glibc's malloc raises its mmap threshold to the size of each large block freed (up to 32 MiB)
// and its trim threshold to twice that. After one model load, blocks below 32 MiB then come from
// the arenas, and up to 64 MiB at the top of a thread's arena is never given back (malloc_trim
// releases free blocks inside an arena but shrinks only the main arena's top): with a 1 GiB
// XGBoost model, 40 MiB stayed resident after each unload. Fixed thresholds (which turn the
// sliding ones off) keep blocks of 1 MiB and more in mmap, returned to the system when freed, and
// an arena's top at most glibc's default 128 KiB: 0.7 MiB stayed, from the first cycle on
// (docs/benchmarks.md, "Serving: memory").
void TuneAllocatorForServing() {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 10);
}

}  // namespace

CLI::App* AddServeCommand(CLI::App& app, ServeOptions& o) {
  CLI::App* cmd = app.add_subcommand("serve", "Serve models over HTTP (online prediction)");
  cmd->add_option("--host", o.host, "Address to listen on")->default_str("127.0.0.1");
  cmd->add_option("--port", o.port, "HTTP port (0 = any free port)")
      ->default_str("8080")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--models", o.models,
                  "Registered models to serve: NAME (latest version), NAME@ALIAS or NAME/VERSION; "
                  "repeat for several")
      ->type_name("SPEC");
  cmd->add_option("--model-dir", o.model_dir,
                  "Serve model files from DIR/NAME/VERSION/ instead of the registry")
      ->type_name("DIR");
  cmd->add_option("--threads", o.threads, "I/O and inference threads (0 = one per core)")
      ->default_str("0")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--poll-interval", o.poll_seconds,
                  "Seconds between checks for new versions and moved aliases")
      ->default_str("2")
      ->check(CLI::Range(0.05, 86400.0));
  cmd->add_option("--auth-token", o.auth_token,
                  "Require 'Authorization: Bearer TOKEN' on every route but health "
                  "[default: $KILN_SERVE_TOKEN]")
      ->type_name("TOKEN");
  cmd->add_option("--admin-token", o.admin_token,
                  "Require 'Authorization: Bearer TOKEN' on load and unload (else they need "
                  "--auth-token when that is set) [default: $KILN_SERVE_ADMIN_TOKEN]")
      ->type_name("TOKEN");
  cmd->add_option("--model-control", o.model_control,
                  "poll: serve what the source names and poll it (hot reload); explicit: load "
                  "only --load models and load requests, never poll")
      ->type_name("MODE")
      ->default_str("poll")
      ->check(CLI::IsMember({"poll", "explicit"}));
  cmd->add_option("--load", o.load,
                  "With --model-control explicit: load NAME, NAME@ALIAS or NAME/VERSION from the "
                  "registry or --model-dir at start; repeat for several")
      ->type_name("SPEC");
  cmd->add_option("--access-log", o.access_log, "One JSON line per request to FILE ('-' = stderr)")
      ->type_name("FILE");
  cmd->add_option("--max-body-mb", o.max_body_mb, "Largest request body accepted (413 above)")
      ->default_str("64")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-connections", o.max_connections, "Open connections accepted at once")
      ->default_str("4096")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-batch-size", o.max_batch_size,
                  "Dynamic batching: merge concurrent requests of a version into one prediction "
                  "of up to N rows (0 = off; a model directory's config.json can set it per model)")
      ->default_str("0")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--batch-delay-us", o.batch_delay_us,
                  "Dynamic batching: how long the first request of a batch waits for others")
      ->default_str("500")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--drain-timeout", o.drain_seconds,
                  "On shutdown, seconds in-flight requests may take to finish")
      ->default_str("10")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--port-file", o.port_file,
                  "Write the bound port to FILE once serving (useful with --port 0)")
      ->type_name("FILE");
  cmd->add_option("--grpc-port", o.grpc_port,
                  "Also serve the Open Inference Protocol over gRPC on PORT (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--grpc-port-file", o.grpc_port_file,
                  "Write the bound gRPC port to FILE once serving")
      ->type_name("FILE");
  cmd->add_option(
         "--tls-cert", o.tls_cert,
         "Serve HTTPS (and gRPC over TLS) with this PEM certificate chain; needs --tls-key")
      ->type_name("FILE");
  cmd->add_option("--tls-key", o.tls_key, "The PEM private key of --tls-cert")->type_name("FILE");
  cmd->footer(kServeExamples);
  return cmd;
}

core::Status RunServe(const ServeOptions& options, Session& session) {
  KILN_ASSIGN_OR_RETURN(const serve::ModelControlMode mode,
                        serve::ParseModelControlMode(options.model_control));
  const bool explicit_control = mode == serve::ModelControlMode::kExplicit;
  if (explicit_control && !options.models.empty()) {
    return core::InvalidArgument(
        "--models names what --model-control poll serves and polls; with explicit, load models "
        "at start with --load NAME[@ALIAS|/VERSION] (the registry is the repository unless "
        "--model-dir is given)");
  }
  if (!explicit_control && !options.load.empty()) {
    return core::InvalidArgument(
        "--load is for --model-control explicit; in poll mode --models or --model-dir name what "
        "is served");
  }
  if (!explicit_control && options.model_dir.empty() == options.models.empty()) {
    return core::InvalidArgument(
        "kiln serve needs exactly one model source: --models NAME[@ALIAS]... (the registry) or "
        "--model-dir DIR");
  }
  std::vector<serve::LoadRequest> loads;
  for (const std::string& text : options.load) {
    auto spec = serve::ParseModelSpec(text);
    if (!spec.ok())
      return core::InvalidArgument("--load '{}': expected NAME, NAME@ALIAS or NAME/VERSION", text);
    serve::LoadRequest request;
    request.model = spec->name;
    request.selector.alias = spec->alias;
    if (spec->version > 0) request.selector.version = spec->version;
    loads.push_back(std::move(request));
  }
  if (!options.grpc_port_file.empty() && options.grpc_port < 0)
    return core::InvalidArgument(
        "--grpc-port-file FILE needs --grpc-port PORT (0 = any free port)");
  if (options.tls_cert.empty() != options.tls_key.empty())
    return core::InvalidArgument(
        "TLS needs both --tls-cert FILE (a PEM certificate chain) and --tls-key FILE (its key)");
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* algorithms, session.Registry());
  TuneAllocatorForServing();
  serve::ProcessorRegistry processors("processor");
  KILN_RETURN_IF_ERROR(serve::RegisterBuiltinProcessors(processors, *algorithms));

  serve::ServerOptions server_options;
  server_options.http.host = options.host;
  server_options.http.port = options.port;
  server_options.http.threads = options.threads;
  server_options.http.max_body_bytes = options.max_body_mb << 20;
  server_options.http.max_connections = options.max_connections;
  server_options.http.tls_cert_file = options.tls_cert;
  server_options.http.tls_key_file = options.tls_key;
  server_options.poll_seconds = options.poll_seconds;
  server_options.auth_token = options.auth_token;
  if (server_options.auth_token.empty()) {
    if (const char* token = std::getenv("KILN_SERVE_TOKEN")) server_options.auth_token = token;
  }
  server_options.admin_token = options.admin_token;
  if (server_options.admin_token.empty()) {
    if (const char* token = std::getenv("KILN_SERVE_ADMIN_TOKEN"))
      server_options.admin_token = token;
  }
  server_options.model_control = mode;
  server_options.initial_loads = std::move(loads);
  server_options.access_log = options.access_log;
  server_options.drain_seconds = options.drain_seconds;
  server_options.batching.max_batch_rows = options.max_batch_size;
  server_options.batching.max_delay_us = options.batch_delay_us;
  server_options.version = KILN_VERSION;
  server_options.grpc_port = options.grpc_port;
  const bool quiet = session.quiet();
  std::ostream& err = session.err();
  server_options.log = [quiet, &err](const std::string& line) {
    if (!quiet || line.starts_with("warning")) err << line << '\n' << std::flush;
  };

  std::unique_ptr<serve::ModelSource> source;
  if (!options.model_dir.empty()) {
    source = std::make_unique<serve::ModelDirSource>(options.model_dir);
  } else {
    std::vector<serve::ModelSpec> specs;
    for (const std::string& text : options.models) {
      KILN_ASSIGN_OR_RETURN(serve::ModelSpec spec, serve::ParseModelSpec(text));
      specs.push_back(std::move(spec));
    }
    KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
    KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
    KILN_ASSIGN_OR_RETURN(track::ArtifactStore * artifacts, session.Artifacts());
    source = std::make_unique<serve::RegistrySource>(*store, *artifacts, project_id,
                                                     std::move(specs), options.host);
  }
  serve::Server server(server_options, processors, std::move(source));
  KILN_RETURN_IF_ERROR(server.Start());
  err << fmt::format("kiln serve: listening on {}://{}:{} (Ctrl-C to stop)\n",
                     options.tls_cert.empty() ? "http" : "https", options.host, server.port())
      << std::flush;
  if (server.grpc_port() > 0) {
    err << fmt::format("kiln serve: gRPC (inference.GRPCInferenceService) on {}:{}\n", options.host,
                       server.grpc_port())
        << std::flush;
  }
  if (!options.grpc_port_file.empty()) {
    KILN_RETURN_IF_ERROR(
        core::WriteFileAtomic(options.grpc_port_file, std::to_string(server.grpc_port())));
  }
  if (!options.port_file.empty()) {
    KILN_RETURN_IF_ERROR(core::WriteFileAtomic(options.port_file, std::to_string(server.port())));
  }
  while (!session.cancellation().cancelled())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  err << "kiln serve: stopping (draining in-flight requests)\n" << std::flush;
  server.Stop();
  return core::Status::Ok();
}

}  // namespace kiln::cli
