#include "kiln/cli/schema_check.h"

#include <gtest/gtest.h>

namespace kiln::cli {
namespace {

using data::Column;
using data::ColumnType;

data::Schema DenseSchema() {
  data::Schema s;
  s.fields = {{"a", ColumnType::kNumeric}, {"b", ColumnType::kCategorical}};
  s.label = "y";
  s.weight = "w";
  return s;
}

data::Dataset Data(std::vector<Column> columns) { return data::Dataset::Dense(std::move(columns)); }

TEST(CheckInputSchemaTest, AcceptsMatchingDataAndListsUnusedColumns) {
  auto ds = Data({Column::Numeric("id", {1}), Column::Numeric("a", {1}),
                  Column::Categorical("b", {0}, {"x"})});
  auto check = CheckInputSchema(DenseSchema(), ds, "new.csv");
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->unused_columns, (std::vector<std::string>{"id"}));
  EXPECT_TRUE(check->warnings.empty());
}

TEST(CheckInputSchemaTest, MissingColumnsAreNamed) {
  auto ds = Data({Column::Numeric("z", {1})});
  auto check = CheckInputSchema(DenseSchema(), ds, "new.csv");
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().code(), core::StatusCode::kDataError);
  EXPECT_EQ(check.status().message(),
            "new.csv: missing 2 feature columns the model was trained on: 'a', 'b'; the data has "
            "columns z");
}

TEST(CheckInputSchemaTest, WrongTypeIsNamed) {
  auto ds = Data({Column::Categorical("a", {0}, {"text"}), Column::Categorical("b", {0}, {"x"})});
  auto check = CheckInputSchema(DenseSchema(), ds, "new.csv");
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().message(),
            "new.csv: column 'a' is categorical but the model expects numeric");
}

TEST(CheckInputSchemaTest, SparseAndDenseDoNotMix) {
  data::Schema sparse;
  sparse.sparse = true;
  sparse.num_sparse_features = 10;
  auto dense = Data({Column::Numeric("a", {1})});
  auto check = CheckInputSchema(sparse, dense, "new.csv");
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.status().message().find("trained on sparse data (10 indexed features"),
            std::string::npos)
      << check.status().message();

  data::CsrMatrix csr;
  auto sparse_data = data::Dataset::Sparse(csr);
  check = CheckInputSchema(DenseSchema(), sparse_data, "new.svm");
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.status().message().find("this data is sparse"), std::string::npos)
      << check.status().message();
}

TEST(ReadOptionsForModelTest, UsesTheModelSchema) {
  ml::ModelInfo info;
  info.label.name = "churn";
  info.schema = DenseSchema();
  auto options = ReadOptionsForModel(info, "", data::LabelPolicy::kOptional);
  EXPECT_EQ(options.label, "churn");
  EXPECT_EQ(options.label_policy, data::LabelPolicy::kOptional);
  ASSERT_EQ(options.column_types.size(), 2u);
  EXPECT_EQ(options.column_types["b"], ColumnType::kCategorical);
  EXPECT_EQ(ReadOptionsForModel(info, "truth", data::LabelPolicy::kRequired).label, "truth");

  info.schema = data::Schema();
  info.schema.sparse = true;
  info.schema.index_base = 0;
  EXPECT_EQ(ReadOptionsForModel(info, "", data::LabelPolicy::kOptional).index_base, 0);
}

}  // namespace
}  // namespace kiln::cli
