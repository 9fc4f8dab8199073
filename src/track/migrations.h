// Schema migrations: numbered SQL files (schema/migrations/NNNN_name.sql) applied in order, each
// recorded in kiln_schema_version. Written once for both dialects; `${ID}` in a file stands for
// the dialect's auto-increment primary key
// (never reusing a deleted id). Private to src/track.
#pragma once

#include <span>
#include <string_view>

#include "kiln/core/status.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The migrations compiled into this binary, in version order (generated at build time).
std::span<const Migration> BuiltinMigrations();

// The SQL of `migration` for `dialect` (placeholders substituted).
std::string MigrationSql(const Migration& migration, Dialect dialect);

// Brings the store up to the newest of `migrations` in one transaction, under an exclusive lock
// so concurrent openers apply each migration once. kVersionMismatch if the store was written by a
// newer Kiln (its version is above every migration here).
core::Status Migrate(SqlConnection& db, std::span<const Migration> migrations);

// The schema version recorded in the store (0 for an empty store).
core::Result<int> SchemaVersion(SqlConnection& db);

}  // namespace kiln::track
