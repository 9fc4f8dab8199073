#include "kiln/track/sql_connection.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kiln::track
