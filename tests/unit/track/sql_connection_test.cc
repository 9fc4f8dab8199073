#include "kiln/track/sql_connection.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace kiln::track {
namespace {

TEST(PlaceholdersTest, CountsOnlyPlaceholdersOutsideLiteralsAndComments) {
  EXPECT_EQ(CountPlaceholders("SELECT 1"), 0u);
  EXPECT_EQ(CountPlaceholders("SELECT ?, ?"), 2u);
  EXPECT_EQ(CountPlaceholders("SELECT '?', \"?\", ?"), 1u);
  EXPECT_EQ(CountPlaceholders("SELECT 'it''s ?', ?"), 1u);
  EXPECT_EQ(CountPlaceholders("SELECT ? -- is it ?\n, ?"), 2u);
  EXPECT_EQ(CountPlaceholders("SELECT ? -- trailing ?"), 1u);
}

TEST(PlaceholdersTest, NumbersPlaceholdersInOrder) {
  EXPECT_EQ(NumberPlaceholders("SELECT 1"), "SELECT 1");
  EXPECT_EQ(NumberPlaceholders("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)");
  EXPECT_EQ(NumberPlaceholders("SELECT '?', \"a?\" FROM t WHERE x = ? -- ?\nAND y = ?"),
            "SELECT '?', \"a?\" FROM t WHERE x = $1 -- ?\nAND y = $2");
  EXPECT_EQ(NumberPlaceholders("SELECT 'it''s ?' || ?"), "SELECT 'it''s ?' || $1");
  EXPECT_EQ(NumberPlaceholders("?"), "$1");
}

TEST(SqlRowTest, AccessorsConvertLikeSql) {
  SqlRow row({std::monostate{}, int64_t{42}, 2.5, std::string("7")});
  EXPECT_TRUE(row.IsNull(0));
  EXPECT_EQ(row.Int(0), 0);
  EXPECT_EQ(row.Text(0), "");
  EXPECT_EQ(row.Int(1), 42);
  EXPECT_EQ(row.Double(1), 42.0);
  EXPECT_EQ(row.Text(1), "42");
  EXPECT_EQ(row.Int(2), 2);
  EXPECT_EQ(row.Text(2), "2.5");
  EXPECT_EQ(row.Int(3), 7);
  EXPECT_EQ(row.Double(3), 7.0);
}

// Switching a new file to WAL takes an exclusive lock and SQLite may answer "busy" without
// calling the busy handler; sixteen connections opening one fresh store at once must all succeed.
TEST(SqliteOpenTest, ManyConnectionsOpenOneFreshStoreAtOnce) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("kiln_open_race_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  for (int round = 0; round < 20; ++round) {
    const std::string path = (dir / ("store" + std::to_string(round) + ".db")).string();
    std::vector<std::string> errors(16);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < errors.size(); ++t) {
      threads.emplace_back([&, t] {
        auto db = OpenSqlite(path);
        if (!db.ok()) {
          errors[t] = db.status().ToString();
          return;
        }
        auto rows = (*db)->Query("PRAGMA journal_mode", {});
        if (!rows.ok()) errors[t] = rows.status().ToString();
      });
    }
    for (auto& thread : threads) thread.join();
    for (const std::string& error : errors) EXPECT_EQ(error, "") << "round " << round;
  }
  std::filesystem::remove_all(dir);
}

// A store still in rollback-journal mode whose write lock another process holds: switching it to
// WAL is answered "busy" at once (the busy handler would deadlock), so opening must keep trying
// until the writer commits instead of failing.
TEST(SqliteOpenTest, OpeningWaitsForAWriterInsteadOfFailingAtOnce) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) /
                            ("kiln_open_writer_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "CREATE TABLE t(x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::thread commit([writer] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(writer, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto db = OpenSqlite(path);
  commit.join();
  sqlite3_close(writer);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto mode = (*db)->Query("PRAGMA journal_mode", {});
  ASSERT_TRUE(mode.ok()) << mode.status().ToString();
  EXPECT_EQ((*mode)[0].Text(0), "wal");
  db->reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kiln::track
