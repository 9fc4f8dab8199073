#include "gbdt_model.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kPredictBlock = 1024;

// Per-feature split counts, total gain and cover over the whole forest.
struct Importance {
  std::vector<double> gain, cover;
  std::vector<uint64_t> splits;
};

Importance ComputeImportance(const Forest& f, size_t num_features) {
  Importance imp;
  imp.gain.assign(num_features, 0.0);
  imp.cover.assign(num_features, 0.0);
  imp.splits.assign(num_features, 0);
  for (size_t n = 0; n < f.num_nodes(); ++n) {
    if (f.is_leaf(n)) continue;
    const auto j = static_cast<size_t>(f.feature(n));
    imp.gain[j] += f.gain(n);
    imp.cover[j] += f.cover(n);
    imp.splits[j] += 1;
  }
  return imp;
}

// Tree t as indented text lines, XGBoost-dump style: "x < 0.5 (missing: left)" then its
// children, leaves as "leaf 0.0312". At most `max_nodes` lines.
std::vector<std::string> DumpTree(const Forest& f, size_t t,
                                  const std::vector<FeatureInfo>& features, size_t max_nodes) {
  std::vector<std::string> lines;
  std::vector<std::pair<size_t, size_t>> stack{{f.root(t), 0}};
  while (!stack.empty() && lines.size() < max_nodes) {
    const auto [n, depth] = stack.back();
    stack.pop_back();
    const std::string indent(depth * 2, ' ');
    if (f.is_leaf(n)) {
      lines.push_back(fmt::format("{}leaf {:.6g}", indent, f.value(n)));
      continue;
    }
    const FeatureInfo& feat = features[static_cast<size_t>(f.feature(n))];
    std::string test;
    if (f.categorical(n)) {
      std::vector<std::string> cats;
      for (uint32_t c : f.LeftCategories(n))
        cats.push_back(c < feat.categories.size() ? feat.categories[c] : std::to_string(c));
      test = fmt::format("{} in {{{}}}", feat.name, core::Excerpt(core::Join(cats, ", "), 200));
    } else {
      test = fmt::format("{} < {:.9g}", feat.name, f.threshold(n));
    }
    lines.push_back(fmt::format("{}{} (missing: {}, gain {:.6g}, cover {:.6g})", indent, test,
                                f.default_left(n) ? "left" : "right", f.gain(n), f.cover(n)));
    stack.emplace_back(static_cast<size_t>(f.right(n)), depth + 1);
    stack.emplace_back(static_cast<size_t>(f.left(n)), depth + 1);
  }
  return lines;
}

}  // namespace

void AddTreeMargins(const Forest& forest, size_t first, size_t last, size_t k, const float* x,
                    size_t rows, size_t d, double* margins) {
  for (size_t t = first; t < last; ++t) {
    const size_t out = t % k;
    for (size_t i = 0; i < rows; ++i) margins[i * k + out] += forest.Value(t, x + i * d);
  }
}

GbdtModel::GbdtModel(ml::ModelInfo info, GbdtState state)
    : ml::Model(std::move(info)),
      state_(std::move(state)),
      objective_(state_.objective, state_.num_classes, state_.huber_delta, state_.quantile_alpha) {}

void GbdtModel::RowMargins(const float* x, double* z) const {
  const size_t k = outputs();
  for (size_t c = 0; c < k; ++c) z[c] = state_.base_scores[c];
  AddTreeMargins(state_.forest, 0, state_.forest.num_trees(), k, x, 1, state_.features.size(), z);
}

core::Result<std::vector<double>> GbdtModel::Margins(const data::DatasetView& view,
                                                     core::ThreadPool& pool) const {
  KILN_ASSIGN_OR_RETURN(FeatureRows rows, FeatureRows::Resolve(state_.features, view));
  const size_t n = view.size(), k = outputs(), d = rows.width();
  std::vector<double> margins(n * k);
  core::ParallelForBlocks(pool, 0, n, kPredictBlock, [&](size_t begin, size_t end, size_t) {
    std::vector<float> x((end - begin) * d);
    rows.Fill(begin, end, x.data());
    double* z = margins.data() + begin * k;
    for (size_t i = 0; i < end - begin; ++i)
      for (size_t c = 0; c < k; ++c) z[i * k + c] = state_.base_scores[c];
    AddTreeMargins(state_.forest, 0, state_.forest.num_trees(), k, x.data(), end - begin, d, z);
  });
  return margins;
}

core::Result<ml::Predictions> GbdtModel::Predict(const data::DatasetView& view,
                                                 core::Context& ctx) const {
  KILN_ASSIGN_OR_RETURN(std::vector<double> z, Margins(view, ctx.pool()));
  const size_t n = view.size(), k = outputs();
  ml::Predictions out;
  out.task = info().label.task;
  out.rows = n;
  out.probabilistic = true;
  const bool classification = info().label.is_classification();
  if (classification) out.classes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t c = objective_.Transform(z.data() + i * k);
    if (classification) out.classes[i] = c;
  }
  out.scores = std::move(z);
  return out;
}

core::Status GbdtModel::Save(core::ArrayFileWriter& writer) const {
  auto& body = writer.meta()["body"];
  body["objective"] = ObjectiveName(state_.objective);
  body["outputs"] = outputs();
  body["num_classes"] = state_.num_classes;
  body["huber_delta"] = state_.huber_delta;
  body["quantile_alpha"] = state_.quantile_alpha;
  body["base_scores"] = state_.base_scores;
  body["features"] = FeaturesToJson(state_.features);
  state_.forest.Save(writer);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ml::Model>> GbdtModel::Load(const core::ArrayFileReader& file,
                                                         ml::ModelInfo info) {
  const nlohmann::json& meta = file.meta();
  if (!meta.contains("body") || !meta["body"].is_object())
    return core::Corrupt("{}: the model has no body section", file.path());
  const nlohmann::json& body = meta["body"];
  for (const char* key : {"objective", "outputs", "num_classes", "huber_delta", "quantile_alpha",
                          "base_scores", "features"}) {
    if (!body.contains(key)) {
      return core::Corrupt("{}: the gbdt model's body has no '{}'", file.path(), key);
    }
  }
  GbdtState s;
  try {
    auto objective = ParseObjective(body["objective"].get<std::string>());
    if (!objective.ok()) return core::Corrupt("{}: {}", file.path(), objective.status().message());
    s.objective = *objective;
    s.num_classes = body["num_classes"].get<size_t>();
    s.huber_delta = body["huber_delta"].get<double>();
    s.quantile_alpha = body["quantile_alpha"].get<double>();
    s.base_scores = body["base_scores"].get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    return core::Corrupt("{}: the gbdt model's body is malformed: {}", file.path(), e.what());
  }
  auto features = FeaturesFromJson(body["features"]);
  if (!features.ok()) return core::Corrupt("{}: {}", file.path(), features.status().message());
  s.features = std::move(features).value();
  KILN_ASSIGN_OR_RETURN(s.forest, Forest::Load(file, s.features.size()));
  // A node's kind of test must be its feature's (a category test reads category indices).
  for (size_t n = 0; n < s.forest.num_nodes(); ++n) {
    if (s.forest.is_leaf(n)) continue;
    const FeatureInfo& f = s.features[static_cast<size_t>(s.forest.feature(n))];
    if (s.forest.categorical(n) != (f.type == data::ColumnType::kCategorical)) {
      return core::Corrupt("{}: node {} tests {} feature '{}' as {}", file.path(), n,
                           data::ColumnTypeName(f.type), f.name,
                           s.forest.categorical(n) ? "categorical" : "numeric");
    }
  }
  const size_t k = s.objective == ObjectiveKind::kSoftmax ? s.num_classes : 1;
  if (k == 0 || s.base_scores.size() != k || s.forest.num_trees() % k != 0) {
    return core::Corrupt("{}: the model has {} base scores and {} trees for {} outputs",
                         file.path(), s.base_scores.size(), s.forest.num_trees(), k);
  }
  return std::unique_ptr<ml::Model>(std::make_unique<GbdtModel>(std::move(info), std::move(s)));
}

nlohmann::json GbdtModel::Describe() const {
  const Forest& f = state_.forest;
  const size_t k = outputs();
  nlohmann::json j;
  j["objective"] = ObjectiveName(state_.objective);
  if (state_.objective == ObjectiveKind::kHuber) j["huber_delta"] = state_.huber_delta;
  if (state_.objective == ObjectiveKind::kQuantile) j["quantile_alpha"] = state_.quantile_alpha;
  j["outputs"] = k;
  j["rounds"] = f.num_trees() / k;
  j["trees"] = f.num_trees();
  j["base_scores"] = state_.base_scores;
  size_t leaves = 0;
  for (size_t n = 0; n < f.num_nodes(); ++n) leaves += f.is_leaf(n);
  j["leaves"] = leaves;
  j["nodes"] = f.num_nodes();

  const Importance imp = ComputeImportance(f, state_.features.size());
  std::vector<size_t> order(state_.features.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return imp.gain[a] > imp.gain[b]; });
  double total_gain = 0;
  for (double g : imp.gain) total_gain += g;
  nlohmann::json list = nlohmann::json::array();
  for (size_t i : order) {
    if (imp.splits[i] == 0) continue;
    list.push_back({{"feature", state_.features[i].name},
                    {"gain", imp.gain[i]},
                    {"gain_share", total_gain > 0 ? imp.gain[i] / total_gain : 0.0},
                    {"splits", imp.splits[i]},
                    {"cover", imp.cover[i]}});
  }
  j["feature_importance"] = std::move(list);
  std::vector<std::string> unused;
  for (size_t i = 0; i < state_.features.size(); ++i) {
    if (imp.splits[i] == 0) unused.push_back(state_.features[i].name);
  }
  j["unused_features"] = unused;
  if (f.num_trees() > 0) j["first_tree"] = DumpTree(f, 0, state_.features, 127);
  return j;
}

}  // namespace kiln::algorithms::tree
