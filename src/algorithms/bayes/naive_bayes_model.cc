#include "naive_bayes_model.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kiln/ml/row_encoder.h"

namespace kiln::algorithms::bayes {
namespace {

// Models with at most this many features list their per-class parameters in Describe().
constexpr size_t kDescribeFeatures = 1000;
constexpr size_t kRowBlock = 1024;

std::vector<double> Row(const core::Array<double>& a, size_t c, size_t d) {
  return std::vector<double>(a.begin() + c * d, a.begin() + (c + 1) * d);
}

class NaiveBayesRowPredictor final : public ml::RowPredictor {
 public:
  NaiveBayesRowPredictor(const NaiveBayesModel& model, std::unique_ptr<ml::RowEncoder> encoder)
      : model_(model), encoder_(std::move(encoder)) {}

  size_t width() const override { return model_.width(); }
  bool probabilistic() const override { return true; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override {
    const NaiveBayesState& s = model_.state();
    std::vector<double> jll(s.classes);
    if (s.variant == Variant::kGaussian) {
      std::vector<float> row(s.features);
      encoder_->EncodeDense(numbers, texts, row);
      model_.GaussianJll(row.data(), jll.data());
    } else {
      ml::SparseRow entries;
      entries.Assign(*encoder_, numbers, texts);
      model_.DiscreteJll(entries.features, entries.values, jll.data());
    }
    return model_.Finish(jll.data(), scores.data());
  }

 private:
  const NaiveBayesModel& model_;
  std::unique_ptr<ml::RowEncoder> encoder_;
};

}  // namespace

std::string_view VariantName(Variant variant) {
  switch (variant) {
    case Variant::kGaussian:
      return "gaussian";
    case Variant::kMultinomial:
      return "multinomial";
    case Variant::kBernoulli:
      return "bernoulli";
  }
  return "gaussian";
}

core::Result<Variant> ParseVariant(std::string_view name) {
  for (Variant v : {Variant::kGaussian, Variant::kMultinomial, Variant::kBernoulli}) {
    if (VariantName(v) == name) return v;
  }
  return core::Corrupt("unknown naive Bayes variant '{}' in the model body", name);
}

NaiveBayesModel::NaiveBayesModel(ml::ModelInfo info, ml::FeatureEncoder encoder,
                                 NaiveBayesState state)
    : ml::Model(std::move(info)), encoder_(std::move(encoder)), s_(std::move(state)) {
  const size_t k = s_.classes;
  const size_t d = s_.features;
  base_.assign(s_.class_log_prior.begin(), s_.class_log_prior.end());
  if (s_.variant == Variant::kGaussian) {
    for (size_t c = 0; c < k; ++c) {
      double norm = 0;
      for (size_t j = 0; j < d; ++j) norm += std::log(2.0 * std::numbers::pi * s_.var[c * d + j]);
      base_[c] += -0.5 * norm;
    }
  } else if (s_.variant == Variant::kBernoulli) {
    delta_.resize(k * d);
    for (size_t c = 0; c < k; ++c) {
      double absent = 0;
      for (size_t j = 0; j < d; ++j) {
        const double lp = s_.feature_log_prob[c * d + j];
        const double neg = std::log(1.0 - std::exp(lp));
        delta_[c * d + j] = lp - neg;
        absent += neg;
      }
      base_[c] += absent;
    }
  }
}

void NaiveBayesModel::GaussianJll(const float* row, double* jll) const {
  const size_t d = s_.features;
  for (size_t c = 0; c < s_.classes; ++c) {
    const double* theta = s_.theta.data() + c * d;
    const double* var = s_.var.data() + c * d;
    double sq = 0;
    for (size_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(row[j]) - theta[j];
      sq += diff * diff / var[j];
    }
    jll[c] = base_[c] - 0.5 * sq;
  }
}

void NaiveBayesModel::DiscreteJll(std::span<const uint32_t> features, std::span<const float> values,
                                  double* jll) const {
  const size_t d = s_.features;
  const bool bernoulli = s_.variant == Variant::kBernoulli;
  for (size_t c = 0; c < s_.classes; ++c) {
    double z = 0;
    if (bernoulli) {
      const double* delta = delta_.data() + c * d;
      for (size_t q = 0; q < features.size(); ++q) {
        if (values[q] > s_.binarize) z += delta[features[q]];
      }
    } else {
      const double* lp = s_.feature_log_prob.data() + c * d;
      for (size_t q = 0; q < features.size(); ++q)
        z += static_cast<double>(values[q]) * lp[features[q]];
    }
    jll[c] = base_[c] + z;
  }
}

int32_t NaiveBayesModel::Finish(double* jll, double* scores) const {
  const size_t k = s_.classes;
  const auto best = static_cast<size_t>(std::max_element(jll, jll + k) - jll);
  // logsumexp as scipy computes it: log Σ exp(jll − max) + max.
  const double m = jll[best];
  double sum = 0;
  for (size_t c = 0; c < k; ++c) sum += std::exp(jll[c] - m);
  const double lse = std::log(sum) + m;
  if (k == 2) {
    scores[0] = std::exp(jll[1] - lse);
  } else {
    for (size_t c = 0; c < k; ++c) scores[c] = std::exp(jll[c] - lse);
  }
  return static_cast<int32_t>(best);
}

core::Result<ml::Predictions> NaiveBayesModel::Predict(const data::DatasetView& view,
                                                       core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(ml::DesignMatrix x, encoder_.Transform(view, ctx.pool()));
  const size_t n = x.rows();
  const size_t d = s_.features;
  const size_t k = s_.classes;
  const size_t w = width();
  ml::Predictions out;
  out.task = info().label.task;
  out.rows = n;
  out.scores.resize(n * w);
  out.classes.resize(n);
  core::ParallelForBlocks(ctx.pool(), 0, n, kRowBlock, [&](size_t begin, size_t end, size_t) {
    std::vector<double> jll(k);
    std::vector<float> dense(s_.variant == Variant::kGaussian && x.is_sparse() ? d : 0);
    ml::SparseRow entries;
    for (size_t i = begin; i < end; ++i) {
      if (s_.variant == Variant::kGaussian) {
        const float* row = nullptr;
        if (x.is_sparse()) {
          std::fill(dense.begin(), dense.end(), 0.0f);
          x.ForEachInRow(i, [&](size_t j, float v) { dense[j] = v; });
          row = dense.data();
        } else {
          row = x.dense_row(i);
        }
        GaussianJll(row, jll.data());
      } else {
        entries.Assign(x, i);
        DiscreteJll(entries.features, entries.values, jll.data());
      }
      out.classes[i] = Finish(jll.data(), out.scores.data() + i * w);
    }
  });
  return out;
}

std::unique_ptr<ml::RowPredictor> NaiveBayesModel::MakeRowPredictor() const {
  auto encoder = ml::RowEncoder::Make(encoder_, info().schema.fields);
  if (encoder == nullptr) return nullptr;
  return std::make_unique<NaiveBayesRowPredictor>(*this, std::move(encoder));
}

core::Status NaiveBayesModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["variant"] = VariantName(s_.variant);
  body["classes"] = s_.classes;
  body["num_features"] = s_.features;
  body["binarize"] = s_.binarize;
  body["encoder"] = encoder_.ToJson();
  writer.AddArray("class_log_prior", s_.class_log_prior);
  if (s_.variant == Variant::kGaussian) {
    writer.AddArray("theta", s_.theta);
    writer.AddArray("var", s_.var);
  } else {
    writer.AddArray("feature_log_prob", s_.feature_log_prob);
  }
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> NaiveBayesModel::Load(const core::ArrayFileReader& file,
                                                               ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  if (!body.contains("variant") || !body["variant"].is_string() || !body.contains("classes") ||
      !body["classes"].is_number_unsigned() || !body.contains("encoder") ||
      !body.contains("binarize") || !body["binarize"].is_number()) {
    return core::Corrupt("{}: the naive Bayes model's body is incomplete", file.path());
  }
  NaiveBayesState s;
  KILN_ASSIGN_OR_RETURN(s.variant, ParseVariant(body["variant"].get<std::string>()));
  s.classes = body["classes"].get<size_t>();
  s.binarize = body["binarize"].get<double>();
  auto encoder = ml::FeatureEncoder::FromJson(body["encoder"]);
  if (!encoder.ok()) return core::Status(encoder.status()).AddContext("in " + file.path());
  s.features = encoder->num_features();
  KILN_ASSIGN_OR_RETURN(s.class_log_prior, file.GetArray<double>("class_log_prior"));
  const size_t kd = s.classes * s.features;
  bool sizes_ok = s.classes == info.label.num_classes() && s.class_log_prior.size() == s.classes;
  if (s.variant == Variant::kGaussian) {
    KILN_ASSIGN_OR_RETURN(s.theta, file.GetArray<double>("theta"));
    KILN_ASSIGN_OR_RETURN(s.var, file.GetArray<double>("var"));
    sizes_ok = sizes_ok && s.theta.size() == kd && s.var.size() == kd;
    for (size_t i = 0; sizes_ok && i < s.var.size(); ++i) sizes_ok = s.var[i] > 0;
  } else {
    KILN_ASSIGN_OR_RETURN(s.feature_log_prob, file.GetArray<double>("feature_log_prob"));
    sizes_ok = sizes_ok && s.feature_log_prob.size() == kd;
  }
  if (!sizes_ok) {
    return core::Corrupt(
        "{}: the naive Bayes arrays do not fit {} classes x {} features (or a variance is not "
        "positive)",
        file.path(), s.classes, s.features);
  }
  return std::unique_ptr<ml::Model>(
      std::make_unique<NaiveBayesModel>(std::move(info), std::move(encoder).value(), std::move(s)));
}

nlohmann::json NaiveBayesModel::Describe() const {
  const size_t k = s_.classes;
  const size_t d = s_.features;
  nlohmann::json j;
  j["variant"] = VariantName(s_.variant);
  j["num_features"] = d;
  std::vector<double> prior(k);
  for (size_t c = 0; c < k; ++c) prior[c] = std::exp(s_.class_log_prior[c]);
  j["class_prior"] = prior;
  if (s_.variant == Variant::kBernoulli) j["binarize"] = s_.binarize;
  if (d > kDescribeFeatures) {
    j["parameters_omitted"] = true;
    return j;
  }
  j["features"] = encoder_.FeatureNames();
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < k; ++c) {
    nlohmann::json one;
    if (s_.variant == Variant::kGaussian) {
      one["mean"] = Row(s_.theta, c, d);
      one["var"] = Row(s_.var, c, d);
    } else {
      one["feature_log_prob"] = Row(s_.feature_log_prob, c, d);
    }
    per_class[info().label.classes[c]] = std::move(one);
  }
  j["per_class"] = std::move(per_class);
  return j;
}

}  // namespace kiln::algorithms::bayes
