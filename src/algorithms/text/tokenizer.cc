#include "tokenizer.h"

#include <array>
#include <iterator>

namespace kiln::algorithms::text {
namespace {

constexpr std::array<bool, 256> MakeWordTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
  }
  return t;
}
constexpr std::array<bool, 256> kWord = MakeWordTable();

}  // namespace

Tokenizer::Tokenizer(const TokenizerOptions& options)
    : lowercase_(options.lowercase), ngram_min_(options.ngram_min), ngram_max_(options.ngram_max) {
  for (const std::string& w : options.stop_words) stop_words_.Insert(w);
}

void Tokenizer::Split(std::string_view text, TokenScratch& scratch) const {
  std::string& s = scratch.lower;
  s.assign(text);
  if (lowercase_) {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  scratch.tokens.clear();
  const size_t n = s.size();
  const bool stops = stop_words_.size() > 0;
  size_t i = 0;
  while (i < n) {
    while (i < n && !kWord[static_cast<unsigned char>(s[i])]) ++i;
    const size_t begin = i;
    size_t chars = 0;  // characters, not bytes: UTF-8 continuation bytes do not count
    while (i < n && kWord[static_cast<unsigned char>(s[i])]) {
      chars += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
      ++i;
    }
    if (chars < 2) continue;
    if (stops && stop_words_.Find(std::string_view(s).substr(begin, i - begin)) >= 0) continue;
    scratch.tokens.emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(i - begin));
  }
}

std::vector<std::string> EnglishStopWords() {
  static constexpr std::string_view kWords[] = {
      "a",          "about",   "above", "after",   "again",   "against", "all",     "am",
      "an",         "and",     "any",   "are",     "as",      "at",      "be",      "because",
      "been",       "before",  "being", "below",   "between", "both",    "but",     "by",
      "can",        "could",   "did",   "do",      "does",    "doing",   "down",    "during",
      "each",       "either",  "else",  "ever",    "every",   "few",     "for",     "from",
      "further",    "had",     "has",   "have",    "having",  "he",      "her",     "here",
      "hers",       "herself", "him",   "himself", "his",     "how",     "however", "i",
      "if",         "in",      "into",  "is",      "it",      "its",     "itself",  "just",
      "may",        "me",      "might", "more",    "most",    "must",    "my",      "myself",
      "neither",    "no",      "nor",   "not",     "now",     "of",      "off",     "on",
      "once",       "only",    "or",    "other",   "ought",   "our",     "ours",    "ourselves",
      "out",        "over",    "own",   "same",    "shall",   "she",     "should",  "so",
      "some",       "such",    "than",  "that",    "the",     "their",   "theirs",  "them",
      "themselves", "then",    "there", "these",   "they",    "this",    "those",   "through",
      "thus",       "to",      "too",   "under",   "until",   "up",      "upon",    "us",
      "very",       "was",     "we",    "were",    "what",    "when",    "where",   "whether",
      "which",      "while",   "who",   "whom",    "whose",   "why",     "will",    "with",
      "within",     "without", "would", "yet",     "you",     "your",    "yours",   "yourself",
      "yourselves"};
  return std::vector<std::string>(std::begin(kWords), std::end(kWords));
}

}  // namespace kiln::algorithms::text
