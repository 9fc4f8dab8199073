// Tokenizer: text -> terms, the way scikit-learn's CountVectorizer does by default — lowercase,
// tokens are runs of two or more word characters (token_pattern r"(?u)\b\w\w+\b"; characters
// counted as UTF-8 characters, not bytes), stop words dropped, then word n-grams joined by single
// spaces, all n-grams of one length before the next. Word characters are ASCII letters, digits
// and '_' plus every non-ASCII character (so accented words stay whole; non-ASCII punctuation
// also counts as a word character, where Python's \w would split). Lowercasing is ASCII-only.
//
// Thread-safety: const and safe to call concurrently, each caller with its own TokenScratch.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "term_table.h"

namespace kiln::algorithms::text {

struct TokenizerOptions {
  bool lowercase = true;
  int ngram_min = 1;
  int ngram_max = 1;
  std::vector<std::string> stop_words;  // compared with the (lowercased) tokens
};

// Buffers a caller reuses across documents.
struct TokenScratch {
  std::string lower;
  std::vector<std::pair<uint32_t, uint32_t>> tokens;  // offset, length into `lower`
  std::string gram;
};

class Tokenizer {
 public:
  explicit Tokenizer(const TokenizerOptions& options);

  // Calls emit(std::string_view term) for every term of `text`; a term's view lives until the
  // next call.
  template <typename F>
  void ForEachTerm(std::string_view text, TokenScratch& scratch, F&& emit) const {
    Split(text, scratch);
    const auto& t = scratch.tokens;
    const std::string& s = scratch.lower;
    for (int n = ngram_min_; n <= ngram_max_; ++n) {
      const auto un = static_cast<size_t>(n);
      if (t.size() < un) break;
      for (size_t i = 0; i + un <= t.size(); ++i) {
        if (n == 1) {
          emit(std::string_view(s).substr(t[i].first, t[i].second));
          continue;
        }
        scratch.gram.clear();
        for (size_t j = i; j < i + un; ++j) {
          if (j > i) scratch.gram.push_back(' ');
          scratch.gram.append(s, t[j].first, t[j].second);
        }
        emit(std::string_view(scratch.gram));
      }
    }
  }

 private:
  // Fills scratch.lower and scratch.tokens (stop words removed).
  void Split(std::string_view text, TokenScratch& scratch) const;

  bool lowercase_;
  int ngram_min_;
  int ngram_max_;
  TermTable stop_words_;
};

// A built-in list of common English function words (articles, pronouns, auxiliaries,
// prepositions, conjunctions), Kiln's own; 'stop_words=english'.
std::vector<std::string> EnglishStopWords();

}  // namespace kiln::algorithms::text
