#include "pca_model.h"

#include <cmath>

#include <fmt/format.h>

namespace kiln::algorithms::decomposition {
namespace {

// Models with at most this many component values list them in Describe().
constexpr size_t kDescribeValues = 100000;

core::Status CheckLoaded(const core::ArrayFileReader& file, const PcaState& s, size_t d) {
  if (s.k == 0 || d == 0 || s.mean.size() != d || s.components.size() != s.k * d ||
      s.explained_variance.size() != s.k || s.explained_variance_ratio.size() != s.k) {
    return core::Corrupt(
        "{}: the PCA model's arrays do not fit {} components of {} features (mean {}, "
        "components {}, variances {})",
        file.path(), s.k, d, s.mean.size(), s.components.size(), s.explained_variance.size());
  }
  for (double v : s.explained_variance) {
    if (!std::isfinite(v) || v < 0)
      return core::Corrupt("{}: an explained variance is not a finite number >= 0", file.path());
  }
  return core::Status::Ok();
}

}  // namespace

PcaModel::PcaModel(ml::ModelInfo info, ml::FeatureEncoder encoder, PcaState state)
    : ml::Model(std::move(info)), encoder_(std::move(encoder)), state_(std::move(state)) {}

core::Result<std::vector<double>> PcaModel::Project(const data::DatasetView& view,
                                                    core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(ml::DesignMatrix x, encoder_.Transform(view, ctx.pool()));
  const size_t n = x.rows();
  const size_t d = x.cols();
  const size_t k = state_.k;
  std::vector<double> out(n * k);
  x.Multiply(state_.components.span(), k, out, ctx.pool());
  std::vector<double> offset(k, 0.0);
  std::vector<double> scale(k, 1.0);
  for (size_t c = 0; c < k; ++c) {
    for (size_t j = 0; j < d; ++j) offset[c] += state_.mean[j] * state_.components[c * d + j];
    if (state_.whiten) {
      const double sd = std::sqrt(state_.explained_variance[c]);
      scale[c] = sd > 0 ? 1.0 / sd : 0.0;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    double* row = out.data() + i * k;
    for (size_t c = 0; c < k; ++c) row[c] = (row[c] - offset[c]) * scale[c];
  }
  return out;
}

core::Result<ml::Predictions> PcaModel::Predict(const data::DatasetView& view,
                                                core::Context& ctx) const {
  ml::Predictions out;
  out.task = ml::Task::kTransform;
  out.rows = view.size();
  out.probabilistic = false;
  KILN_ASSIGN_OR_RETURN(out.scores, Project(view, ctx));
  return out;
}

core::Result<data::Dataset> PcaModel::Transform(const data::DatasetView& view,
                                                core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(std::vector<double> projected, Project(view, ctx));
  const size_t n = view.size();
  const size_t k = state_.k;
  const std::vector<std::string> names = OutputNames();
  std::vector<data::Column> columns;
  columns.reserve(k);
  for (size_t c = 0; c < k; ++c) {
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = static_cast<float>(projected[i * k + c]);
    columns.push_back(data::Column::Numeric(names[c], std::move(values)));
  }
  return ml::WithLabelAndWeights(data::Dataset::Dense(std::move(columns)), view);
}

std::vector<std::string> PcaModel::OutputNames() const {
  std::vector<std::string> names;
  names.reserve(state_.k);
  for (size_t c = 0; c < state_.k; ++c) names.push_back(fmt::format("pc{}", c + 1));
  return names;
}

core::Status PcaModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["components"] = state_.k;
  body["num_features"] = encoder_.num_features();
  body["whiten"] = state_.whiten;
  body["noise_variance"] = state_.noise_variance;
  body["encoder"] = encoder_.ToJson();
  writer.AddArray("mean", state_.mean);
  writer.AddArray("components", state_.components);
  writer.AddArray("explained_variance", state_.explained_variance);
  writer.AddArray("explained_variance_ratio", state_.explained_variance_ratio);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> PcaModel::Load(const core::ArrayFileReader& file,
                                                        ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  if (!body.contains("components") || !body["components"].is_number_unsigned() ||
      !body.contains("encoder") || !body.contains("whiten") || !body["whiten"].is_boolean()) {
    return core::Corrupt("{}: the PCA model's body is incomplete", file.path());
  }
  auto encoder = ml::FeatureEncoder::FromJson(body["encoder"]);
  if (!encoder.ok()) return core::Status(encoder.status()).AddContext("in " + file.path());
  PcaState s;
  s.k = body["components"].get<size_t>();
  s.whiten = body["whiten"].get<bool>();
  s.noise_variance = body.value("noise_variance", 0.0);
  KILN_ASSIGN_OR_RETURN(s.mean, file.GetArray<double>("mean"));
  KILN_ASSIGN_OR_RETURN(s.components, file.GetArray<double>("components"));
  KILN_ASSIGN_OR_RETURN(s.explained_variance, file.GetArray<double>("explained_variance"));
  KILN_ASSIGN_OR_RETURN(s.explained_variance_ratio,
                        file.GetArray<double>("explained_variance_ratio"));
  KILN_RETURN_IF_ERROR(CheckLoaded(file, s, encoder->num_features()));
  return std::unique_ptr<ml::Model>(
      std::make_unique<PcaModel>(std::move(info), std::move(encoder).value(), std::move(s)));
}

nlohmann::json PcaModel::Describe() const {
  const size_t d = encoder_.num_features();
  nlohmann::json j;
  j["components"] = state_.k;
  j["num_features"] = d;
  j["whiten"] = state_.whiten;
  j["explained_variance"] =
      std::vector<double>(state_.explained_variance.begin(), state_.explained_variance.end());
  j["explained_variance_ratio"] = std::vector<double>(state_.explained_variance_ratio.begin(),
                                                      state_.explained_variance_ratio.end());
  j["noise_variance"] = state_.noise_variance;
  if (state_.k * d > kDescribeValues) {
    j["axes_omitted"] = true;
    return j;
  }
  j["features"] = encoder_.FeatureNames();
  nlohmann::json axes = nlohmann::json::array();
  for (size_t c = 0; c < state_.k; ++c) {
    axes.push_back(std::vector<double>(state_.components.begin() + c * d,
                                       state_.components.begin() + (c + 1) * d));
  }
  j["axes"] = std::move(axes);
  return j;
}

}  // namespace kiln::algorithms::decomposition
