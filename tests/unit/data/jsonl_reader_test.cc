#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "data_test_util.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using ::testing::AllOf;
using testing::Codes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Values;

core::Result<Dataset> Jsonl(std::string_view text, const ReadOptions& options = {}) {
  core::Context ctx(core::ContextOptions{1, 42});
  return ReadJsonLines("t.jsonl", text, options, ctx);
}

std::string ErrorOf(std::string_view text, const ReadOptions& options = {}) {
  auto r = Jsonl(text, options);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << text;
  return r.ok() ? "" : r.status().ToString();
}

TEST(JsonlReaderTest, TypesAndMissingKeys) {
  auto r = Jsonl(
      "{\"x\": 1, \"city\": \"Oslo\", \"ok\": true, \"label\": 0}\n"
      "{\"x\": 2.5, \"ok\": false, \"label\": 1, \"extra\": null}\n"
      "{\"city\": \"Rome\", \"x\": null, \"label\": 1, \"ok\": true}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Dataset& ds = *r;
  ASSERT_EQ(ds.num_rows(), 3u);
  // Columns in order of first appearance; the label is taken out.
  ASSERT_EQ(ds.columns().size(), 4u);
  EXPECT_EQ(ds.columns()[0].name, "x");
  EXPECT_EQ(ds.columns()[1].name, "city");
  EXPECT_EQ(ds.columns()[2].name, "ok");
  EXPECT_EQ(ds.columns()[3].name, "extra");
  EXPECT_EQ(ds.columns()[0].values[1], 2.5f);
  EXPECT_TRUE(std::isnan(ds.columns()[0].values[2]));
  EXPECT_EQ(ds.columns()[1].type, ColumnType::kCategorical);
  EXPECT_THAT(ds.columns()[1].categories, ElementsAre("Oslo", "Rome"));
  EXPECT_THAT(Codes(ds.columns()[1]), ElementsAre(0, kMissingCode, 1));
  EXPECT_THAT(Values(ds.columns()[2]), ElementsAre(1.0f, 0.0f, 1.0f));
  EXPECT_EQ(ds.columns()[3].type, ColumnType::kNumeric);  // only nulls
  EXPECT_THAT(Values(*ds.label()), ElementsAre(0.0f, 1.0f, 1.0f));
  EXPECT_EQ(ds.source().format, "jsonl");
  EXPECT_EQ(ds.source().first_data_line, 1u);
}

TEST(JsonlReaderTest, BlankLinesAndLineNumbers) {
  auto r = Jsonl("\n{\"a\": 1, \"label\": 0}\n\n  \n{\"a\": 2, \"label\": 1}\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_rows(), 2u);
  EXPECT_EQ(r->LineOf(0), 2u);
  EXPECT_EQ(r->LineOf(1), 5u);
}

TEST(JsonlReaderTest, StringLabelAndNaStrings) {
  auto r = Jsonl("{\"a\": 1, \"label\": \"yes\"}\n{\"a\": \"NA\", \"label\": \"no\"}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->label()->type, ColumnType::kCategorical);
  EXPECT_EQ(r->columns()[0].type, ColumnType::kNumeric);
  EXPECT_TRUE(std::isnan(r->columns()[0].values[1]));
}

TEST(JsonlReaderTest, CategoricalHintKeepsNumbersAsText) {
  ReadOptions o;
  o.categorical = {"zip"};
  o.column_types = {{"flag", ColumnType::kCategorical}};
  auto r = Jsonl(
      "{\"zip\": 2134, \"flag\": true, \"f\": 0.5, \"label\": 1}\n"
      "{\"zip\": 1.5e3, \"flag\": false, \"f\": 1, \"label\": 0}\n",
      o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->columns()[0].categories, ElementsAre("2134", "1.5e3"));
  EXPECT_THAT(r->columns()[1].categories, ElementsAre("true", "false"));
}

TEST(JsonlReaderTest, KeyFirstSeenAfterInference) {
  ReadOptions o;
  o.infer_rows = 1;
  auto r = Jsonl("{\"a\": 1, \"label\": 0}\n{\"a\": 2, \"label\": 1, \"late\": \"x\"}\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns().size(), 2u);
  EXPECT_EQ(r->columns()[1].type, ColumnType::kCategorical);
  EXPECT_THAT(Codes(r->columns()[1]), ElementsAre(kMissingCode, 0));
}

TEST(JsonlReaderTest, WeightsIgnoreAndUnknownNames) {
  ReadOptions o;
  o.weight = "w";
  o.ignore = {"id"};
  auto r = Jsonl("{\"id\": \"a\", \"x\": 1, \"w\": 2, \"label\": 1}\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns().size(), 1u);
  EXPECT_THAT(r->weights().ToVector(), ElementsAre(2.0f));
  EXPECT_THAT(ErrorOf("{\"x\": 1, \"w\": -2, \"label\": 1}\n", o), HasSubstr(">= 0"));
  EXPECT_THAT(ErrorOf("{\"id\": 1, \"x\": 1, \"w\": null, \"label\": 1}\n", o),
              AllOf(HasSubstr("line 1, key 'w'"), HasSubstr("weight is missing")));
  EXPECT_THAT(ErrorOf("{\"id\": 1, \"x\": 1, \"w\": 1, \"label\": 1}\n{\"id\": 1, \"x\": 1, "
                      "\"label\": 1}\n",
                      o),
              AllOf(HasSubstr("line 2"), HasSubstr("weight 'w' is missing")));
  ReadOptions unknown;
  unknown.ignore = {"nope"};
  EXPECT_THAT(ErrorOf("{\"x\": 1, \"label\": 1}\n", unknown),
              AllOf(HasSubstr("--ignore names column 'nope'"), HasSubstr("x, label")));
}

TEST(JsonlReaderTest, IgnoreIfPresentDropsKeysThatExistAndToleratesOthers) {
  ReadOptions o;
  o.ignore_if_present = {"id", "gone"};
  auto r = Jsonl("{\"id\": \"a\", \"x\": 1, \"label\": 1}\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns().size(), 1u);
  EXPECT_EQ(r->columns()[0].name, "x");
}

// ---- errors ----

TEST(JsonlReaderTest, LaterStringInNumericColumn) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += fmt::format("{{\"age\": {}, \"label\": 1}}\n", i);
  text += "{\"age\": \"old\", \"label\": 1}\n";
  ReadOptions o;
  o.infer_rows = 10;
  auto r = Jsonl(text, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kDataError);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("t.jsonl line 31, key 'age'"),
                    HasSubstr("expected a number, found the string \"old\""),
                    HasSubstr("first 10 lines"), HasSubstr("--categorical age")));
}

TEST(JsonlReaderTest, NestedValues) {
  EXPECT_THAT(ErrorOf("{\"a\": 1, \"label\": 1}\n{\"a\": [1, 2], \"label\": 1}\n"),
              AllOf(HasSubstr("t.jsonl line 2, key 'a'"), HasSubstr("found an array"),
                    HasSubstr("flatten")));
  EXPECT_THAT(ErrorOf("{\"a\": {\"b\": 1}, \"label\": 1}\n"),
              AllOf(HasSubstr("line 1, key 'a'"), HasSubstr("found an object")));
}

TEST(JsonlReaderTest, NotAnObjectOrInvalidJson) {
  EXPECT_THAT(ErrorOf("[1, 2]\n"), HasSubstr("expected a JSON object"));
  EXPECT_THAT(ErrorOf("42\n"), HasSubstr("expected a JSON object"));
  auto r = Jsonl("{\"a\": 1, \"label\": 1}\n{\"a\": 1,, \"label\": 1}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kParseError);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("t.jsonl line 2"), HasSubstr("invalid JSON")));
  EXPECT_THAT(ErrorOf("{\"a\": 1, \"label\": 1}\n{\"a\": 1"), HasSubstr("line 2"));
  EXPECT_THAT(ErrorOf("{\"a\": NaN, \"label\": 1}\n"), HasSubstr("invalid JSON"));
}

TEST(JsonlReaderTest, DuplicateKey) {
  EXPECT_THAT(ErrorOf("{\"a\": 1, \"a\": 2, \"label\": 1}\n"),
              AllOf(HasSubstr("line 1, key 'a'"), HasSubstr("appears twice")));
}

TEST(JsonlReaderTest, LabelProblems) {
  EXPECT_THAT(ErrorOf("{\"a\": 1, \"y\": 1}\n"),
              AllOf(HasSubstr("no label column 'label'"), HasSubstr("a, y"), HasSubstr("--label")));
  EXPECT_THAT(ErrorOf("{\"a\": 1, \"label\": 1}\n{\"a\": 1, \"label\": null}\n"),
              AllOf(HasSubstr("line 2, key 'label'"), HasSubstr("label is missing")));
  EXPECT_THAT(ErrorOf("{\"a\": 1, \"label\": 1}\n{\"a\": 1}\n"),
              AllOf(HasSubstr("line 2"), HasSubstr("label 'label' is missing")));
  EXPECT_THAT(ErrorOf("{\"a\": 1}\n{\"a\": 1, \"label\": 0}\n"),
              AllOf(HasSubstr("line 1"), HasSubstr("label 'label' is missing")));
}

TEST(JsonlReaderTest, OverflowAndEmpty) {
  EXPECT_THAT(ErrorOf("{\"a\": 1e39, \"label\": 1}\n"), HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf("{\"a\": 1e999, \"label\": 1}\n"), HasSubstr("line 1"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("\n \n"), HasSubstr("no data"));
}

TEST(JsonlReaderTest, OverlongLine) {
  ReadOptions o;
  o.max_line_bytes = 50;
  auto r = Jsonl("{\"a\": 1, \"label\": 1}\n{\"a\": \"" + std::string(100, 'x') + "\"}\n", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("line 2"));
}

}  // namespace
}  // namespace kiln::data
