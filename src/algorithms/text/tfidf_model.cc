#include "tfidf_model.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/core/thread_pool.h"

namespace kiln::algorithms::text {
namespace {

constexpr size_t kDocBlock = 512;
constexpr size_t kDescribeTerms = 50;

// One document's sparse row from its terms' column indices (sorted here), appended to
// `indices`/`values`.
void AppendRow(std::vector<uint32_t>& ids, const TfidfSettings& s, const core::Array<double>& idf,
               std::vector<double>& row, std::vector<uint32_t>& indices,
               std::vector<float>& values) {
  std::sort(ids.begin(), ids.end());
  const size_t first = indices.size();
  row.clear();
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    double tf = static_cast<double>(j - i);
    if (s.binary) tf = 1;
    if (s.sublinear_tf) tf = 1 + std::log(tf);
    indices.push_back(ids[i]);
    values.push_back(0);
    row.push_back(s.use_idf ? tf * idf[ids[i]] : tf);
    i = j;
  }
  double norm = 1;
  if (s.norm == Norm::kL2) {
    double sq = 0;
    for (double v : row) sq += v * v;
    norm = std::sqrt(sq);
  } else if (s.norm == Norm::kL1) {
    norm = 0;
    for (double v : row) norm += std::abs(v);
  }
  if (!(norm > 0)) norm = 1;
  for (size_t k = 0; k < row.size(); ++k) values[first + k] = static_cast<float>(row[k] / norm);
}

}  // namespace

std::string_view NormName(Norm norm) {
  switch (norm) {
    case Norm::kNone:
      return "none";
    case Norm::kL1:
      return "l1";
    case Norm::kL2:
      return "l2";
  }
  return "?";
}

core::Result<const data::Column*> FindTextColumn(const data::Dataset& ds, const std::string& name) {
  if (ds.is_sparse()) {
    return core::InvalidArgument(
        "tfidf reads a text column of a CSV or JSON Lines table; the data is sparse LibSVM");
  }
  if (!name.empty()) {
    const int idx = ds.FindColumn(name);
    if (idx < 0) {
      std::vector<std::string> names;
      for (const data::Column& c : ds.columns()) names.push_back(c.name);
      return core::InvalidArgument("tfidf: the data has no column '{}'; its columns: {}", name,
                                   core::Excerpt(core::Join(names, ", "), 300));
    }
    const data::Column& c = ds.columns()[static_cast<size_t>(idx)];
    if (c.type != data::ColumnType::kCategorical) {
      return core::InvalidArgument(
          "tfidf: column '{}' holds numbers; expected text (pass --categorical {} to read it as "
          "text)",
          name, name);
    }
    return &c;
  }
  std::vector<const data::Column*> texts;
  for (const data::Column& c : ds.columns()) {
    if (c.type == data::ColumnType::kCategorical) texts.push_back(&c);
  }
  if (texts.size() == 1) return texts[0];
  std::vector<std::string> names;
  for (const data::Column* c : texts) names.push_back(c->name);
  if (texts.empty()) {
    return core::InvalidArgument(
        "tfidf: the data has no text column (every feature column holds numbers); name the "
        "column with -p column=NAME");
  }
  return core::InvalidArgument(
      "tfidf: the data has {} text columns ({}); choose one with -p column=NAME", texts.size(),
      core::Excerpt(core::Join(names, ", "), 300));
}

TfidfModel::TfidfModel(ml::ModelInfo info, TfidfSettings settings,
                       std::vector<std::string> vocabulary, core::Array<double> idf)
    : ml::Model(std::move(info)),
      settings_(std::move(settings)),
      tokenizer_(settings_.tokenizer),
      idf_(std::move(idf)) {
  vocab_offsets_.reserve(vocabulary.size() + 1);
  vocab_offsets_.push_back(0);
  for (const std::string& term : vocabulary) {
    vocabulary_.Insert(term);
    vocab_bytes_.insert(vocab_bytes_.end(), term.begin(), term.end());
    vocab_offsets_.push_back(vocab_bytes_.size());
  }
}

core::Result<ml::Predictions> TfidfModel::Predict(const data::DatasetView&, core::Context&) const {
  return core::Unimplemented(
      "tfidf is a transform: its output is a sparse vector per row ({} columns), which 'kiln "
      "transform' writes as LibSVM; train a model on that output to predict",
      vocabulary_.size());
}

core::Result<data::Dataset> TfidfModel::Transform(const data::DatasetView& view,
                                                  core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(const data::Column* column,
                        FindTextColumn(view.dataset(), settings_.column));
  return TransformWithTermIds(
      view,
      [&](uint32_t code, TokenScratch& scratch, std::vector<uint32_t>& ids) {
        tokenizer_.ForEachTerm(column->categories[code], scratch, [&](std::string_view term) {
          const int64_t id = vocabulary_.Find(term);
          if (id >= 0) ids.push_back(static_cast<uint32_t>(id));
        });
      },
      ctx);
}

core::Result<data::Dataset> TfidfModel::TransformWithTermIds(const data::DatasetView& view,
                                                             const TermIdsFn& term_ids,
                                                             core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(const data::Column* column,
                        FindTextColumn(view.dataset(), settings_.column));
  const size_t n = view.size();
  // Distinct texts used by the view's rows, each vectorized once.
  std::vector<int32_t> slot(column->categories.size(), -1);
  std::vector<uint32_t> docs;
  for (size_t i = 0; i < n; ++i) {
    const int32_t code = column->codes[view.row(i)];
    if (code >= 0 && slot[static_cast<size_t>(code)] < 0) {
      slot[static_cast<size_t>(code)] = static_cast<int32_t>(docs.size());
      docs.push_back(static_cast<uint32_t>(code));
    }
  }
  struct Block {
    std::vector<uint64_t> ends;  // per doc, end offset into indices
    std::vector<uint32_t> indices;
    std::vector<float> values;
  };
  std::vector<Block> blocks(core::NumBlocks(docs.size(), kDocBlock));
  core::ParallelForBlocks(ctx.pool(), 0, docs.size(), kDocBlock,
                          [&](size_t begin, size_t end, size_t b) {
                            Block& out = blocks[b];
                            TokenScratch scratch;
                            std::vector<uint32_t> ids;
                            std::vector<double> row;
                            for (size_t d = begin; d < end; ++d) {
                              ids.clear();
                              term_ids(docs[d], scratch, ids);
                              AppendRow(ids, settings_, idf_, row, out.indices, out.values);
                              out.ends.push_back(out.indices.size());
                            }
                          });
  KILN_RETURN_IF_ERROR(ctx.CheckCancelled("tfidf transform"));
  std::vector<uint64_t> indptr(n + 1, 0);
  auto doc_range = [&](size_t d) {
    const Block& b = blocks[d / kDocBlock];
    const size_t k = d % kDocBlock;
    return std::pair<uint64_t, uint64_t>(k == 0 ? 0 : b.ends[k - 1], b.ends[k]);
  };
  for (size_t i = 0; i < n; ++i) {
    const int32_t code = column->codes[view.row(i)];
    uint64_t len = 0;
    if (code >= 0) {
      const auto [lo, hi] = doc_range(static_cast<size_t>(slot[static_cast<size_t>(code)]));
      len = hi - lo;
    }
    indptr[i + 1] = indptr[i] + len;
  }
  // Every entry is written below: allocated without zeroing (tens of MB for a large corpus).
  auto indices = std::make_unique_for_overwrite<uint32_t[]>(indptr[n]);
  auto values = std::make_unique_for_overwrite<float[]>(indptr[n]);
  core::ParallelForBlocks(ctx.pool(), 0, n, 8192, [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      const int32_t code = column->codes[view.row(i)];
      if (code < 0) continue;
      const size_t d = static_cast<size_t>(slot[static_cast<size_t>(code)]);
      const Block& b = blocks[d / kDocBlock];
      const auto [lo, hi] = doc_range(d);
      std::copy(b.indices.begin() + static_cast<std::ptrdiff_t>(lo),
                b.indices.begin() + static_cast<std::ptrdiff_t>(hi), indices.get() + indptr[i]);
      std::copy(b.values.begin() + static_cast<std::ptrdiff_t>(lo),
                b.values.begin() + static_cast<std::ptrdiff_t>(hi), values.get() + indptr[i]);
    }
  });
  data::CsrMatrix m;
  const size_t nnz = indptr[n];
  m.indptr = core::Array<uint64_t>(std::move(indptr));
  const uint32_t* index_data = indices.get();
  m.indices =
      core::Array<uint32_t>(index_data, nnz, std::shared_ptr<const void>(std::move(indices)));
  const float* value_data = values.get();
  m.values = core::Array<float>(value_data, nnz, std::shared_ptr<const void>(std::move(values)));
  m.num_cols = static_cast<uint32_t>(vocabulary_.size());
  return ml::WithLabelAndWeights(data::Dataset::Sparse(std::move(m)), view);
}

core::Status TfidfModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["column"] = settings_.column;
  body["lowercase"] = settings_.tokenizer.lowercase;
  body["ngram_min"] = settings_.tokenizer.ngram_min;
  body["ngram_max"] = settings_.tokenizer.ngram_max;
  body["stop_words"] = settings_.tokenizer.stop_words;
  body["binary"] = settings_.binary;
  body["sublinear_tf"] = settings_.sublinear_tf;
  body["use_idf"] = settings_.use_idf;
  body["norm"] = NormName(settings_.norm);
  body["vocabulary_size"] = vocabulary_.size();
  writer.AddArray("vocab_bytes", vocab_bytes_);
  writer.AddArray("vocab_offsets", vocab_offsets_);
  writer.AddArray("idf", idf_);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> TfidfModel::Load(const core::ArrayFileReader& file,
                                                          ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  TfidfSettings s;
  try {
    s.column = body.at("column").get<std::string>();
    s.tokenizer.lowercase = body.at("lowercase").get<bool>();
    s.tokenizer.ngram_min = body.at("ngram_min").get<int>();
    s.tokenizer.ngram_max = body.at("ngram_max").get<int>();
    s.tokenizer.stop_words = body.at("stop_words").get<std::vector<std::string>>();
    s.binary = body.at("binary").get<bool>();
    s.sublinear_tf = body.at("sublinear_tf").get<bool>();
    s.use_idf = body.at("use_idf").get<bool>();
    const std::string norm = body.at("norm").get<std::string>();
    s.norm = norm == "l2" ? Norm::kL2 : norm == "l1" ? Norm::kL1 : Norm::kNone;
  } catch (const nlohmann::json::exception& e) {
    return core::Corrupt("{}: the tfidf model's body is incomplete: {}", file.path(), e.what());
  }
  if (s.tokenizer.ngram_min < 1 || s.tokenizer.ngram_max < s.tokenizer.ngram_min)
    return core::Corrupt("{}: bad n-gram range in the tfidf model", file.path());
  KILN_ASSIGN_OR_RETURN(core::Array<uint8_t> bytes, file.GetArray<uint8_t>("vocab_bytes"));
  KILN_ASSIGN_OR_RETURN(core::Array<uint64_t> offsets, file.GetArray<uint64_t>("vocab_offsets"));
  KILN_ASSIGN_OR_RETURN(core::Array<double> idf, file.GetArray<double>("idf"));
  if (offsets.empty() || offsets[0] != 0 || offsets[offsets.size() - 1] != bytes.size() ||
      idf.size() + 1 != offsets.size()) {
    return core::Corrupt("{}: the tfidf vocabulary arrays do not agree ({} offsets, {} idf values)",
                         file.path(), offsets.size(), idf.size());
  }
  std::vector<std::string> vocabulary(idf.size());
  for (size_t j = 0; j < idf.size(); ++j) {
    if (offsets[j + 1] < offsets[j])
      return core::Corrupt("{}: tfidf vocabulary offsets decrease at term {}", file.path(), j);
    vocabulary[j].assign(reinterpret_cast<const char*>(bytes.data()) + offsets[j],
                         offsets[j + 1] - offsets[j]);
    if (j > 0 && !(vocabulary[j - 1] < vocabulary[j]))
      return core::Corrupt("{}: the tfidf vocabulary is not sorted at term {}", file.path(), j);
  }
  return std::unique_ptr<ml::Model>(std::make_unique<TfidfModel>(
      std::move(info), std::move(s), std::move(vocabulary), std::move(idf)));
}

nlohmann::json TfidfModel::Describe() const {
  nlohmann::json j;
  j["column"] = settings_.column;
  j["vocabulary_size"] = vocabulary_.size();
  j["ngram_range"] = {settings_.tokenizer.ngram_min, settings_.tokenizer.ngram_max};
  j["norm"] = NormName(settings_.norm);
  j["stop_words"] = settings_.tokenizer.stop_words.size();
  nlohmann::json terms = nlohmann::json::array();
  for (size_t t = 0; t < std::min(kDescribeTerms, vocabulary_.size()); ++t) {
    terms.push_back({{"term", vocabulary_.term(static_cast<uint32_t>(t))}, {"idf", idf_[t]}});
  }
  j["first_terms"] = std::move(terms);
  return j;
}

}  // namespace kiln::algorithms::text
