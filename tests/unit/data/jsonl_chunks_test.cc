// JSON Lines results must not depend on the thread count or the chunk size: tiny chunks on one
// and two threads must give the dataset (or the error message) of one whole-file chunk, on
// inputs whose types are decided late, change between chunks, or fail in several chunks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "data_test_util.h"
#include "kiln/core/random.h"
#include "kiln/data/reader.h"

namespace kiln::data {
namespace {

using ::testing::AllOf;
using testing::Codes;
using ::testing::ElementsAre;
using testing::ExpectSameDataset;
using ::testing::HasSubstr;

constexpr size_t kChunkSizes[] = {1, 7, 23, 64, 200};

core::Result<Dataset> Jsonl(std::string_view text, const ReadOptions& options, int threads,
                            size_t chunk_bytes) {
  core::Context ctx(core::ContextOptions{threads, 42});
  ReadOptions o = options;
  o.chunk_bytes = chunk_bytes;
  return ReadJsonLines("t.jsonl", text, o, ctx);
}

// Reads `text` whole on one thread, then in every small chunk size on one and two threads, and
// expects the same dataset or the same error every time. Returns the whole-file result.
core::Result<Dataset> ExpectSameForAnyChunking(std::string_view text,
                                               const ReadOptions& options = {}) {
  auto base = Jsonl(text, options, 1, 0);
  for (size_t chunk : kChunkSizes) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(fmt::format("chunk {} threads {}", chunk, threads));
      auto other = Jsonl(text, options, threads, chunk);
      EXPECT_EQ(base.ok(), other.ok());
      if (!base.ok() || !other.ok()) {
        EXPECT_EQ(base.status().ToString(), other.status().ToString());
        continue;
      }
      ExpectSameDataset(*base, *other);
    }
  }
  return base;
}

ReadOptions InferFirstRow() {
  ReadOptions o;
  o.infer_rows = 1;  // leave most type decisions to the rows after the inference pass
  return o;
}

TEST(JsonlChunksTest, KeysFirstSeenInLaterChunks) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += fmt::format("{{\"a\": {}, \"label\": {}", i, i % 2);
    if (i >= 25) text += fmt::format(", \"late\": \"v{}\"", i % 3);
    if (i >= 30) text += fmt::format(", \"later\": {}", i);
    text += "}\n";
  }
  auto r = ExpectSameForAnyChunking(text, InferFirstRow());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns().size(), 3u);
  EXPECT_EQ(r->columns()[1].name, "late");
  EXPECT_EQ(r->columns()[1].type, ColumnType::kCategorical);
  EXPECT_THAT(r->columns()[1].categories, ElementsAre("v1", "v2", "v0"));
  EXPECT_EQ(Codes(r->columns()[1])[24], kMissingCode);
  EXPECT_EQ(r->columns()[2].type, ColumnType::kNumeric);
  EXPECT_TRUE(std::isnan(r->columns()[2].values[29]));
  EXPECT_EQ(r->columns()[2].values[30], 30.0f);
}

TEST(JsonlChunksTest, TypeDecidedByTheFirstValueInFileOrder) {
  // "s" is null, then a string, then numbers (kept as text); "n" is null, then an NA string
  // (which decides numeric), then numbers.
  std::string text;
  for (int i = 0; i < 60; ++i) {
    std::string s = i < 20 ? "null" : i < 22 ? fmt::format("\"s{}\"", i) : std::to_string(i);
    std::string n = i < 20 ? "null" : i < 21 ? "\"NA\"" : fmt::format("{}.5", i);
    text += fmt::format("{{\"s\": {}, \"n\": {}, \"label\": 1}}\n", s, n);
  }
  auto r = ExpectSameForAnyChunking(text, InferFirstRow());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->columns()[0].type, ColumnType::kCategorical);
  EXPECT_EQ(r->columns()[0].categories.size(), 2u + 38u);
  EXPECT_EQ(r->columns()[0].categories[2], "22");
  EXPECT_EQ(r->columns()[1].type, ColumnType::kNumeric);
  EXPECT_TRUE(std::isnan(r->columns()[1].values[20]));
  EXPECT_EQ(r->columns()[1].values[21], 21.5f);
}

TEST(JsonlChunksTest, StringAfterNumbersDecidedInAnEarlierChunkFails) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    const std::string v = i < 28 ? "null" : i < 29 ? std::to_string(i) : "\"late text\"";
    text += fmt::format("{{\"v\": {}, \"label\": 0}}\n", v);
  }
  auto r = ExpectSameForAnyChunking(text, InferFirstRow());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kDataError);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("t.jsonl line 30, key 'v': expected a number, found the string "
                              "\"late text\""),
                    HasSubstr("first 1 lines")));
}

TEST(JsonlChunksTest, FirstErrorInFileOrderWins) {
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += fmt::format("{{\"a\": {}, \"label\": 1}}\n", i);
  ReadOptions o;
  o.infer_rows = 10;
  // A type error (line 31) before a syntax error (line 62).
  auto r = ExpectSameForAnyChunking(
      rows + "{\"a\": \"x\", \"label\": 1}\n" + rows + "{\"a\": 1,, \"label\": 1}\n" + rows, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.jsonl line 31, key 'a': expected a number"));
  // A syntax error (line 31) before a type error (line 62).
  r = ExpectSameForAnyChunking(
      rows + "{\"a\": 1,, \"label\": 1}\n" + rows + "{\"a\": \"x\", \"label\": 1}\n" + rows, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kParseError);
  EXPECT_THAT(r.status().message(), HasSubstr("t.jsonl line 31, byte"));
  // A type error that depends on a type decided in an earlier chunk (which may be parsed at the
  // same time), before a weight error.
  o = InferFirstRow();
  o.weight = "w";
  std::string text;
  for (int i = 0; i < 40; ++i) {
    const std::string t = i < 27 ? "null" : i == 29 ? "\"cat\"" : std::to_string(i);
    const int w = i == 38 ? -1 : 1;
    text += fmt::format("{{\"t\": {}, \"w\": {}, \"label\": 1}}\n", t, w);
  }
  r = ExpectSameForAnyChunking(text, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.jsonl line 30, key 't': expected a number"));
}

TEST(JsonlChunksTest, MissingLabelAndWeightKeysInLaterChunks) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += i == 21 ? "{\"a\": 1}\n" : fmt::format("{{\"a\": {}, \"label\": 1}}\n", i);
  }
  auto r = ExpectSameForAnyChunking(text);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.jsonl line 22: the label 'label' is missing"));
  ReadOptions o;
  o.weight = "w";
  r = ExpectSameForAnyChunking("{\"a\": 1, \"label\": 1}\n" + text.substr(text.find("{\"a\": 22")) +
                                   "{\"w\": 2, \"label\": 1}\n",
                               o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.jsonl line 1: the weight 'w' is missing"));
}

TEST(JsonlChunksTest, CrlfBlankLinesBomAndTruncatedLastLine) {
  std::string text = "\xEF\xBB\xBF";
  for (int i = 0; i < 30; ++i) {
    if (i % 7 == 3) text += "\r\n  \n";
    text += fmt::format("{{\"a\": {}, \"c\": \"k{}\", \"label\": {}}}", i, i % 5, i % 2);
    text += i % 3 == 0 ? "\r\n" : "\n";
  }
  text += "{\"a\": 99, \"c\": \"end\", \"label\": 0}";  // no final line break
  auto r = ExpectSameForAnyChunking(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_rows(), 31u);
  EXPECT_FALSE(r->source().row_lines.empty());
  EXPECT_EQ(r->LineOf(30), 30u + 2 * 4 + 1);  // 4 x (CRLF + blank line), BOM on line 1
  // The last line cut short in the middle of the object.
  r = ExpectSameForAnyChunking(text.substr(0, text.size() - 12));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("t.jsonl line 39"), HasSubstr("invalid JSON")));
}

TEST(JsonlChunksTest, OverlongLineInALaterChunk) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += fmt::format("{{\"a\": {}, \"label\": 1}}\n", i);
  text += "{\"a\": \"" + std::string(200, 'x') + "\", \"label\": 1}\n";
  for (int i = 0; i < 5; ++i) text += "{\"a\": 1, \"label\": 1}\n";
  ReadOptions o;
  o.max_line_bytes = 100;
  auto r = ExpectSameForAnyChunking(text, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("t.jsonl line 21: the line is longer"));
}

// Random rows over a few keys whose values are mostly of one kind per key, with occasional
// nulls, NA strings, absent keys, blank lines and CRLF; some seeds fail, some read.
std::string RandomJsonl(uint64_t seed, int rows) {
  core::Rng rng(seed);
  const std::vector<std::string> keys = {"n", "s", "b", "mixed", "rare", "label"};
  std::string text;
  for (int r = 0; r < rows; ++r) {
    if (rng.UniformInt(40) == 0) text += "\n";
    std::string line = "{";
    for (const auto& key : keys) {
      if (key == "rare" && rng.UniformInt(10) != 0) continue;
      if (key != "label" && rng.UniformInt(8) == 0) continue;
      std::string v;
      switch (rng.UniformInt(key == "mixed" ? 4 : 12)) {
        case 0:
          v = "null";
          break;
        case 1:
          v = "\"NA\"";
          break;
        case 2:
          v = key == "mixed" ? "\"m" + std::to_string(rng.UniformInt(5)) + "\"" : "null";
          break;
        default:
          if (key == "s") {
            v = "\"w" + std::to_string(rng.UniformInt(9)) + "\"";
          } else if (key == "b") {
            v = rng.UniformInt(2) ? "true" : "false";
          } else {
            v = std::to_string(rng.UniformInt(100)) + (rng.UniformInt(2) ? ".25" : "");
          }
      }
      if (key == "label" && (v == "null" || v == "\"NA\"")) v = "0";
      if (line.size() > 1) line += ", ";
      line += "\"" + key + "\": " + v;
    }
    text += line + "}";
    text += rng.UniformInt(3) == 0 ? "\r\n" : "\n";
  }
  return text;
}

TEST(JsonlChunksTest, RandomInputsSameForAnyChunking) {
  int read = 0, failed = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    ReadOptions o;
    o.infer_rows = seed % 3 == 0 ? 1000 : seed % 3;
    auto r = ExpectSameForAnyChunking(RandomJsonl(seed, 120), o);
    ++(r.ok() ? read : failed);
  }
  // Both outcomes are exercised.
  EXPECT_GT(read, 0);
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace kiln::data
