#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "data_test_util.h"
#include "kiln/core/random.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using ::testing::AllOf;
using testing::Codes;
using testing::Csv;
using ::testing::ElementsAre;
using testing::ExpectSameDataset;
using ::testing::HasSubstr;
using testing::Values;

ReadOptions NoLabel() {
  ReadOptions o;
  o.label_policy = LabelPolicy::kNone;
  return o;
}

std::string ErrorOf(std::string_view text, const ReadOptions& options = {}) {
  auto r = Csv(text, options);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << text;
  return r.ok() ? "" : r.status().ToString();
}

TEST(CsvReaderTest, InfersNumericAndCategoricalColumns) {
  auto r = Csv("a,b,label\n1,x,0\n2.5,y,1\n-3,x,1\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Dataset& ds = *r;
  ASSERT_EQ(ds.num_rows(), 3u);
  ASSERT_EQ(ds.columns().size(), 2u);
  EXPECT_EQ(ds.columns()[0].name, "a");
  EXPECT_EQ(ds.columns()[0].type, ColumnType::kNumeric);
  EXPECT_THAT(Values(ds.columns()[0]), ElementsAre(1.0f, 2.5f, -3.0f));
  EXPECT_EQ(ds.columns()[1].type, ColumnType::kCategorical);
  EXPECT_THAT(ds.columns()[1].categories, ElementsAre("x", "y"));
  EXPECT_THAT(Codes(ds.columns()[1]), ElementsAre(0, 1, 0));
  ASSERT_NE(ds.label(), nullptr);
  EXPECT_EQ(ds.label()->name, "label");
  EXPECT_THAT(Values(*ds.label()), ElementsAre(0.0f, 1.0f, 1.0f));
  EXPECT_EQ(ds.schema().label, "label");
  ASSERT_EQ(ds.schema().fields.size(), 2u);
  EXPECT_EQ(ds.schema().fields[1].type, ColumnType::kCategorical);
  EXPECT_EQ(ds.source().format, "csv");
  EXPECT_EQ(ds.source().first_data_line, 2u);
  EXPECT_TRUE(ds.source().row_lines.empty());
  EXPECT_EQ(ds.Where(2), "t.csv line 4");
}

TEST(CsvReaderTest, TextLabelStaysCategoricalInOrderOfAppearance) {
  auto r = Csv("x,label\n1,No\n2,Yes\n3,No\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->label()->type, ColumnType::kCategorical);
  EXPECT_THAT(r->label()->categories, ElementsAre("No", "Yes"));
  EXPECT_THAT(Codes(*r->label()), ElementsAre(0, 1, 0));
}

TEST(CsvReaderTest, QuotingEdgeCases) {
  const std::string text =
      "id,text,label\n"
      "1,\"a,b\",0\n"
      "2,\"say \"\"hi\"\"\",1\n"
      "3,\"multi\nline\",0\n"
      "4,\"\",1\n"
      "5,  \"padded\"  ,0\n"
      "6,\"\"\"\",1\n"
      "\"7\",plain,\"1\"\n";
  ReadOptions o;
  o.na_values = {"NA"};  // keep "" as a category here
  auto r = Csv(text, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Column& t = r->columns()[1];
  EXPECT_EQ(t.type, ColumnType::kCategorical);
  EXPECT_THAT(t.categories,
              ElementsAre("a,b", "say \"hi\"", "multi\nline", "", "padded", "\"", "plain"));
  // A quoted number is still a number.
  EXPECT_EQ(r->columns()[0].type, ColumnType::kNumeric);
  EXPECT_EQ(r->columns()[0].values[6], 7.0f);
  EXPECT_EQ(r->label()->values[6], 1.0f);
  // Row 3 spans lines 4-5, so rows after it are one line further down.
  EXPECT_EQ(r->LineOf(0), 2u);
  EXPECT_EQ(r->LineOf(2), 4u);
  EXPECT_EQ(r->LineOf(3), 6u);
  EXPECT_EQ(r->LineOf(6), 9u);
}

TEST(CsvReaderTest, CrlfLineEnds) {
  auto r = Csv("a,b,label\r\n1,\"x\r\ny\",0\r\n2,z,1\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->columns()[1].categories, ElementsAre("x\r\ny", "z"));
  EXPECT_THAT(Values(*r->label()), ElementsAre(0.0f, 1.0f));
}

TEST(CsvReaderTest, NoTrailingNewline) {
  auto r = Csv("a,label\n1,0\n2,1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values(r->columns()[0]), ElementsAre(1.0f, 2.0f));
  auto q = Csv("a,label\n1,0\n\"x\",1");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_THAT(q->columns()[0].categories, ElementsAre("1", "x"));
  // A trailing delimiter at the very end is one more, empty field.
  auto e = Csv("a,b\n1,", NoLabel());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(std::isnan(e->columns()[1].values[0]));
}

TEST(CsvReaderTest, MissingValueTokens) {
  auto r = Csv("a,b,label\n1,x,0\n,NA,1\nNA,,0\n?,null,1\n 2 ,  y  ,0\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Column& a = r->columns()[0];
  EXPECT_EQ(a.type, ColumnType::kNumeric);
  EXPECT_EQ(a.values[0], 1.0f);
  EXPECT_TRUE(std::isnan(a.values[1]));
  EXPECT_TRUE(std::isnan(a.values[2]));
  EXPECT_TRUE(std::isnan(a.values[3]));
  EXPECT_EQ(a.values[4], 2.0f);  // spaces around unquoted numbers are fine
  const Column& b = r->columns()[1];
  EXPECT_THAT(b.categories, ElementsAre("x", "y"));
  EXPECT_THAT(Codes(b), ElementsAre(0, kMissingCode, kMissingCode, kMissingCode, 1));
}

TEST(CsvReaderTest, CustomNaValuesIncludingANumber) {
  ReadOptions o = NoLabel();
  o.na_values = {"-999", "missing"};
  auto r = Csv("a,b\n1,x\n-999,missing\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(std::isnan(r->columns()[0].values[1]));
  EXPECT_EQ(r->columns()[1].codes[1], kMissingCode);
  // "" is no longer missing: an empty field makes the column categorical, or is an error in a
  // column already known to be numeric.
  auto cat = Csv("a,b\n1,x\n,y\n", o);
  ASSERT_TRUE(cat.ok());
  EXPECT_THAT(cat->columns()[0].categories, ElementsAre("1", ""));
  o.infer_rows = 1;
  const std::string err = ErrorOf("a,b\n1,x\n,y\n", o);
  EXPECT_THAT(err, AllOf(HasSubstr("t.csv line 3, column 1 'a'"), HasSubstr("empty field")));
}

TEST(CsvReaderTest, NoHeaderNamesColumnsByPosition) {
  ReadOptions o;
  o.header = false;
  o.label = "c2";
  auto r = Csv("1,a,0\n2,b,1\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns()[0].name, "c0");
  EXPECT_EQ(r->columns()[1].name, "c1");
  EXPECT_EQ(r->label()->name, "c2");
  EXPECT_EQ(r->source().first_data_line, 1u);
  EXPECT_EQ(r->num_rows(), 2u);
}

TEST(CsvReaderTest, DelimitersTabAndSemicolon) {
  core::Context ctx(core::ContextOptions{1, 42});
  auto tsv = ReadCsv("t.tsv", "a\tlabel\n1,5\t0\n", ReadOptions{}, ctx);
  ASSERT_TRUE(tsv.ok()) << tsv.status().ToString();
  EXPECT_THAT(tsv->columns()[0].categories, ElementsAre("1,5"));
  ReadOptions o;
  o.delimiter = ';';
  auto semi = Csv("a;label\n1,5;0\n", o);
  ASSERT_TRUE(semi.ok()) << semi.status().ToString();
  EXPECT_THAT(semi->columns()[0].categories, ElementsAre("1,5"));
}

TEST(CsvReaderTest, ByteOrderMarkIsSkipped) {
  auto r =
      Csv("\xEF\xBB\xBF"
          "a,label\n1,0\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns()[0].name, "a");
}

TEST(CsvReaderTest, TypeHintsAndCategoricalOverrideInference) {
  ReadOptions o;
  o.column_types = {{"zip", ColumnType::kCategorical}, {"unknown_in_file", ColumnType::kNumeric}};
  o.categorical = {"code"};
  auto r = Csv("zip,code,n,label\n02134,7,1,0\n2134,7.0,2,1\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns()[0].type, ColumnType::kCategorical);
  EXPECT_THAT(r->columns()[0].categories, ElementsAre("02134", "2134"));  // raw text kept
  EXPECT_EQ(r->columns()[1].type, ColumnType::kCategorical);
  EXPECT_THAT(r->columns()[1].categories, ElementsAre("7", "7.0"));
  EXPECT_EQ(r->columns()[2].type, ColumnType::kNumeric);
  // A numeric hint turns text into an error that names the model's expectation.
  ReadOptions numeric;
  numeric.column_types = {{"a", ColumnType::kNumeric}};
  EXPECT_THAT(ErrorOf("a,label\nx,0\n", numeric),
              AllOf(HasSubstr("line 2, column 1 'a'"), HasSubstr("expected a number, found 'x'"),
                    HasSubstr("the model expects column 'a' to be numeric")));
}

TEST(CsvReaderTest, IgnoreAndWeightColumns) {
  ReadOptions o;
  o.ignore = {"id"};
  o.weight = "w";
  auto r = Csv("id,a,w,label\nx1,1,0.5,0\nx2,2,2,1\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns().size(), 1u);
  EXPECT_EQ(r->columns()[0].name, "a");
  EXPECT_THAT(r->weights().ToVector(), ElementsAre(0.5f, 2.0f));
  EXPECT_EQ(r->schema().weight, "w");
  EXPECT_EQ(r->schema().fields.size(), 1u);
}

TEST(CsvReaderTest, IgnoreIfPresentDropsColumnsThatExistAndToleratesOthers) {
  ReadOptions o;
  o.ignore_if_present = {"id", "gone", "label"};  // the label is never dropped by it
  auto r = Csv("id,a,label\nx1,1,0\nx2,2,1\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns().size(), 1u);
  EXPECT_EQ(r->columns()[0].name, "a");
  EXPECT_NE(r->label(), nullptr);
}

TEST(CsvReaderTest, BlankLinesAreSkippedAndLinesStayRight) {
  auto r = Csv("a,label\n\n1,0\n\n\n2,1\n   \n3,0\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_rows(), 3u);
  EXPECT_EQ(r->LineOf(0), 3u);
  EXPECT_EQ(r->LineOf(1), 6u);
  EXPECT_EQ(r->LineOf(2), 8u);
}

TEST(CsvReaderTest, SingleColumnBlankLineIsAMissingValue) {
  auto r = Csv("a\n1\n\n3\n", NoLabel());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->num_rows(), 3u);
  EXPECT_TRUE(std::isnan(r->columns()[0].values[1]));
}

TEST(CsvReaderTest, LabelPolicyNoneKeepsLabelAsFeatureAndOptionalAllowsAbsence) {
  auto none = Csv("a,label\n1,0\n", NoLabel());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->label(), nullptr);
  EXPECT_EQ(none->columns().size(), 2u);
  ReadOptions optional;
  optional.label_policy = LabelPolicy::kOptional;
  auto absent = Csv("a,b\n1,2\n", optional);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->label(), nullptr);
  auto missing_value = Csv("a,label\n1,\n2,1\n", optional);
  ASSERT_TRUE(missing_value.ok()) << missing_value.status().ToString();
  EXPECT_TRUE(std::isnan(missing_value->label()->values[0]));
}

TEST(CsvReaderTest, InvalidUtf8IsKeptAsBytes) {
  auto r = Csv("a,label\n\xff\xfe,0\ncaf\xc3\xa9,1\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->columns()[0].categories, ElementsAre("\xff\xfe", "caf\xc3\xa9"));
}

TEST(CsvReaderTest, EmptyHeaderNamesArePositional) {
  auto r = Csv(",a,label\n0,1,0\n", ReadOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns()[0].name, "c0");
}

// ---- errors ----

TEST(CsvReaderTest, RaggedRowTooFewFields) {
  EXPECT_THAT(
      ErrorOf("a,b,label\n1,2,0\n3,4\n5,6,1\n"),
      AllOf(HasSubstr("t.csv line 3"), HasSubstr("expected 3 fields"), HasSubstr("found 2")));
}

TEST(CsvReaderTest, RaggedRowTooManyFields) {
  auto r = Csv("a,b,label\n1,2,0\n3,4,1,9\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kParseError);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("t.csv line 3"), HasSubstr("expected 3 fields (as in the header)"),
                    HasSubstr("found 4")));
}

TEST(CsvReaderTest, TruncatedLastLine) {
  EXPECT_THAT(ErrorOf("a,b,label\n1,2,0\n3,4"),
              AllOf(HasSubstr("t.csv line 3"), HasSubstr("found 2")));
}

TEST(CsvReaderTest, NonNumberLateInNumericColumn) {
  std::string text = "x,age,label\n";
  for (int i = 1; i <= 1600; ++i) {
    text += std::to_string(i) + "," + (i == 1500 ? std::string("abc") : std::to_string(i % 90)) +
            ",1\n";
  }
  auto r = Csv(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kDataError);
  // Row 1500 sits on line 1501 because the header is line 1.
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("t.csv line 1501, column 2 'age'"),
                    HasSubstr("expected a number, found 'abc'"), HasSubstr("first 1000 rows"),
                    HasSubstr("--categorical age"), HasSubstr("--na-values")));
}

TEST(CsvReaderTest, MissingLabelColumn) {
  auto r = Csv("a,b,target\n1,2,0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("no label column 'label'"),
                                          HasSubstr("a, b, target"), HasSubstr("--label")));
}

TEST(CsvReaderTest, EmptyLabelNameWhenRequired) {
  ReadOptions o;
  o.label = "";
  EXPECT_THAT(ErrorOf("a,b\n1,2\n", o), AllOf(HasSubstr("no label column was named"),
                                              HasSubstr("a, b"), HasSubstr("--label")));
}

TEST(CsvReaderTest, MissingLabelValueWhenRequired) {
  EXPECT_THAT(ErrorOf("a,label\n1,0\n2,\n3,1\n"),
              AllOf(HasSubstr("t.csv line 3, column 2 'label'"), HasSubstr("label is missing")));
  EXPECT_THAT(ErrorOf("a,label\n1,yes\n2,NA\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("'NA' is a missing-value token")));
}

TEST(CsvReaderTest, EmptyText) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("\n\n  \n"), HasSubstr("no data"));
}

TEST(CsvReaderTest, HeaderOnly) {
  EXPECT_THAT(ErrorOf("a,b,label\n"), HasSubstr("header line but no data rows"));
  EXPECT_THAT(ErrorOf("a,b,label"), HasSubstr("header line but no data rows"));
}

TEST(CsvReaderTest, NonFiniteAndOverflowingLiterals) {
  for (const char* bad : {"nan", "NaN", "inf", "-Infinity", "+inf"}) {
    EXPECT_THAT(ErrorOf(std::string("a,label\n1,0\n") + bad + ",1\n"),
                AllOf(HasSubstr("line 3, column 1 'a'"), HasSubstr("not a finite number"),
                      HasSubstr("empty field or an NA token")))
        << bad;
  }
  EXPECT_THAT(ErrorOf("a,label\n1,0\n1e999,1\n"),
              AllOf(HasSubstr("line 3"), HasSubstr("'1e999'"), HasSubstr("out of range")));
  EXPECT_THAT(ErrorOf("a,label\n1,0\n-4e38,1\n"), HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf("a,label\n1,inf\n"), HasSubstr("column 2 'label'"));
  // Tiny values underflow to zero or denormals; that is fine.
  EXPECT_TRUE(Csv("a,label\n1e-50,0\n").ok());
}

TEST(CsvReaderTest, UnterminatedQuote) {
  auto r = Csv("a,b,label\n1,x,0\n2,\"open,1\n3,y,0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kParseError);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("t.csv line 3, column 2 'b'"),
                                          HasSubstr("unterminated quote starting at line 3")));
  // Same with small chunks: the planner never finds a boundary after the quote.
  ReadOptions small;
  small.chunk_bytes = 4;
  EXPECT_THAT(ErrorOf("a,b,label\n1,x,0\n2,\"open,1\n3,y,0\n", small),
              HasSubstr("unterminated quote starting at line 3"));
}

TEST(CsvReaderTest, TextAfterClosingQuote) {
  EXPECT_THAT(ErrorOf("a,label\n\"ab\"c,0\n"),
              AllOf(HasSubstr("line 2, column 1 'a'"), HasSubstr("after the closing quote"),
                    HasSubstr("found 'c,0")));
}

TEST(CsvReaderTest, BadWeights) {
  ReadOptions o;
  o.weight = "w";
  EXPECT_THAT(ErrorOf("a,w,label\n1,1,0\n2,-1,1\n", o),
              AllOf(HasSubstr("line 3, column 2 'w'"), HasSubstr(">= 0")));
  EXPECT_THAT(ErrorOf("a,w,label\n1,,0\n", o),
              AllOf(HasSubstr("line 2, column 2 'w'"), HasSubstr("weight is missing")));
  EXPECT_THAT(ErrorOf("a,w,label\n1,heavy,0\n", o),
              AllOf(HasSubstr("expected a number, found 'heavy'"), HasSubstr("weights must be")));
  EXPECT_THAT(ErrorOf("a,w,label\n1,inf,0\n", o), HasSubstr("not a finite number"));
  o.weight = "wt";
  EXPECT_THAT(ErrorOf("a,w,label\n1,1,0\n", o),
              AllOf(HasSubstr("--weight names column 'wt'"), HasSubstr("did you mean 'w'"),
                    HasSubstr("a, w, label")));
  ReadOptions both;
  both.weight = "w";
  both.categorical = {"w"};
  EXPECT_THAT(ErrorOf("a,w,label\n1,1,0\n", both), HasSubstr("must be numeric"));
}

TEST(CsvReaderTest, UnknownIgnoreOrCategoricalColumn) {
  ReadOptions o;
  o.ignore = {"idd"};
  auto r = Csv("id,a,label\n1,2,0\n", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("--ignore names column 'idd'"), HasSubstr("did you mean 'id'"),
                    HasSubstr("id, a, label")));
  ReadOptions c;
  c.categorical = {"zzz"};
  EXPECT_THAT(ErrorOf("id,a,label\n1,2,0\n", c), HasSubstr("--categorical names column 'zzz'"));
  ReadOptions label_ignored;
  label_ignored.ignore = {"label"};
  EXPECT_THAT(ErrorOf("id,a,label\n1,2,0\n", label_ignored), HasSubstr("is the label"));
}

TEST(CsvReaderTest, DuplicateHeaderNames) {
  EXPECT_THAT(ErrorOf("a,b,a,label\n1,2,3,0\n"),
              AllOf(HasSubstr("line 1"), HasSubstr("duplicate column name 'a'"),
                    HasSubstr("columns 1 and 3"), HasSubstr("pass --no-header")));
}

TEST(CsvReaderTest, NoFeatureColumnsLeft) {
  EXPECT_THAT(ErrorOf("label\n1\n0\n"), HasSubstr("no feature columns"));
}

TEST(CsvReaderTest, NulByteAndLoneCarriageReturn) {
  EXPECT_THAT(ErrorOf(std::string("a,label\n1,0\nx\0y,1\n", 19)),
              AllOf(HasSubstr("line 3, column 1 'a'"), HasSubstr("NUL byte")));
  EXPECT_THAT(ErrorOf(std::string("a,label\n\"x\0\",1\n", 15)), HasSubstr("NUL byte"));
  EXPECT_THAT(ErrorOf("a,label\r1,0\r2,1\r"),
              AllOf(HasSubstr("line 1"), HasSubstr("carriage return")));
}

TEST(CsvReaderTest, OverlongRecord) {
  ReadOptions o;
  o.max_line_bytes = 64;
  const std::string text = "a,label\n1,0\n" + std::string(200, 'x') + ",1\n";
  auto r = Csv(text, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("line 3"), HasSubstr("longer than")));
  // An open quote that runs on: the message suggests it.
  const std::string quoted = "a,label\n\"" + std::string(200, 'x') + ",1\n";
  EXPECT_THAT(ErrorOf(quoted, o), HasSubstr("quote never closed"));
}

TEST(CsvReaderTest, ErrorLinesCountQuotedNewlines) {
  const std::string text =
      "a,b,label\n"
      "1,\"one\ntwo\nthree\",0\n"  // lines 2-4
      "2,x,1\n"                    // line 5
      "oops,y,0\n";                // line 6: a is numeric (inferred from rows above? no)
  ReadOptions o;
  o.column_types = {{"a", ColumnType::kNumeric}};
  EXPECT_THAT(ErrorOf(text, o), HasSubstr("t.csv line 6, column 1 'a'"));
  ReadOptions small = o;
  small.chunk_bytes = 3;
  auto r = Csv(text, small, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.csv line 6, column 1 'a'"));
  EXPECT_THAT(ErrorOf("a,b,label\n1,\"x\ny\",0\n2,z\n"), HasSubstr("t.csv line 4"));
}

// ---- parallel chunking ----

std::string RandomCsv(uint64_t seed, int rows) {
  core::Rng rng(seed);
  std::string text = "num,cat,txt,label\n";
  const char* words[] = {"alpha", "beta", "gamma", "delta", "eps"};
  for (int i = 0; i < rows; ++i) {
    if (rng.UniformInt(50) == 0) text += "\n";  // blank line
    text += rng.UniformInt(20) == 0 ? "" : std::to_string(rng.Normal());
    text += ",";
    text += words[rng.UniformInt(5)] + std::to_string(rng.UniformInt(30));
    text += ",";
    switch (rng.UniformInt(4)) {
      case 0:
        text += "\"multi\nline " + std::to_string(i) + "\"";
        break;
      case 1:
        text += "\"with \"\"quotes\"\", and comma\"";
        break;
      case 2:
        text += "5'10\"";  // a literal quote inside an unquoted field
        break;
      default:
        text += "plain";
    }
    text += ",";
    text += rng.UniformInt(2) ? "Yes" : "No";
    text += rng.UniformInt(3) == 0 ? "\r\n" : "\n";
  }
  return text;
}

TEST(CsvReaderTest, SameDatasetForAnyThreadCountAndChunkSize) {
  const std::string text = RandomCsv(7, 600);
  auto base = Csv(text, ReadOptions{}, 1);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->num_rows(), 600u);
  EXPECT_FALSE(base->source().row_lines.empty());
  for (size_t chunk : {size_t{1}, size_t{37}, size_t{700}}) {
    for (int threads : {1, 2}) {
      ReadOptions o;
      o.chunk_bytes = chunk;
      auto other = Csv(text, o, threads);
      ASSERT_TRUE(other.ok()) << other.status().ToString();
      SCOPED_TRACE("chunk " + std::to_string(chunk) + " threads " + std::to_string(threads));
      ExpectSameDataset(*base, *other);
    }
  }
}

TEST(CsvReaderTest, StrayQuoteWithoutQuotedNewlinesStillParsesInChunks) {
  // The stray quote makes the quote parity odd for the rest of the file and no quoted field
  // holds a line break, so the planner finds no boundary and has to guess.
  std::string text = "height,name,label\n";
  for (int i = 0; i < 300; ++i) {
    text += i == 3 ? "5'10\",\"Smith, J\",1\n" : fmt::format("{},\"n{}\",0\n", i, i % 7);
  }
  auto base = Csv(text);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->columns()[0].type, ColumnType::kCategorical);
  EXPECT_EQ(base->columns()[0].categories[3], "5'10\"");
  ReadOptions o;
  o.chunk_bytes = 50;
  o.max_line_bytes = 40;
  for (int threads : {1, 2}) {
    auto other = Csv(text, o, threads);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    ExpectSameDataset(*base, *other);
  }
}

TEST(CsvReaderTest, FirstErrorWinsAcrossChunks) {
  std::string text = "a,label\n";
  for (int i = 0; i < 400; ++i) text += std::to_string(i) + ",1\n";
  text += "bad,0\n";  // line 402
  for (int i = 0; i < 400; ++i) text += "x,y,z\n";
  ReadOptions o;
  o.chunk_bytes = 64;
  o.infer_rows = 100;
  auto r = Csv(text, o, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.csv line 402, column 1 'a'"));
}

}  // namespace
}  // namespace kiln::data
