// A MetaStore test fixture parameterised on the dialect: SQLite in a fresh temp file, and
// PostgreSQL on the throwaway server the test command starts (tests/CMakeLists.txt writes its
// URI to $KILN_TEST_POSTGRES_URI_FILE), each test in its own schema so tests run in parallel.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "kiln/track/meta_store.h"

namespace kiln::track::testing {

inline std::string PostgresTestUri() {
  const char* file = std::getenv("KILN_TEST_POSTGRES_URI_FILE");
  if (file == nullptr) return {};
  std::ifstream in(file);
  std::string uri;
  std::getline(in, uri);
  return uri;
}

class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    std::random_device rd;
    suffix_ = std::to_string(rd()) + std::to_string(::getpid());
    if (GetParam() == Dialect::kSqlite) {
      dir_ = std::filesystem::path(::testing::TempDir()) / ("kiln_store_" + suffix_);
      std::filesystem::create_directories(dir_);
    } else {
      pg_uri_ = PostgresTestUri();
      if (pg_uri_.empty()) {
        GTEST_SKIP() << "KILN_TEST_POSTGRES_URI_FILE is not set (ctest sets it)";
      }
      auto db = OpenPostgres(pg_uri_);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      ASSERT_TRUE((*db)->ExecuteScript("CREATE SCHEMA t" + suffix_).ok());
    }
    auto store = MetaStore::Open(Connect());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!pg_uri_.empty()) {
      auto db = OpenPostgres(pg_uri_);
      if (db.ok()) (void)(*db)->ExecuteScript("DROP SCHEMA t" + suffix_ + " CASCADE");
    }
  }

  // A new connection to this test's store (for concurrency tests).
  std::unique_ptr<SqlConnection> Connect() {
    if (GetParam() == Dialect::kSqlite) {
      auto db = OpenSqlite((dir_ / "kiln.db").string());
      EXPECT_TRUE(db.ok()) << db.status().ToString();
      return std::move(db).value();
    }
    auto db = OpenPostgres(pg_uri_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_TRUE((*db)->ExecuteScript("SET search_path TO t" + suffix_).ok());
    return std::move(db).value();
  }

  std::filesystem::path dir_;
  std::string pg_uri_;
  std::string suffix_;
  std::unique_ptr<MetaStore> store_;
};

inline std::string DialectTestName(const ::testing::TestParamInfo<Dialect>& info) {
  return std::string(info.param == Dialect::kSqlite ? "Sqlite" : "Postgres");
}

#define KILN_INSTANTIATE_STORE_TEST(suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(                                                                  \
      Dialects, suite,                                                                       \
      ::testing::Values(::kiln::track::Dialect::kSqlite, ::kiln::track::Dialect::kPostgres), \
      ::kiln::track::testing::DialectTestName)

}  // namespace kiln::track::testing
