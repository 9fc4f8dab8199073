#include "xgboost_servable.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/file.h"
#include "kiln/core/strings.h"

namespace kiln::serve {
namespace {

using nlohmann::json;

// What the model's outputs mean. base_score is stored in prediction space: the margin starts at
// Link(base_score) and a prediction is the link's inverse of the margin (XGBoost's ProbToMargin
// and PredTransform; checked against xgboost 1.7.4).
enum class Kind { kRegression, kBinary, kMulticlass };
enum class Link { kIdentity, kLogit, kLog };

struct Objective {
  std::string_view name;
  Kind kind;
  Link link;
};

constexpr Objective kObjectives[] = {
    {"binary:logistic", Kind::kBinary, Link::kLogit},
    {"binary:logitraw", Kind::kRegression, Link::kIdentity},  // the raw margin
    {"reg:logistic", Kind::kRegression, Link::kLogit},
    {"reg:squarederror", Kind::kRegression, Link::kIdentity},
    {"reg:linear", Kind::kRegression, Link::kIdentity},  // XGBoost < 1.0's name for it
    {"reg:squaredlogerror", Kind::kRegression, Link::kIdentity},
    {"reg:pseudohubererror", Kind::kRegression, Link::kIdentity},
    {"reg:absoluteerror", Kind::kRegression, Link::kIdentity},
    {"count:poisson", Kind::kRegression, Link::kLog},
    {"reg:gamma", Kind::kRegression, Link::kLog},
    {"reg:tweedie", Kind::kRegression, Link::kLog},
    {"multi:softprob", Kind::kMulticlass, Link::kIdentity},
    {"multi:softmax", Kind::kMulticlass, Link::kIdentity},
};

// One tree node in the forest's flat array.
struct Node {
  float value = 0;       // split threshold (x < value goes left), or the leaf's value
  int32_t feature = -1;  // -1 at a leaf
  uint32_t left = 0;     // absolute indices into Forest::nodes
  uint32_t right = 0;
  bool default_left = false;  // where a missing value goes
};

struct Forest {
  std::vector<Node> nodes;
  std::vector<uint32_t> roots;   // one per tree
  std::vector<uint32_t> groups;  // one per tree: the output (class) the tree adds to
};

struct Params {
  int64_t num_feature = 0;
  size_t num_groups = 1;  // outputs the trees add to: num_class for multiclass, else 1
  float base_margin = 0;  // the margin every row starts from
};

// More named inputs than a request could reasonably carry; also bounds what a bad file allocates.
constexpr int64_t kMaxFeatures = int64_t{1} << 24;

// Errors about one model file, naming the file and the field.
struct Source {
  const std::string& path;
  core::Status Bad(std::string_view field, std::string_view problem) const {
    return core::ParseError("{}: {}: {}", path, field, problem);
  }
  core::Status Unsupported(std::string_view field, std::string_view problem) const {
    return core::Unimplemented("{}: {}: {}", path, field, problem);
  }
};

core::Result<const json*> Member(const Source& src, const json& object, std::string_view where,
                                 const char* key, json::value_t type) {
  const std::string field = where.empty() ? key : fmt::format("{}.{}", where, key);
  const auto it = object.find(key);
  if (it == object.end()) return src.Bad(field, "missing");
  if (it->type() != type) {
    return src.Bad(
        field, fmt::format("expected {} but found {}", json(type).type_name(), it->type_name()));
  }
  return &*it;
}

// learner_model_param values are texts ("5E-1"; XGBoost 2 writes "[5E-1]"); numbers also work.
core::Result<double> ParamNumber(const Source& src, const json& params, const char* key,
                                 std::string_view where) {
  const std::string field = fmt::format("{}.{}", where, key);
  const auto it = params.find(key);
  if (it == params.end()) return src.Bad(field, "missing");
  if (it->is_number() && std::isfinite(it->get<double>())) return it->get<double>();
  if (!it->is_string()) {
    return src.Bad(field, fmt::format("expected a number, found {}", it->dump()));
  }
  std::string_view text = it->get_ref<const std::string&>();
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return src.Bad(field, fmt::format("expected a number, found {}", it->dump()));
  }
  return value;
}

core::Result<int64_t> ParamInteger(const Source& src, const json& params, const char* key,
                                   std::string_view where) {
  KILN_ASSIGN_OR_RETURN(const double value, ParamNumber(src, params, key, where));
  if (value != std::floor(value) || value < 0 || value > std::numeric_limits<int32_t>::max()) {
    return src.Bad(fmt::format("{}.{}", where, key),
                   fmt::format("expected a count, found {}", value));
  }
  return static_cast<int64_t>(value);
}

// A numeric array field of a tree. Integers only when `integers`; booleans count as 0/1.
core::Status ReadArray(const Source& src, const json& tree, const std::string& where,
                       const char* key, bool integers, std::vector<double>& out) {
  KILN_ASSIGN_OR_RETURN(const json* array, Member(src, tree, where, key, json::value_t::array));
  out.clear();
  out.reserve(array->size());
  for (const json& v : *array) {
    const bool ok = v.is_boolean() || (integers ? v.is_number_integer() : v.is_number());
    if (!ok) {
      return src.Bad(
          fmt::format("{}.{}[{}]", where, key, out.size()),
          fmt::format("expected {}, found {}", integers ? "an integer" : "a number", v.dump()));
    }
    out.push_back(v.is_boolean() ? v.get<bool>() : v.get<double>());
  }
  return core::Status::Ok();
}

// A JSON number as XGBoost reads it: as a float, out-of-range values becoming infinities.
float ToFloat(double v) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (std::abs(v) > kMax) return v > 0 ? HUGE_VALF : -HUGE_VALF;
  return static_cast<float>(v);
}

// Appends one tree to `forest`, checking every index: split features within [0, num_feature),
// children within the tree, and each node reached at most once from the root (no cycles).
core::Status ParseTree(const Source& src, const json& tree, const std::string& where,
                       int64_t num_feature, Forest& forest) {
  if (!tree.is_object()) return src.Bad(where, "expected an object");
  std::vector<double> left, right, features, conditions, default_left;
  KILN_RETURN_IF_ERROR(ReadArray(src, tree, where, "left_children", true, left));
  KILN_RETURN_IF_ERROR(ReadArray(src, tree, where, "right_children", true, right));
  KILN_RETURN_IF_ERROR(ReadArray(src, tree, where, "split_indices", true, features));
  KILN_RETURN_IF_ERROR(ReadArray(src, tree, where, "split_conditions", false, conditions));
  KILN_RETURN_IF_ERROR(ReadArray(src, tree, where, "default_left", true, default_left));
  const size_t n = left.size();
  if (n == 0) return src.Bad(where + ".left_children", "the tree has no nodes");
  for (const auto& [key, values] : {std::pair{"right_children", &right},
                                    {"split_indices", &features},
                                    {"split_conditions", &conditions},
                                    {"default_left", &default_left}}) {
    if (values->size() != n) {
      return src.Bad(fmt::format("{}.{}", where, key),
                     fmt::format("has {} entries but left_children has {}", values->size(), n));
    }
  }
  if (const auto it = tree.find("split_type"); it != tree.end() && it->is_array()) {
    for (const json& t : *it) {
      if (!(t.is_number_integer() && t.get<int64_t>() == 0)) {
        return src.Unsupported(where + ".split_type", "categorical splits are not supported");
      }
    }
  }
  if (forest.nodes.size() + n > std::numeric_limits<int32_t>::max()) {
    return src.Bad(where, "the model has too many nodes");
  }
  const auto base = static_cast<uint32_t>(forest.nodes.size());
  for (size_t i = 0; i < n; ++i) {
    Node node;
    node.value = ToFloat(conditions[i]);
    node.default_left = default_left[i] != 0;
    auto child = [&](const char* key, double c) -> core::Result<uint32_t> {
      if (c < 0 || c >= static_cast<double>(n)) {
        return src.Bad(fmt::format("{}.{}[{}]", where, key, i),
                       fmt::format("{} is not a node of this tree (it has {} nodes)", c, n));
      }
      return base + static_cast<uint32_t>(c);
    };
    if (left[i] == -1 || right[i] == -1) {
      if (left[i] != right[i]) {
        return src.Bad(fmt::format("{}.left_children[{}]", where, i),
                       fmt::format("node {} has one child ({} and {}); expected two or none", i,
                                   left[i], right[i]));
      }
    } else {
      KILN_ASSIGN_OR_RETURN(node.left, child("left_children", left[i]));
      KILN_ASSIGN_OR_RETURN(node.right, child("right_children", right[i]));
      if (features[i] < 0 || features[i] >= static_cast<double>(num_feature)) {
        return src.Bad(fmt::format("{}.split_indices[{}]", where, i),
                       fmt::format("feature {} is out of range: the model has {} features",
                                   features[i], num_feature));
      }
      node.feature = static_cast<int32_t>(features[i]);
    }
    forest.nodes.push_back(node);
  }
  std::vector<bool> seen(n, false);
  std::vector<uint32_t> stack = {0};
  while (!stack.empty()) {
    const uint32_t i = stack.back();
    stack.pop_back();
    if (seen[i]) {
      return src.Bad(where, fmt::format("node {} is reached twice from the root (a cycle or a "
                                        "shared child); the tree is malformed",
                                        i));
    }
    seen[i] = true;
    const Node& node = forest.nodes[base + i];
    if (node.feature < 0) continue;
    stack.push_back(node.left - base);
    stack.push_back(node.right - base);
  }
  forest.roots.push_back(base);
  return core::Status::Ok();
}

class XgboostServable final : public Servable {
 public:
  XgboostServable(ServableMetadata metadata, std::vector<std::string> features, Forest forest,
                  const Objective& objective, const Params& params)
      : metadata_(std::move(metadata)),
        features_(std::move(features)),
        forest_(std::move(forest)),
        kind_(objective.kind),
        link_(objective.link),
        base_margin_(params.base_margin),
        num_groups_(params.num_groups) {
    for (size_t f = 0; f < features_.size(); ++f) feature_index_.emplace(features_[f], f);
  }

  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override;
  size_t memory_bytes() const override {
    return forest_.nodes.size() * sizeof(Node) +
           (forest_.roots.size() + forest_.groups.size()) * sizeof(uint32_t);
  }

 private:
  core::Result<std::vector<const FeatureColumn*>> Columns(const FeatureBatch& batch) const;
  // Adds every tree's leaf for one row of features to margins (one per group).
  void AddTrees(const std::vector<float>& row, std::vector<float>& margins) const;

  ServableMetadata metadata_;
  std::vector<std::string> features_;
  std::unordered_map<std::string, size_t> feature_index_;  // name -> position in features_
  Forest forest_;
  Kind kind_;
  Link link_;
  float base_margin_;
  size_t num_groups_;
};

// The batch's column for each model feature, checked: every feature present, one value per row,
// numbers (a text column may only hold empty texts, i.e. missing values), no unknown names.
core::Result<std::vector<const FeatureColumn*>> XgboostServable::Columns(
    const FeatureBatch& batch) const {
  std::vector<const FeatureColumn*> columns(features_.size(), nullptr);
  for (const FeatureColumn& c : batch.columns) {
    const auto it = feature_index_.find(c.name);
    if (it == feature_index_.end()) {
      const std::string best = core::ClosestMatch(c.name, features_);
      return core::InvalidArgument("unknown feature '{}'{}; the model's features are: {}", c.name,
                                   best.empty() ? "" : " (did you mean '" + best + "'?)",
                                   core::Join(features_, ", "));
    }
    const size_t n = c.is_text ? c.texts.size() : c.numbers.size();
    if (n != batch.rows) {
      return core::InvalidArgument("feature '{}' has {} values, expected one per row ({})", c.name,
                                   n, batch.rows);
    }
    for (size_t r = 0; r < c.texts.size() && c.is_text; ++r) {
      if (!c.texts[r].empty()) {
        return core::InvalidArgument(
            "feature '{}' is numeric but row {} has the text \"{}\"; send a number (or null for "
            "a missing value)",
            c.name, r, c.texts[r]);
      }
    }
    if (columns[it->second] == nullptr) columns[it->second] = &c;  // the first, as Find does
  }
  std::vector<std::string> missing;
  for (size_t f = 0; f < features_.size(); ++f) {
    if (columns[f] == nullptr) missing.push_back(features_[f]);
  }
  if (!missing.empty()) {
    return core::InvalidArgument("missing feature{} {} (send null for a missing value)",
                                 missing.size() == 1 ? "" : "s", core::Join(missing, ", "));
  }
  return columns;
}

void XgboostServable::AddTrees(const std::vector<float>& row, std::vector<float>& margins) const {
  const Node* nodes = forest_.nodes.data();
  for (size_t t = 0; t < forest_.roots.size(); ++t) {
    const Node* node = nodes + forest_.roots[t];
    while (node->feature >= 0) {
      const float x = row[node->feature];
      const bool go_left = std::isnan(x) ? node->default_left : x < node->value;
      node = nodes + (go_left ? node->left : node->right);
    }
    margins[forest_.groups[t]] += node->value;
  }
}

core::Result<InferenceOutput> XgboostServable::Infer(const FeatureBatch& batch) const {
  KILN_ASSIGN_OR_RETURN(const std::vector<const FeatureColumn*> columns, Columns(batch));
  const auto rows = static_cast<int64_t>(batch.rows);
  const auto k =
      static_cast<int64_t>(kind_ == Kind::kRegression ? 1 : std::max<size_t>(num_groups_, 2));
  OutputTensor predictions{
      "predictions", kind_ == Kind::kRegression ? kFp64 : kInt64, {rows}, {}, {}};
  OutputTensor probabilities{"probabilities", kFp64, {rows, k}, {}, {}};
  predictions.numbers.reserve(batch.rows);
  if (kind_ != Kind::kRegression) probabilities.numbers.reserve(batch.rows * k);
  std::vector<float> row(features_.size());
  std::vector<float> margins(num_groups_);
  for (size_t r = 0; r < batch.rows; ++r) {
    for (size_t f = 0; f < columns.size(); ++f) {
      const FeatureColumn& c = *columns[f];
      row[f] = c.is_text ? std::nanf("") : static_cast<float>(c.numbers[r]);
    }
    std::fill(margins.begin(), margins.end(), base_margin_);
    AddTrees(row, margins);
    if (kind_ == Kind::kBinary) {
      const double p = 1 / (1 + std::exp(-static_cast<double>(margins[0])));
      predictions.numbers.push_back(p > 0.5 ? 1 : 0);
      probabilities.numbers.push_back(1 - p);
      probabilities.numbers.push_back(p);
    } else if (kind_ == Kind::kMulticlass) {
      size_t best = 0;
      for (size_t j = 1; j < margins.size(); ++j) best = margins[j] > margins[best] ? j : best;
      double sum = 0;
      for (float m : margins) sum += std::exp(static_cast<double>(m) - margins[best]);
      for (float m : margins) {
        probabilities.numbers.push_back(std::exp(static_cast<double>(m) - margins[best]) / sum);
      }
      predictions.numbers.push_back(static_cast<double>(best));
    } else {
      const double m = margins[0];
      predictions.numbers.push_back(link_ == Link::kLogit ? 1 / (1 + std::exp(-m))
                                    : link_ == Link::kLog ? std::exp(m)
                                                          : m);
    }
  }
  InferenceOutput out;
  out.outputs.push_back(std::move(predictions));
  if (kind_ != Kind::kRegression) {
    out.outputs.push_back(std::move(probabilities));
    for (int64_t j = 0; j < k; ++j) out.class_names.push_back(std::to_string(j));
  }
  return out;
}

// learner.objective.name, from the supported table.
core::Result<const Objective*> ParseObjective(const Source& src, const json& learner) {
  KILN_ASSIGN_OR_RETURN(const json* objective,
                        Member(src, learner, "learner", "objective", json::value_t::object));
  KILN_ASSIGN_OR_RETURN(const json* name, Member(src, *objective, "learner.objective", "name",
                                                 json::value_t::string));
  std::vector<std::string> names;
  for (const Objective& o : kObjectives) {
    if (o.name == name->get_ref<const std::string&>()) return &o;
    names.emplace_back(o.name);
  }
  return src.Unsupported("learner.objective.name",
                         fmt::format("objective {} is not supported; supported: {}", name->dump(),
                                     core::Join(names, ", ")));
}

// learner.learner_model_param, checked against the objective.
core::Result<Params> ParseParams(const Source& src, const json& learner,
                                 const Objective& objective) {
  const std::string where = "learner.learner_model_param";
  KILN_ASSIGN_OR_RETURN(const json* params, Member(src, learner, "learner", "learner_model_param",
                                                   json::value_t::object));
  Params p;
  KILN_ASSIGN_OR_RETURN(const double base_score, ParamNumber(src, *params, "base_score", where));
  KILN_ASSIGN_OR_RETURN(const int64_t num_class, ParamInteger(src, *params, "num_class", where));
  KILN_ASSIGN_OR_RETURN(p.num_feature, ParamInteger(src, *params, "num_feature", where));
  if (p.num_feature > kMaxFeatures) {
    return core::ResourceExhausted("{}: {}.num_feature: {} features; at most {} can be served",
                                   src.path, where, p.num_feature, kMaxFeatures);
  }
  if (params->contains("num_target")) {
    KILN_ASSIGN_OR_RETURN(const int64_t num_target,
                          ParamInteger(src, *params, "num_target", where));
    if (num_target != 1) {
      return src.Unsupported(
          where + ".num_target",
          fmt::format("multi-target models ({} targets) are not supported", num_target));
    }
  }
  const bool multiclass = objective.kind == Kind::kMulticlass;
  if (multiclass ? num_class < 2 : num_class > 1) {
    return src.Bad(where + ".num_class",
                   fmt::format("num_class is {} but objective '{}' needs {}", num_class,
                               objective.name, multiclass ? "2 or more" : "0 or 1"));
  }
  p.num_groups = multiclass ? static_cast<size_t>(num_class) : 1;
  double margin = base_score;
  if (objective.link == Link::kLogit) {
    if (!(base_score > 0 && base_score < 1)) {
      return src.Bad(where + ".base_score",
                     fmt::format("{} is not a probability in (0, 1), which {} needs", base_score,
                                 objective.name));
    }
    margin = -std::log(1 / base_score - 1);
  } else if (objective.link == Link::kLog) {
    if (!(base_score > 0)) {
      return src.Bad(where + ".base_score",
                     fmt::format("{} is not positive, which {} needs", base_score, objective.name));
    }
    margin = std::log(base_score);
  }
  p.base_margin = static_cast<float>(margin);
  return p;
}

// learner.feature_names, or "f0".."f{n-1}" when the model has none. Categorical features (type
// "c") are refused.
core::Result<std::vector<std::string>> ParseFeatureNames(const Source& src, const json& learner,
                                                         int64_t num_feature) {
  if (const auto it = learner.find("feature_types"); it != learner.end() && it->is_array()) {
    for (size_t f = 0; f < it->size(); ++f) {
      if ((*it)[f] == "c") {
        return src.Unsupported(fmt::format("learner.feature_types[{}]", f),
                               "categorical features are not supported");
      }
    }
  }
  std::vector<std::string> names;
  const auto it = learner.find("feature_names");
  if (it == learner.end() || it->empty()) {
    for (int64_t f = 0; f < num_feature; ++f) names.push_back(fmt::format("f{}", f));
    return names;
  }
  if (!it->is_array()) {
    return src.Bad("learner.feature_names",
                   fmt::format("expected an array of names, found {}", it->type_name()));
  }
  if (it->size() != static_cast<size_t>(num_feature)) {
    return src.Bad("learner.feature_names",
                   fmt::format("has {} names but num_feature is {}", it->size(), num_feature));
  }
  for (size_t f = 0; f < it->size(); ++f) {
    const json& name = (*it)[f];
    if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
      return src.Bad(fmt::format("learner.feature_names[{}]", f),
                     fmt::format("expected a non-empty text, found {}", name.dump()));
    }
    names.push_back(name.get<std::string>());
  }
  return names;
}

// learner.gradient_booster: a gbtree's trees and the output group of each.
core::Result<Forest> ParseForest(const Source& src, const json& learner, const Params& p) {
  const std::string where = "learner.gradient_booster";
  KILN_ASSIGN_OR_RETURN(const json* booster,
                        Member(src, learner, "learner", "gradient_booster", json::value_t::object));
  KILN_ASSIGN_OR_RETURN(const json* name,
                        Member(src, *booster, where, "name", json::value_t::string));
  if (*name != "gbtree") {
    return src.Unsupported(
        where + ".name", fmt::format("booster {} is not supported; only gbtree is", name->dump()));
  }
  KILN_ASSIGN_OR_RETURN(const json* model,
                        Member(src, *booster, where, "model", json::value_t::object));
  const std::string at = where + ".model";
  KILN_ASSIGN_OR_RETURN(const json* trees, Member(src, *model, at, "trees", json::value_t::array));
  KILN_ASSIGN_OR_RETURN(const json* tree_info,
                        Member(src, *model, at, "tree_info", json::value_t::array));
  if (tree_info->size() != trees->size()) {
    return src.Bad(at + ".tree_info",
                   fmt::format("has {} entries for {} trees", tree_info->size(), trees->size()));
  }
  Forest forest;
  for (size_t t = 0; t < trees->size(); ++t) {
    const json& group = (*tree_info)[t];
    if (!group.is_number_integer() || group.get<int64_t>() < 0 ||
        group.get<int64_t>() >= static_cast<int64_t>(p.num_groups)) {
      return src.Bad(
          fmt::format("{}.tree_info[{}]", at, t),
          fmt::format("expected an output group in [0, {}), found {}", p.num_groups, group.dump()));
    }
    forest.groups.push_back(static_cast<uint32_t>(group.get<int64_t>()));
    KILN_RETURN_IF_ERROR(
        ParseTree(src, (*trees)[t], fmt::format("{}.trees[{}]", at, t), p.num_feature, forest));
  }
  return forest;
}

ServableMetadata MakeMetadata(const std::vector<std::string>& features, Kind kind, size_t k) {
  ServableMetadata metadata;
  metadata.platform = "xgboost_json";
  for (const std::string& f : features) metadata.inputs.push_back({f, kFp32, {-1}});
  if (kind == Kind::kRegression) {
    metadata.outputs.push_back({"predictions", kFp64, {-1}});
  } else {
    metadata.outputs.push_back({"predictions", kInt64, {-1}});
    metadata.outputs.push_back({"probabilities", kFp64, {-1, static_cast<int64_t>(k)}});
  }
  return metadata;
}

}  // namespace

core::Result<std::unique_ptr<Servable>> LoadXgboostJsonServable(const ModelFiles& files) {
  const Source src{files.path};
  // Parsed straight from the mapped file: no heap copy of the text (the model's size again) at
  // the peak of the load; the mapping goes as soon as the document is parsed.
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<core::MappedFile> file, core::MappedFile::Open(files.path));
  json doc;
  try {
    const std::string_view text = file->view();
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return core::ParseError("{}: not an XGBoost JSON model: {}", files.path, e.what());
  }
  file.reset();
  if (!doc.is_object()) {
    return core::ParseError(
        "{}: not an XGBoost JSON model: expected an object with a \"learner\", found {}",
        files.path, doc.type_name());
  }
  KILN_ASSIGN_OR_RETURN(const json* learner,
                        Member(src, doc, "", "learner", json::value_t::object));
  KILN_ASSIGN_OR_RETURN(const Objective* objective, ParseObjective(src, *learner));
  KILN_ASSIGN_OR_RETURN(const Params params, ParseParams(src, *learner, *objective));
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> features,
                        ParseFeatureNames(src, *learner, params.num_feature));
  KILN_ASSIGN_OR_RETURN(Forest forest, ParseForest(src, *learner, params));
  const size_t k =
      objective->kind == Kind::kRegression ? 1 : std::max<size_t>(params.num_groups, 2);
  return std::unique_ptr<Servable>(std::make_unique<XgboostServable>(
      MakeMetadata(features, objective->kind, k), std::move(features), std::move(forest),
      *objective, params));
}

}  // namespace kiln::serve
