#include "kiln/cli/tracking_refs.h"

#include <gtest/gtest.h>

namespace kiln::cli {
namespace {

TEST(ParseRunIdTest, AcceptsANumberWithOrWithoutThePrefix) {
  EXPECT_EQ(*ParseRunId("42"), 42);
  EXPECT_EQ(*ParseRunId("run:42"), 42);
  EXPECT_EQ(*ParseRunId(" 7 "), 7);
}

TEST(ParseRunIdTest, RejectsWhatIsNotARunNumber) {
  for (const char* text : {"", "run:", "abc", "0", "-3", "12x", "model:4", "run:run:4"}) {
    auto id = ParseRunId(text);
    ASSERT_FALSE(id.ok()) << text;
    EXPECT_EQ(id.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().ToString().find("run:42"), std::string::npos);
  }
}

TEST(ParseOrderByTest, FieldsAndTrailingDirection) {
  auto plain = ParseOrderBy("start");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->field, "start");
  EXPECT_FALSE(plain->descending.has_value());

  auto desc = ParseOrderBy("metric.auc desc");
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->field, "metric.auc");
  EXPECT_EQ(desc->descending, true);

  auto asc = ParseOrderBy("  param.l2   ASC ");
  ASSERT_TRUE(asc.ok());
  EXPECT_EQ(asc->field, "param.l2");
  EXPECT_EQ(asc->descending, false);
}

TEST(ParseOrderByTest, RejectsUnknownFieldsAndWords) {
  for (const char* text : {"", "metric.", "param.", "duration", "metric.auc down", "id id"}) {
    auto order = ParseOrderBy(text);
    ASSERT_FALSE(order.ok()) << text;
    EXPECT_EQ(order.status().code(), core::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseEntityRefTest, ModelsRunsAndDatasets) {
  auto model = ParseEntityRef("churn@production");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->kind, EntityKind::kModel);
  EXPECT_EQ(model->reference, "churn@production");

  auto prefixed = ParseEntityRef("model:churn/3");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->kind, EntityKind::kModel);
  EXPECT_EQ(prefixed->reference, "churn/3");

  auto run = ParseEntityRef("run:12");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->kind, EntityKind::kRun);
  EXPECT_EQ(run->run_id, 12);

  auto by_id = ParseEntityRef("dataset:7");
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->kind, EntityKind::kDataset);
  EXPECT_EQ(by_id->dataset_id, 7);

  auto by_path = ParseEntityRef("dataset:data/train.csv");
  ASSERT_TRUE(by_path.ok());
  EXPECT_EQ(by_path->kind, EntityKind::kDataset);
  EXPECT_FALSE(by_path->dataset_id.has_value());
  EXPECT_EQ(by_path->reference, "data/train.csv");
}

TEST(ParseEntityRefTest, RejectsMalformedEntities) {
  for (const char* text : {"", "run:x", "dataset:", "pipeline:3", "model:"}) {
    auto ref = ParseEntityRef(text);
    ASSERT_FALSE(ref.ok()) << text;
    EXPECT_EQ(ref.status().code(), core::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace kiln::cli
