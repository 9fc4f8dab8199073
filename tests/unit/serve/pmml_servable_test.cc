// The pmml processor as a servable: parity with scikit-learn and XGBoost on the fixtures of
// tests/data/pmml (scripts/make-pmml-fixtures.py), the XGBoost ones also against the
// xgboost_json processor on the same model, the response shape, and bad requests.
#include "../../../src/serve/pmml_servable.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "../../../src/serve/xgboost_servable.h"
#include "kiln/algorithms/builtin.h"
#include "kiln/serve/processor_registry.h"
#include "pmml_test_util.h"

namespace kiln::serve {
namespace {

using pmml::testing::BatchFromCsv;
using pmml::testing::Csv;
using pmml::testing::ReadCsv;
using pmml::testing::SourcePath;

std::unique_ptr<Servable> LoadOrDie(const std::string& path) {
  auto servable = LoadPmmlServable(ModelFiles{path, "pmml"});
  EXPECT_TRUE(servable.ok()) << servable.status().ToString();
  return servable.ok() ? std::move(servable).value() : nullptr;
}

const OutputTensor* Output(const InferenceOutput& out, const std::string& name) {
  for (const OutputTensor& t : out.outputs) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// Largest |got - want| / max(|want|, 1e-3) over a comparison, for the test log.
struct MaxDiff {
  double abs = 0;
  double rel = 0;
  void Add(double got, double want) {
    abs = std::max(abs, std::abs(got - want));
    rel = std::max(rel, std::abs(got - want) / std::max(std::abs(want), 1e-3));
  }
};

TEST(PmmlServableTest, SklearnTreeClassifierMatchesPredictProba) {
  auto servable = LoadOrDie(SourcePath("tests/data/pmml/tree_classifier.pmml"));
  ASSERT_NE(servable, nullptr);
  const ServableMetadata& meta = servable->metadata();
  EXPECT_EQ(meta.platform, "pmml");
  ASSERT_EQ(meta.inputs.size(), 7u);
  EXPECT_EQ(meta.inputs[0].name, "bill_length_mm");
  EXPECT_EQ(meta.inputs[0].datatype, kFp32);
  EXPECT_EQ(meta.inputs[5].name, "island");
  EXPECT_EQ(meta.inputs[5].datatype, kBytes);
  ASSERT_EQ(meta.outputs.size(), 2u);
  EXPECT_EQ(meta.outputs[0].name, "predictions");
  EXPECT_EQ(meta.outputs[0].datatype, kBytes);
  EXPECT_EQ(meta.outputs[1].name, "probabilities");
  EXPECT_EQ(meta.outputs[1].shape, (std::vector<int64_t>{-1, 3}));
  EXPECT_GT(servable->memory_bytes(), 0u);

  const Csv input = ReadCsv(SourcePath("tests/data/pmml/tree_classifier.input.csv"));
  const Csv expected = ReadCsv(SourcePath("tests/data/pmml/tree_classifier.expected.csv"));
  ASSERT_EQ(input.rows.size(), expected.rows.size());
  auto out = servable->Infer(BatchFromCsv(input, {true, true, true, true, true, false, false}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->class_names, (std::vector<std::string>{"Adelie", "Chinstrap", "Gentoo"}));
  const OutputTensor* predictions = Output(*out, "predictions");
  const OutputTensor* probabilities = Output(*out, "probabilities");
  ASSERT_TRUE(predictions && probabilities);
  MaxDiff diff;
  for (size_t r = 0; r < input.rows.size(); ++r) {
    EXPECT_EQ(predictions->texts[r], expected.rows[r][0]) << "row " << r;
    for (size_t k = 0; k < 3; ++k) {
      diff.Add(probabilities->numbers[r * 3 + k], std::stod(expected.rows[r][1 + k]));
    }
  }
  EXPECT_EQ(diff.abs, 0) << "sklearn's probabilities are written exactly";
  std::cout << "tree_classifier: " << input.rows.size() << " rows, max abs diff " << diff.abs
            << "\n";
}

TEST(PmmlServableTest, SklearnTreeRegressorMatchesPredict) {
  auto servable = LoadOrDie(SourcePath("tests/data/pmml/tree_regressor.pmml"));
  ASSERT_NE(servable, nullptr);
  const Csv input = ReadCsv(SourcePath("tests/data/pmml/tree_regressor.input.csv"));
  const Csv expected = ReadCsv(SourcePath("tests/data/pmml/tree_regressor.expected.csv"));
  auto out = servable->Infer(BatchFromCsv(input, std::vector<bool>(input.header.size(), true)));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->outputs.size(), 1u);
  EXPECT_EQ(out->outputs[0].datatype, kFp64);
  MaxDiff diff;
  for (size_t r = 0; r < input.rows.size(); ++r) {
    diff.Add(out->outputs[0].numbers[r], std::stod(expected.rows[r][0]));
  }
  EXPECT_EQ(diff.abs, 0);
  std::cout << "tree_regressor: " << input.rows.size() << " rows, max abs diff " << diff.abs
            << "\n";
}

// xgb_<name>.pmml against xgboost's predictions (tests/data/xgboost/<name>.expected.csv) and the
// xgboost_json processor on <name>.model.json, within 1e-5 relative (XGBoost sums in float).
void CheckXgboost(const std::string& name, size_t classes) {
  auto pmml = LoadOrDie(SourcePath("tests/data/pmml/xgb_" + name + ".pmml"));
  auto json = LoadXgboostJsonServable(
      ModelFiles{SourcePath("tests/data/xgboost/" + name + ".model.json"), "xgboost_json"});
  ASSERT_NE(pmml, nullptr);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  const Csv input = ReadCsv(SourcePath("tests/data/xgboost/" + name + ".input.csv"));
  const Csv expected = ReadCsv(SourcePath("tests/data/xgboost/" + name + ".expected.csv"));
  const FeatureBatch batch = BatchFromCsv(input, std::vector<bool>(input.header.size(), true));
  ASSERT_EQ(pmml->metadata().inputs.size(), (*json)->metadata().inputs.size());
  for (size_t f = 0; f < input.header.size(); ++f) {
    EXPECT_EQ(pmml->metadata().inputs[f].name, (*json)->metadata().inputs[f].name);
  }
  auto got = pmml->Infer(batch);
  auto want = (*json)->Infer(batch);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  const size_t rows = input.rows.size();
  MaxDiff vs_xgboost, vs_processor;
  auto check = [&](double g, double x, double j, const std::string& what) {
    EXPECT_NEAR(g, x, 1e-5 * std::max(std::abs(x), 1.0)) << what << " vs xgboost";
    EXPECT_NEAR(g, j, 1e-5 * std::max(std::abs(j), 1.0)) << what << " vs xgboost_json";
    vs_xgboost.Add(g, x);
    vs_processor.Add(g, j);
  };
  if (classes == 0) {
    for (size_t r = 0; r < rows; ++r) {
      check(got->outputs[0].numbers[r], std::stod(expected.rows[r][0]), want->outputs[0].numbers[r],
            fmt::format("{} row {}", name, r));
    }
  } else {
    const OutputTensor* p = Output(*got, "probabilities");
    const OutputTensor* q = Output(*want, "probabilities");
    ASSERT_TRUE(p && q);
    EXPECT_EQ(got->class_names, want->class_names);
    for (size_t r = 0; r < rows; ++r) {
      EXPECT_EQ(Output(*got, "predictions")->texts[r],
                std::to_string(static_cast<int>(std::stod(expected.rows[r][0]))))
          << name << " row " << r;
      for (size_t k = 0; k < classes; ++k) {
        check(p->numbers[r * classes + k], std::stod(expected.rows[r][1 + k]),
              q->numbers[r * classes + k], fmt::format("{} row {} class {}", name, r, k));
      }
    }
  }
  std::cout << "xgb_" << name << ": " << rows << " rows, max abs/rel diff vs xgboost "
            << vs_xgboost.abs << " / " << vs_xgboost.rel << ", vs xgboost_json " << vs_processor.abs
            << " / " << vs_processor.rel << "\n";
}

TEST(PmmlServableTest, XgboostBinaryMatchesXgboostAndTheJsonProcessor) {
  CheckXgboost("binary", 2);
}
TEST(PmmlServableTest, XgboostMulticlass) { CheckXgboost("multiclass", 3); }
TEST(PmmlServableTest, XgboostRegression) { CheckXgboost("regression", 0); }
TEST(PmmlServableTest, XgboostPoisson) { CheckXgboost("poisson", 0); }

// A churn-like logistic model: numeric tenure (no replacement), categorical contract.
constexpr const char* kChurn = R"(<?xml version="1.0"?>
<PMML version="4.4"><Header/>
<DataDictionary>
  <DataField name="tenure" optype="continuous" dataType="double"/>
  <DataField name="contract" optype="categorical" dataType="string">
    <Value value="Month-to-month"/><Value value="One year"/><Value value="Two year"/>
  </DataField>
  <DataField name="churn" optype="categorical" dataType="string"><Value value="No"/><Value value="Yes"/></DataField>
</DataDictionary>
<RegressionModel functionName="classification" normalizationMethod="NORMALIZATION">
  <MiningSchema>
    <MiningField name="churn" usageType="target"/><MiningField name="tenure"/><MiningField name="contract"/>
  </MiningSchema>
  <RegressionTable intercept="0.5" targetCategory="Yes">
    <NumericPredictor name="tenure" coefficient="-0.1"/>
    <CategoricalPredictor name="contract" value="Two year" coefficient="-2"/>
  </RegressionTable>
  <RegressionTable intercept="0" targetCategory="No"/>
</RegressionModel></PMML>)";

class PmmlRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("kiln_pmml_{}", ::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::unique_ptr<Servable> Churn(const std::string& normalization = "logit") {
    std::string text = kChurn;
    text.replace(text.find("NORMALIZATION"), 13, normalization);
    return LoadOrDie(Write("churn.pmml", text));
  }

  static FeatureBatch Batch(std::vector<double> tenure, std::vector<std::string> contract) {
    FeatureBatch b;
    b.rows = tenure.size();
    b.columns.push_back({"tenure", false, std::move(tenure), {}});
    b.columns.push_back({"contract", true, {}, std::move(contract)});
    return b;
  }

  static void ExpectError(const core::Result<InferenceOutput>& out,
                          const std::vector<std::string>& parts) {
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), core::StatusCode::kInvalidArgument) << out.status().ToString();
    for (const std::string& p : parts) {
      EXPECT_NE(out.status().message().find(p), std::string::npos)
          << "expected \"" << p << "\" in: " << out.status().ToString();
    }
  }

  std::filesystem::path dir_;
};

TEST_F(PmmlRequestTest, AnswersLikeTheKilnProcessor) {
  auto servable = Churn();
  ASSERT_NE(servable, nullptr);
  auto out = servable->Infer(Batch({10, 3}, {"Two year", "Month-to-month"}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->class_names, (std::vector<std::string>{"No", "Yes"}));
  const OutputTensor* predictions = Output(*out, "predictions");
  const OutputTensor* probabilities = Output(*out, "probabilities");
  ASSERT_TRUE(predictions && probabilities);
  EXPECT_EQ(predictions->texts, (std::vector<std::string>{"No", "Yes"}));
  EXPECT_EQ(probabilities->shape, (std::vector<int64_t>{2, 2}));
  const double p0 = 1 / (1 + std::exp(-(0.5 - 1 - 2))), p1 = 1 / (1 + std::exp(-(0.5 - 0.3)));
  EXPECT_NEAR(probabilities->numbers[0], 1 - p0, 1e-15);
  EXPECT_NEAR(probabilities->numbers[1], p0, 1e-15);
  EXPECT_NEAR(probabilities->numbers[3], p1, 1e-15);

  // Without normalization the values are scores, not probabilities, and say so.
  auto raw = Churn("none");
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(raw->metadata().outputs[1].name, "scores");
  out = raw->Infer(Batch({10}, {"Two year"}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Output(*out, "scores")->numbers, (std::vector<double>{0, 0.5 - 1 - 2}));
}

TEST_F(PmmlRequestTest, BadRequestsNameTheFeature) {
  auto servable = Churn();
  ASSERT_NE(servable, nullptr);
  // A missing numeric value without a replacement.
  ExpectError(servable->Infer(Batch({1, std::nan("")}, {"One year", "One year"})),
              {"row 1: feature 'tenure' is missing", "missingValueReplacement"});
  // An unknown category.
  ExpectError(servable->Infer(Batch({1}, {"Weekly"})),
              {"row 0: feature 'contract' has the value \"Weekly\"",
               "valid values: Month-to-month, One year, Two year"});
  // Text for a number.
  FeatureBatch text;
  text.rows = 1;
  text.columns.push_back({"tenure", true, {}, {"ten"}});
  text.columns.push_back({"contract", true, {}, {"One year"}});
  ExpectError(servable->Infer(text), {"row 0: feature 'tenure' is numeric (double) but has the "
                                      "text \"ten\""});
  // An empty text is a missing value (here: without replacement).
  text.columns[0].texts[0] = "";
  ExpectError(servable->Infer(text), {"feature 'tenure' is missing"});
  // A column the model does not know, with a suggestion.
  FeatureBatch unknown = Batch({1}, {"One year"});
  unknown.columns.push_back({"tenur", false, {1}, {}});
  ExpectError(servable->Infer(unknown), {"unknown feature 'tenur' (did you mean 'tenure'?)"});
  // A feature not sent at all.
  FeatureBatch partial;
  partial.rows = 1;
  partial.columns.push_back({"tenure", false, {1}, {}});
  ExpectError(servable->Infer(partial),
              {"missing feature contract (send null for a missing value)"});
  // A column of the wrong length.
  FeatureBatch ragged = Batch({1, 2}, {"One year"});
  ExpectError(servable->Infer(ragged), {"feature 'contract' has 1 values, expected one per row"});
  // A number for a categorical feature is taken as its text (and here is not a category).
  FeatureBatch number;
  number.rows = 1;
  number.columns.push_back({"tenure", false, {1}, {}});
  number.columns.push_back({"contract", false, {}, {}});
  number.columns[1].numbers = {2};
  ExpectError(servable->Infer(number), {"feature 'contract' has the value \"2\""});
}

TEST_F(PmmlRequestTest, DetectedAndLoadedThroughTheRegistry) {
  ml::AlgorithmRegistry algorithms("algorithm");
  ASSERT_TRUE(algorithms::RegisterBuiltinAlgorithms(algorithms).ok());
  ProcessorRegistry registry("processor");
  ASSERT_TRUE(RegisterBuiltinProcessors(registry, algorithms).ok());
  std::string text = kChurn;
  text.replace(text.find("NORMALIZATION"), 13, "logit");
  const std::string path = Write("model.pmml", text);
  auto platform = DetectPlatform(path);
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ(*platform, "pmml");
  auto servable = LoadServable(registry, ModelFiles{path, ""});
  ASSERT_TRUE(servable.ok()) << servable.status().ToString();
  EXPECT_EQ((*servable)->metadata().platform, "pmml");

  // A load error names the file and line, with the loading context.
  const std::string bad =
      Write("bad.pmml",
            std::string(kChurn).replace(std::string(kChurn).find("NORMALIZATION"), 13, "sigmoid"));
  auto failed = LoadServable(registry, ModelFiles{bad, ""});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), core::StatusCode::kParseError);
  EXPECT_NE(failed.status().ToString().find(bad + ":10: RegressionModel: normalizationMethod="
                                                  "\"sigmoid\" is not a valid value"),
            std::string::npos)
      << failed.status().ToString();
}

}  // namespace
}  // namespace kiln::serve
