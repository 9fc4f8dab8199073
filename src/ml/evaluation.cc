#include "kiln/ml/evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/core/random.h"
#include "kiln/core/strings.h"
#include "kiln/ml/clustering.h"
#include "kiln/ml/labels.h"
#include "kiln/ml/metrics.h"

namespace kiln::ml {
namespace {

constexpr size_t kMaxConfusionClasses = 20;
constexpr size_t kMaxClassNameChars = 24;

// The predicted class of each row: from predictions.classes, or from the scores when a model
// left them out (argmax; binary: P >= 0.5, or a decision value >= 0).
std::vector<int32_t> PredictedClasses(const Predictions& p, size_t k) {
  if (p.classes.size() == p.rows) return p.classes;
  std::vector<int32_t> out(p.rows, 0);
  const size_t width = p.width();
  for (size_t i = 0; i < p.rows; ++i) {
    if (k == 2 && width == 1) {
      out[i] = p.score(i) >= (p.probabilistic ? 0.5 : 0.0) ? 1 : 0;
    } else {
      size_t best = 0;
      for (size_t c = 1; c < width; ++c) {
        if (p.score(i, c) > p.score(i, best)) best = c;
      }
      out[i] = static_cast<int32_t>(best);
    }
  }
  return out;
}

core::Status CheckShape(const LabelInfo& label, const data::DatasetView& view,
                        const Predictions& p) {
  if (p.rows != view.size()) {
    return core::InvalidArgument("predictions have {} rows but the data has {}; they must match",
                                 p.rows, view.size());
  }
  if (p.task != label.task) {
    return core::InvalidArgument("predictions are for a {} task but the label is {}",
                                 TaskName(p.task), TaskName(label.task));
  }
  if (p.rows == 0) return core::DataError("there are no rows to evaluate");
  if (label.is_clustering() && p.classes.size() != p.rows) {
    return core::InvalidArgument("predictions have {} clusters for {} rows", p.classes.size(),
                                 p.rows);
  }
  const size_t want = label.task == Task::kMulticlass ? label.num_classes() : 1;
  if (p.scores.size() != p.rows * want) {
    return core::InvalidArgument("predictions have {} scores for {} rows; expected {} per row",
                                 p.scores.size(), p.rows, want);
  }
  if (!p.classes.empty() && p.classes.size() != p.rows) {
    return core::InvalidArgument("predictions have {} classes for {} rows", p.classes.size(),
                                 p.rows);
  }
  return core::Status::Ok();
}

void AddClassification(const LabelInfo& label, const Predictions& p,
                       const std::vector<int32_t>& truth, std::span<const float> w,
                       Evaluation& ev) {
  namespace m = metrics;
  const size_t k = label.num_classes();
  const std::vector<int32_t> predicted = PredictedClasses(p, k);
  ev.classes = label.classes;
  ev.confusion = m::ConfusionMatrix(predicted, truth, k, w);
  const double accuracy = m::Accuracy(predicted, truth, w);
  if (label.task == Task::kBinary) {
    ev.metrics.emplace_back("auc", m::RocAuc(p.scores, truth, w));
    if (p.probabilistic) ev.metrics.emplace_back("logloss", m::BinaryLogLoss(p.scores, truth, w));
    ev.metrics.emplace_back("accuracy", accuracy);
    const auto prf = m::ComputePrecisionRecallF1(ev.confusion, m::Average::kBinary, 1);
    ev.metrics.emplace_back("precision", prf.precision);
    ev.metrics.emplace_back("recall", prf.recall);
    ev.metrics.emplace_back("f1", prf.f1);
    return;
  }
  ev.metrics.emplace_back("accuracy", accuracy);
  if (p.probabilistic) {
    ev.metrics.emplace_back("logloss", m::MulticlassLogLoss(p.scores, k, truth, w));
  }
  const auto macro = m::ComputePrecisionRecallF1(ev.confusion, m::Average::kMacro);
  const auto micro = m::ComputePrecisionRecallF1(ev.confusion, m::Average::kMicro);
  const auto weighted = m::ComputePrecisionRecallF1(ev.confusion, m::Average::kWeighted);
  ev.metrics.emplace_back("f1_macro", macro.f1);
  ev.metrics.emplace_back("f1_micro", micro.f1);
  ev.metrics.emplace_back("f1_weighted", weighted.f1);
  ev.metrics.emplace_back("precision_macro", macro.precision);
  ev.metrics.emplace_back("recall_macro", macro.recall);
}

// The label column's values as integer ids (for the adjusted Rand index); rows without a label
// get -1.
std::vector<int32_t> TruthIds(const data::DatasetView& view) {
  const data::Column& label = *view.dataset().label();
  std::vector<int32_t> out(view.size(), -1);
  if (label.type == data::ColumnType::kCategorical) {
    for (size_t i = 0; i < view.size(); ++i) out[i] = label.codes[view.row(i)];
    return out;
  }
  std::map<float, int32_t> ids;
  for (size_t i = 0; i < view.size(); ++i) {
    const float v = label.values[view.row(i)];
    if (std::isnan(v)) continue;
    out[i] = ids.emplace(v, static_cast<int32_t>(ids.size())).first->second;
  }
  return out;
}

void AddClustering(const data::DatasetView& view, const Predictions& p, std::span<const float> w,
                   Evaluation& ev) {
  double inertia = 0;
  double distance = 0;
  double total = 0;
  for (size_t i = 0; i < p.rows; ++i) {
    const double wi = w.empty() ? 1.0 : double{w[i]};
    inertia += wi * p.scores[i] * p.scores[i];
    distance += wi * p.scores[i];
    total += wi;
  }
  ev.metrics.emplace_back("inertia", inertia);
  ev.metrics.emplace_back("mean_distance", total > 0 ? distance / total : std::nan(""));
  if (view.dataset().label() == nullptr) return;
  const std::vector<int32_t> truth = TruthIds(view);
  std::vector<int32_t> t, c;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0) continue;
    t.push_back(truth[i]);
    c.push_back(p.classes[i]);
  }
  if (!t.empty()) ev.metrics.emplace_back("adjusted_rand", metrics::AdjustedRandIndex(t, c));
}

// A count for the confusion table: an integer when it is one (unweighted), else 2 decimals.
std::string FormatCount(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.2f}", v);
}

std::string FormatMetric(double v) {
  if (std::isnan(v)) return "n/a";
  return fmt::format("{:.6f}", v);
}

std::string ConfusionTable(const Evaluation& ev) {
  const size_t k = ev.classes.size();
  std::vector<std::string> names;
  for (const auto& c : ev.classes) names.push_back(core::Excerpt(c, kMaxClassNameChars));
  const std::string corner = "true \\ predicted";
  size_t first_width = corner.size();
  for (const auto& n : names) first_width = std::max(first_width, n.size());
  std::vector<size_t> widths(k);
  for (size_t c = 0; c < k; ++c) {
    widths[c] = names[c].size();
    for (size_t t = 0; t < k; ++t)
      widths[c] = std::max(widths[c], FormatCount(ev.confusion[t][c]).size());
  }
  std::string out = "confusion matrix (rows: true class, columns: predicted class)\n";
  out += fmt::format("  {:<{}}", corner, first_width);
  for (size_t c = 0; c < k; ++c) out += fmt::format("  {:>{}}", names[c], widths[c]);
  out += '\n';
  for (size_t t = 0; t < k; ++t) {
    out += fmt::format("  {:<{}}", names[t], first_width);
    for (size_t c = 0; c < k; ++c) {
      out += fmt::format("  {:>{}}", FormatCount(ev.confusion[t][c]), widths[c]);
    }
    out += '\n';
  }
  return out;
}

}  // namespace

double Evaluation::Get(std::string_view name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

nlohmann::json Evaluation::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : metrics) {
    j[key] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  }
  return j;
}

std::string Evaluation::ToTable() const {
  size_t name_width = std::string_view("metric").size();
  for (const auto& [key, _] : metrics) name_width = std::max(name_width, key.size());
  std::string out = fmt::format("{:<{}}  {}\n", "metric", name_width, "value");
  for (const auto& [key, value] : metrics) {
    out += fmt::format("{:<{}}  {}\n", key, name_width, FormatMetric(value));
  }
  if (!classes.empty() && confusion.size() == classes.size()) {
    out += '\n';
    if (classes.size() <= kMaxConfusionClasses) {
      out += ConfusionTable(*this);
    } else {
      out += fmt::format("confusion matrix omitted: {} classes (shown for up to {})\n",
                         classes.size(), kMaxConfusionClasses);
    }
  }
  return out;
}

core::Result<Evaluation> Evaluate(const LabelInfo& label, const data::DatasetView& view,
                                  const Predictions& predictions) {
  KILN_RETURN_IF_ERROR(CheckShape(label, view, predictions));
  std::vector<float> weights;
  if (view.dataset().has_weights()) {
    weights.resize(view.size());
    for (size_t i = 0; i < view.size(); ++i) weights[i] = view.weight(i);
  }
  Evaluation ev;
  ev.task = label.task;
  ev.rows = view.size();
  if (label.is_clustering()) {
    AddClustering(view, predictions, weights, ev);
    return ev;
  }
  if (label.is_classification()) {
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> truth, EncodeClasses(label, view));
    AddClassification(label, predictions, truth, weights, ev);
    return ev;
  }
  KILN_ASSIGN_OR_RETURN(std::vector<double> targets, EncodeTargets(label, view));
  std::span<const double> predicted(predictions.scores);
  ev.metrics.emplace_back("rmse", metrics::Rmse(predicted, targets, weights));
  ev.metrics.emplace_back("mae", metrics::Mae(predicted, targets, weights));
  ev.metrics.emplace_back("r2", metrics::R2(predicted, targets, weights));
  return ev;
}

}  // namespace kiln::ml

namespace kiln::ml {

core::Result<Evaluation> EvaluateModel(const Model& model, const data::DatasetView& view,
                                       const Predictions& predictions, core::Context& ctx) {
  KILN_ASSIGN_OR_RETURN(Evaluation ev, Evaluate(model.info().label, view, predictions));
  const auto* clusters = dynamic_cast<const ClusterModel*>(&model);
  if (clusters == nullptr) return ev;
  // The silhouette is quadratic in the rows: a seeded sample of them (all when few).
  std::vector<uint32_t> positions(view.size());
  std::iota(positions.begin(), positions.end(), 0u);
  if (positions.size() > kSilhouetteSample) {
    core::Rng rng(ctx.seed());
    for (size_t i = 0; i < kSilhouetteSample; ++i) {
      std::swap(positions[i], positions[i + rng.UniformInt(positions.size() - i)]);
    }
    positions.resize(kSilhouetteSample);
    std::sort(positions.begin(), positions.end());
  }
  const data::DatasetView sample = view.Select(positions);
  KILN_ASSIGN_OR_RETURN(DesignMatrix points, clusters->Points(sample, ctx));
  std::vector<int32_t> assigned(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) assigned[i] = predictions.classes[positions[i]];
  ev.metrics.emplace_back("silhouette", metrics::Silhouette(points, assigned, ctx.pool()));
  return ev;
}

}  // namespace kiln::ml
