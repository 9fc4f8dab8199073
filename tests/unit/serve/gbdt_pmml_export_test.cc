// `kiln export --format pmml` for gbdt models, checked in process: train with missing numeric
// and categorical values, export, parse with the PMML processor's parser and score every row —
// including unseen categories — against Model::Predict.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kiln/core/random.h"
#include "pmml_test_util.h"
#include "unit/algorithms/gbdt_test_util.h"

namespace kiln::serve::pmml {
namespace {

constexpr size_t kRows = 400;

// a: numeric with missing values, b: numeric, c: categorical of six levels with missing values.
data::Dataset Data(const std::string& kind, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> a(kRows), b(kRows), target(kRows);
  std::vector<int32_t> c(kRows), y(kRows);
  for (size_t i = 0; i < kRows; ++i) {
    a[i] = static_cast<float>(rng.Normal() * 3 + 10);
    b[i] = static_cast<float>(rng.Uniform());
    c[i] = static_cast<int32_t>(rng.UniformInt(6));
    const double s =
        std::sin(a[i] - 10) + 2 * b[i] - 1 + (c[i] % 2 == 0 ? 0.8 : -0.5) + rng.Normal() * 0.3;
    y[i] = kind == "binary" ? (s > 0 ? 1 : 0) : (s < -0.6 ? 0 : s < 0.6 ? 1 : 2);
    target[i] = static_cast<float>(s * 100 + 7);
    if (i % 11 == 3) a[i] = std::nanf("");
    if (i % 13 == 5) c[i] = data::kMissingCode;
  }
  std::vector<data::Column> columns = {
      data::Column::Numeric("a", a), data::Column::Numeric("b", b),
      data::Column::Categorical("c", c, {"p", "q", "r", "s", "t", "u"})};
  if (kind == "regression") {
    return data::Dataset::Dense(columns, data::Column::Numeric("target", target));
  }
  return data::Dataset::Dense(
      columns,
      data::Column::Categorical("label", y,
                                kind == "binary" ? std::vector<std::string>{"no", "yes"}
                                                 : std::vector<std::string>{"lo", "mid", "hi"}));
}

void ExpectSameScores(const std::string& kind, algorithms::testing::Params params) {
  SCOPED_TRACE(kind);
  const data::Dataset train = Data(kind, 3);
  auto model = algorithms::testing::TrainGbdt(train, params);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto text = (*model)->ExportPmml();
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto doc = ParseDocument(*text, "export.pmml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();

  // The training rows, with some categories replaced by one never seen ("w").
  std::vector<int32_t> codes = train.columns()[2].codes.ToVector();
  for (size_t i = 0; i < codes.size(); i += 17) codes[i] = 6;
  const data::Dataset rows = data::Dataset::Dense(
      {train.columns()[0], train.columns()[1],
       data::Column::Categorical("c", codes, {"p", "q", "r", "s", "t", "u", "w"})});
  core::Context ctx(core::ContextOptions{1, 7});
  auto want = (*model)->Predict(data::DatasetView(rows), ctx);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  const bool classification = kind != "regression";
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
      expected = {1 - want->score(i), want->score(i)};
    } else {
      for (size_t k = 0; k < want->width(); ++k) expected.push_back(want->score(i, k));
    }
    const std::vector<double> actual =
        classification ? got->probabilities : std::vector<double>{got->value};
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t k = 0; k < actual.size(); ++k) {
      EXPECT_NEAR(actual[k], expected[k], 1e-12 * std::abs(expected[k]) + 1e-15)
          << "row " << i << " output " << k;
    }
    if (classification) {
      EXPECT_EQ(got->category, want->classes[i]) << "row " << i;
    }
  }
}

TEST(GbdtPmmlExport, Binary) { ExpectSameScores("binary", {{"num_trees", "30"}}); }
TEST(GbdtPmmlExport, Multiclass) { ExpectSameScores("multiclass", {{"num_trees", "10"}}); }
TEST(GbdtPmmlExport, Regression) {
  ExpectSameScores("regression", {{"num_trees", "30"}, {"growth", "leafwise"}});
}

TEST(GbdtPmmlExport, TheDocumentIsASumOfTrees) {
  auto model = algorithms::testing::TrainGbdt(Data("binary", 3), {{"num_trees", "3"}});
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
}

}  // namespace
}  // namespace kiln::serve::pmml
