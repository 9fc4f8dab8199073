// The SQLite dialect: one sqlite3 handle in WAL mode with a busy timeout and a cache of prepared
// statements (the metric-logging path runs the same INSERT thousands of times).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include "kiln/core/file.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;

// How long one statement waits for another process's write lock before reporting "busy", and
// how many times a busy BEGIN IMMEDIATE is retried after that.
constexpr int kBusyTimeoutMs = 20000;
constexpr int kBusyRetries = 10;

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path)
      : db_(db), description_("sqlite:" + std::move(path)) {}
  ~SqliteConnection() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& description() const override { return description_; }

  Result<SqlRows> Query(std::string_view sql, std::span<const SqlValue> params) override {
    SqlRows rows;
    KILN_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    for (int attempt = 0;; ++attempt) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        rows.emplace_back(ReadRow(stmt));
        continue;
      }
      if (rc == SQLITE_DONE) break;
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < kBusyRetries && rows.empty() &&
          sqlite3_get_autocommit(db_) != 0) {
        sqlite3_reset(stmt);
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
        continue;
      }
      Status error = Error(rc, sql);
      sqlite3_reset(stmt);
      return error;
    }
    sqlite3_reset(stmt);
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override {
    KILN_ASSIGN_OR_RETURN(SqlRows rows, Query(sql, params));
    (void)rows;
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  Status ExecuteScript(std::string_view sql) override {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return Status::Ok();
    Status error = Error(rc, sql, message != nullptr ? message : sqlite3_errmsg(db_));
    sqlite3_free(message);
    return error;
  }

  // For statements SQLite answers "busy" without calling the busy handler (switching a new file
  // to WAL while other processes open it too): retried with backoff until the busy timeout.
  Status ExecuteUntilNotBusy(std::string_view sql) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (int attempt = 0;; ++attempt) {
      Status s = ExecuteScript(sql);
      const int rc = sqlite3_errcode(db_) & 0xff;
      if (s.ok() || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() >= deadline) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 * (attempt + 1), 100)));
    }
  }

  Status BeginWrite() override {
    // BEGIN IMMEDIATE takes the write lock now, so a writer waits on the busy timeout here
    // instead of failing later when a read transaction tries to upgrade.
    for (int attempt = 0;; ++attempt) {
      Status s = ExecuteScript("BEGIN IMMEDIATE");
      const int rc = sqlite3_errcode(db_) & 0xff;
      if (s.ok() || attempt >= kBusyRetries || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
    }
  }
  Status BeginRead() override { return ExecuteScript("BEGIN DEFERRED"); }
  Status Commit() override { return ExecuteScript("COMMIT"); }
  Status Rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // nothing open
    return ExecuteScript("ROLLBACK");
  }
  Status LockExclusive(int64_t /*key*/) override { return Status::Ok(); }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql, std::span<const SqlValue> params) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
      const size_t expected = CountPlaceholders(sql);
      if (expected != params.size()) return PlaceholderMismatch(sql, expected, params.size());
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      if (rc != SQLITE_OK) return Error(rc, sql);
      it = cache_.emplace(std::string(sql), StatementPtr(raw)).first;
    }
    sqlite3_stmt* stmt = it->second.get();
    if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
      return PlaceholderMismatch(sql, sqlite3_bind_parameter_count(stmt), params.size());
    }
    sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      int rc = SQLITE_OK;
      if (const auto* x = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *x);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) return Error(rc, sql);
    }
    return stmt;
  }

  static SqlRow ReadRow(sqlite3_stmt* stmt) {
    const int n = sqlite3_column_count(stmt);
    std::vector<SqlValue> cells;
    cells.reserve(static_cast<size_t>(n));
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          cells.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          cells.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_NULL:
          cells.emplace_back(std::monostate{});
          break;
        default: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          cells.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
    }
    return SqlRow(std::move(cells));
  }

  static Status PlaceholderMismatch(std::string_view sql, size_t expected, size_t found) {
    return core::InvalidArgument(
        "SQL statement has {} '?' placeholders but {} values were bound: {}", expected, found,
        sql.substr(0, 200));
  }

  Status Error(int rc, std::string_view sql, std::string_view message = {}) const {
    const std::string text = message.empty() ? sqlite3_errmsg(db_) : std::string(message);
    const int extended = sqlite3_extended_errcode(db_);
    const std::string where = fmt::format("{} (in {}: {})", text, description_, sql.substr(0, 200));
    if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Status(StatusCode::kAlreadyExists, where);
    }
    if (extended == SQLITE_CONSTRAINT_FOREIGNKEY || (rc & 0xff) == SQLITE_CONSTRAINT) {
      return Status(StatusCode::kFailedPrecondition, where);
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      return Status(StatusCode::kIoError,
                    fmt::format("the store stayed locked by another process for {} s: {}",
                                kBusyTimeoutMs / 1000, where));
    }
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
      return Status(StatusCode::kCorrupt, where);
    }
    return Status(StatusCode::kIoError, where);
  }

  sqlite3* db_;
  std::string description_;
  std::unordered_map<std::string, StatementPtr> cache_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    Status s = core::CreateDirectories(parent.string());
    if (!s.ok()) return s.AddContext("while creating the directory of the store " + path);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status(StatusCode::kIoError,
                  fmt::format("cannot open the SQLite store {}: {}", path, message));
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // The last connection of a process to close would checkpoint the WAL into the database (two
  // fsyncs, ~10-30 ms on a VM disk) on every kiln command; the WAL is checkpointed as it grows
  // instead (every 1000 pages), and the next opener reads it as usual.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  auto connection = std::make_unique<SqliteConnection>(db, path);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes (only a
  // power loss can drop the last transactions); foreign keys are off by default in SQLite.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    Status s = connection->ExecuteUntilNotBusy(pragma);
    if (!s.ok()) return s.AddContext("while opening the SQLite store " + path);
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace kiln::track
