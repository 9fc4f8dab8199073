#include "training_data.h"

#include <algorithm>
#include <cmath>

#include "kiln/core/strings.h"
#include "kiln/ml/labels.h"

namespace kiln::algorithms {

void AddCategoryParams(core::ParamSpec& spec) {
  spec.Int("max_onehot", 64,
           "Categorical columns with at most this many categories are one-hot encoded; more are "
           "hashed into hash_buckets features.")
      .Min(0);
  spec.Int("hash_buckets", 1024,
           "Buckets for hashing high-cardinality categorical columns (xxHash of column and value).")
      .Min(1)
      .Max(1 << 24);
}

ml::FeatureEncoderOptions CategoryOptions(const core::ParamMap& params, bool standardize) {
  ml::FeatureEncoderOptions o;
  o.standardize = standardize;
  o.max_onehot = params.GetInt("max_onehot");
  o.hash_buckets = params.GetInt("hash_buckets");
  return o;
}

core::Result<std::vector<double>> ParseClassWeights(const std::string& text,
                                                    const std::vector<std::string>& classes,
                                                    const std::vector<int32_t>& y) {
  const size_t k = classes.size();
  std::vector<double> w(k, 1.0);
  const std::string t(core::Trim(text));
  if (t.empty() || t == "none") return w;
  if (t == "balanced") {
    std::vector<double> count(k, 0.0);
    for (int32_t c : y) count[static_cast<size_t>(c)] += 1;
    for (size_t c = 0; c < k; ++c)
      w[c] = count[c] > 0 ? static_cast<double>(y.size()) / (static_cast<double>(k) * count[c]) : 1;
    return w;
  }
  for (const std::string& part : core::Split(t, ',')) {
    const size_t colon = part.rfind(':');
    if (colon == std::string::npos) {
      return core::InvalidArgument(
          "parameter 'class_weight': expected 'none', 'balanced' or 'CLASS:W,CLASS:W', found "
          "'{}'",
          core::Excerpt(part));
    }
    const std::string name(core::Trim(std::string_view(part).substr(0, colon)));
    const auto value = core::ParseDouble(std::string_view(part).substr(colon + 1));
    if (!value || !std::isfinite(*value) || *value < 0) {
      return core::InvalidArgument(
          "parameter 'class_weight': the weight of class '{}' must be a number >= 0, found '{}'",
          name, core::Excerpt(part.substr(colon + 1)));
    }
    auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) {
      return core::InvalidArgument(
          "parameter 'class_weight' names class '{}', which is not in the training labels; "
          "classes: {}",
          name, core::Join(classes, ", "));
    }
    w[static_cast<size_t>(it - classes.begin())] = *value;
  }
  return w;
}

core::Result<TrainingData> PrepareTrainingData(const std::string& algorithm,
                                               const core::ParamMap& params,
                                               const PrepareOptions& options,
                                               const ml::TrainInput& input, core::Context& ctx) {
  const data::DatasetView& view = input.train;
  if (view.size() == 0) return core::DataError("{}: there are no training rows", algorithm);
  TrainingData out;
  out.info.algorithm = algorithm;
  out.info.params = params.ToJson();
  out.info.schema = view.dataset().schema();
  const bool classification = options.target == Target::kClasses;
  if (options.target == Target::kClasses) {
    KILN_ASSIGN_OR_RETURN(out.info.label, ml::FitClassLabels(view));
    KILN_ASSIGN_OR_RETURN(out.classes, ml::EncodeClasses(out.info.label, view));
  } else if (options.target == Target::kNumeric) {
    KILN_ASSIGN_OR_RETURN(out.info.label, ml::FitRegressionLabel(view));
    KILN_ASSIGN_OR_RETURN(out.targets, ml::EncodeTargets(out.info.label, view));
  } else {
    out.info.label.task = ml::Task::kClustering;
    if (const data::Column* label = view.dataset().label()) out.info.label.name = label->name;
  }
  KILN_ASSIGN_OR_RETURN(out.encoder, ml::FeatureEncoder::Fit(view, options.encoder));
  KILN_ASSIGN_OR_RETURN(out.x, out.encoder.Transform(view, ctx.pool()));

  std::vector<double> class_w;
  if (classification) {
    KILN_ASSIGN_OR_RETURN(
        class_w, ParseClassWeights(options.class_weight, out.info.label.classes, out.classes));
  }
  const size_t n = view.size();
  out.c.resize(n);
  out.sample_c.resize(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const double w = view.weight(i);
    if (!std::isfinite(w) || w < 0) {
      return core::DataError("{}: sample weight {} is not a finite number >= 0",
                             view.dataset().Where(view.row(i)), core::FormatDouble(w));
    }
    out.sample_c[i] = w;
    out.c[i] = classification ? w * class_w[static_cast<size_t>(out.classes[i])] : w;
    total += w;
  }
  double effective = 0;
  for (double v : out.c) effective += v;
  if (!(total > 0) || !(effective > 0)) {
    return core::DataError("{}: the training rows' weights sum to zero; nothing to learn from",
                           algorithm);
  }
  for (double& v : out.c) v /= total;
  for (double& v : out.sample_c) v /= total;
  out.class_weights = std::move(class_w);
  out.total_weight = total;
  return out;
}

}  // namespace kiln::algorithms
