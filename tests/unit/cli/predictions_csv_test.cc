#include "kiln/cli/predictions_csv.h"

#include <gtest/gtest.h>

namespace kiln::cli {
namespace {

ml::LabelInfo Label(ml::Task task, std::vector<std::string> classes) {
  // Aggregate initialisation (assigning a literal to info.name trips GCC 12's bogus -Wrestrict).
  return ml::LabelInfo{task, std::string("y"), std::move(classes), false};
}

std::string Render(const ml::LabelInfo& label, const ml::Predictions& p) {
  EXPECT_TRUE(CheckPredictions(label, p).ok()) << CheckPredictions(label, p).ToString();
  std::string out = PredictionHeader(label, p);
  AppendPredictionRows(label, p, 0, p.rows, out);
  return out;
}

TEST(PredictionsCsvTest, BinaryProbabilities) {
  ml::Predictions p;
  p.task = ml::Task::kBinary;
  p.rows = 2;
  p.scores = {0.25, 0.875};
  p.classes = {0, 1};
  EXPECT_EQ(Render(Label(ml::Task::kBinary, {"No", "Yes"}), p),
            "prediction,p_No,p_Yes\nNo,0.75,0.25\nYes,0.125,0.875\n");
}

TEST(PredictionsCsvTest, BinaryDecisionValuesHaveOneColumn) {
  ml::Predictions p;
  p.task = ml::Task::kBinary;
  p.rows = 1;
  p.scores = {-1.5};
  p.classes = {0};
  p.probabilistic = false;
  EXPECT_EQ(Render(Label(ml::Task::kBinary, {"-1", "1"}), p), "prediction,score_1\n-1,-1.5\n");
}

TEST(PredictionsCsvTest, MulticlassQuotesClassTexts) {
  ml::Predictions p;
  p.task = ml::Task::kMulticlass;
  p.rows = 1;
  p.scores = {0.5, 0.25, 0.25};
  p.classes = {0};
  EXPECT_EQ(Render(Label(ml::Task::kMulticlass, {"Adelie, big", "Gentoo", "Chinstrap"}), p),
            "prediction,\"p_Adelie, big\",p_Gentoo,p_Chinstrap\n\"Adelie, big\",0.5,0.25,0.25\n");
  p.probabilistic = false;
  EXPECT_EQ(PredictionColumns(Label(ml::Task::kMulticlass, {"a", "b", "c"}), p),
            (std::vector<std::string>{"prediction", "score_a", "score_b", "score_c"}));
}

TEST(PredictionsCsvTest, RegressionRoundTripsNumbers) {
  ml::Predictions p;
  p.task = ml::Task::kRegression;
  p.rows = 3;
  p.scores = {0.1, 152.0, -3.0000000000000004};
  EXPECT_EQ(Render(Label(ml::Task::kRegression, {}), p),
            "prediction\n0.1\n152\n-3.0000000000000004\n");
}

TEST(PredictionsCsvTest, InconsistentPredictionsAreInternalErrors) {
  ml::Predictions p;
  p.task = ml::Task::kMulticlass;
  p.rows = 1;
  p.scores = {0.5, 0.5};
  p.classes = {0};
  EXPECT_EQ(CheckPredictions(Label(ml::Task::kMulticlass, {"a", "b", "c"}), p).code(),
            core::StatusCode::kInternal);
  p.scores = {0.5, 0.25, 0.25};
  p.classes = {3};
  EXPECT_EQ(CheckPredictions(Label(ml::Task::kMulticlass, {"a", "b", "c"}), p).code(),
            core::StatusCode::kInternal);
  p.classes = {};
  EXPECT_FALSE(CheckPredictions(Label(ml::Task::kMulticlass, {"a", "b", "c"}), p).ok());
}

}  // namespace
}  // namespace kiln::cli
