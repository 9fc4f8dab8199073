#include "kiln/ml/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/data/dataset.h"
#include "kiln/data/dataset_view.h"

namespace kiln::ml {
namespace {

using data::Column;
using data::Dataset;
using data::DatasetView;

LabelInfo Binary() {
  LabelInfo info;
  info.task = Task::kBinary;
  info.name = "label";
  info.classes = {"No", "Yes"};
  return info;
}

// Labels No Yes Yes No, P(Yes) 0.2 0.9 0.4 0.6.
Dataset BinaryData(core::Array<float> weights = {}) {
  Column x = Column::Numeric("x", {1, 2, 3, 4});
  Column y = Column::Categorical("label", {0, 1, 1, 0}, {"No", "Yes"});
  return Dataset::Dense({x}, y, std::move(weights));
}

Predictions BinaryPredictions() {
  Predictions p;
  p.task = Task::kBinary;
  p.rows = 4;
  p.scores = {0.2, 0.9, 0.4, 0.6};
  p.classes = {0, 1, 0, 1};
  return p;
}

TEST(EvaluateTest, BinaryMetricsInOrder) {
  Dataset ds = BinaryData();
  auto ev = Evaluate(Binary(), DatasetView(ds), BinaryPredictions());
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  std::vector<std::string> names;
  for (const auto& [name, _] : ev->metrics) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"auc", "logloss", "accuracy", "precision", "recall", "f1"}));
  // Positives 0.9, 0.4; negatives 0.2, 0.6: pairs won 0.9>0.2, 0.9>0.6, 0.4>0.2 -> 3/4.
  EXPECT_DOUBLE_EQ(ev->Get("auc"), 0.75);
  // Predicted No Yes No Yes vs truth No Yes Yes No: 2 of 4 right; tp 1, fp 1, fn 1.
  EXPECT_DOUBLE_EQ(ev->Get("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(ev->Get("precision"), 0.5);
  EXPECT_DOUBLE_EQ(ev->Get("recall"), 0.5);
  EXPECT_DOUBLE_EQ(ev->Get("f1"), 0.5);
  EXPECT_NEAR(ev->Get("logloss"),
              -(std::log(0.8) + std::log(0.9) + std::log(0.4) + std::log(0.4)) / 4, 1e-12);
  EXPECT_EQ(ev->rows, 4u);
  EXPECT_EQ(ev->classes, (std::vector<std::string>{"No", "Yes"}));
  EXPECT_EQ(ev->confusion, (std::vector<std::vector<double>>{{1, 1}, {1, 1}}));
  EXPECT_TRUE(std::isnan(ev->Get("rmse")));
}

TEST(EvaluateTest, UsesDatasetWeights) {
  // Weights 3 1 1 1: correct rows are 0 (w 3) and 1 (w 1) -> accuracy 4/6.
  Dataset ds = BinaryData(core::Array<float>(std::vector<float>{3, 1, 1, 1}));
  auto ev = Evaluate(Binary(), DatasetView(ds), BinaryPredictions());
  ASSERT_TRUE(ev.ok());
  EXPECT_DOUBLE_EQ(ev->Get("accuracy"), 4.0 / 6.0);
  EXPECT_EQ(ev->confusion, (std::vector<std::vector<double>>{{3, 1}, {1, 1}}));
}

TEST(EvaluateTest, ViewSelectsRows) {
  Dataset ds = BinaryData();
  DatasetView view(ds, {1, 3});  // Yes (0.9), No (0.6)
  Predictions p;
  p.task = Task::kBinary;
  p.rows = 2;
  p.scores = {0.9, 0.6};
  p.classes = {1, 1};
  auto ev = Evaluate(Binary(), view, p);
  ASSERT_TRUE(ev.ok());
  EXPECT_DOUBLE_EQ(ev->Get("auc"), 1.0);
  EXPECT_DOUBLE_EQ(ev->Get("accuracy"), 0.5);
}

TEST(EvaluateTest, NonProbabilisticHasNoLogLossAndDerivesClasses) {
  Dataset ds = BinaryData();
  Predictions p = BinaryPredictions();
  p.probabilistic = false;
  p.scores = {-1.0, 2.0, -0.5, 0.5};  // decision values; classes from the sign
  p.classes.clear();
  auto ev = Evaluate(Binary(), DatasetView(ds), p);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_TRUE(std::isnan(ev->Get("logloss")));
  EXPECT_FALSE(ev->ToJson().contains("logloss"));
  EXPECT_DOUBLE_EQ(ev->Get("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(ev->Get("auc"), 0.75);
}

TEST(EvaluateTest, MulticlassMetricsAndConfusion) {
  LabelInfo info;
  info.task = Task::kMulticlass;
  info.name = "species";
  info.classes = {"a", "b", "c"};
  Column x = Column::Numeric("x", {0, 0, 0});
  Column y = Column::Categorical("species", {0, 1, 2}, {"a", "b", "c"});
  Dataset ds = Dataset::Dense({x}, y);
  Predictions p;
  p.task = Task::kMulticlass;
  p.rows = 3;
  p.scores = {0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8};
  p.classes = {0, 0, 2};
  auto ev = Evaluate(info, DatasetView(ds), p);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  std::vector<std::string> names;
  for (const auto& [name, _] : ev->metrics) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"accuracy", "logloss", "f1_macro", "f1_micro",
                                             "f1_weighted", "precision_macro", "recall_macro"}));
  EXPECT_DOUBLE_EQ(ev->Get("accuracy"), 2.0 / 3.0);
  EXPECT_NEAR(ev->Get("logloss"), -(std::log(0.8) + std::log(0.3) + std::log(0.8)) / 3, 1e-12);
  // class a: p 1/2 r 1 f1 2/3; b: 0 0 0; c: 1 1 1. macro f1 = (2/3 + 0 + 1) / 3 = 5/9.
  EXPECT_NEAR(ev->Get("f1_macro"), 5.0 / 9.0, 1e-12);
  EXPECT_NEAR(ev->Get("precision_macro"), 0.5, 1e-12);
  EXPECT_NEAR(ev->Get("recall_macro"), 2.0 / 3.0, 1e-12);
  std::string table = ev->ToTable();
  EXPECT_NE(table.find("confusion matrix"), std::string::npos) << table;
  EXPECT_NE(table.find("f1_weighted"), std::string::npos) << table;
}

TEST(EvaluateTest, RegressionMetrics) {
  LabelInfo info;
  info.task = Task::kRegression;
  info.name = "y";
  Column x = Column::Numeric("x", {0, 0, 0, 0});
  Column y = Column::Numeric("y", {3, -0.5, 2, 7});
  Dataset ds = Dataset::Dense({x}, y);
  Predictions p;
  p.task = Task::kRegression;
  p.rows = 4;
  p.scores = {2.5, 0.0, 2, 8};
  auto ev = Evaluate(info, DatasetView(ds), p);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  ASSERT_EQ(ev->metrics.size(), 3u);
  EXPECT_EQ(ev->metrics[0].first, "rmse");
  EXPECT_NEAR(ev->Get("rmse"), std::sqrt(0.375), 1e-6);
  EXPECT_NEAR(ev->Get("mae"), 0.5, 1e-6);
  EXPECT_NEAR(ev->Get("r2"), 1 - 1.5 / 29.1875, 1e-6);
  EXPECT_TRUE(ev->classes.empty());
  EXPECT_EQ(ev->ToTable().find("confusion"), std::string::npos);
}

TEST(EvaluateTest, RowCountMismatchIsAnError) {
  Dataset ds = BinaryData();
  Predictions p = BinaryPredictions();
  p.rows = 3;
  p.scores.resize(3);
  p.classes.resize(3);
  auto ev = Evaluate(Binary(), DatasetView(ds), p);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.status().message().find("3 rows but the data has 4"), std::string::npos)
      << ev.status().ToString();
}

TEST(EvaluateTest, TaskMismatchAndWrongWidthAreErrors) {
  Dataset ds = BinaryData();
  Predictions p = BinaryPredictions();
  p.task = Task::kRegression;
  EXPECT_FALSE(Evaluate(Binary(), DatasetView(ds), p).ok());
  p = BinaryPredictions();
  p.scores.push_back(0.5);
  EXPECT_FALSE(Evaluate(Binary(), DatasetView(ds), p).ok());
}

TEST(EvaluateTest, UnknownLabelValueNamesIt) {
  Column x = Column::Numeric("x", {1, 2});
  Column y = Column::Categorical("label", {0, 1}, {"No", "Maybe"});
  Dataset ds = Dataset::Dense({x}, y);
  Predictions p = BinaryPredictions();
  p.rows = 2;
  p.scores.resize(2);
  p.classes.resize(2);
  auto ev = Evaluate(Binary(), DatasetView(ds), p);
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.status().code(), core::StatusCode::kDataError);
  EXPECT_NE(ev.status().message().find("'Maybe'"), std::string::npos) << ev.status().ToString();
}

TEST(EvaluationTest, ToJsonTurnsNaNIntoNull) {
  Evaluation ev;
  ev.metrics = {{"auc", std::nan("")}, {"accuracy", 0.5}};
  nlohmann::json j = ev.ToJson();
  EXPECT_TRUE(j["auc"].is_null());
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(j.dump(), R"({"accuracy":0.5,"auc":null})");
}

TEST(EvaluationTest, ToTableAlignsAndNamesClasses) {
  Evaluation ev;
  ev.task = Task::kBinary;
  ev.metrics = {{"auc", 0.987654321}, {"precision", std::nan("")}};
  ev.classes = {"benign", "malignant"};
  ev.confusion = {{70, 2}, {3, 39}};
  const std::string table = ev.ToTable();
  EXPECT_NE(table.find("metric     value\n"), std::string::npos) << table;
  EXPECT_NE(table.find("auc        0.987654\n"), std::string::npos) << table;
  EXPECT_NE(table.find("precision  n/a\n"), std::string::npos) << table;
  EXPECT_NE(table.find("  true \\ predicted  benign  malignant\n"), std::string::npos) << table;
  EXPECT_NE(table.find("  malignant              3         39\n"), std::string::npos) << table;
}

TEST(EvaluationTest, ToTableOmitsLargeConfusionMatrices) {
  Evaluation ev;
  ev.task = Task::kMulticlass;
  ev.metrics = {{"accuracy", 1}};
  for (int c = 0; c < 21; ++c) ev.classes.push_back(fmt::format("c{}", c));
  ev.confusion.assign(21, std::vector<double>(21, 0));
  const std::string table = ev.ToTable();
  EXPECT_NE(table.find("omitted: 21 classes"), std::string::npos) << table;
}

}  // namespace
}  // namespace kiln::ml
