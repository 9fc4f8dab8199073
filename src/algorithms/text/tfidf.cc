// tfidf: TF-IDF features from a text column, like scikit-learn's TfidfVectorizer — the
// tokenizer of tokenizer.h (lowercasing, word n-grams, stop words), a vocabulary kept by
// document frequency (min_df, max_df) and corpus frequency (max_features) and sorted, smoothed
// idf = ln((1 + n) / (1 + df)) + 1, optional binary or sublinear tf, and l2 (or l1) row norms.
// 'kiln transform' writes the sparse rows as LibSVM, ready for logistic regression. The matrix
// equals TfidfVectorizer's on the same tokenisation within 1e-6
// (tests/integration/test_parity_decomposition.py). Distinct texts are tokenized once, on all
// threads; the vocabulary does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/core/thread_pool.h"
#include "kiln/ml/algorithm_registry.h"
#include "register.h"
#include "tfidf_model.h"

namespace kiln::algorithms {
namespace {

using text::TermTable;
using text::TfidfModel;
using text::TfidfSettings;
using text::TokenScratch;

constexpr const char* kName = "tfidf";
constexpr size_t kMaxVocabulary = size_t{1} << 31;

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.String("column", "",
              "The text column; empty = the data's only text column (other columns are "
              "ignored, a label is carried through to the output).")
      .Alias("text_column");
  spec.Bool("lowercase", true, "Lowercase the text (ASCII letters) before tokenizing.");
  spec.Int("ngram_min", 1, "Shortest word n-gram to produce (scikit-learn's ngram_range[0]).")
      .Min(1)
      .Max(8);
  spec.Int("ngram_max", 1, "Longest word n-gram to produce (ngram_range[1]); >= ngram_min.")
      .Min(1)
      .Max(8);
  spec.String("stop_words", "",
              "Words to drop before forming n-grams: 'english' (Kiln's built-in list of common "
              "English function words), or a comma-separated list; empty = none.");
  spec.String("stop_words_file", "", "A file of stop words, one per line (added to stop_words).");
  spec.Double("min_df", 1,
              "Drop terms in fewer documents than this: a count when >= 1, a fraction of the "
              "documents when < 1.")
      .Min(0);
  spec.Double("max_df", 1,
              "Drop terms in more documents than this: a fraction of the documents when <= 1, "
              "a count when > 1.")
      .Min(0, false);
  spec.Int("max_features", 0,
           "Keep only this many terms, the most frequent in the corpus (ties by term); 0 = all.")
      .Min(0);
  spec.Bool("binary", false, "Term frequency 1 for every term present (before idf and norm).");
  spec.Bool("sublinear_tf", false, "Term frequency 1 + ln(tf) instead of tf.");
  spec.Bool("use_idf", true, "Multiply by inverse document frequency.");
  spec.Bool("smooth_idf", true,
            "idf = ln((1 + n) / (1 + df)) + 1 (as if one extra document held every term); "
            "false: ln(n / df) + 1.");
  spec.Choice("norm", "l2", {"l2", "l1", "none"}, "Scale each row to unit l2 or l1 norm.");
  return spec;
}

core::Result<std::vector<std::string>> StopWords(const core::ParamMap& params) {
  std::vector<std::string> words;
  const std::string& list = params.GetString("stop_words");
  if (list == "english") {
    words = text::EnglishStopWords();
  } else if (!list.empty()) {
    for (const std::string& w : core::Split(list, ',')) {
      const std::string t(core::Trim(w));
      if (!t.empty()) words.push_back(t);
    }
  }
  const std::string& path = params.GetString("stop_words_file");
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      return core::NotFound(
          "parameter 'stop_words_file': cannot open '{}' (expected a file of "
          "stop words, one per line)",
          path);
    }
    std::string line;
    while (std::getline(in, line)) {
      const std::string t(core::Trim(line));
      if (!t.empty()) words.push_back(t);
    }
  }
  if (params.GetBool("lowercase")) {
    for (std::string& w : words) w = core::ToLower(w);
  }
  return words;
}

// Per-term document and corpus counts over a range of distinct texts.
struct TermCounts {
  TermTable terms;
  std::vector<uint64_t> df;
  std::vector<uint64_t> tf;
};

// Every distinct text's terms as the fit counted them, kept when the training rows are to be
// transformed too (so they are tokenized once). Texts are counted in parts of `grain`; a part's
// terms have ids local to its own table.
struct TermLog {
  size_t grain = 1;
  std::vector<int32_t> doc_of_code;           // category code -> distinct-text index, or -1
  std::vector<std::vector<uint32_t>> ids;     // per part: its texts' local term ids, in order
  std::vector<std::vector<uint64_t>> ends;    // per part, per text: end offset into ids
  std::vector<std::vector<uint32_t>> merged;  // per part: local id -> id in the merged table
  std::vector<int32_t> column_of;             // merged id -> output column, or -1 if pruned

  // Appends the output columns of distinct text `d`'s terms.
  void ColumnsOf(size_t d, std::vector<uint32_t>& out) const {
    const size_t b = d / grain;
    const size_t k = d % grain;
    const std::vector<uint64_t>& e = ends[b];
    for (uint64_t i = k == 0 ? 0 : e[k - 1]; i < e[k]; ++i) {
      const int32_t c = column_of[merged[b][ids[b][i]]];
      if (c >= 0) out.push_back(static_cast<uint32_t>(c));
    }
  }
};

class Tfidf final : public ml::Estimator {
 public:
  explicit Tfidf(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<TfidfModel> model, Train(input, nullptr, ctx));
    return std::unique_ptr<ml::Model>(std::move(model));
  }

  // One pass of tokenizing: the fit logs each text's terms, then the rows are made from them.
  core::Result<ml::FitTransformResult> FitTransform(const ml::TrainInput& input,
                                                    core::Context& ctx) override {
    TermLog log;
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<TfidfModel> model, Train(input, &log, ctx));
    KILN_ASSIGN_OR_RETURN(data::Dataset rows,
                          model->TransformWithTermIds(
                              input.train,
                              [&](uint32_t code, TokenScratch&, std::vector<uint32_t>& ids) {
                                log.ColumnsOf(static_cast<size_t>(log.doc_of_code[code]), ids);
                              },
                              ctx));
    return ml::FitTransformResult{std::move(model), std::move(rows)};
  }

 private:
  // Fits the model; with a log, also records every text's terms and where they went.
  core::Result<std::unique_ptr<TfidfModel>> Train(const ml::TrainInput& input, TermLog* log,
                                                  core::Context& ctx) const {
    const data::DatasetView& view = input.train;
    const data::Dataset& ds = view.dataset();
    if (view.size() == 0) return core::DataError("{}: there are no training rows", kName);
    TfidfSettings s;
    KILN_ASSIGN_OR_RETURN(const data::Column* column,
                          text::FindTextColumn(ds, params_.GetString("column")));
    s.column = column->name;
    s.tokenizer.lowercase = params_.GetBool("lowercase");
    s.tokenizer.ngram_min = static_cast<int>(params_.GetInt("ngram_min"));
    s.tokenizer.ngram_max = static_cast<int>(params_.GetInt("ngram_max"));
    if (s.tokenizer.ngram_max < s.tokenizer.ngram_min) {
      return core::InvalidArgument("{}: ngram_max = {} is below ngram_min = {}", kName,
                                   s.tokenizer.ngram_max, s.tokenizer.ngram_min);
    }
    KILN_ASSIGN_OR_RETURN(s.tokenizer.stop_words, StopWords(params_));
    s.binary = params_.GetBool("binary");
    s.sublinear_tf = params_.GetBool("sublinear_tf");
    s.use_idf = params_.GetBool("use_idf");
    const std::string& norm = params_.GetString("norm");
    s.norm = norm == "l2" ? text::Norm::kL2 : norm == "l1" ? text::Norm::kL1 : text::Norm::kNone;

    // How many of the view's rows hold each distinct text (missing = an empty document).
    const size_t n = view.size();
    std::vector<uint64_t> rows_of(column->categories.size(), 0);
    for (size_t i = 0; i < n; ++i) {
      const int32_t code = column->codes[view.row(i)];
      if (code >= 0) ++rows_of[static_cast<size_t>(code)];
    }
    std::vector<uint32_t> docs;
    for (size_t c = 0; c < rows_of.size(); ++c) {
      if (rows_of[c] > 0) docs.push_back(static_cast<uint32_t>(c));
    }
    KILN_ASSIGN_OR_RETURN(TermCounts counts, Count(*column, docs, rows_of, s, log, ctx));
    if (counts.terms.size() == 0) {
      return core::InvalidArgument(
          "{}: empty vocabulary — the texts of column '{}' hold no tokens of two or more word "
          "characters{}",
          kName, column->name, s.tokenizer.stop_words.empty() ? "" : " that are not stop words");
    }
    KILN_ASSIGN_OR_RETURN(std::vector<uint32_t> kept, Prune(counts, n));
    if (log != nullptr) {
      log->doc_of_code.assign(column->categories.size(), -1);
      for (size_t d = 0; d < docs.size(); ++d) log->doc_of_code[docs[d]] = static_cast<int32_t>(d);
      log->column_of.assign(counts.terms.size(), -1);
      for (size_t j = 0; j < kept.size(); ++j) log->column_of[kept[j]] = static_cast<int32_t>(j);
    }

    std::vector<std::string> vocabulary;
    vocabulary.reserve(kept.size());
    std::vector<double> idf(kept.size(), 1.0);
    const bool smooth = params_.GetBool("smooth_idf");
    const double docs_n = static_cast<double>(n) + (smooth ? 1.0 : 0.0);
    for (size_t j = 0; j < kept.size(); ++j) {
      vocabulary.push_back(counts.terms.term(kept[j]));
      const double df = static_cast<double>(counts.df[kept[j]]) + (smooth ? 1.0 : 0.0);
      idf[j] = std::log(docs_n / df) + 1.0;
    }
    ml::ModelInfo info;
    info.algorithm = kName;
    info.params = params_.ToJson();
    info.schema = ds.schema();
    info.schema.fields = {{column->name, data::ColumnType::kCategorical}};
    info.label.task = ml::Task::kTransform;
    if (ds.label() != nullptr) info.label.name = ds.label()->name;
    info.training.extra = {{"documents", n},
                           {"distinct_texts", docs.size()},
                           {"terms_seen", counts.terms.size()},
                           {"vocabulary_size", vocabulary.size()}};
    return std::make_unique<TfidfModel>(std::move(info), std::move(s), std::move(vocabulary),
                                        core::Array<double>(std::move(idf)));
  }

  // Counts every term of the distinct texts, on all threads: each part of the texts into its own
  // table, then the tables merged (integer sums, so the result is the same for any split). With
  // a log, each text's term ids are recorded as well.
  core::Result<TermCounts> Count(const data::Column& column, const std::vector<uint32_t>& docs,
                                 const std::vector<uint64_t>& rows_of, const TfidfSettings& s,
                                 TermLog* log, core::Context& ctx) const {
    const text::Tokenizer tokenizer(s.tokenizer);
    const size_t parts = std::max<size_t>(
        1, std::min(docs.size(), static_cast<size_t>(ctx.pool().num_threads()) * 4));
    const size_t grain = std::max<size_t>(1, (docs.size() + parts - 1) / parts);
    std::vector<TermCounts> partial(core::NumBlocks(docs.size(), grain));
    if (log != nullptr) {
      log->grain = grain;
      log->ids.assign(partial.size(), {});
      log->ends.assign(partial.size(), {});
      log->merged.assign(partial.size(), {});
    }
    core::ParallelForBlocks(
        ctx.pool(), 0, docs.size(), grain, [&](size_t begin, size_t end, size_t b) {
          TermCounts& out = partial[b];
          std::vector<uint32_t>* logged = log != nullptr ? &log->ids[b] : nullptr;
          if (logged != nullptr) {
            // At most one term per 3 bytes per n-gram length (a token has two or more
            // characters and a separator): reserved, not touched, so regrowth never copies.
            size_t bytes = 0;
            for (size_t d = begin; d < end; ++d) bytes += column.categories[docs[d]].size();
            const auto lengths =
                static_cast<size_t>(s.tokenizer.ngram_max - s.tokenizer.ngram_min + 1);
            logged->reserve((bytes / 3 + end - begin) * lengths);
            log->ends[b].reserve(end - begin);
          }
          std::vector<uint32_t> last;  // last document (+1) counted per term
          TokenScratch scratch;
          for (size_t d = begin; d < end; ++d) {
            if (((d - begin) & 1023) == 0 && !ctx.CheckCancelled(kName).ok()) return;
            const uint64_t mult = rows_of[docs[d]];
            const auto stamp = static_cast<uint32_t>(d + 1);
            tokenizer.ForEachTerm(column.categories[docs[d]], scratch, [&](std::string_view t) {
              const uint32_t id = out.terms.Insert(t);
              if (id == out.df.size()) {
                out.df.push_back(0);
                out.tf.push_back(0);
                last.push_back(0);
              }
              out.tf[id] += mult;
              if (last[id] != stamp) {
                last[id] = stamp;
                out.df[id] += mult;
              }
              if (logged != nullptr) logged->push_back(id);
            });
            if (logged != nullptr) log->ends[b].push_back(logged->size());
          }
        });
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled("training"));
    if (partial.empty()) return TermCounts{};
    if (log != nullptr) {  // part 0's table becomes the merged one
      log->merged[0].resize(partial[0].terms.size());
      std::iota(log->merged[0].begin(), log->merged[0].end(), 0U);
    }
    TermCounts total = std::move(partial[0]);
    for (size_t b = 1; b < partial.size(); ++b) {
      const TermCounts& p = partial[b];
      if (log != nullptr) log->merged[b].resize(p.terms.size());
      for (uint32_t id = 0; id < p.terms.size(); ++id) {
        const uint32_t g = total.terms.Insert(p.terms.term(id));
        if (log != nullptr) log->merged[b][id] = g;
        if (g == total.df.size()) {
          total.df.push_back(0);
          total.tf.push_back(0);
        }
        total.df[g] += p.df[id];
        total.tf[g] += p.tf[id];
      }
      partial[b] = TermCounts{};
    }
    if (total.terms.size() > kMaxVocabulary) {
      return core::ResourceExhausted("{}: {} distinct terms (limit {}); raise min_df", kName,
                                     total.terms.size(), kMaxVocabulary);
    }
    return total;
  }

  // The ids of the terms kept by min_df, max_df and max_features, sorted by term.
  core::Result<std::vector<uint32_t>> Prune(const TermCounts& counts, size_t n) const {
    const double min_df = params_.GetDouble("min_df");
    const double max_df = params_.GetDouble("max_df");
    const double low = min_df >= 1 ? min_df : min_df * static_cast<double>(n);
    const double high = max_df <= 1 ? max_df * static_cast<double>(n) : max_df;
    if (high < low) {
      return core::InvalidArgument(
          "{}: max_df = {} allows at most {} documents, fewer than min_df = {} requires ({})",
          kName, core::FormatDouble(max_df), core::FormatDouble(high), core::FormatDouble(min_df),
          core::FormatDouble(low));
    }
    std::vector<uint32_t> kept;
    for (uint32_t id = 0; id < counts.terms.size(); ++id) {
      const auto df = static_cast<double>(counts.df[id]);
      if (df >= low && df <= high) kept.push_back(id);
    }
    if (kept.empty()) {
      return core::InvalidArgument(
          "{}: no terms remain after pruning ({} terms seen; min_df = {} keeps terms in >= {} "
          "documents, max_df = {} keeps terms in <= {}); lower min_df or raise max_df",
          kName, counts.terms.size(), core::FormatDouble(min_df), core::FormatDouble(low),
          core::FormatDouble(max_df), core::FormatDouble(high));
    }
    const auto& terms = counts.terms;
    const auto limit = static_cast<size_t>(params_.GetInt("max_features"));
    if (limit > 0 && kept.size() > limit) {
      std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
        if (counts.tf[a] != counts.tf[b]) return counts.tf[a] > counts.tf[b];
        return terms.term(a) < terms.term(b);
      });
      kept.resize(limit);
    }
    std::sort(kept.begin(), kept.end(),
              [&](uint32_t a, uint32_t b) { return terms.term(a) < terms.term(b); });
    return kept;
  }

  core::ParamMap params_;
};

}  // namespace

core::Status RegisterTfidf(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "TF-IDF features from a text column (no label needed): lowercasing, word n-grams, stop "
      "words, min/max document frequency, sublinear tf, l2 norm, as scikit-learn's "
      "TfidfVectorizer; 'kiln transform' writes the sparse rows as LibSVM (the label carried "
      "through) for a linear model to train on.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kDense, ml::capability::kMultithreaded};
  entry.factory.tasks = {ml::Task::kTransform};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<Tfidf>(params));
  };
  entry.factory.load = &TfidfModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
