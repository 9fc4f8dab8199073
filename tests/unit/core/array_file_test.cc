#include "kiln/core/array_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kiln/core/file.h"

namespace kiln::core {
namespace {

using ::testing::HasSubstr;

class ArrayFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kiln_array_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "f.bin").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteSample() {
    ArrayFileWriter w("KILNTEST", 2);
    w.meta()["hello"] = "world";
    w.AddArray("floats", floats_);
    w.AddArray("ints", ints_);
    ASSERT_TRUE(w.Write(path_).ok());
  }

  std::filesystem::path dir_;
  std::string path_;
  std::vector<float> floats_{1.5f, -2.0f, 3.25f};
  std::vector<uint64_t> ints_{1, 2, 3, 4, 5};
};

TEST_F(ArrayFileTest, RoundTripsWithoutCopy) {
  WriteSample();
  auto r = ArrayFileReader::Open(path_, "KILNTEST", 2, "test file");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->meta()["hello"], "world");
  auto f = (*r)->GetArray<float>("floats");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->ToVector(), floats_);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f->data()) % kArrayFileAlign, 0u);
  auto i = (*r)->GetArray<uint64_t>("ints");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->ToVector(), ints_);
  auto wrong = (*r)->GetArray<double>("floats");
  EXPECT_FALSE(wrong.ok());
  EXPECT_FALSE((*r)->GetArray<float>("nope").ok());
}

TEST_F(ArrayFileTest, PartsOfAFileHaveTheirOwnArraysAndMeta) {
  // Two parts with arrays of the same name, stored under prefixes (as a model of models does).
  std::vector<double> a{1, 2}, b{3, 4, 5};
  ArrayFileWriter part0("KILNTEST", 2), part1("KILNTEST", 2);
  part0.AddArray("w", a);
  part1.AddArray("w", b);
  ArrayFileWriter whole("KILNTEST", 2);
  whole.AddArraysOf(part0, "part0/");
  whole.AddArraysOf(part1, "part1/");
  EXPECT_TRUE(whole.HasArray("part1/w"));
  ASSERT_TRUE(whole.Write(path_).ok());
  auto r = ArrayFileReader::Open(path_, "KILNTEST", 2, "test file");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto one = (*r)->Nested("part1/", {{"body", "second"}});
  EXPECT_EQ(one->meta()["body"], "second");
  EXPECT_EQ(one->ArrayNames(), std::vector<std::string>{"w"});
  EXPECT_EQ(one->GetArray<double>("w")->ToVector(), b);
  EXPECT_EQ((*r)->Nested("part0/", {})->GetArray<double>("w")->ToVector(), a);
  EXPECT_EQ(one->path(), path_);
  EXPECT_FALSE((*r)->Nested("part2/", {})->HasArray("w"));
}

TEST_F(ArrayFileTest, NewerVersionIsAClearError) {
  WriteSample();
  auto r = ArrayFileReader::Open(path_, "KILNTEST", 1, "test file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kVersionMismatch);
  EXPECT_THAT(r.status().message(), HasSubstr("version 2 was written by a newer Kiln"));
}

TEST_F(ArrayFileTest, TruncationIsDetected) {
  WriteSample();
  std::filesystem::resize_file(path_, std::filesystem::file_size(path_) - 3);
  auto r = ArrayFileReader::Open(path_, "KILNTEST", 2, "test file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_THAT(r.status().message(), HasSubstr("truncated"));
}

TEST_F(ArrayFileTest, FlippedByteIsDetected) {
  WriteSample();
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-2, std::ios::end);
    f.put('\x7f');
  }
  auto r = ArrayFileReader::Open(path_, "KILNTEST", 2, "test file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_THAT(r.status().message(), HasSubstr("checksum mismatch"));
}

TEST_F(ArrayFileTest, WrongKindAndGarbage) {
  WriteSample();
  auto other = ArrayFileReader::Open(path_, "KILNMODL", 1, "model file");
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.status().message(), HasSubstr("another kind"));
  ASSERT_TRUE(WriteFileAtomic(path_, "a,b,c\n1,2,3\n").ok());
  auto csv = ArrayFileReader::Open(path_, "KILNMODL", 1, "model file");
  ASSERT_FALSE(csv.ok());
  EXPECT_THAT(csv.status().message(), HasSubstr("not a Kiln model file"));
  auto missing = ArrayFileReader::Open(path_ + ".nope", "KILNMODL", 1, "model file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kiln::core
