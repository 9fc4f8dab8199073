// The PostgreSQL dialect of SqlConnection, through libpq.
//
// Parameters go as text (PQexecParams, format 0). An int64 is declared int8 and a double float8,
// so `SELECT ?` and `? + 1` have the type of the value bound; a string and NULL are left for the
// server to infer from where they are used (so '2024-01-01' binds to a timestamp column). Result
// cells become SqlValues by column type: int2/int4/int8 -> int64, float4/float8/numeric ->
// double, NULL -> monostate, anything else its text.
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "kiln/core/strings.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {
namespace {

using core::Result;
using core::Status;

// Type OIDs from the server's pg_type catalog (stable across versions; the catalog header is
// only in the server development package).
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

constexpr size_t kStatementExcerpt = 200;

// The password in `uri`, if any, so it can be scrubbed from libpq's messages too.
std::string PasswordOf(const std::string& uri) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (options == nullptr) return {};
  std::string password;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) password = o->val;
  }
  PQconninfoFree(options);
  return password;
}

std::string Scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

std::string TrimMessage(const char* message) {
  return std::string(core::Trim(message == nullptr ? "" : message));
}

std::string ParamText(const SqlValue& v) {
  if (const auto* x = std::get_if<int64_t>(&v)) return fmt::format("{}", *x);
  if (const auto* x = std::get_if<double>(&v)) {
    if (std::isnan(*x)) return "NaN";
    if (std::isinf(*x)) return *x > 0 ? "Infinity" : "-Infinity";
    return fmt::format("{}", *x);
  }
  return std::get<std::string>(v);
}

Oid ParamType(const SqlValue& v) {
  if (std::holds_alternative<int64_t>(v)) return kInt8Oid;
  if (std::holds_alternative<double>(v)) return kFloat8Oid;
  return 0;  // the server infers it
}

SqlValue CellValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return std::monostate{};
  const std::string_view text(PQgetvalue(res, row, col),
                              static_cast<size_t>(PQgetlength(res, row, col)));
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      int64_t out = 0;
      std::from_chars(text.data(), text.data() + text.size(), out);
      return out;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      // The server writes "NaN", "Infinity" and "-Infinity"; ParseDouble reads them all.
      if (auto d = core::ParseDouble(text)) return *d;
      return std::string(text);
    default:
      return std::string(text);
  }
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(ConnPtr conn, std::string description)
      : conn_(std::move(conn)), description_(std::move(description)) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& description() const override { return description_; }

  Result<SqlRows> Query(std::string_view sql, std::span<const SqlValue> params) override {
    KILN_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
    SqlRows rows;
    const int n_rows = PQntuples(res.get());
    const int n_cols = PQnfields(res.get());
    rows.reserve(static_cast<size_t>(n_rows));
    for (int r = 0; r < n_rows; ++r) {
      std::vector<SqlValue> cells;
      cells.reserve(static_cast<size_t>(n_cols));
      for (int c = 0; c < n_cols; ++c) cells.push_back(CellValue(res.get(), r, c));
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, std::span<const SqlValue> params) override {
    KILN_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
    // "" for statements that do not count rows (CREATE, BEGIN, ...).
    const char* count = PQcmdTuples(res.get());
    int64_t n = 0;
    if (count != nullptr) std::from_chars(count, count + std::strlen(count), n);
    return n;
  }

  Status ExecuteScript(std::string_view sql) override {
    const std::string text(sql);
    ResultPtr res(PQexec(conn_.get(), text.c_str()));
    return Check(res.get(), sql);
  }

  Status BeginWrite() override { return Simple("BEGIN"); }
  Status BeginRead() override { return Simple("BEGIN READ ONLY"); }
  Status Rollback() override { return Simple("ROLLBACK"); }

  Status Commit() override {
    ResultPtr res(PQexec(conn_.get(), "COMMIT"));
    KILN_RETURN_IF_ERROR(Check(res.get(), "COMMIT"));
    // COMMIT of a transaction that an earlier statement aborted succeeds as a ROLLBACK.
    if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
      return core::FailedPrecondition(
          "expected COMMIT to commit the transaction on {}, found it had been aborted by an "
          "earlier error and was rolled back instead",
          description_);
    }
    return Status::Ok();
  }

  Status LockExclusive(int64_t key) override {
    if (PQtransactionStatus(conn_.get()) != PQTRANS_INTRANS) {
      return core::FailedPrecondition(
          "expected LockExclusive({}) inside an open transaction on {}, found none (a "
          "transaction-scoped lock taken outside one is released at once)",
          key, description_);
    }
    const SqlValue param = key;
    return Run("SELECT pg_advisory_xact_lock(?)", std::span<const SqlValue>(&param, 1)).status();
  }

 private:
  Status Simple(const char* sql) {
    ResultPtr res(PQexec(conn_.get(), sql));
    return Check(res.get(), sql);
  }

  Result<ResultPtr> Run(std::string_view sql, std::span<const SqlValue> params) {
    const size_t expected = CountPlaceholders(sql);
    if (expected != params.size()) {
      return core::InvalidArgument(
          "expected {} parameters for the {} `?` placeholders of statement '{}', found {}",
          expected, expected, core::Excerpt(sql, kStatementExcerpt), params.size());
    }
    const std::string text = NumberPlaceholders(sql);
    std::vector<std::string> values(params.size());
    std::vector<const char*> pointers(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      types[i] = ParamType(params[i]);
      if (std::holds_alternative<std::monostate>(params[i])) continue;
      values[i] = ParamText(params[i]);
      pointers[i] = values[i].c_str();
    }
    ResultPtr res(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(params.size()),
                               types.data(), pointers.data(), /*paramLengths=*/nullptr,
                               /*paramFormats=*/nullptr, /*resultFormat=*/0));
    KILN_RETURN_IF_ERROR(Check(res.get(), sql));
    return res;
  }

  // OK for a completed command or a row set; otherwise the error mapped to a StatusCode.
  Status Check(const PGresult* res, std::string_view sql) const {
    const ExecStatusType st = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
      return Status::Ok();
    }
    const char* state = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const std::string sqlstate = state == nullptr ? "" : state;
    std::string message = res == nullptr ? TrimMessage(PQerrorMessage(conn_.get()))
                                         : TrimMessage(PQresultErrorMessage(res));
    if (message.empty()) message = fmt::format("unexpected result {}", PQresStatus(st));
    const std::string where =
        fmt::format("on {} in statement '{}'", description_, core::Excerpt(sql, kStatementExcerpt));
    if (sqlstate == "23505") {
      return core::AlreadyExists("{} (SQLSTATE {}) {}", message, sqlstate, where);
    }
    if (sqlstate == "23503") {
      return core::FailedPrecondition("{} (SQLSTATE {}) {}", message, sqlstate, where);
    }
    if (sqlstate == "40001" || sqlstate == "40P01") {
      return core::IoError(
          "{} (SQLSTATE {}) {}; the transaction was aborted and can be retried from its BEGIN",
          message, sqlstate, where);
    }
    if (sqlstate.empty() && PQstatus(conn_.get()) != CONNECTION_OK) {
      return core::IoError("lost the connection to PostgreSQL: {} {}", message, where);
    }
    return core::IoError("PostgreSQL error: {} (SQLSTATE {}) {}", message,
                         sqlstate.empty() ? "none" : sqlstate, where);
  }

  ConnPtr conn_;
  std::string description_;
};

}  // namespace

// `uri` without its password: the user-info part of a URI ("postgresql://u:pw@host/db"),
// a `password=` query parameter and a `password=` keyword of a "key=value" string.
std::string RedactPassword(std::string_view uri) {
  std::string out(uri);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // password=... up to the next '&' (URI query) or space (keyword form).
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos)) {
    const bool starts_word = pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&' ||
                             out[pos - 1] == ' ' || out[pos - 1] == '\t';
    if (!starts_word) {
      pos += 9;
      continue;
    }
    size_t end = out.find_first_of("& \t", pos);
    if (end == std::string::npos) end = out.size();
    if (end < out.size() && out[end] == '&') ++end;
    out.erase(pos, end - pos);
  }
  while (!out.empty() && (out.back() == '&' || out.back() == '?' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& uri) {
  const std::string description = RedactPassword(uri);
  const std::string password = PasswordOf(uri);
  ConnPtr conn(PQconnectdb(uri.c_str()));
  if (conn == nullptr) {
    return core::IoError("cannot connect to PostgreSQL at {}: libpq is out of memory", description);
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return core::IoError("cannot connect to PostgreSQL at {}: {}", description,
                         Scrub(TrimMessage(PQerrorMessage(conn.get())), password));
  }
  // NOTICEs (e.g. "table does not exist, skipping") would go to stderr; doubles come back with
  // enough digits to read back exactly.
  auto pg = std::make_unique<PostgresConnection>(std::move(conn), description);
  KILN_RETURN_IF_ERROR(
      pg->ExecuteScript("SET client_min_messages = warning; SET extra_float_digits = 3"));
  return std::unique_ptr<SqlConnection>(std::move(pg));
}

}  // namespace kiln::track
