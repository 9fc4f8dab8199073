#include "rf_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/ml/row_predictor.h"
#include "row_features.h"

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kPredictBlock = 1024;
constexpr size_t kStackValues = 256;

// Mean decrease in impurity per feature: each tree's gains normalised to sum 1, averaged over
// the trees (scikit-learn's feature_importances_).
std::vector<double> Importance(const Forest& f, size_t num_features) {
  std::vector<double> out(num_features, 0.0), tree(num_features);
  for (size_t t = 0; t < f.num_trees(); ++t) {
    std::fill(tree.begin(), tree.end(), 0.0);
    double total = 0;
    for (size_t n = f.root(t); n < f.tree_end(t); ++n) {
      if (f.is_leaf(n)) continue;
      tree[static_cast<size_t>(f.feature(n))] += f.gain(n);
      total += f.gain(n);
    }
    if (!(total > 0)) continue;
    for (size_t j = 0; j < num_features; ++j) out[j] += tree[j] / total;
  }
  if (f.num_trees() > 0) {
    for (double& v : out) v /= static_cast<double>(f.num_trees());
  }
  return out;
}

class RfRowPredictor final : public ml::RowPredictor {
 public:
  static std::unique_ptr<RfRowPredictor> Make(const RfModel& model) {
    std::optional<RowFeatures> features =
        RowFeatures::Make(model.info().schema.fields, model.state().features);
    if (!features) return nullptr;
    return std::unique_ptr<RfRowPredictor>(new RfRowPredictor(model, std::move(*features)));
  }

  size_t width() const override { return model_.width(); }
  bool probabilistic() const override { return true; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override {
    std::vector<float> x(features_.size());
    features_.Fill(numbers, texts, x.data());
    std::array<double, kStackValues> stack;
    std::vector<double> heap;
    double* acc = stack.data();
    if (model_.stride() > kStackValues) {
      heap.resize(model_.stride());
      acc = heap.data();
    }
    return model_.Score(x.data(), acc, scores.data());
  }

 private:
  RfRowPredictor(const RfModel& model, RowFeatures features)
      : model_(model), features_(std::move(features)) {}

  const RfModel& model_;
  RowFeatures features_;
};

}  // namespace

RfModel::RfModel(ml::ModelInfo info, RfState state)
    : ml::Model(std::move(info)), state_(std::move(state)) {}

int32_t RfModel::Score(const float* x, double* acc, double* scores) const {
  const Forest& f = state_.forest;
  const size_t s = stride();
  std::fill(acc, acc + s, 0.0);
  for (size_t t = 0; t < f.num_trees(); ++t) {
    const double* leaf = state_.dist.data() + f.Leaf(t, x) * s;
    for (size_t c = 0; c < s; ++c) acc[c] += leaf[c];
  }
  const double trees = static_cast<double>(std::max<size_t>(f.num_trees(), 1));
  for (size_t c = 0; c < s; ++c) acc[c] /= trees;
  if (state_.num_classes == 0) {
    scores[0] = acc[0];
    return -1;
  }
  size_t best = 0;
  for (size_t c = 1; c < s; ++c) {
    if (acc[c] > acc[best]) best = c;
  }
  if (state_.num_classes == 2) {
    scores[0] = acc[1];
  } else {
    std::copy(acc, acc + s, scores);
  }
  return static_cast<int32_t>(best);
}

core::Result<ml::Predictions> RfModel::Predict(const data::DatasetView& view,
                                               core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(FeatureRows rows, FeatureRows::Resolve(state_.features, view));
  const size_t n = view.size(), w = width(), d = rows.width(), s = stride();
  ml::Predictions out;
  out.task = info().label.task;
  out.rows = n;
  out.probabilistic = true;
  out.scores.resize(n * w);
  const bool classification = state_.num_classes > 0;
  if (classification) out.classes.resize(n);
  core::ParallelForBlocks(ctx.pool(), 0, n, kPredictBlock, [&](size_t begin, size_t end, size_t) {
    std::vector<float> x((end - begin) * d);
    std::vector<double> acc(s);
    rows.Fill(begin, end, x.data());
    for (size_t i = begin; i < end; ++i) {
      const int32_t c = Score(x.data() + (i - begin) * d, acc.data(), out.scores.data() + i * w);
      if (classification) out.classes[i] = c;
    }
  });
  return out;
}

core::Status RfModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["num_classes"] = state_.num_classes;
  body["features"] = FeaturesToJson(state_.features);
  state_.forest.Save(writer);
  writer.AddArray("node_dist", state_.dist);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> RfModel::Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  for (const char* key : {"num_classes", "features"}) {
    if (!body.contains(key)) {
      return core::Corrupt("{}: the {} model's body has no '{}'", file.path(), info.algorithm, key);
    }
  }
  RfState s;
  try {
    s.num_classes = body["num_classes"].get<size_t>();
  } catch (const nlohmann::json::exception& e) {
    return core::Corrupt("{}: the {} model's body is malformed: {}", file.path(), info.algorithm,
                         e.what());
  }
  if (s.num_classes == 1 || s.num_classes > 1'000'000 ||
      (s.num_classes > 0) != info.label.is_classification() ||
      (s.num_classes > 0 && s.num_classes != info.label.num_classes())) {
    return core::Corrupt("{}: the model has {} classes, but its label has {}", file.path(),
                         s.num_classes, info.label.num_classes());
  }
  auto features = FeaturesFromJson(body["features"]);
  if (!features.ok()) return core::Corrupt("{}: {}", file.path(), features.status().message());
  s.features = std::move(features).value();
  KILN_ASSIGN_OR_RETURN(s.forest, Forest::Load(file, s.features.size()));
  KILN_ASSIGN_OR_RETURN(s.dist, file.GetArray<double>("node_dist"));
  const size_t stride = s.num_classes > 0 ? s.num_classes : 1;
  if (s.forest.num_trees() == 0 || s.dist.size() != s.forest.num_nodes() * stride) {
    return core::Corrupt("{}: the model has {} trees, {} nodes and {} leaf values ({} per node)",
                         file.path(), s.forest.num_trees(), s.forest.num_nodes(), s.dist.size(),
                         stride);
  }
  for (size_t n = 0; n < s.forest.num_nodes(); ++n) {
    if (!s.forest.is_leaf(n) && s.forest.categorical(n)) {
      return core::Corrupt("{}: node {} has a category-set test, which {} models never use",
                           file.path(), n, info.algorithm);
    }
  }
  return std::unique_ptr<ml::Model>(std::make_unique<RfModel>(std::move(info), std::move(s)));
}

nlohmann::json RfModel::Describe() const {
  const Forest& f = state_.forest;
  nlohmann::json j;
  j["task"] = state_.num_classes > 0 ? "classification" : "regression";
  j["trees"] = f.num_trees();
  size_t leaves = 0, max_depth = 0;
  for (size_t n = 0; n < f.num_nodes(); ++n) leaves += f.is_leaf(n);
  for (size_t t = 0; t < f.num_trees(); ++t) {
    // Children come after their parent, so one forward pass finds every node's depth.
    std::vector<size_t> depth(f.tree_end(t) - f.root(t), 0);
    for (size_t n = f.root(t); n < f.tree_end(t); ++n) {
      if (f.is_leaf(n)) continue;
      const size_t dn = depth[n - f.root(t)] + 1;
      depth[static_cast<size_t>(f.left(n)) - f.root(t)] = dn;
      depth[static_cast<size_t>(f.right(n)) - f.root(t)] = dn;
      max_depth = std::max(max_depth, dn);
    }
  }
  j["leaves"] = leaves;
  j["nodes"] = f.num_nodes();
  j["max_depth"] = max_depth;
  const std::vector<double> imp = Importance(f, state_.features.size());
  std::vector<size_t> order(imp.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return imp[a] > imp[b]; });
  nlohmann::json list = nlohmann::json::array();
  for (size_t i : order) {
    if (imp[i] > 0) list.push_back({{"feature", state_.features[i].name}, {"importance", imp[i]}});
  }
  j["feature_importance"] = std::move(list);
  return j;
}

std::unique_ptr<ml::RowPredictor> RfModel::MakeRowPredictor() const {
  return RfRowPredictor::Make(*this);
}

}  // namespace kiln::algorithms::tree
