// JsonScanner against nlohmann::json as the reference: the same tokens for valid documents
// (unescaped strings and numbers included), and rejection of exactly the texts nlohmann rejects —
// over hand-written cases and thousands of seeded random mutations of valid documents.
#include "../../../src/serve/json_scanner.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kiln::serve {
namespace {

using Token = JsonScanner::Token;
using nlohmann::json;

// The token stream as text, e.g. {"k":1,"s":"x"} -> "{ key:k num:1 str:x }"; "ERROR" when the
// scanner rejects the input.
std::string ScannerTokens(std::string_view text) {
  JsonScanner s(text);
  std::string out;
  while (true) {
    const Token t = s.Next();
    switch (t) {
      case Token::kBeginObject:
        out += "{ ";
        break;
      case Token::kEndObject:
        out += "} ";
        break;
      case Token::kBeginArray:
        out += "[ ";
        break;
      case Token::kEndArray:
        out += "] ";
        break;
      case Token::kKey:
        out += "key:" + std::string(s.text()) + " ";
        break;
      case Token::kString:
        out += "str:" + std::string(s.text()) + " ";
        break;
      case Token::kNumber:
        out += "num:" + json(s.number()).dump() + " ";
        break;
      case Token::kTrue:
        out += "true ";
        break;
      case Token::kFalse:
        out += "false ";
        break;
      case Token::kNull:
        out += "null ";
        break;
      case Token::kEnd:
        return out;
      case Token::kError:
        EXPECT_FALSE(s.error().empty()) << text;
        return "ERROR";
    }
  }
}

// The same through nlohmann's SAX interface.
class Collector final : public json::json_sax_t {
 public:
  std::string out;
  bool null() override { return Add("null"); }
  bool boolean(bool v) override { return Add(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return Number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Number(v); }
  bool string(string_t& v) override { return Add("str:" + v); }
  bool binary(binary_t&) override { return false; }
  bool start_object(size_t) override { return Add("{"); }
  bool key(string_t& k) override { return Add("key:" + k); }
  bool end_object() override { return Add("}"); }
  bool start_array(size_t) override { return Add("["); }
  bool end_array() override { return Add("]"); }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Add(const std::string& t) {
    out += t + " ";
    return true;
  }
  bool Number(double v) { return Add("num:" + json(v).dump()); }
};

std::string ReferenceTokens(std::string_view text) {
  Collector c;
  try {
    if (!json::sax_parse(text.begin(), text.end(), &c)) return "ERROR";
  } catch (const json::exception&) {
    return "ERROR";
  }
  return c.out;
}

TEST(JsonScannerTest, ValidDocumentsGiveTheReferenceTokens) {
  for (const char* text :
       {R"({"instances": [{"a": 1, "b": -2.5e-3, "c": "x"}, {"a": null, "b": true, "c": false}]})",
        R"( [ ] )", "{}", "0", "-0", "1E+2", "12.5e-1", R"("")", R"("a\"b\\c\/d\b\f\n\r\t")",
        R"("\u00e9\u20AC\ud83d\ude00")", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
        R"({"nested": {"deep": [[[1], [2, [3]]], {"x": {}}]}})", "\t\n\r 7 \n",
        "123456789012345678901234567890", "1e-400", "1.7976931348623157e308"}) {
    EXPECT_EQ(ScannerTokens(text), ReferenceTokens(text)) << text;
    EXPECT_NE(ScannerTokens(text), "ERROR") << text;
  }
}

TEST(JsonScannerTest, InvalidDocumentsAreRejectedWithAnOffset) {
  for (const char* text : {"",
                           " ",
                           "{",
                           "}",
                           "[1,]",
                           "[,1]",
                           "{\"a\" 1}",
                           "{\"a\":}",
                           "{\"a\":1,}",
                           "{1:2}",
                           "[1 2]",
                           "01",
                           "1.",
                           ".5",
                           "-",
                           "1e",
                           "1e+",
                           "+1",
                           "NaN",
                           "Infinity",
                           "tru",
                           "nul",
                           "\"abc",
                           "\"a\\x\"",
                           "\"\\u12G4\"",
                           "\"\\ud83d\"",
                           "\"\\ude00\"",
                           "\"tab\there\"",
                           "\"\xc3\"",
                           "\"\xc0\xaf\"",
                           "\"\xed\xa0\x80\"",
                           "\"\xf5\x80\x80\x80\"",
                           "[1] 2",
                           "{\"a\":1}}",
                           "[\"a\":1]",
                           "'single'"}) {
    EXPECT_EQ(ReferenceTokens(text), "ERROR") << "the reference accepts " << text;
    JsonScanner s(text);
    Token t = Token::kEnd;
    do {
      t = s.Next();
    } while (t != Token::kError && t != Token::kEnd);
    ASSERT_EQ(t, Token::kError) << text;
    EXPECT_LE(s.offset(), std::string_view(text).size()) << text;
    EXPECT_EQ(s.Next(), Token::kError) << "errors are sticky: " << text;
  }
}

TEST(JsonScannerTest, OverflowingNumbersAreInfinite) {
  JsonScanner s("[1e400, -1e400]");
  ASSERT_EQ(s.Next(), Token::kBeginArray);
  ASSERT_EQ(s.Next(), Token::kNumber);
  EXPECT_EQ(s.number(), HUGE_VAL);
  ASSERT_EQ(s.Next(), Token::kNumber);
  EXPECT_EQ(s.number(), -HUGE_VAL);
  EXPECT_EQ(s.raw(), "-1e400");
}

TEST(JsonScannerTest, NestingIsBounded) {
  const std::string ok =
      std::string(JsonScanner::kMaxDepth, '[') + std::string(JsonScanner::kMaxDepth, ']');
  EXPECT_NE(ScannerTokens(ok), "ERROR");
  const std::string deep(JsonScanner::kMaxDepth + 1, '[');
  JsonScanner s(deep);
  Token t = Token::kEnd;
  do {
    t = s.Next();
  } while (t == Token::kBeginArray);
  EXPECT_EQ(t, Token::kError);
  EXPECT_NE(s.error().find("nested deeper"), std::string::npos);
}

TEST(JsonScannerTest, SkipValueSkipsWholeContainers) {
  JsonScanner s(R"({"skip": {"a": [1, {"b": [2]}]}, "next": 3})");
  ASSERT_EQ(s.Next(), Token::kBeginObject);
  ASSERT_EQ(s.Next(), Token::kKey);
  ASSERT_TRUE(s.SkipValue(s.Next()));
  ASSERT_EQ(s.Next(), Token::kKey);
  EXPECT_EQ(s.text(), "next");
  ASSERT_EQ(s.Next(), Token::kNumber);
  EXPECT_EQ(s.number(), 3);
  EXPECT_EQ(s.Next(), Token::kEndObject);
  EXPECT_EQ(s.Next(), Token::kEnd);
}

// Random edits of valid documents: the scanner accepts exactly what nlohmann accepts, with the
// same tokens.
TEST(JsonScannerTest, AgreesWithTheReferenceOnRandomMutations) {
  const std::vector<std::string> seeds = {
      R"({"instances": [{"age": 30, "city": "Oslo", "x": -1.5e3}, {"age": null, "city": "\u00e9"}]})",
      R"({"inputs": [{"name": "f", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]})",
      R"([true, false, null, "a\nb", 0.25, -0, {"k": []}])", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""};
  const std::string alphabet = "{}[]:,\"\\ -+.eE0123456789tfnulaxu\xc3\xa9\xed\xf0\x80\x01\t";
  std::mt19937_64 rng(20261124);
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          text.erase(at, 1);
          break;
        default:
          text.resize(at);
          break;
      }
    }
    const std::string expected = ReferenceTokens(text);
    ASSERT_EQ(ScannerTokens(text), expected) << "input: " << text;
    accepted += expected != "ERROR";
  }
  EXPECT_GT(accepted, 1000u);  // the mutations also produce valid documents to compare
}

}  // namespace
}  // namespace kiln::serve
