// Temporary until the libpq dialect is merged.
#include "kiln/track/sql_connection.h"
namespace kiln::track {
core::Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& uri) {
  return core::Status(core::StatusCode::kUnimplemented, "postgres: " + uri);
}
}  // namespace kiln::track
