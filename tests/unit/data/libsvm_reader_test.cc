#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "data_test_util.h"
#include "kiln/core/random.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::ExpectSameDataset;
using ::testing::HasSubstr;
using testing::Values;

core::Result<Dataset> Svm(std::string_view text, const ReadOptions& options = {}, int threads = 1) {
  core::Context ctx(core::ContextOptions{threads, 42});
  return ReadLibSvm("t.svm", text, options, ctx);
}

std::string ErrorOf(std::string_view text, const ReadOptions& options = {}) {
  auto r = Svm(text, options);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << text;
  return r.ok() ? "" : r.status().ToString();
}

TEST(LibSvmReaderTest, OneBasedByDefault) {
  auto r = Svm("1 1:0.5 3:2\n-1 2:1\n+1\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Dataset& ds = *r;
  ASSERT_TRUE(ds.is_sparse());
  EXPECT_EQ(ds.num_rows(), 3u);
  EXPECT_EQ(ds.csr().num_cols, 3u);
  EXPECT_THAT(ds.csr().indptr.ToVector(), ElementsAre(0u, 2u, 3u, 3u));
  EXPECT_THAT(ds.csr().indices.ToVector(), ElementsAre(0u, 2u, 1u));
  EXPECT_THAT(ds.csr().values.ToVector(), ElementsAre(0.5f, 2.0f, 1.0f));
  ASSERT_NE(ds.label(), nullptr);
  EXPECT_EQ(ds.label()->name, "label");
  EXPECT_EQ(ds.label()->type, ColumnType::kNumeric);
  EXPECT_THAT(Values(*ds.label()), ElementsAre(1.0f, -1.0f, 1.0f));
  EXPECT_EQ(ds.schema().index_base, 1);
  EXPECT_TRUE(ds.schema().sparse);
  EXPECT_EQ(ds.schema().num_sparse_features, 3u);
  EXPECT_EQ(ds.schema().label, "label");
  EXPECT_EQ(ds.source().format, "libsvm");
  EXPECT_EQ(ds.source().first_data_line, 1u);
}

TEST(LibSvmReaderTest, ZeroBasedWhenIndexZeroAppearsAnywhere) {
  auto r = Svm("0 1:1 2:1\n1 0:3\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema().index_base, 0);
  EXPECT_EQ(r->csr().num_cols, 3u);
  EXPECT_THAT(r->csr().indices.ToVector(), ElementsAre(1u, 2u, 0u));
}

TEST(LibSvmReaderTest, ZeroIndexLateInTheFileSwitchesEverythingToZeroBased) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "1 3:1 7:0.5\n";
  text += "0 0:2\n";
  ReadOptions o;
  o.chunk_bytes = 64;  // the 0 shows up many batches after the first rows were stored
  auto r = Svm(text, o, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema().index_base, 0);
  EXPECT_EQ(r->csr().num_cols, 8u);
  EXPECT_EQ(r->csr().indices[0], 3u);
  EXPECT_EQ(r->csr().indices[1], 7u);
  EXPECT_EQ(r->csr().indices[r->csr().nnz() - 1], 0u);
}

TEST(LibSvmReaderTest, ExplicitIndexBase) {
  ReadOptions zero;
  zero.index_base = 0;
  auto r = Svm("1 1:1 2:1\n", zero);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->csr().num_cols, 3u);
  EXPECT_THAT(r->csr().indices.ToVector(), ElementsAre(1u, 2u));
  ReadOptions one;
  one.index_base = 1;
  EXPECT_THAT(ErrorOf("1 1:1\n0 0:1 2:1\n", one),
              AllOf(HasSubstr("t.svm line 2, token 2 '0:1'"), HasSubstr("below the index base 1"),
                    HasSubstr("--index-base 0")));
  ReadOptions bad;
  bad.index_base = 2;
  EXPECT_THAT(ErrorOf("1 1:1\n", bad), HasSubstr("index base must be 0, 1"));
}

TEST(LibSvmReaderTest, QidCommentsBlankLinesAndCrlf) {
  auto r = Svm("# header comment\n3 qid:1 1:1 4:0.25 # trailing\r\n\n2 qid:1 2:1#x\n1 qid:2\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_rows(), 3u);
  EXPECT_THAT(Values(*r->label()), ElementsAre(3.0f, 2.0f, 1.0f));
  EXPECT_THAT(r->csr().indices.ToVector(), ElementsAre(0u, 3u, 1u));
  EXPECT_THAT(r->csr().values.ToVector(), ElementsAre(1.0f, 0.25f, 1.0f));
  // Skipped lines keep row -> line right.
  EXPECT_EQ(r->LineOf(0), 2u);
  EXPECT_EQ(r->LineOf(1), 4u);
  EXPECT_EQ(r->LineOf(2), 5u);
}

TEST(LibSvmReaderTest, LabelForms) {
  auto r = Svm("+1 1:1\n-1 1:1\n0 1:1\n1 1:1\n2.5 1:1\n1e1 1:1\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values(*r->label()), ElementsAre(1.0f, -1.0f, 0.0f, 1.0f, 2.5f, 10.0f));
}

TEST(LibSvmReaderTest, NoTrailingNewlineTabsAndSpaces) {
  auto r = Svm("1\t1:1   5:-2.5e-1\n  0 2:3");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_rows(), 2u);
  EXPECT_THAT(r->csr().values.ToVector(), ElementsAre(1.0f, -0.25f, 3.0f));
}

TEST(LibSvmReaderTest, DeclaredNumFeatures) {
  ReadOptions o;
  o.num_features = 10;
  auto r = Svm("1 1:1 3:1\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->csr().num_cols, 10u);
  EXPECT_EQ(r->schema().num_sparse_features, 10u);
  // Index 11 (1-based) is column 10: beyond 10 features. Auto base: checked after reading.
  EXPECT_THAT(ErrorOf("1 1:1\n0 11:1 12:1\n", o),
              AllOf(HasSubstr("t.svm line 2, token 3"), HasSubstr("beyond the declared 10")));
  o.index_base = 1;
  EXPECT_THAT(ErrorOf("1 1:1\n0 11:1\n", o),
              AllOf(HasSubstr("t.svm line 2, token 2 '11:1'"), HasSubstr("declared 10")));
  EXPECT_TRUE(Svm("1 10:1\n", o).ok());
}

TEST(LibSvmReaderTest, LabelPolicies) {
  EXPECT_THAT(ErrorOf("1 1:1\n2:1 3:1\n"),
              AllOf(HasSubstr("line 2, token 1 '2:1'"), HasSubstr("expected a label")));
  ReadOptions optional;
  optional.label_policy = LabelPolicy::kOptional;
  auto r = Svm("1 1:1\n2:1 3:1\n", optional);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(std::isnan(r->label()->values[1]));
  EXPECT_THAT(r->csr().indices.ToVector(), ElementsAre(0u, 1u, 2u));
  ReadOptions none;
  none.label_policy = LabelPolicy::kNone;
  auto n = Svm("1 1:1\n", none);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->label(), nullptr);
  auto unlabeled = Svm("1:1\n2:1\n", optional);
  ASSERT_TRUE(unlabeled.ok());
  EXPECT_EQ(unlabeled->label(), nullptr);
}

// ---- errors ----

TEST(LibSvmReaderTest, DuplicateIndex) {
  auto r = Svm("1 1:1 2:1\n0 3:1 3:2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kParseError);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("t.svm line 2, token 3 '3:2'"),
                                          HasSubstr("repeats"), HasSubstr("strictly increasing")));
}

TEST(LibSvmReaderTest, UnsortedIndices) {
  EXPECT_THAT(ErrorOf("1 5:1 2:1\n"),
              AllOf(HasSubstr("line 1, token 3 '2:1'"), HasSubstr("index 2 comes after"),
                    HasSubstr("strictly increasing")));
}

TEST(LibSvmReaderTest, MalformedTokens) {
  EXPECT_THAT(ErrorOf("1 1:1 7:\n"),
              AllOf(HasSubstr("line 1, token 3 '7:'"), HasSubstr("value after ':' is missing")));
  EXPECT_THAT(ErrorOf("1 1:1 7\n"), AllOf(HasSubstr("token 3 '7'"), HasSubstr("no ':'")));
  EXPECT_THAT(ErrorOf("1 :5\n"), HasSubstr("index before ':' is missing"));
  EXPECT_THAT(ErrorOf("1 a:5\n"), HasSubstr("expected an integer index before ':', found 'a'"));
  EXPECT_THAT(ErrorOf("1 1.5:5\n"), HasSubstr("expected an integer index"));
  EXPECT_THAT(ErrorOf("1 -3:5\n"), HasSubstr("non-negative"));
  EXPECT_THAT(ErrorOf("1 99999999999:5\n"), HasSubstr("too large"));
  EXPECT_THAT(ErrorOf("1 4294967295:5\n"), HasSubstr("too large"));
  EXPECT_THAT(ErrorOf("1 2:abc\n"), HasSubstr("expected a number after ':', found 'abc'"));
  EXPECT_THAT(ErrorOf("1 2:1x\n"), HasSubstr("found '1x'"));
  EXPECT_THAT(ErrorOf("yes 2:1\n"), AllOf(HasSubstr("token 1 'yes'"), HasSubstr("a label")));
  EXPECT_THAT(ErrorOf("1,2 2:1\n"), HasSubstr("token 1 '1,2'"));
}

TEST(LibSvmReaderTest, TruncatedLastLine) {
  EXPECT_THAT(ErrorOf("1 1:1\n0 3:1 7:"),
              AllOf(HasSubstr("t.svm line 2, token 3 '7:'"), HasSubstr("missing")));
}

TEST(LibSvmReaderTest, NonFiniteAndOverflow) {
  EXPECT_THAT(ErrorOf("1 1:nan\n"), AllOf(HasSubstr("token 2"), HasSubstr("not a finite")));
  EXPECT_THAT(ErrorOf("1 1:inf\n"), HasSubstr("not a finite"));
  EXPECT_THAT(ErrorOf("1 1:1e999\n"), HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf("nan 1:1\n"), AllOf(HasSubstr("token 1"), HasSubstr("not a finite")));
  EXPECT_THAT(ErrorOf("1e999 1:1\n"), HasSubstr("out of range"));
}

TEST(LibSvmReaderTest, EmptyAndCommentOnly) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("# nothing\n\n   \n"), HasSubstr("no data rows"));
}

TEST(LibSvmReaderTest, NulBytes) {
  EXPECT_THAT(ErrorOf(std::string("1 1:1\n1 2:1\0\n", 13)), HasSubstr("line 2"));
  EXPECT_THAT(ErrorOf(std::string("1 1:1 # c\0mment\n", 16)), HasSubstr("NUL byte"));
}

TEST(LibSvmReaderTest, OptionsThatDoNotApply) {
  ReadOptions o;
  o.weight = "w";
  EXPECT_THAT(ErrorOf("1 1:1\n", o), HasSubstr("apply to CSV and JSON Lines"));
}

TEST(LibSvmReaderTest, OverlongLine) {
  ReadOptions o;
  o.max_line_bytes = 100;
  std::string text = "1 1:1\n1";
  for (int i = 1; i < 100; ++i) text += fmt::format(" {}:1", i);
  text += "\n";
  auto r = Svm(text, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("t.svm line 2"), HasSubstr("longer than")));
}

std::string RandomSvm(uint64_t seed, int rows) {
  core::Rng rng(seed);
  std::string text;
  for (int i = 0; i < rows; ++i) {
    if (rng.UniformInt(40) == 0) text += "# comment\n";
    text += std::to_string(static_cast<int>(rng.UniformInt(2)));
    uint64_t idx = 0;
    const int nnz = static_cast<int>(rng.UniformInt(8));
    for (int k = 0; k < nnz; ++k) {
      idx += 1 + rng.UniformInt(50);
      text += fmt::format(" {}:{}", idx, rng.UniformInt(2) ? 1.0 : rng.Normal());
    }
    text += rng.UniformInt(4) == 0 ? "\r\n" : "\n";
  }
  return text;
}

TEST(LibSvmReaderTest, SameDatasetForAnyThreadCountAndChunkSize) {
  const std::string text = RandomSvm(3, 500);
  auto base = Svm(text);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->num_rows(), 500u);
  for (size_t chunk : {size_t{1}, size_t{100}, size_t{5000}}) {
    for (int threads : {1, 2}) {
      ReadOptions o;
      o.chunk_bytes = chunk;
      auto other = Svm(text, o, threads);
      ASSERT_TRUE(other.ok()) << other.status().ToString();
      SCOPED_TRACE("chunk " + std::to_string(chunk) + " threads " + std::to_string(threads));
      ExpectSameDataset(*base, *other);
    }
  }
  // Errors in later chunks report the right line.
  ReadOptions o;
  o.chunk_bytes = 50;
  auto bad = Svm(text + "1 5:1 5:1\n", o, 2);
  ASSERT_FALSE(bad.ok());
  const uint64_t lines = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_THAT(bad.status().message(), HasSubstr(fmt::format("t.svm line {}, token 3", lines + 1)));
}

}  // namespace
}  // namespace kiln::data
