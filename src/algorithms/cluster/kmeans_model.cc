#include "kmeans_model.h"

#include <cmath>
#include <vector>

#include "kiln/ml/row_encoder.h"

namespace kiln::algorithms::cluster {
namespace {

constexpr size_t kRowBlock = 1024;
// Models with at most this many centre values list them in Describe().
constexpr size_t kDescribeValues = 100000;

class KMeansRowPredictor final : public ml::RowPredictor {
 public:
  KMeansRowPredictor(const KMeansModel& model, std::unique_ptr<ml::RowEncoder> encoder)
      : model_(model), encoder_(std::move(encoder)) {}

  size_t width() const override { return 1; }
  bool probabilistic() const override { return false; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override {
    std::vector<float> row(encoder_->num_features());
    encoder_->EncodeDense(numbers, texts, row);
    std::vector<double> d2(model_.k());
    ExactDistances(model_.exact(), row.data(), d2.data());
    const int32_t best = Nearest(d2.data(), model_.k());
    scores[0] = std::sqrt(d2[static_cast<size_t>(best)]);
    return best;
  }

 private:
  const KMeansModel& model_;
  std::unique_ptr<ml::RowEncoder> encoder_;
};

}  // namespace

KMeansModel::KMeansModel(ml::ModelInfo info, ml::FeatureEncoder encoder, size_t k,
                         core::Array<double> centres)
    : ml::ClusterModel(std::move(info)),
      encoder_(std::move(encoder)),
      k_(k),
      centres_(std::move(centres)),
      exact_(centres_.span(), k_, encoder_.num_features()) {}

core::Result<ml::DesignMatrix> KMeansModel::Points(const data::DatasetView& view,
                                                   core::Context& ctx) const {
  return encoder_.Transform(view, ctx.pool());
}

core::Result<ml::Predictions> KMeansModel::Predict(const data::DatasetView& view,
                                                   core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(ml::DesignMatrix x, encoder_.Transform(view, ctx.pool()));
  const size_t n = x.rows();
  const size_t d = x.cols();
  ml::Predictions out;
  out.task = ml::Task::kClustering;
  out.rows = n;
  out.probabilistic = false;
  out.scores.resize(n);
  out.classes.resize(n);
  // LibSVM models use the sparse arithmetic; tabular ones the dense one (as the row predictor),
  // whichever layout the encoder chose for these rows.
  const bool sparse_model = encoder_.sparse();
  core::ParallelForBlocks(ctx.pool(), 0, n, kRowBlock, [&](size_t begin, size_t end, size_t) {
    std::vector<double> d2(k_);
    std::vector<float> dense(x.is_sparse() && !sparse_model ? d : 0);
    ml::SparseRow entries;
    for (size_t i = begin; i < end; ++i) {
      if (sparse_model) {
        entries.Assign(x, i);
        ExactDistancesSparse(exact_, entries.features, entries.values, d2.data());
      } else if (x.is_sparse()) {
        std::fill(dense.begin(), dense.end(), 0.0f);
        x.ForEachInRow(i, [&](size_t j, float v) { dense[j] = v; });
        ExactDistances(exact_, dense.data(), d2.data());
      } else {
        ExactDistances(exact_, x.dense_row(i), d2.data());
      }
      const int32_t best = Nearest(d2.data(), k_);
      out.classes[i] = best;
      out.scores[i] = std::sqrt(d2[static_cast<size_t>(best)]);
    }
  });
  return out;
}

std::unique_ptr<ml::RowPredictor> KMeansModel::MakeRowPredictor() const {
  auto encoder = ml::RowEncoder::Make(encoder_, info().schema.fields);
  if (encoder == nullptr) return nullptr;
  return std::make_unique<KMeansRowPredictor>(*this, std::move(encoder));
}

core::Status KMeansModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["k"] = k_;
  body["num_features"] = encoder_.num_features();
  body["encoder"] = encoder_.ToJson();
  writer.AddArray("centres", centres_);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> KMeansModel::Load(const core::ArrayFileReader& file,
                                                           ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  if (!body.contains("k") || !body["k"].is_number_unsigned() || !body.contains("encoder"))
    return core::Corrupt("{}: the k-means model's body is incomplete", file.path());
  const size_t k = body["k"].get<size_t>();
  auto encoder = ml::FeatureEncoder::FromJson(body["encoder"]);
  if (!encoder.ok()) return core::Status(encoder.status()).AddContext("in " + file.path());
  KILN_ASSIGN_OR_RETURN(core::Array<double> centres, file.GetArray<double>("centres"));
  if (k == 0 || k != info.label.clusters || centres.size() != k * encoder->num_features()) {
    return core::Corrupt("{}: {} centre values for {} clusters of {} features", file.path(),
                         centres.size(), k, encoder->num_features());
  }
  return std::unique_ptr<ml::Model>(std::make_unique<KMeansModel>(
      std::move(info), std::move(encoder).value(), k, std::move(centres)));
}

nlohmann::json KMeansModel::Describe() const {
  const size_t d = encoder_.num_features();
  nlohmann::json j;
  j["k"] = k_;
  j["num_features"] = d;
  if (k_ * d > kDescribeValues) {
    j["centres_omitted"] = true;
    return j;
  }
  j["features"] = encoder_.FeatureNames();
  nlohmann::json centres = nlohmann::json::array();
  for (size_t c = 0; c < k_; ++c) {
    centres.push_back(
        std::vector<double>(centres_.begin() + c * d, centres_.begin() + (c + 1) * d));
  }
  j["centres"] = std::move(centres);
  return j;
}

}  // namespace kiln::algorithms::cluster
