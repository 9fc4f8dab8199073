#include "kiln/data/reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "data_test_util.h"
#include "kiln/core/cancellation.h"
#include "kiln/core/hash.h"

namespace kiln::data {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class ReadDatasetTest : public testing::TempDirTest {
 protected:
  core::Result<Dataset> Read(const std::string& path, ReadOptions o = {}) {
    o.use_cache = false;
    core::Context ctx(core::ContextOptions{2, 42});
    return ReadDataset(path, o, ctx);
  }
  std::string ErrorOf(const std::string& path, ReadOptions o = {}) {
    auto r = Read(path, std::move(o));
    EXPECT_FALSE(r.ok()) << path;
    return r.ok() ? "" : r.status().ToString();
  }
};

TEST_F(ReadDatasetTest, DetectsFormatAndFillsSourceInfo) {
  const std::string content = "a,label\n1,0\n2,1\n";
  const std::string path = Write("d.csv", content);
  auto r = Read(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source().path, path);
  EXPECT_EQ(r->source().format, "csv");
  EXPECT_EQ(r->source().file_bytes, content.size());
  EXPECT_EQ(r->source().content_hash, core::Hash64(content));
  EXPECT_EQ(r->source().first_data_line, 2u);
  EXPECT_FALSE(r->source().from_cache);

  auto svm = Read(Write("d.libsvm", "1 1:1\n"));
  ASSERT_TRUE(svm.ok()) << svm.status().ToString();
  EXPECT_TRUE(svm->is_sparse());
  auto json = Read(Write("d.jsonl", "{\"a\": 1, \"label\": 0}\n"));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto tsv = Read(Write("d.tsv", "a\tlabel\n1\t0\n"));
  ASSERT_TRUE(tsv.ok()) << tsv.status().ToString();
  EXPECT_EQ(tsv->columns()[0].values[0], 1.0f);

  ReadOptions o;
  o.format = Format::kCsv;
  EXPECT_TRUE(Read(Write("d.data", content), o).ok());
  EXPECT_THAT(ErrorOf(Write("d.data2", content)), HasSubstr("--format"));
}

TEST_F(ReadDatasetTest, MissingFile) {
  auto missing = Read(Path("nope.csv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.csv"));
}

TEST_F(ReadDatasetTest, Directory) {
  std::filesystem::create_directories(Path("sub.csv"));
  auto r = Read(Path("sub.csv"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("sub.csv"), HasSubstr("is a directory")));
}

TEST_F(ReadDatasetTest, EmptyFile) {
  for (const char* name : {"empty.csv", "empty.libsvm", "empty.jsonl"}) {
    const std::string empty = Write(name, "");
    auto e = Read(empty);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), core::StatusCode::kDataError);
    EXPECT_THAT(e.status().message(), AllOf(HasSubstr(empty), HasSubstr("empty")));
  }
}

TEST_F(ReadDatasetTest, BinaryFiles) {
  const std::string nul = Write("bin.csv", std::string("a,b\n1,2\n\0\0\x01\x02", 12));
  EXPECT_THAT(ErrorOf(nul),
              AllOf(HasSubstr(nul), HasSubstr("looks binary"), HasSubstr("NUL byte at offset 8")));
  const std::string gz = Write("data.csv", std::string("\x1f\x8b\x08\x00rest", 8));
  EXPECT_THAT(ErrorOf(gz), AllOf(HasSubstr("looks binary"), HasSubstr("gzip")));
  const std::string utf16 = Write("u16.csv", std::string("\xFF\xFE"
                                                         "a\0,\0b\0",
                                                         8));
  EXPECT_THAT(ErrorOf(utf16), HasSubstr("UTF-16"));
  std::string controls;
  for (int i = 0; i < 200; ++i) controls += static_cast<char>(1 + i % 8);
  EXPECT_THAT(ErrorOf(Write("ctl.csv", controls)), HasSubstr("control characters"));
  // A NUL beyond the first 64 KiB is still caught by the parser.
  std::string late = "a,label\n";
  while (late.size() < 70000) late += "1,0\n";
  late += std::string("2\0,1\n", 5);
  EXPECT_THAT(ErrorOf(Write("late.csv", late)), HasSubstr("NUL byte"));
}

TEST_F(ReadDatasetTest, HundredMegabyteSingleLineFailsFast) {
  // 100 MB without a line break: the default 64 MiB limit stops the reader long before the end.
  const std::string path = Path("long.csv");
  {
    std::ofstream out(path, std::ios::binary);
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 100; ++i) out << block;
  }
  auto r = Read(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr(path + " line 1"), HasSubstr("longer than the limit of 64 MiB"),
                    HasSubstr("(--max-line-bytes)")));
  // The other formats, with a small limit.
  ReadOptions o;
  o.max_line_bytes = 1 << 16;
  o.format = Format::kLibSvm;
  EXPECT_THAT(ErrorOf(path, o), HasSubstr("longer than"));
  o.format = Format::kJsonLines;
  EXPECT_THAT(ErrorOf(path, o), HasSubstr("longer than"));
}

TEST_F(ReadDatasetTest, JustOverTheLimitAndJustUnder) {
  ReadOptions o;
  o.max_line_bytes = 1000;
  const std::string under = "a,label\n" + std::string(998, 'x') + ",1\n";  // 1000 bytes
  EXPECT_TRUE(Read(Write("under.csv", under), o).ok());
  const std::string over = "a,label\n" + std::string(999, 'x') + ",1\n";  // 1001 bytes
  EXPECT_THAT(ErrorOf(Write("over.csv", over), o), HasSubstr("longer than"));
}

class RecordingProgress final : public core::ProgressReporter {
 public:
  struct Task final : core::ProgressTask {
    explicit Task(RecordingProgress* owner) : owner(owner) {}
    void Add(uint64_t amount) override {
      std::lock_guard<std::mutex> lock(owner->mutex);
      owner->added += amount;
    }
    void Set(uint64_t) override {}
    void SetNote(std::string) override {}
    void Finish() override {}
    RecordingProgress* owner;
  };
  std::unique_ptr<core::ProgressTask> Start(std::string label, uint64_t total,
                                            std::string unit) override {
    this->label = label;
    this->total = total;
    this->unit = unit;
    return std::make_unique<Task>(this);
  }
  std::mutex mutex;
  std::string label, unit;
  uint64_t total = 0, added = 0;
};

TEST_F(ReadDatasetTest, ReportsProgressInBytes) {
  std::string content = "a,label\n";
  for (int i = 0; i < 1000; ++i) content += "1,0\n";
  const std::string path = Write("p.csv", content);
  RecordingProgress progress;
  core::Context ctx(core::ContextOptions{2, 42}, nullptr, &progress);
  ReadOptions o;
  o.use_cache = false;
  o.chunk_bytes = 512;
  ASSERT_TRUE(ReadDataset(path, o, ctx).ok());
  EXPECT_EQ(progress.label, "reading p.csv");
  EXPECT_EQ(progress.unit, "B");
  EXPECT_EQ(progress.total, content.size());
  EXPECT_EQ(progress.added, content.size());
}

TEST_F(ReadDatasetTest, HonoursCancellation) {
  const std::string path = Write("c.csv", "a,label\n1,0\n");
  core::CancellationToken cancel;
  cancel.Cancel();
  core::Context ctx(core::ContextOptions{1, 42}, nullptr, nullptr, &cancel);
  ReadOptions o;
  o.use_cache = false;
  auto r = ReadDataset(path, o, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kCancelled);
}

}  // namespace
}  // namespace kiln::data
