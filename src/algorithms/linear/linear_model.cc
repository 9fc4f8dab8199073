#include "linear_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "kiln/core/strings.h"
#include "kiln/ml/pmml_export.h"

namespace kiln::algorithms::linear {
namespace {

std::string_view LinkName(Link link) {
  switch (link) {
    case Link::kIdentity:
      return "identity";
    case Link::kLogistic:
      return "logistic";
    case Link::kSoftmax:
      return "softmax";
    case Link::kDecision:
      return "decision";
  }
  return "identity";
}

core::Result<Link> ParseLink(std::string_view name) {
  for (Link l : {Link::kIdentity, Link::kLogistic, Link::kSoftmax, Link::kDecision}) {
    if (LinkName(l) == name) return l;
  }
  return core::Corrupt("unknown link '{}' in the model body", name);
}

// Large models list only their largest weights in Describe().
constexpr size_t kDescribeAllWeights = 100000;

}  // namespace

int32_t ApplyLink(Link link, double* z, size_t k) {
  switch (link) {
    case Link::kIdentity:
      return -1;
    case Link::kLogistic: {
      const double v = z[0];
      z[0] = v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v));
      return v > 0 ? 1 : 0;
    }
    case Link::kSoftmax: {
      const size_t best = static_cast<size_t>(std::max_element(z, z + k) - z);
      const double m = z[best];
      double s = 0;
      for (size_t c = 0; c < k; ++c) s += (z[c] = std::exp(z[c] - m));
      for (size_t c = 0; c < k; ++c) z[c] /= s;
      return static_cast<int32_t>(best);
    }
    case Link::kDecision:
      return k == 1 ? (z[0] > 0 ? 1 : 0) : static_cast<int32_t>(std::max_element(z, z + k) - z);
  }
  return -1;
}

LinearModel::LinearModel(ml::ModelInfo info, Link link, ml::FeatureEncoder encoder, size_t outputs,
                         core::Array<double> weights, core::Array<double> intercept)
    : ml::Model(std::move(info)),
      link_(link),
      encoder_(std::move(encoder)),
      outputs_(outputs),
      weights_(std::move(weights)),
      intercept_(std::move(intercept)) {}

std::vector<double> LinearModel::Margins(const ml::DesignMatrix& x, core::ThreadPool& pool) const {
  std::vector<double> z(x.rows() * outputs_);
  x.Multiply(weights_.span(), outputs_, z, pool);
  for (size_t i = 0; i < x.rows(); ++i)
    for (size_t c = 0; c < outputs_; ++c) z[i * outputs_ + c] += intercept_[c];
  return z;
}

core::Result<ml::Predictions> LinearModel::Predict(const data::DatasetView& view,
                                                   core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(ml::DesignMatrix x, encoder_.Transform(view, ctx.pool()));
  std::vector<double> z = Margins(x, ctx.pool());
  ml::Predictions out;
  out.task = info().label.task;
  out.rows = x.rows();
  out.probabilistic = link_ != Link::kDecision;
  const size_t n = x.rows();
  if (link_ != Link::kIdentity) out.classes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t c = ApplyLink(link_, z.data() + i * outputs_, outputs_);
    if (link_ != Link::kIdentity) out.classes[i] = c;
  }
  out.scores = std::move(z);
  return out;
}

core::Status LinearModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["link"] = LinkName(link_);
  body["outputs"] = outputs_;
  body["num_features"] = encoder_.num_features();
  body["encoder"] = encoder_.ToJson();
  writer.AddArray("weights", weights_);
  writer.AddArray("intercept", intercept_);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> LinearModel::Load(const core::ArrayFileReader& file,
                                                           ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  if (!body.contains("link") || !body["link"].is_string() || !body.contains("outputs") ||
      !body["outputs"].is_number_unsigned() || !body.contains("encoder"))
    return core::Corrupt("{}: the linear model's body is incomplete", file.path());
  KILN_ASSIGN_OR_RETURN(Link link, ParseLink(body["link"].get<std::string>()));
  const size_t k = body["outputs"].get<size_t>();
  auto encoder = ml::FeatureEncoder::FromJson(body["encoder"]);
  if (!encoder.ok()) return core::Status(encoder.status()).AddContext("in " + file.path());
  KILN_ASSIGN_OR_RETURN(core::Array<double> w, file.GetArray<double>("weights"));
  KILN_ASSIGN_OR_RETURN(core::Array<double> b, file.GetArray<double>("intercept"));
  const size_t d = encoder->num_features();
  if (k == 0 || w.size() != k * d || b.size() != k) {
    return core::Corrupt("{}: weights have {} values and intercepts {}, expected {} x {} and {}",
                         file.path(), w.size(), b.size(), k, d, k);
  }
  return std::unique_ptr<ml::Model>(std::make_unique<LinearModel>(
      std::move(info), link, std::move(encoder).value(), k, std::move(w), std::move(b)));
}

core::Result<std::string> LinearModel::ExportPmml() const {
  ml::LinearPmml pmml;
  pmml.info = &info();
  pmml.encoder = &encoder_;
  pmml.outputs = outputs_;
  pmml.weights = weights_.span();
  pmml.intercept = intercept_.span();
  switch (link_) {
    case Link::kIdentity:
      pmml.kind = ml::LinearPmml::Kind::kRegression;
      break;
    case Link::kLogistic:
      pmml.kind = ml::LinearPmml::Kind::kLogistic;
      break;
    case Link::kSoftmax:
      pmml.kind = ml::LinearPmml::Kind::kSoftmax;
      break;
    case Link::kDecision:
      pmml.kind = ml::LinearPmml::Kind::kDecision;
      break;
  }
  return ml::WriteLinearPmml(pmml);
}

nlohmann::json LinearModel::Describe() const {
  const size_t d = encoder_.num_features();
  const size_t k = outputs_;
  nlohmann::json j;
  j["link"] = LinkName(link_);
  j["outputs"] = k;
  j["num_features"] = d;
  j["intercept"] = std::vector<double>(intercept_.begin(), intercept_.end());
  std::vector<std::string> names = encoder_.FeatureNames();
  if (d <= kDescribeAllWeights) {
    j["features"] = names;
    nlohmann::json w = nlohmann::json::array(), raw = nlohmann::json::array();
    std::vector<double> raw_b(k);
    for (size_t c = 0; c < k; ++c) {
      std::span<const double> row = weights_.span().subspan(c * d, d);
      w.push_back(std::vector<double>(row.begin(), row.end()));
      std::vector<double> r;
      encoder_.ToRawUnits(row, intercept_[c], &r, &raw_b[c]);
      raw.push_back(std::move(r));
    }
    j["weights"] = std::move(w);
    j["coefficients_raw"] = std::move(raw);
    j["intercept_raw"] = raw_b;
  } else {
    // Too many to list: the largest weights by magnitude per output.
    nlohmann::json top = nlohmann::json::array();
    for (size_t c = 0; c < k; ++c) {
      std::vector<size_t> idx(d);
      std::iota(idx.begin(), idx.end(), 0);
      const double* row = weights_.data() + c * d;
      const size_t m = std::min<size_t>(1000, d);
      std::partial_sort(idx.begin(), idx.begin() + m, idx.end(), [&](size_t a, size_t b) {
        return std::abs(row[a]) > std::abs(row[b]) ||
               (std::abs(row[a]) == std::abs(row[b]) && a < b);
      });
      nlohmann::json list = nlohmann::json::array();
      for (size_t t = 0; t < m && row[idx[t]] != 0; ++t)
        list.push_back({names[idx[t]], row[idx[t]]});
      top.push_back(std::move(list));
    }
    j["top_weights"] = std::move(top);
    j["weights_omitted"] = true;
  }
  size_t nonzero = 0;
  for (double v : weights_) nonzero += v != 0;
  j["nonzero_weights"] = nonzero;
  return j;
}

void AddEncoderParams(core::ParamSpec& spec) {
  spec.Bool("fit_intercept", true,
            "Learn an intercept (bias). For logistic/linear regression it is never regularised.");
  spec.Bool("standardize", true,
            "Scale numeric columns to zero mean and unit variance (as sklearn's StandardScaler) "
            "before fitting; weights in Describe() are in that space, coefficients_raw in the "
            "original units. Sparse (LibSVM) data is never centred or scaled.");
  AddCategoryParams(spec);
}

void AddClassWeightParam(core::ParamSpec& spec) {
  spec.String("class_weight", "none",
              "Per-class weights multiplying the sample weights: 'none', 'balanced' (n / (K * "
              "count of the class), as sklearn) or a list 'CLASS:W,CLASS:W' by class name "
              "(unlisted classes weigh 1).");
}

ml::FeatureEncoderOptions EncoderOptions(const core::ParamMap& params) {
  return CategoryOptions(params, params.GetBool("standardize"));
}

core::Result<PreparedData> Prepare(const std::string& algorithm, const core::ParamMap& params,
                                   bool classification, const ml::TrainInput& input,
                                   core::Context& ctx) {
  PrepareOptions options;
  options.target = classification ? Target::kClasses : Target::kNumeric;
  options.encoder = EncoderOptions(params);
  if (classification) options.class_weight = params.GetString("class_weight");
  return PrepareTrainingData(algorithm, params, options, input, ctx);
}

double EffectiveL2(const core::ParamMap& params, double total_weight) {
  if (params.IsSet("l2")) return params.GetDouble("l2");
  if (params.Has("l1") && params.GetDouble("l1") > 0) return 0.0;
  return 1.0 / total_weight;
}

nlohmann::json ReportJson(const SolverReport& r) {
  return {{"solver", r.solver},
          {"iterations", r.iterations},
          {"converged", r.converged},
          {"objective", r.objective},
          {"gradient_max", r.gradient_norm},
          {"stop_reason", r.stop_reason}};
}

}  // namespace kiln::algorithms::linear
