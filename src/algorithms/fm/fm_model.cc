#include "fm_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kiln/ml/row_encoder.h"

namespace kiln::algorithms::fm {
namespace {

constexpr size_t kRowBlock = 4096;
constexpr size_t kDescribeFeatures = 1000;

class FmRowPredictor final : public ml::RowPredictor {
 public:
  FmRowPredictor(const FmModel& model, std::unique_ptr<ml::RowEncoder> encoder)
      : model_(model), encoder_(std::move(encoder)) {}

  size_t width() const override { return 1; }
  bool probabilistic() const override { return true; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override {
    ml::SparseRow entries;
    entries.Assign(*encoder_, numbers, texts);
    std::vector<double> sums(model_.factors());
    return model_.Finish(model_.Margin(entries.features, entries.values, sums.data()),
                         scores.data());
  }

 private:
  const FmModel& model_;
  std::unique_ptr<ml::RowEncoder> encoder_;
};

}  // namespace

FmModel::FmModel(ml::ModelInfo info, ml::FeatureEncoder encoder, size_t factors, double bias,
                 core::Array<double> weights, core::Array<double> factor_weights)
    : ml::Model(std::move(info)),
      encoder_(std::move(encoder)),
      factors_(factors),
      bias_(bias),
      w_(std::move(weights)),
      v_(std::move(factor_weights)) {}

double FmModel::Margin(std::span<const uint32_t> features, std::span<const float> values,
                       double* sums) const {
  const size_t f = factors_;
  std::fill(sums, sums + f, 0.0);
  double linear = 0;
  double squares = 0;
  for (size_t q = 0; q < features.size(); ++q) {
    const double x = values[q];
    const size_t j = features[q];
    linear += w_[j] * x;
    const double* vj = v_.data() + j * f;
    for (size_t t = 0; t < f; ++t) {
      const double p = vj[t] * x;
      sums[t] += p;
      squares += p * p;
    }
  }
  double pairs = 0;
  for (size_t t = 0; t < f; ++t) pairs += sums[t] * sums[t];
  return bias_ + linear + 0.5 * (pairs - squares);
}

int32_t FmModel::Finish(double margin, double* score) const {
  if (!classification()) {
    score[0] = margin;
    return -1;
  }
  score[0] =
      margin >= 0 ? 1.0 / (1.0 + std::exp(-margin)) : std::exp(margin) / (1.0 + std::exp(margin));
  return margin > 0 ? 1 : 0;
}

core::Result<ml::Predictions> FmModel::Predict(const data::DatasetView& view,
                                               core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(ml::DesignMatrix x, encoder_.Transform(view, ctx.pool()));
  const size_t n = x.rows();
  ml::Predictions out;
  out.task = info().label.task;
  out.rows = n;
  out.scores.resize(n);
  if (classification()) out.classes.resize(n);
  core::ParallelForBlocks(ctx.pool(), 0, n, kRowBlock, [&](size_t begin, size_t end, size_t) {
    ml::SparseRow entries;
    std::vector<double> sums(factors_);
    for (size_t i = begin; i < end; ++i) {
      entries.Assign(x, i);
      const int32_t c =
          Finish(Margin(entries.features, entries.values, sums.data()), &out.scores[i]);
      if (classification()) out.classes[i] = c;
    }
  });
  return out;
}

std::unique_ptr<ml::RowPredictor> FmModel::MakeRowPredictor() const {
  auto encoder = ml::RowEncoder::Make(encoder_, info().schema.fields);
  if (encoder == nullptr) return nullptr;
  return std::make_unique<FmRowPredictor>(*this, std::move(encoder));
}

core::Status FmModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["factors"] = factors_;
  body["bias"] = bias_;
  body["num_features"] = encoder_.num_features();
  body["encoder"] = encoder_.ToJson();
  writer.AddArray("w", w_);
  writer.AddArray("v", v_);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> FmModel::Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  if (!body.contains("factors") || !body["factors"].is_number_unsigned() ||
      !body.contains("bias") || !body["bias"].is_number() || !body.contains("encoder")) {
    return core::Corrupt("{}: the factorization machine's body is incomplete", file.path());
  }
  const size_t f = body["factors"].get<size_t>();
  auto encoder = ml::FeatureEncoder::FromJson(body["encoder"]);
  if (!encoder.ok()) return core::Status(encoder.status()).AddContext("in " + file.path());
  KILN_ASSIGN_OR_RETURN(core::Array<double> w, file.GetArray<double>("w"));
  KILN_ASSIGN_OR_RETURN(core::Array<double> v, file.GetArray<double>("v"));
  const size_t d = encoder->num_features();
  if (w.size() != d || v.size() != d * f) {
    return core::Corrupt("{}: {} weights and {} factor values, expected {} and {} x {}",
                         file.path(), w.size(), v.size(), d, d, f);
  }
  return std::unique_ptr<ml::Model>(
      std::make_unique<FmModel>(std::move(info), std::move(encoder).value(), f,
                                body["bias"].get<double>(), std::move(w), std::move(v)));
}

nlohmann::json FmModel::Describe() const {
  const size_t d = encoder_.num_features();
  nlohmann::json j;
  j["factors"] = factors_;
  j["num_features"] = d;
  j["bias"] = bias_;
  size_t nonzero = 0;
  for (double v : w_) nonzero += v != 0;
  j["nonzero_weights"] = nonzero;
  // ‖v_j‖: how strongly each feature takes part in interactions.
  std::vector<double> norms(d, 0.0);
  for (size_t i = 0; i < d; ++i) {
    for (size_t t = 0; t < factors_; ++t) norms[i] += v_[i * factors_ + t] * v_[i * factors_ + t];
    norms[i] = std::sqrt(norms[i]);
  }
  if (d <= kDescribeFeatures) {
    j["features"] = encoder_.FeatureNames();
    j["weights"] = std::vector<double>(w_.begin(), w_.end());
    j["factor_norms"] = norms;
    return j;
  }
  // Too many to list: the features with the strongest interactions.
  std::vector<size_t> idx(d);
  std::iota(idx.begin(), idx.end(), 0);
  const size_t m = std::min<size_t>(100, d);
  std::partial_sort(
      idx.begin(), idx.begin() + static_cast<long>(m), idx.end(),
      [&](size_t a, size_t b) { return norms[a] > norms[b] || (norms[a] == norms[b] && a < b); });
  const std::vector<std::string> names = encoder_.FeatureNames();
  nlohmann::json top = nlohmann::json::array();
  for (size_t t = 0; t < m; ++t) top.push_back({names[idx[t]], w_[idx[t]], norms[idx[t]]});
  j["top_interacting_features"] = std::move(top);
  return j;
}

}  // namespace kiln::algorithms::fm
