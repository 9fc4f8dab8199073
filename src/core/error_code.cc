#include "kiln/core/error_code.h"

#include <array>

namespace kiln::core {
namespace {

// grpc::StatusCode values: OK 0, CANCELLED 1, UNKNOWN 2, INVALID_ARGUMENT 3, NOT_FOUND 5,
// ALREADY_EXISTS 6, PERMISSION_DENIED 7, RESOURCE_EXHAUSTED 8, FAILED_PRECONDITION 9, UNIMPLEMENTED
// 12, INTERNAL 13, UNAVAILABLE 14, DATA_LOSS 15.
constexpr std::array<ErrorSurface, 15> kTable = {{
    {StatusCode::kOk, kExitOk, 200, 0, ""},
    {StatusCode::kInvalidArgument, kExitUsage, 400, 3, "error"},
    {StatusCode::kNotFound, kExitNotFound, 404, 5, "not found"},
    {StatusCode::kAlreadyExists, kExitNotFound, 409, 6, "already exists"},
    {StatusCode::kParseError, kExitBadData, 400, 3, "parse error"},
    {StatusCode::kDataError, kExitBadData, 422, 3, "data error"},
    {StatusCode::kIoError, kExitIo, 500, 14, "i/o error"},
    {StatusCode::kCorrupt, kExitBadFile, 500, 15, "corrupt file"},
    {StatusCode::kVersionMismatch, kExitBadFile, 500, 9, "version mismatch"},
    {StatusCode::kFailedPrecondition, kExitNotFound, 412, 9, "error"},
    {StatusCode::kResourceExhausted, kExitLimit, 413, 8, "limit exceeded"},
    {StatusCode::kCancelled, kExitCancelled, 499, 1, "cancelled"},
    {StatusCode::kUnimplemented, kExitUnimplemented, 501, 12, "not implemented"},
    {StatusCode::kPermissionDenied, kExitDenied, 403, 7, "permission denied"},
    {StatusCode::kInternal, kExitInternal, 500, 13, "internal error"},
}};

}  // namespace

const ErrorSurface& SurfaceFor(StatusCode code) {
  for (const auto& row : kTable) {
    if (row.code == code) return row;
  }
  return kTable.back();
}

}  // namespace kiln::core
