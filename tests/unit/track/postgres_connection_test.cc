// Runs against the throwaway server that CTest's `postgres` fixture starts
// (scripts/pg-test-server.sh). Every test works in its own schema, so tests can run in parallel
// against one database.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "kiln/core/strings.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {
namespace {

using core::StatusCode;

std::string RandomSuffix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

class PostgresConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* file = std::getenv("KILN_TEST_POSTGRES_URI_FILE");
    if (file == nullptr) {
      GTEST_SKIP() << "KILN_TEST_POSTGRES_URI_FILE is not set; run under ctest, or start a "
                      "server with scripts/pg-test-server.sh start DIR and set it to DIR/uri";
    }
    std::ifstream in(file);
    ASSERT_TRUE(std::getline(in, uri_)) << "cannot read a URI from " << file;
    uri_ = std::string(core::Trim(uri_));
    schema_ = "kiln_t_" + RandomSuffix();
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
    ASSERT_TRUE(conn_->ExecuteScript(fmt::format("CREATE SCHEMA {}", schema_)).ok());
    ASSERT_TRUE(conn_->ExecuteScript(fmt::format("SET search_path TO {}", schema_)).ok());
  }

  void TearDown() override {
    if (conn_ == nullptr) return;
    conn_.reset();  // ends any transaction a failed test left open
    auto conn = OpenPostgres(uri_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    EXPECT_TRUE((*conn)->ExecuteScript(fmt::format("DROP SCHEMA {} CASCADE", schema_)).ok());
  }

  // A further connection working in this test's schema (nullptr and a failure if it cannot).
  std::unique_ptr<SqlConnection> Connect() {
    auto conn = OpenPostgres(uri_);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return nullptr;
    if (!schema_.empty() && conn_ != nullptr) {
      EXPECT_TRUE((*conn)->ExecuteScript(fmt::format("SET search_path TO {}", schema_)).ok());
    }
    return std::move(conn).value();
  }

  std::string uri_;
  std::string schema_;
  std::unique_ptr<SqlConnection> conn_;
};

TEST_F(PostgresConnectionTest, RoundTripsEveryTypeIncludingNull) {
  ASSERT_TRUE(conn_
                  ->ExecuteScript("CREATE TABLE items (id BIGSERIAL PRIMARY KEY, i BIGINT, "
                                  "small INTEGER, d DOUBLE PRECISION, n NUMERIC, s TEXT)")
                  .ok());
  const std::string quoted = "O'Reilly said \"hi\"; what? $1 '' -- not a comment";
  const std::string unicode = "naïve café — 日本語 🚀";
  const char* insert = "INSERT INTO items (i, small, d, n, s) VALUES (?, ?, ?, ?, ?)";
  const int64_t big = std::numeric_limits<int64_t>::max();
  ASSERT_TRUE(conn_->Execute(insert, {big, int64_t{-7}, 0.1, 2.5, quoted}).ok());
  ASSERT_TRUE(conn_
                  ->Execute(insert, {std::monostate{}, std::monostate{}, std::monostate{},
                                     std::monostate{}, std::monostate{}})
                  .ok());
  ASSERT_TRUE(conn_->Execute(insert, {int64_t{0}, int64_t{1}, 1.0 / 3.0, 1e-300, unicode}).ok());

  auto rows = conn_->Query("SELECT i, small, d, n, s FROM items ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  const SqlRow& a = (*rows)[0];
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(std::get<int64_t>(a.cell(0)), big);
  EXPECT_EQ(std::get<int64_t>(a.cell(1)), -7);
  EXPECT_EQ(std::get<double>(a.cell(2)), 0.1);
  EXPECT_EQ(std::get<double>(a.cell(3)), 2.5);
  EXPECT_EQ(std::get<std::string>(a.cell(4)), quoted);
  const SqlRow& b = (*rows)[1];
  for (size_t i = 0; i < b.size(); ++i) EXPECT_TRUE(b.IsNull(i)) << "column " << i;
  const SqlRow& c = (*rows)[2];
  EXPECT_EQ(std::get<double>(c.cell(2)), 1.0 / 3.0);  // shortest round-trip text both ways
  EXPECT_EQ(std::get<double>(c.cell(3)), 1e-300);
  EXPECT_EQ(std::get<std::string>(c.cell(4)), unicode);

  // Parameters matched by value, including the ones with quotes and `?` in them.
  auto found = conn_->Query("SELECT count(*) FROM items WHERE s = ? OR s = ?", {quoted, unicode});
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ((*found)[0].Int(0), 2);
}

TEST_F(PostgresConnectionTest, BoundValuesKeepTheirTypes) {
  const double inf = std::numeric_limits<double>::infinity();
  // A NULL has no type of its own: it takes the one its context gives (here a cast).
  auto rows = conn_->Query("SELECT ?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT) IS NULL",
                           {int64_t{-42}, 5e-324, inf, -inf, std::nan(""), std::string("x?"),
                            std::string("2024-01-02"), std::monostate{}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const SqlRow& r = (*rows)[0];
  EXPECT_EQ(std::get<int64_t>(r.cell(0)), -42);
  EXPECT_EQ(std::get<double>(r.cell(1)), 5e-324);
  EXPECT_EQ(std::get<double>(r.cell(2)), inf);
  EXPECT_EQ(std::get<double>(r.cell(3)), -inf);
  EXPECT_TRUE(std::isnan(std::get<double>(r.cell(4))));
  EXPECT_EQ(std::get<std::string>(r.cell(5)), "x?");
  EXPECT_EQ(std::get<std::string>(r.cell(6)), "2024-01-02");
  EXPECT_EQ(std::get<std::string>(r.cell(7)), "t");  // bool: not an integer type, so text

  // A string binds to whatever type its context needs.
  auto date = conn_->Query("SELECT ?::date + 1", {std::string("2024-02-28")});
  ASSERT_TRUE(date.ok()) << date.status().ToString();
  EXPECT_EQ((*date)[0].Text(0), "2024-02-29");
}

TEST_F(PostgresConnectionTest, ReturningIdAndChangedRowCounts) {
  auto created = conn_->Execute("CREATE TABLE runs (id BIGSERIAL PRIMARY KEY, score REAL)");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(*created, 0);
  for (int64_t want = 1; want <= 3; ++want) {
    auto id = conn_->Query("INSERT INTO runs (score) VALUES (?) RETURNING id",
                           {static_cast<double>(want) / 4});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_EQ(id->size(), 1u);
    EXPECT_EQ(std::get<int64_t>((*id)[0].cell(0)), want);
  }
  auto updated = conn_->Execute("UPDATE runs SET score = score * 2 WHERE id >= ?", {int64_t{2}});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(*updated, 2);
  auto real = conn_->Query("SELECT score FROM runs WHERE id = ?", {int64_t{3}});
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(std::get<double>((*real)[0].cell(0)), 1.5);  // REAL (float4) reads as a double
  auto none = conn_->Execute("DELETE FROM runs WHERE id > ?", {int64_t{100}});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto deleted = conn_->Execute("DELETE FROM runs");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 3);
}

TEST_F(PostgresConnectionTest, ConstraintViolationsMapToStatusCodes) {
  ASSERT_TRUE(conn_
                  ->ExecuteScript("CREATE TABLE experiments (id BIGINT PRIMARY KEY, name TEXT "
                                  "UNIQUE); CREATE TABLE runs (id BIGINT PRIMARY KEY, "
                                  "experiment BIGINT REFERENCES experiments (id))")
                  .ok());
  ASSERT_TRUE(conn_->Execute("INSERT INTO experiments VALUES (?, ?)", {int64_t{1}, "a"}).ok());
  auto dup = conn_->Execute("INSERT INTO experiments VALUES (?, ?)", {int64_t{2}, "a"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists) << dup.status().ToString();
  EXPECT_NE(dup.status().message().find("23505"), std::string::npos);

  auto fk = conn_->Execute("INSERT INTO runs VALUES (?, ?)", {int64_t{1}, int64_t{99}});
  ASSERT_FALSE(fk.ok());
  EXPECT_EQ(fk.status().code(), StatusCode::kFailedPrecondition) << fk.status().ToString();
}

TEST_F(PostgresConnectionTest, WrongParameterCountIsInvalidArgument) {
  auto few = conn_->Query("SELECT ?, ?", {int64_t{1}});
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(few.status().message().find("expected 2"), std::string::npos) << few.status().message();
  auto quoted = conn_->Execute("SELECT '?'", {int64_t{1}});
  ASSERT_FALSE(quoted.ok());
  EXPECT_EQ(quoted.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PostgresConnectionTest, OtherErrorsAreIoErrorsWithSqlstateAndStatement) {
  auto bad = conn_->Query("SELEC 1 FROM nowhere");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kIoError);
  const std::string& msg = bad.status().message();
  EXPECT_NE(msg.find("42601"), std::string::npos) << msg;
  EXPECT_NE(msg.find("SELEC 1 FROM nowhere"), std::string::npos) << msg;
  EXPECT_NE(msg.find("syntax error"), std::string::npos) << msg;

  const std::string long_sql =
      "SELECT * FROM missing_table WHERE x = '" + std::string(500, 'y') + "'";
  auto missing = conn_->Query(long_sql);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_NE(missing.status().message().find("42P01"), std::string::npos);
  EXPECT_EQ(missing.status().message().find(std::string(300, 'y')), std::string::npos)
      << "the statement is quoted only in part";
}

TEST_F(PostgresConnectionTest, RollbackDiscardsAndCommitKeeps) {
  ASSERT_TRUE(conn_->ExecuteScript("CREATE TABLE t (x BIGINT)").ok());
  ASSERT_TRUE(conn_->BeginWrite().ok());
  ASSERT_TRUE(conn_->Execute("INSERT INTO t VALUES (?)", {int64_t{1}}).ok());
  ASSERT_TRUE(conn_->Rollback().ok());
  auto count = conn_->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ((*count)[0].Int(0), 0);

  ASSERT_TRUE(conn_->BeginWrite().ok());
  ASSERT_TRUE(conn_->Execute("INSERT INTO t VALUES (?)", {int64_t{2}}).ok());
  ASSERT_TRUE(conn_->Commit().ok());
  count = conn_->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ((*count)[0].Int(0), 1);

  // A read transaction refuses writes.
  ASSERT_TRUE(conn_->BeginRead().ok());
  EXPECT_FALSE(conn_->Execute("INSERT INTO t VALUES (?)", {int64_t{3}}).ok());
  ASSERT_TRUE(conn_->Rollback().ok());
}

TEST_F(PostgresConnectionTest, CommitOfAnAbortedTransactionIsAnError) {
  ASSERT_TRUE(conn_->ExecuteScript("CREATE TABLE t (x BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE(conn_->BeginWrite().ok());
  ASSERT_TRUE(conn_->Execute("INSERT INTO t VALUES (?)", {int64_t{1}}).ok());
  EXPECT_FALSE(conn_->Execute("INSERT INTO t VALUES (?)", {int64_t{1}}).ok());
  auto commit = conn_->Commit();
  EXPECT_EQ(commit.code(), StatusCode::kFailedPrecondition) << commit.ToString();
  auto count = conn_->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ((*count)[0].Int(0), 0);
}

TEST_F(PostgresConnectionTest, LockExclusiveHoldsUntilTheTransactionEnds) {
  std::random_device rd;
  const int64_t key = (static_cast<int64_t>(rd()) << 20) ^ rd();
  EXPECT_EQ(conn_->LockExclusive(key).code(), StatusCode::kFailedPrecondition)
      << "outside a transaction";

  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(conn_->BeginWrite().ok());
  auto locked = conn_->LockExclusive(key);
  ASSERT_TRUE(locked.ok()) << locked.ToString();
  auto try_lock = [&] {
    auto r = other->Query("SELECT pg_try_advisory_xact_lock(?)", {key});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0].Text(0) : "";
  };
  ASSERT_TRUE(other->BeginWrite().ok());
  EXPECT_EQ(try_lock(), "f");
  ASSERT_TRUE(other->Rollback().ok());

  ASSERT_TRUE(conn_->Commit().ok());
  ASSERT_TRUE(other->BeginWrite().ok());
  EXPECT_EQ(try_lock(), "t");
  EXPECT_TRUE(other->LockExclusive(key).ok());
  ASSERT_TRUE(other->Commit().ok());
}

TEST_F(PostgresConnectionTest, DescriptionLeavesOutThePassword) {
  std::string with_password = uri_;
  const size_t at = with_password.find('@');
  ASSERT_NE(at, std::string::npos) << uri_;
  with_password.insert(at, ":hunter2");  // trust auth ignores it
  auto conn = OpenPostgres(with_password);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_EQ((*conn)->dialect(), Dialect::kPostgres);
  EXPECT_EQ((*conn)->description(), uri_);
}

TEST_F(PostgresConnectionTest, ALostConnectionIsAnIoError) {
  auto victim = Connect();
  ASSERT_NE(victim, nullptr);
  auto pid = victim->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  auto killed = conn_->Query("SELECT pg_terminate_backend(?::int)", {(*pid)[0].Int(0)});
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  auto after = victim->Query("SELECT 1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kIoError) << after.status().ToString();
}

TEST(OpenPostgresTest, UnreachableServerIsAnIoErrorWithoutThePassword) {
  auto conn = OpenPostgres("postgresql://u:secret@127.0.0.1:1/x");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kIoError);  // exit 5, retryable
  const std::string text = conn.status().ToString();
  EXPECT_EQ(text.find("secret"), std::string::npos) << text;
  EXPECT_NE(text.find("postgresql://u@127.0.0.1:1/x"), std::string::npos) << text;
}

TEST(OpenPostgresTest, PasswordQueryParameterIsLeftOutToo) {
  auto conn = OpenPostgres("postgresql://127.0.0.1:1/x?password=secret&connect_timeout=2");
  ASSERT_FALSE(conn.ok());
  const std::string text = conn.status().ToString();
  EXPECT_EQ(text.find("secret"), std::string::npos) << text;
  EXPECT_NE(text.find("postgresql://127.0.0.1:1/x?connect_timeout=2"), std::string::npos) << text;
}

}  // namespace
}  // namespace kiln::track
