// SqlConnection: one connection to the MetaStore's SQL database, with the differences between
// the two dialects (SQLite embedded, PostgreSQL through libpq) kept behind it.
//
// Statements use `?` placeholders in both dialects (the PostgreSQL connection rewrites them to
// $1, $2, ...); every value from a user goes through a bound parameter, never into SQL text.
// A connection is used by one thread at a time (thread-compatible); open one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kiln/core/result.h"

namespace kiln::track {

enum class Dialect { kSqlite, kPostgres };
std::string_view DialectName(Dialect dialect);

// A bound parameter or a result cell. NULL is std::monostate.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

// One result row. Accessors convert between integer, real and text the way SQL does; a NULL
// cell reads as 0 / 0.0 / "".
class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> cells) : cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(cells_[i]); }
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  std::string Text(size_t i) const;
  const SqlValue& cell(size_t i) const { return cells_[i]; }

 private:
  std::vector<SqlValue> cells_;
};

using SqlRows = std::vector<SqlRow>;

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  // Where this connection points, for messages ("sqlite:/home/u/.kiln/kiln.db",
  // "postgresql://host:5432/db", password removed).
  virtual const std::string& description() const = 0;

  // Runs one statement with `?` placeholders bound to `params` and returns its rows (empty for
  // statements without results). kInvalidArgument if the number of `?` and params differ.
  // A busy/locked database is retried inside (busy timeout) before an error is returned; a
  // unique-constraint violation is kAlreadyExists.
  virtual core::Result<SqlRows> Query(std::string_view sql, std::span<const SqlValue> params) = 0;
  // Runs one statement and returns the number of rows it changed.
  virtual core::Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) = 0;
  // Runs several `;`-separated statements without parameters (schema migrations).
  virtual core::Status ExecuteScript(std::string_view sql) = 0;

  // Transactions. BeginWrite starts a transaction that will write (SQLite: BEGIN IMMEDIATE, so
  // writers queue on the busy timeout instead of failing at commit; PostgreSQL: BEGIN).
  virtual core::Status BeginWrite() = 0;
  virtual core::Status BeginRead() = 0;
  virtual core::Status Commit() = 0;
  virtual core::Status Rollback() = 0;
  // Inside a write transaction: blocks other processes that try to take the same lock until this
  // transaction ends (PostgreSQL: pg_advisory_xact_lock; SQLite: BEGIN IMMEDIATE already does).
  virtual core::Status LockExclusive(int64_t key) = 0;

  // Convenience overloads.
  core::Result<SqlRows> Query(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return Query(sql, std::span<const SqlValue>(params.begin(), params.size()));
  }
  core::Result<int64_t> Execute(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return Execute(sql, std::span<const SqlValue>(params.begin(), params.size()));
  }
};

// Opens (creating if missing) a SQLite database file in WAL mode with a busy timeout, foreign
// keys on and synchronous=NORMAL. Parent directories are created.
core::Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path);

// Connects to PostgreSQL through libpq. `uri` is a libpq connection URI
// ("postgresql://user@host:port/db?..."). kIoError with the server's message (and the URI
// without its password) if it cannot connect.
core::Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& uri);

// `uri` without its password (user-info of a URI, a password= parameter or keyword), for
// messages and records.
std::string RedactPassword(std::string_view uri);

// Counts the `?` placeholders outside quoted strings. Shared by both dialects.
size_t CountPlaceholders(std::string_view sql);
// Rewrites `?` outside quoted strings to $1, $2, ... (PostgreSQL).
std::string NumberPlaceholders(std::string_view sql);

}  // namespace kiln::track
