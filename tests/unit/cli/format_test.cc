#include "kiln/cli/format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kiln::cli {
namespace {

TEST(FormatTableTest, AlignsColumnsWithAHeaderRule) {
  std::string t = FormatTable({{"name", "value"}, {"auc", "0.9"}, {"logloss", "0.12"}});
  EXPECT_EQ(t,
            "name     value\n"
            "-------  -----\n"
            "auc      0.9\n"
            "logloss  0.12\n");
}

TEST(FormatTableTest, NoHeaderAndIndent) {
  EXPECT_EQ(FormatTable({{"a", "1"}, {"bbb", ""}}, false, "  "), "  a    1\n  bbb\n");
}

TEST(CsvFieldTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("with space"), "with space");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(" padded"), "\" padded\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(JsonToTextTest, NestedObjectsAndShortenedArrays) {
  nlohmann::json j = {{"iterations", 12},
                      {"loss", 0.25},
                      {"solver", "lbfgs"},
                      {"coef", {1, 2, 3, 4, 5}},
                      {"empty", nlohmann::json::array()},
                      {"classes", {{{"name", "a"}}, {{"name", "b"}}}},
                      {"inner", {{"x", nullptr}}}};
  const std::string text = JsonToText(j, 3, "  ");
  EXPECT_NE(text.find("  iterations: 12\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  loss: 0.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  solver: lbfgs\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  coef: [1, 2, 3, ... (5 in all)]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  empty: []\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  classes:\n    [0]:\n      name: a\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  inner:\n    x: null\n"), std::string::npos) << text;
}

TEST(JsonToTextTest, LongArraysOfObjectsAreCut) {
  nlohmann::json j = nlohmann::json::array();
  for (int i = 0; i < 5; ++i) j.push_back({{"i", i}});
  const std::string text = JsonToText(j, 2);
  EXPECT_NE(text.find("... (5 items)"), std::string::npos) << text;
  EXPECT_EQ(text.find("i: 3"), std::string::npos) << text;
}

TEST(WrapTest, BreaksBetweenWordsWithPrefixes) {
  EXPECT_EQ(Wrap("one two three four", 12, "> ", "  "), "> one two\n  three four\n");
  // A word longer than the width stays whole; UTF-8 characters count once.
  EXPECT_EQ(Wrap("supercalifragilistic x", 8, "", ""), "supercalifragilistic\nx\n");
  EXPECT_EQ(Wrap("‖w‖² ab", 7, "", ""), "‖w‖² ab\n");
  EXPECT_EQ(Wrap("", 10, "key  ", "     "), "key  \n");
}

TEST(IsoTimestampTest, FormatsUtc) {
  const auto t = std::chrono::system_clock::from_time_t(1717763696);  // 2024-06-07 12:34:56 UTC
  EXPECT_EQ(IsoTimestampUtc(t), "2024-06-07T12:34:56Z");
}

TEST(TextHelpersTest, PluralListPreviewIndent) {
  EXPECT_EQ(FormatSeconds(0.0412), "0.04s");
  EXPECT_EQ(FormatSeconds(3.21), "3.2s");
  EXPECT_EQ(Plural(1, "row"), "1 row");
  EXPECT_EQ(Plural(0, "row"), "0 rows");
  EXPECT_EQ(Plural(3, "class", "classes"), "3 classes");
  EXPECT_EQ(ListPreview({"a", "b"}), "a, b");
  EXPECT_EQ(ListPreview({"a", "b", "c", "d"}, 2), "a, b, ... (4 in all)");
  EXPECT_EQ(Indent("a\n\nb\n", "> "), "> a\n\n> b\n");
}

}  // namespace
}  // namespace kiln::cli
