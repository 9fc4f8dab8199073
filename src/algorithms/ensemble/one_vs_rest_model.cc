#include "one_vs_rest_model.h"

#include <algorithm>

#include <fmt/format.h>

#include "kiln/ml/model_io.h"

namespace kiln::algorithms::ensemble {
namespace {

std::string PartPrefix(size_t k) { return fmt::format("part{}/", k); }

class OneVsRestRowPredictor final : public ml::RowPredictor {
 public:
  OneVsRestRowPredictor(const OneVsRestModel& model,
                        std::vector<std::unique_ptr<ml::RowPredictor>> parts)
      : model_(model), parts_(std::move(parts)) {}

  size_t width() const override { return model_.width(); }
  bool probabilistic() const override { return model_.probabilistic(); }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override {
    std::vector<double> part_scores(parts_.size());
    for (size_t k = 0; k < parts_.size(); ++k) {
      parts_[k]->Predict(numbers, texts, std::span<double>(&part_scores[k], 1));
    }
    return model_.Combine(part_scores.data(), scores.data());
  }

 private:
  const OneVsRestModel& model_;
  std::vector<std::unique_ptr<ml::RowPredictor>> parts_;
};

}  // namespace

ml::ModelInfo PartInfo(const ml::ModelInfo& ensemble, const std::string& base,
                       const nlohmann::json& params, const ml::LabelInfo& label) {
  ml::ModelInfo info;
  info.algorithm = base;
  info.params = params;
  info.label = label;
  info.schema = ensemble.schema;
  return info;
}

OneVsRestModel::OneVsRestModel(ml::ModelInfo info, std::string base,
                               std::vector<std::unique_ptr<ml::Model>> parts, bool probabilistic)
    : ml::Model(std::move(info)),
      base_(std::move(base)),
      parts_(std::move(parts)),
      probabilistic_(probabilistic) {}

int32_t OneVsRestModel::Combine(const double* part_scores, double* scores) const {
  const size_t k = parts_.size();
  if (k == 1) {
    scores[0] = part_scores[0];
    return part_scores[0] > (probabilistic_ ? 0.5 : 0.0) ? 1 : 0;
  }
  const auto best =
      static_cast<int32_t>(std::max_element(part_scores, part_scores + k) - part_scores);
  if (!probabilistic_) {
    std::copy_n(part_scores, k, scores);
    return best;
  }
  double total = 0;
  for (size_t c = 0; c < k; ++c) total += part_scores[c];
  for (size_t c = 0; c < k; ++c) {
    scores[c] = total > 0 ? part_scores[c] / total : 1.0 / static_cast<double>(k);
  }
  return best;
}

core::Result<ml::Predictions> OneVsRestModel::Predict(const data::DatasetView& view,
                                                      core::Context& ctx) const {
  const size_t k = parts_.size();
  std::vector<ml::Predictions> each(k);
  for (size_t c = 0; c < k; ++c) {
    KILN_ASSIGN_OR_RETURN(each[c], parts_[c]->Predict(view, ctx));
    if (each[c].width() > 1 || each[c].rows != view.size()) {
      return core::Internal("one_vs_rest: part {} returned {} scores for {} rows", c,
                            each[c].scores.size(), view.size());
    }
  }
  const size_t n = view.size();
  const size_t w = width();
  ml::Predictions out;
  out.task = info().label.task;
  out.rows = n;
  out.probabilistic = probabilistic_;
  out.scores.resize(n * w);
  out.classes.resize(n);
  std::vector<double> row(k);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < k; ++c) row[c] = each[c].scores[i];
    out.classes[i] = Combine(row.data(), out.scores.data() + i * w);
  }
  return out;
}

std::unique_ptr<ml::RowPredictor> OneVsRestModel::MakeRowPredictor() const {
  std::vector<std::unique_ptr<ml::RowPredictor>> parts;
  for (const auto& p : parts_) {
    auto r = p->MakeRowPredictor();
    if (r == nullptr || r->width() != 1) return nullptr;
    parts.push_back(std::move(r));
  }
  return std::make_unique<OneVsRestRowPredictor>(*this, std::move(parts));
}

core::Status OneVsRestModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["base"] = base_;
  body["probabilistic"] = probabilistic_;
  nlohmann::json parts = nlohmann::json::array();
  for (size_t k = 0; k < parts_.size(); ++k) {
    // Each part writes into a writer of its own; its arrays move into this file under a prefix.
    core::ArrayFileWriter part(ml::kModelMagic, ml::kModelFormatVersion);
    part.meta()["body"] = nlohmann::json::object();
    KILN_RETURN_IF_ERROR(parts_[k]->Save(part));
    parts.push_back({{"params", parts_[k]->info().params},
                     {"label", parts_[k]->info().label.ToJson()},
                     {"body", part.meta()["body"]}});
    writer.AddArraysOf(part, PartPrefix(k));
  }
  body["parts"] = std::move(parts);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> OneVsRestModel::Load(const core::ArrayFileReader& file,
                                                              ml::ModelInfo info,
                                                              const ml::AlgorithmFactory& base) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  if (!body.contains("base") || !body["base"].is_string() || !body.contains("parts") ||
      !body["parts"].is_array() || !body.contains("probabilistic") ||
      !body["probabilistic"].is_boolean()) {
    return core::Corrupt("{}: the one-vs-rest model's body is incomplete", file.path());
  }
  const std::string name = body["base"].get<std::string>();
  const nlohmann::json& list = body["parts"];
  const size_t want = info.label.task == ml::Task::kBinary ? 1 : info.label.num_classes();
  if (list.size() != want) {
    return core::Corrupt("{}: {} parts for {} classes", file.path(), list.size(),
                         info.label.num_classes());
  }
  std::vector<std::unique_ptr<ml::Model>> parts;
  for (size_t k = 0; k < list.size(); ++k) {
    const nlohmann::json& p = list[k];
    if (!p.is_object() || !p.contains("label") || !p.contains("body")) {
      return core::Corrupt("{}: part {} of the one-vs-rest model is incomplete", file.path(), k);
    }
    auto label = ml::LabelInfo::FromJson(p["label"]);
    if (!label.ok()) return core::Status(label.status()).AddContext("in " + file.path());
    const std::shared_ptr<core::ArrayFileReader> nested =
        file.Nested(PartPrefix(k), {{"body", p["body"]}});
    auto part = base.load(
        *nested, PartInfo(info, name, p.value("params", nlohmann::json::object()), *label));
    if (!part.ok()) {
      return core::Status(part.status()).AddContext(fmt::format("in part {} ({})", k, name));
    }
    parts.push_back(std::move(part).value());
  }
  const bool probabilistic = body["probabilistic"].get<bool>();
  return std::unique_ptr<ml::Model>(
      std::make_unique<OneVsRestModel>(std::move(info), name, std::move(parts), probabilistic));
}

nlohmann::json OneVsRestModel::Describe() const {
  nlohmann::json j;
  j["base"] = base_;
  j["probabilistic"] = probabilistic_;
  nlohmann::json parts = nlohmann::json::array();
  for (size_t k = 0; k < parts_.size(); ++k) {
    const std::string& cls = info().label.classes[parts_.size() == 1 ? 1 : k];
    parts.push_back({{"class", cls}, {"model", parts_[k]->Describe()}});
  }
  j["parts"] = std::move(parts);
  return j;
}

}  // namespace kiln::algorithms::ensemble
