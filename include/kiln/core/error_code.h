// The one table that maps a StatusCode to every surface Kiln has: the CLI's exit code and message
// prefix, the HTTP status a server answers with, and the gRPC status code. Surfaces convert at the
// boundary through this table only.
#pragma once

#include <string_view>

#include "kiln/core/status.h"

namespace kiln::core {

struct ErrorSurface {
  StatusCode code;
  int exit_code;            // process exit code of the `kiln` CLI
  int http_status;          // HTTP status of the REST surfaces
  int grpc_code;            // grpc::StatusCode value
  std::string_view prefix;  // "error", "data error", ... shown before the message on the CLI
};

// Returns the row for `code`; total (every StatusCode has a row).
const ErrorSurface& SurfaceFor(StatusCode code);

// CLI exit codes, for documentation and tests.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitBadData = 4;
inline constexpr int kExitIo = 5;
inline constexpr int kExitBadFile = 6;
inline constexpr int kExitLimit = 7;
inline constexpr int kExitUnimplemented = 8;
inline constexpr int kExitDenied = 9;
inline constexpr int kExitCancelled = 130;

}  // namespace kiln::core
