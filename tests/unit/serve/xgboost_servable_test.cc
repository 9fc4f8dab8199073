// The XGBoost JSON processor against Debian's python3-xgboost: the fixtures under
// tests/data/xgboost/ (written by scripts/make-xgboost-fixtures.py) hold a model, its input rows
// (empty cells are NaNs, which follow default_left) and xgboost's predict / predict_proba.
// Then every kind of malformed file, and bad requests, must give clear errors.
#include "../../../src/serve/xgboost_servable.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "kiln/core/strings.h"

namespace kiln::serve {
namespace {

using nlohmann::json;

std::string FixturePath(const std::string& name) {
  return std::string(KILN_SOURCE_DIR) + "/tests/data/xgboost/" + name;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;  // empty cell = NaN
};

Csv ReadCsv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  Csv csv;
  std::string line;
  std::getline(in, line);
  csv.header = core::Split(line, ',');
  while (std::getline(in, line)) {
    std::vector<double> row;
    for (const std::string& cell : core::Split(line, ',')) {
      row.push_back(cell.empty() ? std::nan("") : std::stod(cell));
    }
    EXPECT_EQ(row.size(), csv.header.size()) << path;
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

FeatureBatch BatchFromCsv(const Csv& csv) {
  FeatureBatch batch;
  batch.rows = csv.rows.size();
  for (size_t f = 0; f < csv.header.size(); ++f) {
    FeatureColumn column{csv.header[f], false, {}, {}};
    for (const std::vector<double>& row : csv.rows) column.numbers.push_back(row[f]);
    batch.columns.push_back(std::move(column));
  }
  return batch;
}

std::unique_ptr<Servable> LoadOrDie(const std::string& path) {
  auto servable = LoadXgboostJsonServable(ModelFiles{path, "xgboost_json"});
  EXPECT_TRUE(servable.ok()) << servable.status().ToString();
  return servable.ok() ? std::move(servable).value() : nullptr;
}

// Relative 1e-5 (xgboost sums in float32; Kiln's transforms run in double).
void ExpectClose(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-5 * std::abs(want) + 1e-7) << what;
}

// Loads <name>.model.json, predicts <name>.input.csv and compares with <name>.expected.csv
// (prediction[, probability_0..K-1]).
void CheckParity(const std::string& name, size_t classes) {
  std::unique_ptr<Servable> servable = LoadOrDie(FixturePath(name + ".model.json"));
  ASSERT_NE(servable, nullptr);
  const Csv input = ReadCsv(FixturePath(name + ".input.csv"));
  const Csv expected = ReadCsv(FixturePath(name + ".expected.csv"));
  ASSERT_EQ(input.rows.size(), expected.rows.size());
  ASSERT_EQ(expected.header.size(), 1 + classes);

  const ServableMetadata& meta = servable->metadata();
  EXPECT_EQ(meta.platform, "xgboost_json");
  ASSERT_EQ(meta.inputs.size(), input.header.size());
  for (size_t f = 0; f < input.header.size(); ++f) {
    EXPECT_EQ(meta.inputs[f].name, input.header[f]);
    EXPECT_EQ(meta.inputs[f].datatype, kFp32);
  }
  EXPECT_GT(servable->memory_bytes(), 0u);

  auto out = servable->Infer(BatchFromCsv(input));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const size_t rows = input.rows.size();
  ASSERT_EQ(out->outputs.size(), classes == 0 ? 1u : 2u);
  const OutputTensor& predictions = out->outputs[0];
  EXPECT_EQ(predictions.name, "predictions");
  EXPECT_EQ(predictions.datatype, classes == 0 ? kFp64 : kInt64);
  ASSERT_EQ(predictions.numbers.size(), rows);
  for (size_t r = 0; r < rows; ++r) {
    ExpectClose(predictions.numbers[r], expected.rows[r][0], fmt::format("{} row {}", name, r));
  }
  if (classes == 0) return;
  const OutputTensor& probabilities = out->outputs[1];
  EXPECT_EQ(probabilities.name, "probabilities");
  EXPECT_EQ(probabilities.shape,
            (std::vector<int64_t>{static_cast<int64_t>(rows), static_cast<int64_t>(classes)}));
  ASSERT_EQ(probabilities.numbers.size(), rows * classes);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < classes; ++k) {
      ExpectClose(probabilities.numbers[r * classes + k], expected.rows[r][1 + k],
                  fmt::format("{} row {} class {}", name, r, k));
    }
  }
  ASSERT_EQ(out->class_names.size(), classes);
  EXPECT_EQ(out->class_names.back(), std::to_string(classes - 1));
}

TEST(XgboostParityTest, BinaryWithMissingValuesAndFeatureNames) { CheckParity("binary", 2); }
TEST(XgboostParityTest, MulticlassSoftprob) { CheckParity("multiclass", 3); }
TEST(XgboostParityTest, Regression) { CheckParity("regression", 0); }
TEST(XgboostParityTest, PoissonLogLink) { CheckParity("poisson", 0); }

// A one-split model written by hand: f0 < 1 adds 0.5 (missing goes left), else -0.25. The
// base_score is written the way XGBoost 2 does ("[2E-1]") and default_left as a boolean.
json OneSplitModel(const std::string& objective, const std::string& base_score) {
  const json tree = {
      {"left_children", {1, -1, -1}},         {"right_children", {2, -1, -1}},
      {"split_indices", {0, 0, 0}},           {"split_conditions", {1.0, 0.5, -0.25}},
      {"default_left", {true, false, false}}, {"split_type", {0, 0, 0}}};
  return {{"learner",
           {{"objective", {{"name", objective}}},
            {"learner_model_param",
             {{"base_score", base_score}, {"num_class", "0"}, {"num_feature", "1"}}},
            {"gradient_booster",
             {{"name", "gbtree"}, {"model", {{"trees", {tree}}, {"tree_info", {0}}}}}}}}};
}

// Predictions of OneSplitModel for f0 = 0, 2 and missing.
std::vector<double> PredictOneSplit(const std::string& objective, const std::string& base_score) {
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("kiln-xgb-{}-one-split.json", getpid()))
          .string();
  std::ofstream(path) << OneSplitModel(objective, base_score).dump();
  std::unique_ptr<Servable> servable = LoadOrDie(path);
  std::filesystem::remove(path);
  if (servable == nullptr) return {};
  FeatureBatch batch{3, {{"f0", false, {0.0, 2.0, std::nan("")}, {}}}};
  auto out = servable->Infer(batch);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? out->outputs[0].numbers : std::vector<double>{};
}

TEST(XgboostObjectiveTest, LinksOfBaseScoreAndPredictions) {
  // Checked against xgboost 1.7.4: binary:logitraw starts from base_score itself (no logit) and
  // answers the raw margin; reg:logistic starts from logit(base_score) and answers a sigmoid;
  // count:poisson starts from log(base_score) and answers exp.
  const auto sigmoid = [](double m) { return 1 / (1 + std::exp(-m)); };
  const double logit = std::log(0.2 / 0.8);
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"binary:logitraw", {0.7, -0.05, 0.7}},
      {"reg:squarederror", {0.7, -0.05, 0.7}},
      {"reg:logistic", {sigmoid(logit + 0.5), sigmoid(logit - 0.25), sigmoid(logit + 0.5)}},
      {"count:poisson", {0.2 * std::exp(0.5), 0.2 * std::exp(-0.25), 0.2 * std::exp(0.5)}},
  };
  for (const auto& [objective, want] : cases) {
    const std::vector<double> got = PredictOneSplit(objective, "[2E-1]");
    ASSERT_EQ(got.size(), want.size()) << objective;
    for (size_t i = 0; i < want.size(); ++i) ExpectClose(got[i], want[i], objective);
  }
}

// A temporary directory removed at the end of the test.
class XgboostErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("kiln-xgb-{}-{}", getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ifstream in(FixturePath("binary.model.json"));
    model_ = json::parse(in);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& text) {
    const std::string path = (dir_ / "model.json").string();
    std::ofstream(path) << text;
    return path;
  }
  core::Status LoadStatus(const std::string& path) {
    auto servable = LoadXgboostJsonServable(ModelFiles{path, ""});
    return servable.ok() ? core::Status::Ok() : servable.status();
  }
  // Loads the binary fixture after `mutate`; expects `code` and a message naming the file and
  // containing `field`.
  void ExpectBad(const std::function<void(json&)>& mutate, core::StatusCode code,
                 const std::string& field) {
    json model = model_;
    mutate(model);
    const std::string path = Write(model.dump());
    const core::Status status = LoadStatus(path);
    ASSERT_FALSE(status.ok()) << "accepted a model whose " << field << " is bad";
    EXPECT_EQ(status.code(), code) << status.ToString();
    EXPECT_NE(status.message().find(path), std::string::npos) << status.ToString();
    EXPECT_NE(status.message().find(field), std::string::npos) << status.ToString();
  }

  std::filesystem::path dir_;
  json model_;
};

json& Learner(json& m) { return m["learner"]; }
json& Tree(json& m, int t) { return m["learner"]["gradient_booster"]["model"]["trees"][t]; }

TEST_F(XgboostErrorTest, UnreadableOrNotJson) {
  const core::Status missing = LoadStatus((dir_ / "absent.json").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.ToString().find("absent.json"), std::string::npos) << missing.ToString();

  const std::string path = Write("{\"learner\": [1, 2");
  const core::Status status = LoadStatus(path);
  EXPECT_EQ(status.code(), core::StatusCode::kParseError);
  EXPECT_NE(status.message().find(path), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("not an XGBoost JSON model"), std::string::npos);

  ExpectBad([](json& m) { m = json::array(); }, core::StatusCode::kParseError,
            "not an XGBoost JSON model: expected an object with a \"learner\", found array");
}

TEST_F(XgboostErrorTest, MissingOrMistypedFields) {
  using C = core::StatusCode;
  ExpectBad([](json& m) { m.erase("learner"); }, C::kParseError, "learner");
  ExpectBad([](json& m) { Learner(m).erase("objective"); }, C::kParseError, "learner.objective");
  ExpectBad([](json& m) { Learner(m)["learner_model_param"].erase("num_feature"); }, C::kParseError,
            "learner.learner_model_param.num_feature");
  ExpectBad([](json& m) { Learner(m)["learner_model_param"]["base_score"] = "half"; },
            C::kParseError, "learner.learner_model_param.base_score");
  ExpectBad([](json& m) { Learner(m)["gradient_booster"]["model"].erase("tree_info"); },
            C::kParseError, "learner.gradient_booster.model.tree_info");
  ExpectBad([](json& m) { Tree(m, 1)["left_children"] = "none"; }, C::kParseError,
            "learner.gradient_booster.model.trees[1].left_children");
  ExpectBad([](json& m) { Tree(m, 1)["split_conditions"][2] = "x"; }, C::kParseError,
            "trees[1].split_conditions[2]");
  ExpectBad([](json& m) { Learner(m)["feature_names"].erase(0); }, C::kParseError,
            "learner.feature_names");
}

TEST_F(XgboostErrorTest, UnsupportedBoosterObjectiveOrSplits) {
  using C = core::StatusCode;
  ExpectBad([](json& m) { Learner(m)["gradient_booster"]["name"] = "gblinear"; }, C::kUnimplemented,
            "gblinear");
  ExpectBad([](json& m) { Learner(m)["gradient_booster"]["name"] = "dart"; }, C::kUnimplemented,
            "learner.gradient_booster.name");
  ExpectBad([](json& m) { Learner(m)["objective"]["name"] = "rank:pairwise"; }, C::kUnimplemented,
            "learner.objective.name");
  ExpectBad([](json& m) { Tree(m, 0)["split_type"][0] = 1; }, C::kUnimplemented,
            "trees[0].split_type");
  ExpectBad([](json& m) { Learner(m)["learner_model_param"]["num_target"] = "2"; },
            C::kUnimplemented, "num_target");
}

TEST_F(XgboostErrorTest, InconsistentParams) {
  using C = core::StatusCode;
  ExpectBad([](json& m) { Learner(m)["learner_model_param"]["num_class"] = "3"; }, C::kParseError,
            "num_class");
  ExpectBad([](json& m) { Learner(m)["learner_model_param"]["base_score"] = "1.5"; },
            C::kParseError, "base_score");
  ExpectBad([](json& m) { Learner(m)["gradient_booster"]["model"]["tree_info"].erase(0); },
            C::kParseError, "tree_info");
  ExpectBad([](json& m) { Learner(m)["gradient_booster"]["model"]["tree_info"][3] = 1; },
            C::kParseError, "tree_info[3]");
}

TEST_F(XgboostErrorTest, MalformedTrees) {
  using C = core::StatusCode;
  ExpectBad([](json& m) { Tree(m, 2)["right_children"].erase(0); }, C::kParseError,
            "trees[2].right_children");
  ExpectBad([](json& m) { Tree(m, 0)["left_children"][0] = 999; }, C::kParseError,
            "trees[0].left_children[0]");
  ExpectBad([](json& m) { Tree(m, 0)["right_children"][0] = -7; }, C::kParseError,
            "trees[0].right_children[0]");
  ExpectBad([](json& m) { Tree(m, 0)["split_indices"][0] = 30; }, C::kParseError,
            "trees[0].split_indices[0]");
  ExpectBad([](json& m) { Tree(m, 0)["right_children"][0] = -1; }, C::kParseError,
            "trees[0].left_children[0]");
  // Node 1's left child points back at the root: a cycle the loader must refuse.
  ExpectBad([](json& m) { Tree(m, 0)["left_children"][1] = 0; }, C::kParseError,
            "trees[0]: node 0 is reached twice");
  ExpectBad(
      [](json& m) {
        for (const char* key : {"left_children", "right_children", "split_indices",
                                "split_conditions", "default_left"}) {
          Tree(m, 0)[key] = json::array();
        }
      },
      C::kParseError, "trees[0]");
}

// Random index corruptions: each model either fails to load or predicts (no crash, no hang).
// Run under KILN_SANITIZE to catch an out-of-bounds read the loader let through.
TEST_F(XgboostErrorTest, RandomIndexCorruptionsNeverCrash) {
  std::mt19937 rng(5);
  const FeatureBatch batch = BatchFromCsv(ReadCsv(FixturePath("binary.input.csv")));
  constexpr const char* kFields[] = {"left_children", "right_children", "split_indices"};
  int loaded = 0;
  for (int i = 0; i < 200; ++i) {
    json model = model_;
    json& tree = Tree(model, static_cast<int>(rng() % 10));
    json& field = tree[kFields[rng() % 3]];
    const auto n = static_cast<int>(field.size());
    field[rng() % n] = static_cast<int>(rng() % (n + 6)) - 3;
    auto servable = LoadXgboostJsonServable(ModelFiles{Write(model.dump()), ""});
    if (!servable.ok()) {
      EXPECT_EQ(servable.status().code(), core::StatusCode::kParseError);
      continue;
    }
    ++loaded;
    EXPECT_TRUE((*servable)->Infer(batch).ok());
  }
  EXPECT_GT(loaded, 0);  // some corruptions are harmless (a leaf's split index, a valid child)
}

class XgboostInferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servable_ = LoadOrDie(FixturePath("multiclass.model.json"));
    ASSERT_NE(servable_, nullptr);
    batch_ = BatchFromCsv(ReadCsv(FixturePath("multiclass.input.csv")));
  }
  core::Status InferStatus(const FeatureBatch& batch) {
    auto out = servable_->Infer(batch);
    return out.ok() ? core::Status::Ok() : out.status();
  }
  std::unique_ptr<Servable> servable_;
  FeatureBatch batch_;
};

TEST_F(XgboostInferTest, MissingFeatureIsNamed) {
  batch_.columns.erase(batch_.columns.begin() + 2);
  const core::Status status = InferStatus(batch_);
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("missing feature f2"), std::string::npos) << status.ToString();
}

TEST_F(XgboostInferTest, TextFeatureIsNamed) {
  FeatureColumn& c = batch_.columns[1];
  c.is_text = true;
  c.texts.assign(batch_.rows, "");
  c.texts[3] = "tall";
  const core::Status status = InferStatus(batch_);
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'f1'"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("tall"), std::string::npos) << status.ToString();
}

TEST_F(XgboostInferTest, EmptyTextsAreMissingValues) {
  FeatureBatch as_nan = batch_;
  as_nan.columns[1].numbers.assign(batch_.rows, std::nan(""));
  FeatureColumn& c = batch_.columns[1];
  c.is_text = true;
  c.numbers.clear();
  c.texts.assign(batch_.rows, "");
  auto a = servable_->Infer(as_nan);
  auto b = servable_->Infer(batch_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->outputs[1].numbers, b->outputs[1].numbers);
}

TEST_F(XgboostInferTest, UnknownFeatureAndWrongRowCount) {
  FeatureBatch unknown = batch_;
  unknown.columns.push_back({"f33", false, std::vector<double>(batch_.rows, 1.0), {}});
  const core::Status a = InferStatus(unknown);
  EXPECT_EQ(a.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(a.message().find("unknown feature 'f33'"), std::string::npos) << a.ToString();

  batch_.columns[0].numbers.pop_back();
  const core::Status b = InferStatus(batch_);
  EXPECT_EQ(b.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(b.message().find("'f0'"), std::string::npos) << b.ToString();
}

TEST_F(XgboostInferTest, EmptyBatch) {
  FeatureBatch empty;
  for (const TensorSpec& input : servable_->metadata().inputs) {
    empty.columns.push_back({input.name, false, {}, {}});
  }
  auto out = servable_->Infer(empty);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->outputs[0].numbers.empty());
}

}  // namespace
}  // namespace kiln::serve
