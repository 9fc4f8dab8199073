// Helpers for the data-layer tests: temp dirs, files, and dataset comparison.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kiln/core/context.h"
#include "kiln/data/dataset.h"
#include "kiln/data/reader.h"

namespace kiln::data::testing {

// A fresh directory per test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        std::filesystem::temp_directory_path() / ("kiln_data_" + std::to_string(::getpid()) + "_" +
                                                  info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, std::string_view content) const {
    const std::string p = Path(name);
    std::ofstream out(p, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }

  std::filesystem::path dir_;
};

inline bool SameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(float)) == 0;
}

inline void ExpectSameColumn(const Column& a, const Column& b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.type, b.type) << a.name;
  ASSERT_EQ(a.size(), b.size()) << a.name;
  if (a.type == ColumnType::kNumeric) {
    for (size_t i = 0; i < a.values.size(); ++i) {
      ASSERT_TRUE(SameFloat(a.values[i], b.values[i])) << a.name << " row " << i;
    }
  } else {
    EXPECT_EQ(a.categories, b.categories) << a.name;
    for (size_t i = 0; i < a.codes.size(); ++i) ASSERT_EQ(a.codes[i], b.codes[i]) << i;
  }
}

// Asserts that two datasets hold exactly the same data, schema and row locations.
inline void ExpectSameDataset(const Dataset& a, const Dataset& b) {
  ASSERT_EQ(a.num_rows(), b.num_rows());
  ASSERT_EQ(a.is_sparse(), b.is_sparse());
  EXPECT_EQ(a.schema().ToJson(), b.schema().ToJson());
  if (a.is_sparse()) {
    const CsrMatrix& x = a.csr();
    const CsrMatrix& y = b.csr();
    EXPECT_EQ(x.num_cols, y.num_cols);
    EXPECT_EQ(x.indptr.ToVector(), y.indptr.ToVector());
    EXPECT_EQ(x.indices.ToVector(), y.indices.ToVector());
    ASSERT_EQ(x.values.size(), y.values.size());
    for (size_t i = 0; i < x.values.size(); ++i) ASSERT_TRUE(SameFloat(x.values[i], y.values[i]));
  } else {
    ASSERT_EQ(a.columns().size(), b.columns().size());
    for (size_t c = 0; c < a.columns().size(); ++c) {
      ExpectSameColumn(a.columns()[c], b.columns()[c]);
    }
  }
  ASSERT_EQ(a.label() == nullptr, b.label() == nullptr);
  if (a.label() != nullptr) ExpectSameColumn(*a.label(), *b.label());
  ASSERT_EQ(a.weights().size(), b.weights().size());
  for (size_t i = 0; i < a.weights().size(); ++i) {
    ASSERT_TRUE(SameFloat(a.weights()[i], b.weights()[i]));
  }
  EXPECT_EQ(a.source().first_data_line, b.source().first_data_line);
  EXPECT_EQ(a.source().row_lines.ToVector(), b.source().row_lines.ToVector());
  EXPECT_EQ(a.source().content_hash, b.source().content_hash);
  EXPECT_EQ(a.source().format, b.source().format);
}

// Reads CSV text held in memory as the file "t.csv", with `threads` threads.
inline core::Result<Dataset> Csv(std::string_view text, const ReadOptions& options = {},
                                 int threads = 1) {
  core::Context ctx(core::ContextOptions{threads, 42});
  return ReadCsv("t.csv", text, options, ctx);
}

inline std::vector<float> Values(const Column& c) { return c.values.ToVector(); }
inline std::vector<int32_t> Codes(const Column& c) { return c.codes.ToVector(); }

}  // namespace kiln::data::testing
