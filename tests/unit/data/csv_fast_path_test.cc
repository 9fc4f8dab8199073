// The CSV reader's fast path (plain records parsed in one pass) must agree exactly with its
// general path (tokenizer, then field conversion). A space before a field sends its record to
// the general path without changing its data (unquoted fields are trimmed; spaces before an
// opening quote are skipped), so a text where every field has one is read by the general path
// alone. Random texts mixing plain and spaced fields, in small chunks and on two threads, must
// give the same dataset as their all-spaced twin, or the same error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data_test_util.h"
#include "kiln/core/random.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using ::testing::AllOf;
using testing::Csv;
using ::testing::ElementsAre;
using testing::ExpectSameDataset;
using ::testing::HasSubstr;
using testing::Values;

// A number as text, mostly valid; `bad` allows forms that are errors in a numeric column.
std::string RandomNumber(core::Rng& rng, bool bad) {
  static const char* kOdd[] = {"+3",    "-0",      ".5",     "5.",     "007",
                               "1e5",   "1.0E+02", "1e-50",  "-1e-45", "NA",
                               "?",     "",        "3.4e38", "-999",   "1.17549435e-38",
                               "0.1e1", "-.25"};
  static const char* kBad[] = {"1e39", "inf",   "nan", "-Infinity", "0x10",
                               "1e",   "1.2.3", "abc", "+-1",       "1,5x"};
  const uint64_t u = rng.UniformInt(100);
  if (bad && u < 2) return kBad[rng.UniformInt(std::size(kBad))];
  if (u < 15) return kOdd[rng.UniformInt(std::size(kOdd))];
  const double v = rng.Normal() * std::pow(10.0, static_cast<double>(rng.UniformInt(12)) - 6);
  switch (rng.UniformInt(3)) {
    case 0:
      return fmt::format("{}", static_cast<float>(v));
    case 1:
      return fmt::format("{}", v);
    default:
      return fmt::format("{:.{}f}", v, rng.UniformInt(8));
  }
}

std::string RandomWord(core::Rng& rng) {
  static const char* kWords[] = {"red",      "green", "x y",    "NA",        "",
                                 "null",     "a'b",   "5'10\"", "\"q, r\"",  "\"a\"\"b\"",
                                 "\"m\nl\"", "Ünï",   "\"\"",   "tab\there", "\"\r\n\""};
  return kWords[rng.UniformInt(std::size(kWords))];
}

struct Shape {
  std::vector<char> kinds;  // 'n' number, 'c' category, 'l' label (0/1), 'w' weight
  char delimiter = ',';
  bool crlf = false;
};

// Returns {mixed, spaced}: the same records, with a space before some fields / every field.
std::pair<std::string, std::string> RandomTexts(uint64_t seed, const Shape& shape, int rows) {
  core::Rng rng(seed);
  std::string mixed, spaced;
  const std::string eol = shape.crlf ? "\r\n" : "\n";
  for (size_t c = 0; c < shape.kinds.size(); ++c) {
    const std::string name = fmt::format("{}{}", shape.kinds[c], c);
    const std::string sep = c == 0 ? "" : std::string(1, shape.delimiter);
    mixed += sep + (shape.kinds[c] == 'l' ? "label" : shape.kinds[c] == 'w' ? "wt" : name);
    spaced += sep + (shape.kinds[c] == 'l' ? "label" : shape.kinds[c] == 'w' ? "wt" : name);
  }
  mixed += eol;
  spaced += eol;
  const bool bad_rows = rng.UniformInt(3) == 0;
  for (int r = 0; r < rows; ++r) {
    if (rng.UniformInt(60) == 0) {  // a blank line
      mixed += eol;
      spaced += eol;
    }
    // Rarely a ragged row.
    size_t n = shape.kinds.size();
    if (bad_rows && rng.UniformInt(300) == 0) n = rng.UniformInt(2) ? n + 1 : n - 1;
    for (size_t c = 0; c < n; ++c) {
      const char kind = shape.kinds[std::min(c, shape.kinds.size() - 1)];
      std::string field;
      if (kind == 'n') field = RandomNumber(rng, bad_rows);
      if (kind == 'c') field = RandomWord(rng);
      if (kind == 'l')
        field = bad_rows && rng.UniformInt(200) == 0 ? "" : (rng.UniformInt(2) ? "1" : "0");
      if (kind == 'w') {
        field = bad_rows && rng.UniformInt(150) == 0 ? "-1" : fmt::format("{}", rng.UniformInt(5));
      }
      if (shape.delimiter != ',' && field.find(',') != std::string::npos) field = "comma";
      if (field.find(shape.delimiter) != std::string::npos && field[0] != '"') field = "delim";
      const std::string sep = c == 0 ? "" : std::string(1, shape.delimiter);
      mixed += sep + (rng.UniformInt(8) == 0 ? " " : "") + field;
      spaced += sep + " " + field;
    }
    if (r + 1 < rows || rng.UniformInt(2) == 0) {
      mixed += eol;
      spaced += eol;
    }
  }
  return {mixed, spaced};
}

// The message without spaces, cut before any excerpt of the record ("found '...'", "in '...'"),
// whose length limit falls elsewhere in the spaced text.
std::string Comparable(std::string s) {
  s = s.substr(0, std::min(s.find("found '"), s.find(" in '")));
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

void ExpectSameResult(const std::string& mixed, const std::string& spaced,
                      const ReadOptions& options) {
  auto slow = Csv(spaced, options, 1);
  ReadOptions small = options;
  small.chunk_bytes = 61;
  for (int threads : {1, 2}) {
    auto fast = Csv(mixed, threads == 1 ? options : small, threads);
    ASSERT_EQ(fast.ok(), slow.ok()) << (fast.ok() ? slow.status() : fast.status()).ToString();
    if (!fast.ok()) {
      EXPECT_EQ(fast.status().code(), slow.status().code());
      EXPECT_EQ(Comparable(fast.status().message()), Comparable(slow.status().message()));
      continue;
    }
    // The texts differ, so their hashes do; everything else must be the same.
    SourceInfo info = slow->source();
    info.content_hash = fast->source().content_hash;
    slow->set_source(info);
    ExpectSameDataset(*fast, *slow);
  }
}

TEST(CsvFastPathTest, AgreesWithTheGeneralPathOnRandomTexts) {
  const std::vector<Shape> shapes = {
      {{'l', 'n', 'n', 'n'}, ',', false}, {{'n', 'c', 'l', 'n', 'c'}, ',', true},
      {{'n', 'w', 'n', 'l'}, ';', false}, {{'c', 'n', 'l'}, '\t', false},
      {{'n', 'n'}, ',', false},
  };
  int errors = 0;
  for (size_t s = 0; s < shapes.size(); ++s) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      SCOPED_TRACE(fmt::format("shape {} seed {}", s, seed));
      const auto [mixed, spaced] = RandomTexts(seed * 31 + s, shapes[s], 60);
      ReadOptions o;
      const bool has_label =
          std::find(shapes[s].kinds.begin(), shapes[s].kinds.end(), 'l') != shapes[s].kinds.end();
      o.label_policy = has_label ? LabelPolicy::kRequired : LabelPolicy::kNone;
      if (std::find(shapes[s].kinds.begin(), shapes[s].kinds.end(), 'w') != shapes[s].kinds.end()) {
        o.weight = "wt";
      }
      o.delimiter = shapes[s].delimiter;
      o.infer_rows = 1 + seed % 50;
      switch (seed % 4) {
        case 1:
          o.na_values = {"-999", ""};  // a number that means missing
          break;
        case 2:
          o.na_values = {"NA"};  // an empty field is not missing
          break;
        case 3:
          o.label_policy = has_label ? LabelPolicy::kOptional : LabelPolicy::kNone;
          break;
      }
      if (seed % 5 == 0) o.ignore = {"n0"};
      if (seed % 7 == 0) o.categorical = {"n1"};
      ASSERT_NO_FATAL_FAILURE(ExpectSameResult(mixed, spaced, o));
      errors += !Csv(spaced, o).ok();
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(errors, 10) << errors;
  EXPECT_LT(errors, 150) << errors;
}

TEST(CsvFastPathTest, NumbersParseAsInTheGeneralPath) {
  ReadOptions o;
  o.label_policy = LabelPolicy::kNone;
  auto r = Csv("a,b\n+3,.5\n-0,5.\n1e-50,1.0E+02\n0.1,3.4028235e38\n", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values(r->columns()[0]), ElementsAre(3.0f, -0.0f, 0.0f, 0.1f));
  EXPECT_TRUE(std::signbit(r->columns()[0].values[1]));
  EXPECT_THAT(Values(r->columns()[1]), ElementsAre(0.5f, 5.0f, 100.0f, 3.4028235e38f));
}

TEST(CsvFastPathTest, ErrorsInPlainRecordsNameTheRightLine) {
  ReadOptions o;
  o.label_policy = LabelPolicy::kNone;
  std::string text = "a,b\n";
  for (int i = 0; i < 500; ++i) text += fmt::format("{},{}\n", i, i * 0.5);
  EXPECT_THAT(Csv(text + "1,1e39\n", o).status().message(),
              AllOf(HasSubstr("t.csv line 502, column 2 'b'"), HasSubstr("out of range")));
  EXPECT_THAT(Csv(text + "1,2,3\n", o).status().message(),
              AllOf(HasSubstr("t.csv line 502"), HasSubstr("expected 2 fields")));
  EXPECT_THAT(Csv(text + "1,2\r3,4\n", o).status().message(),
              AllOf(HasSubstr("t.csv line 502"), HasSubstr("carriage return")));
  // A plain record longer than the limit.
  o.max_line_bytes = 30;
  EXPECT_THAT(Csv(text + "1," + std::string(40, '1') + "\n", o).status().message(),
              AllOf(HasSubstr("t.csv line 502"), HasSubstr("longer than the limit")));
  // Just under the limit (30 bytes and the line feed) is fine.
  EXPECT_TRUE(Csv(text + "1," + std::string(28, '1') + "\n", o).ok());
}

TEST(CsvFastPathTest, ManyMultiLineRecordsInSmallChunks) {
  // Quoted line breaks everywhere: the planner must switch to quote parity, and the result
  // must not depend on it.
  std::string text = "a,b,label\n";
  for (int i = 0; i < 400; ++i) {
    text += i % 3 == 0 ? fmt::format("{},\"x\n{}\",1\n", i, i % 5) : fmt::format("{},y,0\n", i);
  }
  auto base = Csv(text);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->num_rows(), 400u);
  for (size_t chunk : {size_t{7}, size_t{100}, size_t{1000}}) {
    ReadOptions o;
    o.chunk_bytes = chunk;
    auto other = Csv(text, o, 2);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    ExpectSameDataset(*base, *other);
  }
}

TEST(CsvFastPathTest, SameResultWhenTheFastPathIsGivenUp) {
  // Spaces after every delimiter in the first 400 records make the chunk give up the fast path;
  // the plain records after them must read the same as their spaced twins.
  std::string mixed = "a,b,c,label\n", spaced = mixed;
  for (int i = 0; i < 800; ++i) {
    const std::string row = fmt::format("{}.5,{},x{},{}", i, -i, i % 9, i % 2);
    std::string with_spaces;
    for (char c : row) with_spaces += c == ',' ? std::string(", ") : std::string(1, c);
    mixed += (i < 400 ? with_spaces : row) + "\n";
    spaced += with_spaces + "\n";
  }
  auto fast = Csv(mixed);
  auto slow = Csv(spaced);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  SourceInfo info = slow->source();
  info.content_hash = fast->source().content_hash;
  slow->set_source(info);
  ExpectSameDataset(*fast, *slow);
  EXPECT_EQ(fast->columns()[2].categories.size(), 9u);
}

}  // namespace
}  // namespace kiln::data
