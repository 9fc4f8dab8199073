#include "kiln/data/dataset_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "data_test_util.h"
#include "kiln/core/file.h"
#include "kiln/core/logging.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using testing::ExpectSameDataset;
using ::testing::HasSubstr;

class DatasetCacheTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    cache_dir_ = Path("cache");
  }

  ReadOptions Options() const {
    ReadOptions o;
    o.cache_dir = cache_dir_;
    return o;
  }

  // Reads through ReadDataset with a memory logger; returns the log lines via *log.
  core::Result<Dataset> Read(const std::string& path, const ReadOptions& o,
                             std::string* log = nullptr) {
    auto logger = core::Logger::Memory(core::LogLevel::kDebug);
    core::Context ctx(core::ContextOptions{2, 42}, logger.get());
    auto r = ReadDataset(path, o, ctx);
    if (log != nullptr) *log = logger->lines();
    return r;
  }

  std::string Entry(const std::string& path, const ReadOptions& o) const {
    return DatasetCache(cache_dir_).EntryPath(path, o);
  }

  // Moves the file's modification time back so that cache entries are not "racy".
  static void AgeFile(const std::string& path, int seconds = 100) {
    auto t = std::filesystem::last_write_time(path);
    std::filesystem::last_write_time(path, t - std::chrono::seconds(seconds));
  }

  std::string cache_dir_;
};

const char* kCsv =
    "id,x,city,w,label\n"
    "1,0.5,Oslo,1,yes\n"
    "2,,\"Rome\nItaly\",2,no\n"
    "3,2.5,NA,0.5,yes\n";

TEST_F(DatasetCacheTest, SecondReadHitsTheCacheAndIsIdentical) {
  const std::string path = Write("d.csv", kCsv);
  AgeFile(path);
  ReadOptions o = Options();
  o.weight = "w";
  o.ignore = {"id"};
  std::string log;
  auto first = Read(path, o, &log);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->source().from_cache);
  EXPECT_THAT(log, HasSubstr("stored"));
  EXPECT_TRUE(core::FileExists(Entry(path, o)));
  auto second = Read(path, o, &log);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->source().from_cache);
  EXPECT_THAT(log, HasSubstr("from the dataset cache"));
  EXPECT_EQ(second->source().path, path);
  ExpectSameDataset(*first, *second);
  EXPECT_EQ(second->Where(2), path + " line 5");
  // The arrays point into the mapped cache file, not into fresh copies.
  EXPECT_NE(second->columns()[0].values.owner(), first->columns()[0].values.owner());
}

TEST_F(DatasetCacheTest, SparseRoundTrip) {
  const std::string path = Write("d.svm", "1 1:0.5 7:1\n# c\n0 3:2\n");
  AgeFile(path);
  auto first = Read(path, Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Read(path, Options());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->source().from_cache);
  ExpectSameDataset(*first, *second);
  EXPECT_EQ(second->schema().index_base, 1);
}

TEST_F(DatasetCacheTest, ModifiedFileInvalidatesTheEntry) {
  const std::string path = Write("d.csv", "a,label\n1,0\n2,1\n");
  AgeFile(path);
  ASSERT_TRUE(Read(path, Options()).ok());
  Write("d.csv", "a,label\n5,0\n6,1\n7,1\n");
  AgeFile(path, 50);
  std::string log;
  auto r = Read(path, Options(), &log);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->source().from_cache);
  EXPECT_THAT(log, HasSubstr("changed"));
  EXPECT_EQ(r->num_rows(), 3u);
  EXPECT_EQ(r->columns()[0].values[0], 5.0f);
  // The rewritten entry serves the next read.
  auto again = Read(path, Options());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->source().from_cache);
  EXPECT_EQ(again->num_rows(), 3u);
}

TEST_F(DatasetCacheTest, SameSizeAndTimeButNewContentIsCaughtForRacyEntries) {
  // The entry is written right after the file was modified, so it is "racy": a rewrite within
  // the same time stamp must not be trusted.
  const std::string path = Write("d.csv", "a,label\n1,0\n2,1\n");
  ASSERT_TRUE(Read(path, Options()).ok());
  const auto mtime = std::filesystem::last_write_time(path);
  Write("d.csv", "a,label\n8,0\n9,1\n");
  std::filesystem::last_write_time(path, mtime);
  auto r = Read(path, Options());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->source().from_cache);
  EXPECT_EQ(r->columns()[0].values[0], 8.0f);
}

TEST_F(DatasetCacheTest, CorruptedEntryIsIgnoredAndRewritten) {
  const std::string path = Write("d.csv", kCsv);
  AgeFile(path);
  ASSERT_TRUE(Read(path, Options()).ok());
  const std::string entry = Entry(path, Options());
  {
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(entry) - 3));
    f.put('\x5a');
  }
  std::string log;
  auto r = Read(path, Options(), &log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->source().from_cache);
  EXPECT_THAT(log, HasSubstr("damaged entry ignored"));
  auto again = Read(path, Options());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->source().from_cache);
  // A truncated entry as well.
  std::filesystem::resize_file(entry, 100);
  auto truncated = Read(path, Options());
  ASSERT_TRUE(truncated.ok());
  EXPECT_FALSE(truncated->source().from_cache);
}

TEST_F(DatasetCacheTest, OptionsThatShapeTheResultGetTheirOwnEntry) {
  const std::string path = Write("d.csv", "a,b,label\n1,2,0\n3,4,1\n");
  AgeFile(path);
  ReadOptions o = Options();
  ASSERT_TRUE(Read(path, o).ok());
  ReadOptions cat = o;
  cat.categorical = {"a"};
  EXPECT_NE(Entry(path, o), Entry(path, cat));
  auto r = Read(path, cat);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->source().from_cache);
  EXPECT_EQ(r->columns()[0].type, ColumnType::kCategorical);
  ReadOptions hint = o;
  hint.column_types = {{"b", ColumnType::kCategorical}};
  EXPECT_NE(Entry(path, o), Entry(path, hint));
  ReadOptions threads = o;
  threads.chunk_bytes = 7;  // does not change the result
  EXPECT_EQ(Entry(path, o), Entry(path, threads));
  ReadOptions order = o;
  order.na_values = {"NA", ""};
  ReadOptions order2 = o;
  order2.na_values = {"", "NA"};
  EXPECT_EQ(Entry(path, order), Entry(path, order2));
}

TEST_F(DatasetCacheTest, UnwritableCacheIsAWarningNotAnError) {
  const std::string path = Write("d.csv", "a,label\n1,0\n");
  ReadOptions o;
  o.cache_dir = Write("not_a_dir", "x") + "/sub";
  std::string log;
  auto r = Read(path, o, &log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(log, HasSubstr("could not write the dataset cache"));
}

TEST_F(DatasetCacheTest, UseCacheFalseNeverTouchesTheCache) {
  const std::string path = Write("d.csv", "a,label\n1,0\n");
  ReadOptions o = Options();
  o.use_cache = false;
  ASSERT_TRUE(Read(path, o).ok());
  EXPECT_FALSE(std::filesystem::exists(cache_dir_));
}

TEST_F(DatasetCacheTest, BinaryFileRoundTripAndDamage) {
  const std::string path = Write("d.csv", kCsv);
  ReadOptions o = Options();
  o.use_cache = false;
  o.weight = "w";
  auto ds = Read(path, o);
  ASSERT_TRUE(ds.ok());
  const std::string bin = Path("d.kds");
  ASSERT_TRUE(DatasetCache::WriteBinary(bin, *ds).ok());
  auto back = DatasetCache::ReadBinary(bin);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameDataset(*ds, *back);
  EXPECT_EQ(back->schema().weight, "w");
  EXPECT_FALSE(back->source().row_lines.empty());

  Write("junk.kds", "not a dataset at all, definitely not");
  auto junk = DatasetCache::ReadBinary(Path("junk.kds"));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), core::StatusCode::kCorrupt);
}

}  // namespace
}  // namespace kiln::data
