// WriteTransaction: runs a function inside one write transaction — commit when it returns OK,
// roll back otherwise — so a store is never left half-written. Private to src/track.
#pragma once

#include <chrono>
#include <functional>

#include "kiln/core/status.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

core::Status WriteTransaction(SqlConnection& db, const std::function<core::Status()>& body);

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kiln::track
