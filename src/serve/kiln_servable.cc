#include "kiln_servable.h"

#include <cmath>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>

#include "kiln/core/context.h"
#include "kiln/core/strings.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/model_io.h"

namespace kiln::serve {
namespace {

std::string NumberText(double v) { return fmt::format("{}", v); }

ServableMetadata MakeMetadata(const ml::ModelInfo& info) {
  ServableMetadata m;
  m.platform = "kiln";
  for (const data::FieldInfo& f : info.schema.fields) {
    m.inputs.push_back({f.name, f.type == data::ColumnType::kNumeric ? kFp32 : kBytes, {-1}});
  }
  if (info.label.is_clustering()) {
    m.outputs.push_back({"predictions", kInt64, {-1}});
    m.outputs.push_back({"distances", kFp64, {-1}});
  } else if (info.label.is_classification()) {
    m.outputs.push_back({"predictions", kBytes, {-1}});
    m.outputs.push_back(
        {"probabilities", kFp64, {-1, static_cast<int64_t>(info.label.num_classes())}});
  } else {
    m.outputs.push_back({"predictions", kFp64, {-1}});
  }
  return m;
}

// Every column is a feature of the model (skipped when `names_known`) with one value per row.
core::Status CheckFeatureNames(const ml::ModelInfo& info, const FeatureBatch& batch,
                               bool names_known) {
  for (const FeatureColumn& c : batch.columns) {
    bool known = names_known;
    for (const data::FieldInfo& f : info.schema.fields) known = known || f.name == c.name;
    if (!known) {
      std::vector<std::string> names;
      for (const data::FieldInfo& f : info.schema.fields) names.push_back(f.name);
      std::string best = core::ClosestMatch(c.name, names);
      return core::InvalidArgument("unknown feature '{}'{}; the model's features are: {}", c.name,
                                   best.empty() ? "" : " (did you mean '" + best + "'?)",
                                   core::Join(names, ", "));
    }
    const size_t n = c.is_text ? c.texts.size() : c.numbers.size();
    if (n != batch.rows) {
      return core::InvalidArgument("feature '{}' has {} values, expected one per row ({})", c.name,
                                   n, batch.rows);
    }
  }
  return core::Status::Ok();
}

// A numeric feature sent as texts is fine only when every text is empty (missing).
core::Status NumericTextsAreEmpty(const data::FieldInfo& field, const FeatureColumn& in) {
  for (size_t r = 0; r < in.texts.size(); ++r) {
    if (!in.texts[r].empty()) {
      return core::InvalidArgument(
          "feature '{}' is numeric but row {} has the text \"{}\"; send a number (or null for a "
          "missing value)",
          field.name, r, in.texts[r]);
    }
  }
  return core::Status::Ok();
}

// Collects per-row scores into the servable's output tensors: "predictions" (class names, values
// or cluster indices) and, for classifiers, "probabilities"/"scores" with one column per class;
// for clustering models "distances" (to the row's cluster centre).
class OutputBuilder {
 public:
  OutputBuilder(const ml::ModelInfo& info, size_t rows, size_t width, bool probabilistic)
      : info_(info), width_(width), probabilistic_(probabilistic) {
    const auto n = static_cast<int64_t>(rows);
    if (info.label.is_clustering()) {
      labels_ = {"predictions", kInt64, {n}, {}, {}};
      scores_ = {"distances", kFp64, {n}, {}, {}};
      labels_.numbers.reserve(rows);
      scores_.numbers.reserve(rows);
    } else if (info.label.is_classification()) {
      const size_t k = info.label.num_classes();
      labels_ = {"predictions", kBytes, {n}, {}, {}};
      labels_.texts.reserve(rows);
      scores_ = {
          probabilistic ? "probabilities" : "scores", kFp64, {n, static_cast<int64_t>(k)}, {}, {}};
      scores_.numbers.reserve(rows * k);
    } else {
      labels_ = {"predictions", kFp64, {n}, {}, {}};
      labels_.numbers.reserve(rows);
    }
  }

  void Add(const double* scores, int32_t cls) {
    if (info_.label.is_clustering()) {
      labels_.numbers.push_back(cls);
      scores_.numbers.push_back(scores[0]);
      return;
    }
    if (!info_.label.is_classification()) {
      labels_.numbers.push_back(scores[0]);
      return;
    }
    labels_.texts.push_back(info_.label.classes.at(static_cast<size_t>(cls)));
    const size_t k = info_.label.num_classes();
    if (k == 2 && width_ == 1) {
      const double s = scores[0];
      scores_.numbers.push_back(probabilistic_ ? 1 - s : -s);
      scores_.numbers.push_back(s);
    } else {
      for (size_t j = 0; j < k; ++j) scores_.numbers.push_back(scores[j]);
    }
  }

  InferenceOutput Finish() {
    InferenceOutput out;
    out.outputs.push_back(std::move(labels_));
    if (info_.label.is_clustering()) out.outputs.push_back(std::move(scores_));
    if (info_.label.is_classification()) {
      out.outputs.push_back(std::move(scores_));
      out.class_names = info_.label.classes;
    }
    return out;
  }

 private:
  const ml::ModelInfo& info_;
  size_t width_;
  bool probabilistic_;
  OutputTensor labels_;
  OutputTensor scores_;
};

core::Result<data::Column> ToColumn(const data::FieldInfo& field, const FeatureColumn& in) {
  if (field.type == data::ColumnType::kNumeric) {
    if (in.is_text) {
      KILN_RETURN_IF_ERROR(NumericTextsAreEmpty(field, in));
      return data::Column::Numeric(field.name, std::vector<float>(in.texts.size(), std::nanf("")));
    }
    std::vector<float> values(in.numbers.begin(), in.numbers.end());
    return data::Column::Numeric(field.name, std::move(values));
  }
  // Categorical: codes into a per-request dictionary; the encoder matches categories by text.
  std::vector<int32_t> codes;
  std::vector<std::string> categories;
  std::unordered_map<std::string, int32_t> index;
  const size_t n = in.is_text ? in.texts.size() : in.numbers.size();
  codes.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    std::string text;
    if (in.is_text) {
      text = in.texts[r];
    } else if (!std::isnan(in.numbers[r])) {
      text = NumberText(in.numbers[r]);
    }
    if (text.empty()) {
      codes.push_back(data::kMissingCode);
      continue;
    }
    auto [it, inserted] = index.try_emplace(text, static_cast<int32_t>(categories.size()));
    if (inserted) categories.push_back(text);
    codes.push_back(it->second);
  }
  return data::Column::Categorical(field.name, std::move(codes), std::move(categories));
}

}  // namespace

KilnServable::KilnServable(std::unique_ptr<ml::Model> model, size_t memory_bytes)
    : model_(std::move(model)),
      row_predictor_(model_->MakeRowPredictor()),
      metadata_(MakeMetadata(model_->info())),
      memory_bytes_(memory_bytes) {}

core::Result<std::unique_ptr<KilnServable>> KilnServable::Load(
    const std::string& path, const ml::AlgorithmRegistry& registry) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, ml::LoadModel(path, registry));
  if (model->info().label.is_transform()) {
    return core::Unimplemented(
        "{}: {} is a transform model (its rows are features for another model, written by 'kiln "
        "transform'); serving transform models is not supported yet — serve the model trained "
        "on its output",
        path, model->info().algorithm);
  }
  if (model->info().schema.sparse) {
    return core::Unimplemented(
        "{}: serving sparse (LibSVM) models is not supported yet; the row format needs named "
        "features",
        path);
  }
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  std::unique_ptr<KilnServable> servable(
      new KilnServable(std::move(model), ec ? 0 : static_cast<size_t>(bytes)));
  if (servable->model_->info().label.is_classification()) {
    // Models without probabilities (linear SVMs) answer "scores": predict one all-missing row
    // so the metadata names the output the model really writes.
    KILN_ASSIGN_OR_RETURN(InferenceOutput out, servable->Infer(MissingRow(servable->metadata_)));
    servable->metadata_.outputs[1].name = out.outputs[1].name;
  }
  return servable;
}

core::Result<InferenceOutput> KilnServable::Infer(const FeatureBatch& batch) const {
  const ml::ModelInfo& info = model_->info();
  const std::vector<data::FieldInfo>& fields = info.schema.fields;
  // The row format hands columns over in the model's order: then each lookup is one compare.
  bool in_order = batch.columns.size() == fields.size();
  for (size_t k = 0; in_order && k < fields.size(); ++k)
    in_order = batch.columns[k].name == fields[k].name;
  KILN_RETURN_IF_ERROR(CheckFeatureNames(info, batch, /*names_known=*/in_order));
  std::vector<const FeatureColumn*> inputs(fields.size());
  std::vector<std::string> missing;
  for (size_t k = 0; k < fields.size(); ++k) {
    inputs[k] = in_order ? &batch.columns[k] : batch.Find(fields[k].name);
    if (inputs[k] == nullptr) missing.push_back(fields[k].name);
  }
  if (!missing.empty()) {
    return core::InvalidArgument("missing feature{} {} (send null for a missing value)",
                                 missing.size() == 1 ? "" : "s", core::Join(missing, ", "));
  }
  if (row_predictor_) return InferRows(batch.rows, inputs);

  std::vector<data::Column> columns;
  columns.reserve(fields.size());
  for (size_t k = 0; k < fields.size(); ++k) {
    KILN_ASSIGN_OR_RETURN(data::Column column, ToColumn(fields[k], *inputs[k]));
    columns.push_back(std::move(column));
  }
  data::Dataset dataset = data::Dataset::Dense(std::move(columns));
  core::Context ctx(core::ContextOptions{.threads = 1});
  KILN_ASSIGN_OR_RETURN(ml::Predictions p, model_->Predict(data::DatasetView(dataset), ctx));
  if (p.rows != batch.rows) {
    return core::Internal("{} returned {} predictions for {} rows", info.algorithm, p.rows,
                          batch.rows);
  }
  OutputBuilder out(info, p.rows, p.width(), p.probabilistic);
  for (size_t r = 0; r < p.rows; ++r)
    out.Add(&p.scores[r * p.width()], p.classes.empty() ? -1 : p.classes[r]);
  return out.Finish();
}

core::Result<InferenceOutput> KilnServable::InferRows(
    size_t rows, const std::vector<const FeatureColumn*>& inputs) const {
  const ml::ModelInfo& info = model_->info();
  const std::vector<data::FieldInfo>& fields = info.schema.fields;
  const size_t n_fields = fields.size();
  for (size_t k = 0; k < n_fields; ++k) {
    if (fields[k].type == data::ColumnType::kNumeric && inputs[k]->is_text)
      KILN_RETURN_IF_ERROR(NumericTextsAreEmpty(fields[k], *inputs[k]));
  }
  std::vector<double> numbers(n_fields, std::nan(""));
  std::vector<std::string_view> texts(n_fields);
  std::vector<std::string> number_texts;  // categorical values sent as numbers
  const size_t width = row_predictor_->width();
  std::vector<double> scores(width);
  OutputBuilder out(info, rows, width, row_predictor_->probabilistic());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < n_fields; ++k) {
      const FeatureColumn& in = *inputs[k];
      if (fields[k].type == data::ColumnType::kNumeric) {
        numbers[k] = in.is_text ? std::nan("") : in.numbers[r];
      } else if (in.is_text) {
        texts[k] = in.texts[r];
      } else if (std::isnan(in.numbers[r])) {
        texts[k] = {};
      } else {
        if (number_texts.empty()) number_texts.resize(n_fields);
        number_texts[k] = NumberText(in.numbers[r]);
        texts[k] = number_texts[k];
      }
    }
    const int32_t cls = row_predictor_->Predict(numbers, texts, scores);
    out.Add(scores.data(), cls);
  }
  return out.Finish();
}

}  // namespace kiln::serve
