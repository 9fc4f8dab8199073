// MpiCheck: an MPI return code as a Status (private to kiln_dist_mpi).
#pragma once

#include <mpi.h>

#include <string>

#include "kiln/core/status.h"

namespace kiln::dist {

// OK for MPI_SUCCESS; otherwise kIoError naming `call` and MPI's description of `rc`.
inline core::Status MpiCheck(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return core::Status::Ok();
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  return core::IoError("{} failed: {}", call, std::string(text, static_cast<size_t>(length)));
}

}  // namespace kiln::dist
