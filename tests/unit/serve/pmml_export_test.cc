// `kiln export --format pmml` for linear models and gbdt, checked end to end in process: train on
// data with missing numeric and categorical values, export, parse the document with the pmml
// processor's parser and score every row — including unseen categories — against
// Model::Predict. And what the exporter refuses.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kiln/core/random.h"
#include "pmml_test_util.h"
#include "unit/algorithms/linear_test_util.h"

namespace kiln::serve::pmml {
namespace {

using algorithms::testing::Train;

constexpr size_t kRows = 300;

// a: numeric with missing values, b: numeric, c: categorical (x, y, z) with missing values.
// The label is binary, three classes or a number.
data::Dataset Data(const std::string& kind, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> a(kRows), b(kRows), target(kRows);
  std::vector<int32_t> c(kRows), y(kRows);
  for (size_t i = 0; i < kRows; ++i) {
    a[i] = static_cast<float>(rng.Normal() * 3 + 10);
    b[i] = static_cast<float>(rng.Normal() * 0.01);
    c[i] = static_cast<int32_t>(rng.UniformInt(3));
    const double s = (a[i] - 10) / 3 + 50 * b[i] + (c[i] == 2 ? 0.8 : -0.3) + rng.Normal() * 0.5;
    y[i] = kind == "binary" ? (s > 0 ? 1 : 0) : (s < -0.6 ? 0 : s < 0.6 ? 1 : 2);
    target[i] = static_cast<float>(s * 100 + 7);
    if (i % 11 == 3) a[i] = std::nanf("");
    if (i % 13 == 5) c[i] = data::kMissingCode;
  }
  std::vector<data::Column> columns = {data::Column::Numeric("a", a), data::Column::Numeric("b", b),
                                       data::Column::Categorical("c", c, {"x", "y", "z"})};
  if (kind == "regression") {
    return data::Dataset::Dense(columns, data::Column::Numeric("target", target));
  }
  return data::Dataset::Dense(
      columns,
      data::Column::Categorical("label", y,
                                kind == "binary" ? std::vector<std::string>{"no", "yes"}
                                                 : std::vector<std::string>{"lo", "mid", "hi"}));
}

// Rows to score: the training rows, with some categories replaced by one never seen ("w").
data::Dataset Scoring(const data::Dataset& train) {
  std::vector<int32_t> codes = train.columns()[2].codes.ToVector();
  for (size_t i = 0; i < codes.size(); i += 17) codes[i] = 3;
  return data::Dataset::Dense({train.columns()[0], train.columns()[1],
                               data::Column::Categorical("c", codes, {"x", "y", "z", "w"})});
}

void ExpectSameScores(const std::string& algo, const std::string& kind,
                      std::vector<std::pair<std::string, std::string>> params) {
  SCOPED_TRACE(algo + " " + kind);
  const data::Dataset train = Data(kind, 3);
  auto model = Train(algo, train, params);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto text = (*model)->ExportPmml();
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto doc = ParseDocument(*text, "export.pmml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString() << "\n" << *text;

  const data::Dataset rows = Scoring(train);
  core::Context ctx(core::ContextOptions{1, 7});
  auto want = (*model)->Predict(data::DatasetView(rows), ctx);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  const bool classification = kind != "regression";
  double max_rel = 0;
  for (size_t i = 0; i < kRows; ++i) {
    testing::Row row;
    const float a = rows.columns()[0].values[i];
    if (!std::isnan(a)) row["a"] = testing::N(a);
    row["b"] = testing::N(rows.columns()[1].values[i]);
    const int32_t code = rows.columns()[2].codes[i];
    if (code >= 0) row["c"] = testing::T(rows.columns()[2].categories[static_cast<size_t>(code)]);
    auto got = testing::Score(**doc, row);
    ASSERT_TRUE(got.ok()) << "row " << i << ": " << got.status().ToString();
    std::vector<double> expected;
    if (!classification) {
      expected = {want->score(i)};
    } else if (want->width() == 1) {
      expected = {want->probabilistic ? 1 - want->score(i) : -want->score(i), want->score(i)};
    } else {
      for (size_t k = 0; k < want->width(); ++k) expected.push_back(want->score(i, k));
    }
    const std::vector<double> actual =
        classification ? got->probabilities : std::vector<double>{got->value};
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t k = 0; k < actual.size(); ++k) {
      const double rel =
          std::abs(actual[k] - expected[k]) / std::max(std::abs(expected[k]), 1e-300);
      max_rel = std::max(max_rel, actual[k] == expected[k] ? 0.0 : rel);
      EXPECT_NEAR(actual[k], expected[k], 1e-12 * std::abs(expected[k]) + 1e-15)
          << "row " << i << " output " << k;
    }
    if (classification) {
      EXPECT_EQ(got->category, want->classes[i]) << "row " << i;
    }
  }
  EXPECT_LT(max_rel, 1e-12);
}

TEST(PmmlExport, BinaryLogisticRegression) {
  ExpectSameScores("logistic_regression", "binary", {});
}
TEST(PmmlExport, BinaryLogisticRegressionWithoutStandardization) {
  ExpectSameScores("logistic_regression", "binary", {{"standardize", "false"}});
}
TEST(PmmlExport, MultinomialLogisticRegression) {
  ExpectSameScores("logistic_regression", "multiclass", {});
}
TEST(PmmlExport, LinearRegression) { ExpectSameScores("linear_regression", "regression", {}); }
TEST(PmmlExport, LinearRegressionWithoutStandardization) {
  ExpectSameScores("linear_regression", "regression", {{"standardize", "false"}});
}
TEST(PmmlExport, LinearSvmBinaryAndOneVsRest) {
  ExpectSameScores("linear_svm", "binary", {});
  ExpectSameScores("linear_svm", "multiclass", {});
}

TEST(PmmlExport, GbdtBinaryMulticlassRegression) {
  // max_cat_onehot=1 sends c (3 categories) through the sorted-gradient partition.
  ExpectSameScores("gbdt", "binary", {{"num_trees", "30"}, {"max_cat_onehot", "1"}});
  ExpectSameScores("gbdt", "binary", {{"num_trees", "30"}});
  ExpectSameScores("gbdt", "multiclass", {{"num_trees", "10"}});
  ExpectSameScores("gbdt", "regression", {{"num_trees", "30"}, {"growth", "leafwise"}});
}

TEST(PmmlExport, GbdtIsASumOfTreeModels) {
  auto model = Train("gbdt", Data("binary", 3), {{"num_trees", "3"}});
  ASSERT_TRUE(model.ok());
  auto text = (*model)->ExportPmml();
  ASSERT_TRUE(text.ok());
  for (const char* part : {"<MiningModel modelName=\"gbdt\" functionName=\"classification\"",
                           "multipleModelMethod=\"modelChain\"", "multipleModelMethod=\"sum\"",
                           "missingValueStrategy=\"defaultChild\"", "normalizationMethod=\"logit\"",
                           "<MiningField name=\"c\" invalidValueTreatment=\"asMissing\"",
                           "<DataField name=\"a\" optype=\"continuous\" dataType=\"float\""}) {
    EXPECT_NE(text->find(part), std::string::npos) << part;
  }
  size_t trees = 0;
  for (size_t at = text->find("<TreeModel"); at != std::string::npos;
       at = text->find("<TreeModel", at + 1)) {
    ++trees;
  }
  EXPECT_EQ(trees, 4u);  // the base score and three trees
}

TEST(PmmlExport, TheDocumentDescribesKilnsEncoding) {
  auto model = Train("logistic_regression", Data("binary", 3), {});
  ASSERT_TRUE(model.ok());
  auto text = (*model)->ExportPmml();
  ASSERT_TRUE(text.ok());
  for (const char* part :
       {"<DataField name=\"a\" optype=\"continuous\" dataType=\"float\"", "<Value value=\"x\"",
        "normalizationMethod=\"logit\"", "<MiningField name=\"c\" invalidValueTreatment=\"asIs\"",
        "<DerivedField name=\"standardized(a)\"", "<DerivedField name=\"missing(a)\"",
        "<CategoricalPredictor name=\"c\" value=\"z\"",
        "<RegressionTable intercept=\"0\" "
        "targetCategory=\"no\""}) {
    EXPECT_NE(text->find(part), std::string::npos) << part << " in\n" << *text;
  }
  // b had no missing values: no indicator.
  EXPECT_EQ(text->find("missing(b)"), std::string::npos);
}

TEST(PmmlExport, RefusesWhatPmmlCannotExpress) {
  // More categories than max_onehot: Kiln hashes them, which PMML cannot express.
  auto hashed = Train("logistic_regression", Data("binary", 3), {{"max_onehot", "2"}});
  ASSERT_TRUE(hashed.ok());
  auto text = (*hashed)->ExportPmml();
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), core::StatusCode::kUnimplemented);
  EXPECT_NE(text.status().message().find("column 'c' is hashed into 1024 buckets"),
            std::string::npos)
      << text.status().ToString();

  // Sparse (LibSVM) data has no named columns.
  data::CsrMatrix csr;
  csr.num_cols = 2;
  csr.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 1, 2, 3, 4});
  csr.indices = core::Array<uint32_t>(std::vector<uint32_t>{0, 1, 0, 1});
  csr.values = core::Array<float>(std::vector<float>{1, 2, 3, 4});
  auto sparse_data = data::Dataset::Sparse(
      std::move(csr), data::Column::Categorical("label", {0, 1, 0, 1}, {"a", "b"}));
  auto sparse = Train("logistic_regression", sparse_data, {});
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  text = (*sparse)->ExportPmml();
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), core::StatusCode::kUnimplemented);
  EXPECT_NE(text.status().message().find("sparse (LibSVM)"), std::string::npos);
}

}  // namespace
}  // namespace kiln::serve::pmml
