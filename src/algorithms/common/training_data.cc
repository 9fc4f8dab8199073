#include "training_data.h"

#include <algorithm>
#include <cmath>

#include "kiln/core/strings.h"
#include "kiln/dist/agreement.h"
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
  std::vector<double> count(classes.size(), 0.0);
  for (int32_t c : y) count[static_cast<size_t>(c)] += 1;
  return ParseClassWeights(text, classes, count);
}

core::Result<std::vector<double>> ParseClassWeights(const std::string& text,
                                                    const std::vector<std::string>& classes,
                                                    const std::vector<double>& count) {
  const size_t k = classes.size();
  double rows = 0;
  for (double v : count) rows += v;
  std::vector<double> w(k, 1.0);
  const std::string t(core::Trim(text));
  if (t.empty() || t == "none") return w;
  if (t == "balanced") {
    for (size_t c = 0; c < k; ++c)
      w[c] = count[c] > 0 ? rows / (static_cast<double>(k) * count[c]) : 1;
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

namespace {

// The steps of PrepareTrainingData that only look at this rank's rows and can fail on one rank:
// label encoding and weight checks. Class indices need the (global) label info.
core::Status EncodeLocal(const std::string& algorithm, const PrepareOptions& options,
                         const data::DatasetView& view, dist::Collective* collective,
                         TrainingData& out) {
  if (view.size() == 0) {
    if (collective != nullptr && collective->size() > 1) {
      return core::DataError(
          "{}: this rank's shard has no training rows; every rank needs at least one row (use "
          "fewer ranks or workers than rows)",
          algorithm);
    }
    return core::DataError("{}: there are no training rows", algorithm);
  }
  if (options.target == Target::kClasses) {
    KILN_ASSIGN_OR_RETURN(out.classes, ml::EncodeClasses(out.info.label, view));
  } else if (options.target == Target::kNumeric) {
    KILN_ASSIGN_OR_RETURN(out.targets, ml::EncodeTargets(out.info.label, view));
  }
  for (size_t i = 0; i < view.size(); ++i) {
    const double w = view.weight(i);
    if (!std::isfinite(w) || w < 0) {
      return core::DataError("{}: sample weight {} is not a finite number >= 0",
                             view.dataset().Where(view.row(i)), core::FormatDouble(w));
    }
  }
  return core::Status::Ok();
}

// `local` agreed over the collective (every rank gets the lowest failing rank's error), or as it
// is without one.
core::Status Agree(dist::Collective* collective, core::Status local) {
  if (collective == nullptr) return local;
  return dist::AgreeOnStatus(*collective, local);
}

}  // namespace

core::Result<TrainingData> PrepareTrainingData(const std::string& algorithm,
                                               const core::ParamMap& params,
                                               const PrepareOptions& options,
                                               const ml::TrainInput& input, core::Context& ctx) {
  const data::DatasetView& view = input.train;
  dist::Collective* collective = input.collective;
  TrainingData out;
  out.info.algorithm = algorithm;
  out.info.params = params.ToJson();
  out.info.schema = view.dataset().schema();
  const bool classification = options.target == Target::kClasses;
  // Without a collective these are the single-process checks; with one, every step that can fail
  // on one rank is agreed before the next collective call, so a bad shard fails every rank alike.
  core::Status label_status;
  if (view.size() == 0) {
    label_status = EncodeLocal(algorithm, options, view, collective, out);
  } else if (options.target == Target::kNumeric) {
    auto label = ml::FitRegressionLabel(view);
    if (label.ok()) out.info.label = std::move(label).value();
    label_status = label.status();
  } else if (options.target == Target::kNone) {
    out.info.label.task = ml::Task::kClustering;
    if (const data::Column* label = view.dataset().label()) out.info.label.name = label->name;
  }
  KILN_RETURN_IF_ERROR(Agree(collective, label_status));
  if (classification) {
    KILN_ASSIGN_OR_RETURN(out.info.label, ml::FitClassLabels(view, 1000, collective));
  }
  KILN_RETURN_IF_ERROR(Agree(collective, EncodeLocal(algorithm, options, view, collective, out)));
  KILN_ASSIGN_OR_RETURN(out.encoder, ml::FeatureEncoder::Fit(view, options.encoder, collective));
  KILN_RETURN_IF_ERROR(Agree(collective, [&] {
    auto x = out.encoder.Transform(view, ctx.pool());
    if (x.ok()) out.x = std::move(x).value();
    return x.status();
  }()));
  if (collective != nullptr && out.info.schema.sparse) {
    out.info.schema.num_sparse_features = static_cast<uint32_t>(out.encoder.num_features());
  }

  const size_t n = view.size();
  const size_t k = classification ? out.info.label.num_classes() : 0;
  // Sums over every rank: [Σ w, Σ w·cw (filled below), count per class...].
  std::vector<double> sums(2 + k, 0.0);
  out.sample_c.resize(n);
  for (size_t i = 0; i < n; ++i) {
    out.sample_c[i] = view.weight(i);
    sums[0] += out.sample_c[i];
    if (classification) sums[2 + static_cast<size_t>(out.classes[i])] += 1;
  }
  if (collective != nullptr && classification) {
    // The class counts first: 'balanced' class weights need every rank's.
    std::vector<double> counts(sums.begin() + 2, sums.end());
    KILN_RETURN_IF_ERROR(collective->AllReduce(std::span<double>(counts), dist::ReduceOp::kSum));
    std::copy(counts.begin(), counts.end(), sums.begin() + 2);
  }
  std::vector<double> class_w;
  if (classification) {
    KILN_ASSIGN_OR_RETURN(class_w,
                          ParseClassWeights(options.class_weight, out.info.label.classes,
                                            std::vector<double>(sums.begin() + 2, sums.end())));
  }
  out.c.resize(n);
  double effective = 0;
  for (size_t i = 0; i < n; ++i) {
    const double w = out.sample_c[i];
    out.c[i] = classification ? w * class_w[static_cast<size_t>(out.classes[i])] : w;
    effective += out.c[i];
  }
  sums[1] = effective;
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(
        collective->AllReduce(std::span<double>(sums.data(), 2), dist::ReduceOp::kSum));
  }
  const double total = sums[0];
  if (!(total > 0) || !(sums[1] > 0)) {
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
