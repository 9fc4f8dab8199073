#include "pmml_servable.h"

#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kiln/core/strings.h"
#include "pmml_evaluator.h"
#include "pmml_parser.h"

namespace kiln::serve {
namespace {

using pmml::Document;
using pmml::MiningFunction;
using pmml::Value;

// Whether the model's class values are probabilities: not for a RegressionModel (or a chain
// ending in one) without normalization.
bool Probabilistic(const pmml::Model& m) {
  if (const auto* r = std::get_if<pmml::RegressionBody>(&m.body)) {
    return r->normalization != pmml::Normalization::kNone;
  }
  if (const auto* b = std::get_if<pmml::MiningBody>(&m.body)) {
    if (b->combine == pmml::Combine::kModelChain || b->combine == pmml::Combine::kSelectFirst) {
      bool all = true;
      for (const pmml::Segment& s : b->segments) {
        if (b->combine == pmml::Combine::kSelectFirst || &s == &b->segments.back()) {
          all = all && Probabilistic(*s.model);
        }
      }
      return all;
    }
  }
  return true;
}

class PmmlServable final : public Servable {
 public:
  explicit PmmlServable(std::unique_ptr<Document> doc) : doc_(std::move(doc)) {
    metadata_.platform = "pmml";
    for (int f : doc_->inputs) {
      const pmml::DataField& field = doc_->fields[static_cast<size_t>(f)];
      names_.push_back(field.name);
      index_.emplace(field.name, names_.size() - 1);
      metadata_.inputs.push_back({field.name, pmml::IsNumeric(field.type) ? kFp32 : kBytes, {-1}});
    }
    if (doc_->model.function == MiningFunction::kClassification) {
      probabilistic_ = Probabilistic(doc_->model);
      metadata_.outputs.push_back({"predictions", kBytes, {-1}});
      metadata_.outputs.push_back({probabilistic_ ? "probabilities" : "scores",
                                   kFp64,
                                   {-1, static_cast<int64_t>(doc_->model.categories.size())}});
    } else {
      metadata_.outputs.push_back({"predictions", kFp64, {-1}});
    }
  }

  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override;
  size_t memory_bytes() const override { return doc_->memory_bytes; }

 private:
  core::Result<std::vector<const FeatureColumn*>> Columns(const FeatureBatch& batch) const;

  std::unique_ptr<Document> doc_;
  ServableMetadata metadata_;
  std::vector<std::string> names_;                 // input features, in metadata order
  std::unordered_map<std::string, size_t> index_;  // name -> position in names_
  bool probabilistic_ = true;
};

// The batch's column for each input, checked: no unknown names, one value per row, every input
// present.
core::Result<std::vector<const FeatureColumn*>> PmmlServable::Columns(
    const FeatureBatch& batch) const {
  std::vector<const FeatureColumn*> columns(names_.size(), nullptr);
  for (const FeatureColumn& c : batch.columns) {
    const auto it = index_.find(c.name);
    if (it == index_.end()) {
      const std::string best = core::ClosestMatch(c.name, names_);
      return core::InvalidArgument("unknown feature '{}'{}; the model's features are: {}", c.name,
                                   best.empty() ? "" : " (did you mean '" + best + "'?)",
                                   core::Join(names_, ", "));
    }
    const size_t n = c.is_text ? c.texts.size() : c.numbers.size();
    if (n != batch.rows) {
      return core::InvalidArgument("feature '{}' has {} values, expected one per row ({})", c.name,
                                   n, batch.rows);
    }
    if (columns[it->second] == nullptr) columns[it->second] = &c;
  }
  std::vector<std::string> missing;
  for (size_t f = 0; f < names_.size(); ++f) {
    if (columns[f] == nullptr) missing.push_back(names_[f]);
  }
  if (!missing.empty()) {
    return core::InvalidArgument("missing feature{} {} (send null for a missing value)",
                                 missing.size() == 1 ? "" : "s", core::Join(missing, ", "));
  }
  return columns;
}

core::Status AtRow(const core::Status& s, size_t row) {
  if (s.code() != core::StatusCode::kInvalidArgument) return s;
  return core::Status(s.code(), fmt::format("row {}: {}", row, s.ToString()));
}

core::Result<InferenceOutput> PmmlServable::Infer(const FeatureBatch& batch) const {
  KILN_ASSIGN_OR_RETURN(const std::vector<const FeatureColumn*> columns, Columns(batch));
  const bool classification = doc_->model.function == MiningFunction::kClassification;
  const auto rows = static_cast<int64_t>(batch.rows);
  const size_t k = doc_->model.categories.size();
  OutputTensor predictions{"predictions", classification ? kBytes : kFp64, {rows}, {}, {}};
  OutputTensor probabilities{
      probabilistic_ ? "probabilities" : "scores", kFp64, {rows, static_cast<int64_t>(k)}, {}, {}};
  std::vector<Value> slots(doc_->slot_names.size());
  for (size_t r = 0; r < batch.rows; ++r) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const FeatureColumn& c = *columns[i];
      Value v;
      if (c.is_text) {
        if (!c.texts[r].empty()) v = Value::Text(c.texts[r]);
      } else if (!std::isnan(c.numbers[r])) {
        v = Value::Number(c.numbers[r]);
      }
      const int f = doc_->inputs[i];
      auto in = pmml::InputValue(doc_->fields[static_cast<size_t>(f)], std::move(v));
      if (!in.ok()) return AtRow(in.status(), r);
      slots[static_cast<size_t>(f)] = std::move(in).value();
    }
    auto p = pmml::EvaluateRow(*doc_, slots);
    if (!p.ok()) return AtRow(p.status(), r);
    if (classification) {
      predictions.texts.push_back(doc_->model.categories[static_cast<size_t>(p->category)]);
      probabilities.numbers.insert(probabilities.numbers.end(), p->probabilities.begin(),
                                   p->probabilities.end());
    } else {
      predictions.numbers.push_back(p->value);
    }
  }
  InferenceOutput out;
  out.outputs.push_back(std::move(predictions));
  if (classification) {
    out.outputs.push_back(std::move(probabilities));
    out.class_names = doc_->model.categories;
  }
  return out;
}

}  // namespace

core::Result<std::unique_ptr<Servable>> LoadPmmlServable(const ModelFiles& files) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Document> doc, pmml::ParseDocumentFile(files.path));
  if (doc->inputs.empty()) {
    return core::ParseError("{}: the model has no active input field", files.path);
  }
  return std::unique_ptr<Servable>(std::make_unique<PmmlServable>(std::move(doc)));
}

}  // namespace kiln::serve
