// TfidfModel: the trained model of tfidf — the text column it reads, the tokenizer settings, the
// vocabulary (sorted, column j = vocabulary[j]) and each term's inverse document frequency.
// Transform turns each row's text into a sparse row: term counts (1 when binary, 1 + ln(tf) when
// sublinear_tf) times idf, scaled to unit l2 (or l1) norm. Rows with the same text are tokenized
// once. Predict is not offered (the output is sparse; 'kiln transform' writes it as LibSVM).
// Transform is const and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/array.h"
#include "kiln/ml/model.h"
#include "kiln/ml/transformer.h"
#include "term_table.h"
#include "tokenizer.h"

namespace kiln::algorithms::text {

enum class Norm : uint8_t { kNone, kL1, kL2 };

struct TfidfSettings {
  std::string column;  // the text column
  TokenizerOptions tokenizer;
  bool binary = false;
  bool sublinear_tf = false;
  bool use_idf = true;
  Norm norm = Norm::kL2;
};

class TfidfModel final : public ml::Model, public ml::Transformer {
 public:
  TfidfModel(ml::ModelInfo info, TfidfSettings settings, std::vector<std::string> vocabulary,
             core::Array<double> idf);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  const ml::Transformer* AsTransformer() const override { return this; }

  core::Result<data::Dataset> Transform(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  // Transform with each distinct text's terms already found: term_ids(code, scratch, ids)
  // appends to `ids` the column index of every vocabulary term of text `code` of the column
  // (any order, repeats counted; `scratch` is the calling thread's). Called concurrently for
  // different codes. tfidf's fit-and-transform uses it to avoid tokenizing twice.
  using TermIdsFn =
      std::function<void(uint32_t code, TokenScratch& scratch, std::vector<uint32_t>& ids)>;
  core::Result<data::Dataset> TransformWithTermIds(const data::DatasetView& view,
                                                   const TermIdsFn& term_ids,
                                                   core::Context& ctx) const;
  bool sparse_output() const override { return true; }
  std::vector<std::string> OutputNames() const override { return vocabulary_.terms(); }

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

 private:
  TfidfSettings settings_;
  Tokenizer tokenizer_;
  TermTable vocabulary_;  // ids are column indices
  core::Array<double> idf_;
  // Save() writes these (the arrays must outlive the write).
  std::vector<uint8_t> vocab_bytes_;
  std::vector<uint64_t> vocab_offsets_;
};

// The text column of a tfidf input: `name`, or (when empty) the only text column of `ds`.
// Errors name what was expected and found.
core::Result<const data::Column*> FindTextColumn(const data::Dataset& ds, const std::string& name);

std::string_view NormName(Norm norm);

}  // namespace kiln::algorithms::text
