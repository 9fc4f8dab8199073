// The tfidf tokenizer and term table: token boundaries (two or more word characters, counted as
// UTF-8 characters), lowercasing, stop words before n-grams, and the insert-only term ids.
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../../../src/algorithms/text/term_table.h"
#include "../../../src/algorithms/text/tokenizer.h"

namespace kiln::algorithms::text {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Terms(const TokenizerOptions& o, std::string_view text) {
  const Tokenizer t(o);
  TokenScratch scratch;
  std::vector<std::string> out;
  t.ForEachTerm(text, scratch, [&](std::string_view term) { out.emplace_back(term); });
  return out;
}

TEST(TokenizerTest, TokensAreRunsOfTwoOrMoreWordCharacters) {
  EXPECT_THAT(Terms({}, "A cat's 2 toys: snake_case, x1!"),
              ElementsAre("cat", "toys", "snake_case", "x1"));
  EXPECT_THAT(Terms({}, ""), ElementsAre());
  EXPECT_THAT(Terms({}, " .,; a b "), ElementsAre());
}

TEST(TokenizerTest, NonAsciiCharactersCountOnceAndStayInWords) {
  // "é" is two bytes but one character: alone it is too short, inside a word it is kept.
  EXPECT_THAT(Terms({}, "é café naïve"), ElementsAre("café", "naïve"));
}

TEST(TokenizerTest, LowercasingIsOptional) {
  EXPECT_THAT(Terms({}, "Great TASTE"), ElementsAre("great", "taste"));
  TokenizerOptions keep;
  keep.lowercase = false;
  EXPECT_THAT(Terms(keep, "Great TASTE"), ElementsAre("Great", "TASTE"));
}

TEST(TokenizerTest, StopWordsGoBeforeNgrams) {
  TokenizerOptions o;
  o.ngram_min = 1;
  o.ngram_max = 2;
  o.stop_words = {"the", "of"};
  EXPECT_THAT(Terms(o, "the taste of honey"), ElementsAre("taste", "honey", "taste honey"));
  o.ngram_min = 2;
  o.ngram_max = 3;
  EXPECT_THAT(Terms(o, "aa bb cc"), ElementsAre("aa bb", "bb cc", "aa bb cc"));
  EXPECT_THAT(Terms(o, "aa"), ElementsAre());
}

TEST(TermTableTest, IdsInInsertionOrderAcrossRehashes) {
  TermTable t;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(t.Insert("term" + std::to_string(i)), i);
  EXPECT_EQ(t.size(), 1000u);
  EXPECT_EQ(t.Insert("term7"), 7u);
  EXPECT_EQ(t.Find("term999"), 999);
  EXPECT_EQ(t.Find("term1000"), -1);
  EXPECT_EQ(t.Find(""), -1);
  EXPECT_EQ(t.term(42), "term42");
}

TEST(EnglishStopWordsTest, CommonFunctionWords) {
  const std::vector<std::string> words = EnglishStopWords();
  for (const char* w : {"the", "and", "of", "is", "you"}) {
    EXPECT_NE(std::find(words.begin(), words.end(), w), words.end()) << w;
  }
  EXPECT_EQ(std::find(words.begin(), words.end(), "taste"), words.end());
}

}  // namespace
}  // namespace kiln::algorithms::text
