#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_test_util.h"
#include "kiln/core/file.h"
#include "kiln/core/random.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/column.h"
#include "kiln/data/csv_writer.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using ::testing::HasSubstr;

// Enough rows for several waves of formatting chunks on 3 threads.
constexpr size_t kRows = 70'000;

Dataset SparseRows(size_t rows, bool with_label) {
  core::Rng rng(7);
  CsrMatrix m;
  std::vector<uint64_t> indptr{0};
  std::vector<uint32_t> indices;
  std::vector<float> values;
  std::vector<float> labels;
  for (size_t r = 0; r < rows; ++r) {
    const size_t k = rng.Next() % 5;  // some rows are empty
    uint32_t col = 0;
    for (size_t j = 0; j < k; ++j) {
      col += 1 + static_cast<uint32_t>(rng.Next() % 50);
      indices.push_back(col);
      values.push_back(static_cast<float>(rng.Uniform() * 2 - 1));
    }
    indptr.push_back(indices.size());
    labels.push_back(static_cast<float>(r % 3));
  }
  m.indptr = core::Array<uint64_t>(std::move(indptr));
  m.indices = core::Array<uint32_t>(std::move(indices));
  m.values = core::Array<float>(std::move(values));
  m.num_cols = 300;
  std::optional<Column> label;
  if (with_label) label = Column::Numeric("label", std::move(labels));
  return Dataset::Sparse(std::move(m), std::move(label));
}

class CsvWriterTest : public testing::TempDirTest {};

TEST_F(CsvWriterTest, LibSvmIsTheSameForAnyThreadCountAndReadsBack) {
  const Dataset ds = SparseRows(kRows, true);
  core::ThreadPool one(1), three(3);
  ASSERT_TRUE(WriteLibSvm(ds, Path("1.svm"), one).ok());
  ASSERT_TRUE(WriteLibSvm(ds, Path("3.svm"), three).ok());
  auto a = core::ReadFileToString(Path("1.svm"));
  auto b = core::ReadFileToString(Path("3.svm"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  ReadOptions options;
  options.index_base = ds.schema().index_base == 0 ? 0 : 1;
  core::Context ctx(core::ContextOptions{2, 1});
  auto back = ReadLibSvm(Path("1.svm"), *a, options, ctx);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->num_rows(), kRows);
  EXPECT_EQ(back->csr().nnz(), ds.csr().nnz());
  for (size_t k = 0; k < ds.csr().nnz(); ++k) {
    ASSERT_EQ(back->csr().indices[k], ds.csr().indices[k]) << k;
    ASSERT_EQ(back->csr().values[k], ds.csr().values[k]) << k;  // shortest text, exact float
  }
  EXPECT_EQ(back->label()->values[kRows - 1], ds.label()->values[kRows - 1]);
}

TEST_F(CsvWriterTest, LibSvmNeedsALabelOnEveryRowAndLeavesNoFileBehind) {
  Dataset ds = SparseRows(kRows, false);
  std::vector<float> labels(kRows, 1.0f);
  labels[kRows - 5] = std::nanf("");
  Dataset labelled = Dataset::Sparse(ds.csr(), Column::Numeric("y", std::move(labels)));
  core::ThreadPool pool(2);
  const core::Status status = WriteLibSvm(labelled, Path("out.svm"), pool);
  EXPECT_EQ(status.code(), core::StatusCode::kDataError);
  EXPECT_THAT(status.message(), HasSubstr("row 69996 has no label"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_)) << "a partial or temporary file was left";
  // Without a label column every line starts with 0.
  ASSERT_TRUE(WriteLibSvm(ds, Path("nolabel.svm"), pool).ok());
  auto text = core::ReadFileToString(Path("nolabel.svm"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->substr(0, 1), "0");
}

TEST_F(CsvWriterTest, ErrorsNameThePath) {
  core::ThreadPool pool(2);
  const Dataset sparse = SparseRows(10, true);
  core::Status s = WriteLibSvm(sparse, Path("no/such/dir/x.svm"), pool);
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("no/such/dir/x.svm"));
  s = WriteCsv(sparse, Path("x.csv"), pool);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("LibSVM"));
  const Dataset dense = Dataset::Dense({Column::Numeric("a", {1, 2})});
  s = WriteLibSvm(dense, Path("x.svm"), pool);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("sparse"));
}

TEST_F(CsvWriterTest, CsvIsTheSameForAnyThreadCountAndQuotesTexts) {
  std::vector<float> a(kRows);
  std::vector<int32_t> codes(kRows);
  for (size_t r = 0; r < kRows; ++r) {
    a[r] = r % 11 == 0 ? std::nanf("") : static_cast<float>(r) / 7.0f;
    codes[r] = r % 13 == 0 ? -1 : static_cast<int32_t>(r % 3);
  }
  const Dataset ds = Dataset::Dense(
      {Column::Numeric("a", std::move(a)),
       Column::Categorical("t", std::move(codes), {"plain", "with, comma", "say \"hi\""})},
      Column::Numeric("label", std::vector<float>(kRows, 1.0f)));
  core::ThreadPool one(1), three(3);
  ASSERT_TRUE(WriteCsv(ds, Path("1.csv"), one).ok());
  ASSERT_TRUE(WriteCsv(ds, Path("3.csv"), three).ok());
  auto x = core::ReadFileToString(Path("1.csv"));
  auto y = core::ReadFileToString(Path("3.csv"));
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ(*x, *y);
  EXPECT_EQ(x->substr(0, x->find('\n') + 1), "a,t,label\n");
  EXPECT_THAT(*x, HasSubstr("\"with, comma\""));
  EXPECT_THAT(*x, HasSubstr("\"say \"\"hi\"\"\""));
  ReadOptions options;
  options.label = "label";
  core::Context ctx(core::ContextOptions{2, 1});
  auto back = ReadCsv(Path("1.csv"), *x, options, ctx);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->num_rows(), kRows);
  ASSERT_EQ(back->columns().size(), 2u);
  for (size_t r = 0; r < kRows; ++r) {
    ASSERT_TRUE(testing::SameFloat(back->columns()[0].values[r], ds.columns()[0].values[r])) << r;
    ASSERT_EQ(back->columns()[1].ValueText(r), ds.columns()[1].ValueText(r)) << r;
  }
}

}  // namespace
}  // namespace kiln::data
