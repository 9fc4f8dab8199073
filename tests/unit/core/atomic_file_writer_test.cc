#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "kiln/core/atomic_file_writer.h"
#include "kiln/core/file.h"

namespace kiln::core {
namespace {

using ::testing::HasSubstr;

class AtomicFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kiln_afw_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  size_t Entries() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }
  std::filesystem::path dir_;
};

TEST_F(AtomicFileWriterTest, AppearsOnlyOnCommit) {
  auto w = AtomicFileWriter::Create(Path("out.txt"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(w->Append("hello ").ok());
  ASSERT_TRUE(w->Append("world\n").ok());
  EXPECT_FALSE(FileExists(Path("out.txt")));
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(*ReadFileToString(Path("out.txt")), "hello world\n");
  EXPECT_EQ(Entries(), 1u);  // no temporary file left
  const Status again = w->Append("more");
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(w->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(AtomicFileWriterTest, AbandonedWriterRemovesItsFileAndKeepsTheOldOne) {
  ASSERT_TRUE(WriteFileAtomic(Path("out.txt"), "old\n").ok());
  {
    auto w = AtomicFileWriter::Create(Path("out.txt"));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->Append("new, unfinished").ok());
    AtomicFileWriter moved = std::move(*w);  // ownership moves; only one removes the file
    EXPECT_EQ(Entries(), 2u);
  }
  EXPECT_EQ(Entries(), 1u);
  EXPECT_EQ(*ReadFileToString(Path("out.txt")), "old\n");
}

TEST_F(AtomicFileWriterTest, MissingDirectoryIsNamed) {
  auto w = AtomicFileWriter::Create(Path("nope/out.txt"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(w.status().message(), HasSubstr("nope/out.txt"));
}

}  // namespace
}  // namespace kiln::core
