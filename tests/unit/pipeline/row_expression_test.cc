#include "../../../src/pipeline/components/row_expression.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kiln::pipeline {
namespace {

data::Dataset Table() {
  std::vector<data::Column> cols;
  cols.push_back(data::Column::Numeric("age", {30, 45, NAN, 18}));
  cols.push_back(data::Column::Categorical("plan", {0, 1, 0, -1}, {"basic", "pro"}));
  cols.push_back(data::Column::Numeric("my col", {1, 2, 3, 4}));
  return data::Dataset::Dense(std::move(cols),
                              data::Column::Categorical("churn", {0, 1, 1, 0}, {"No", "Yes"}));
}

std::vector<size_t> Matches(const std::string& text) {
  const data::Dataset ds = Table();
  auto expr = RowExpression::Compile(text, ds);
  EXPECT_TRUE(expr.ok()) << expr.status().ToString();
  std::vector<size_t> rows;
  if (!expr.ok()) return rows;
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    if (expr->Matches(r)) rows.push_back(r);
  }
  return rows;
}

std::string Error(const std::string& text) {
  const data::Dataset ds = Table();
  auto expr = RowExpression::Compile(text, ds);
  EXPECT_FALSE(expr.ok()) << text;
  return expr.ok() ? "" : expr.status().message();
}

using Rows = std::vector<size_t>;

TEST(RowExpressionTest, ComparisonsLogicAndArithmetic) {
  EXPECT_EQ(Matches("age > 20"), (Rows{0, 1}));
  EXPECT_EQ(Matches("age >= 18 and plan == 'basic'"), (Rows{0}));
  EXPECT_EQ(Matches("age < 20 or plan = \"pro\""), (Rows{1, 3}));
  EXPECT_EQ(Matches("not (age > 20)"), (Rows{2, 3}));  // missing age: the comparison is false
  EXPECT_EQ(Matches("age * 2 - 10 == 80"), (Rows{1}));
  EXPECT_EQ(Matches("age % 2 == 1"), (Rows{1}));
  EXPECT_EQ(Matches("-age < -40"), (Rows{1}));
  EXPECT_EQ(Matches("`my col` >= 3"), (Rows{2, 3}));
  EXPECT_EQ(Matches("churn == 'Yes'"), (Rows{1, 2}));  // the label by its name
  EXPECT_EQ(Matches("true"), (Rows{0, 1, 2, 3}));
  EXPECT_EQ(Matches("age > 20 && !(plan == 'pro') || age < 19"), (Rows{0, 3}));
}

TEST(RowExpressionTest, MissingValuesInAndNull) {
  EXPECT_EQ(Matches("age != 30"), (Rows{1, 3}));  // a missing value never compares
  EXPECT_EQ(Matches("age is null"), (Rows{2}));
  EXPECT_EQ(Matches("plan is not null"), (Rows{0, 1, 2}));
  EXPECT_EQ(Matches("plan in ('pro', 'gold')"), (Rows{1}));
  EXPECT_EQ(Matches("plan not in ('pro')"), (Rows{0, 2}));
  EXPECT_EQ(Matches("age in (18, 45)"), (Rows{1, 3}));
}

TEST(RowExpressionTest, ErrorsNameThePlaceAndTheProblem) {
  EXPECT_NE(Error("agee > 1").find("no column 'agee' (did you mean 'age'?)"), std::string::npos);
  EXPECT_NE(Error("plan > 3").find("at character 8: cannot compare text with a number"),
            std::string::npos)
      << Error("plan > 3");
  EXPECT_NE(Error("age >").find("expected a column, number or text, found the end"),
            std::string::npos);
  EXPECT_NE(Error("age > 1)").find("expected an operator or the end, found ')'"),
            std::string::npos);
  EXPECT_NE(Error("plan == 'basic").find("expected a closing '"), std::string::npos);
  EXPECT_NE(Error("plan").find("is text, not a condition"), std::string::npos);
  EXPECT_NE(Error("age + plan > 1").find("'+' needs numbers on both sides"), std::string::npos);
  EXPECT_NE(Error("age in ('x')").find("expected a number in the list"), std::string::npos);
  EXPECT_NE(Error("age $ 3").find("expected a column, number, text, operator"), std::string::npos);
  EXPECT_NE(Error("  ").find("empty"), std::string::npos);
}

}  // namespace
}  // namespace kiln::pipeline
