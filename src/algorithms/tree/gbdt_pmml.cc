// PMML export of gbdt models (`kiln export --format pmml`): a PMML 4.4 MiningModel.
//   regression: a sum of TreeModels;
//   binary:     a model chain — the margin (a sum of TreeModels) then a logit RegressionModel;
//   multiclass: a model chain — one margin per class (its trees) then a softmax RegressionModel.
// Each sum starts with a one-leaf TreeModel holding the base score, so the margins add up in
// Kiln's order (base, then the trees in order). Numeric fields are dataType float (Kiln reads
// numbers as floats) and thresholds are written as the exact float, so "x < t" decides as in
// Kiln; a node's defaultChild (missingValueStrategy="defaultChild") carries the learned
// direction of missing values. Categorical fields list the model's categories and treat any
// other value as missing (invalidValueTreatment="asMissing"), which sends it the default way —
// Kiln's rule for categories it has no bin for.
#include <pugixml.hpp>

#include <fmt/format.h>

#include "gbdt_model.h"
#include "kiln/ml/pmml_writer.h"

namespace kiln::algorithms::tree {
namespace {

using ml::pmml::Element;
using ml::pmml::Num;
using ml::pmml::SetAttr;

// Thresholds as the shortest text of the float (reads back as the same float).
std::string FloatText(float v) { return fmt::format("{}", v); }

std::string ArrayText(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

class Writer {
 public:
  explicit Writer(const GbdtModel& model) : model_(model), forest_(model.state().forest) {}

  core::Result<std::string> Write() const;

 private:
  void AddDictionary(pugi::xml_node pmml) const;
  void AddFeatureFields(pugi::xml_node schema) const;
  // A "sum" MiningModel of the base score and the trees of output k, as one segment.
  void AddSum(pugi::xml_node segmentation, size_t k, const std::string& id,
              const std::string& output) const;
  void AddTree(pugi::xml_node segmentation, size_t t, const std::string& id) const;
  void AddConstant(pugi::xml_node segmentation, double value) const;
  // A Segment holding an empty TreeModel (its MiningSchema lists every feature).
  pugi::xml_node TreeModelIn(pugi::xml_node segmentation, const std::string& id) const;
  void AddNode(pugi::xml_node parent, size_t n, int& id) const;
  void AddPredicate(pugi::xml_node node, size_t parent, bool left) const;

  const GbdtModel& model_;
  const Forest& forest_;
};

void Writer::AddDictionary(pugi::xml_node pmml) const {
  const ml::LabelInfo& label = model_.info().label;
  pugi::xml_node dictionary = Element(pmml, "DataDictionary");
  for (const FeatureInfo& f : model_.state().features) {
    pugi::xml_node field = Element(dictionary, "DataField");
    SetAttr(field, "name", f.name);
    if (f.type == data::ColumnType::kNumeric) {
      SetAttr(field, "optype", "continuous");
      SetAttr(field, "dataType", "float");
    } else {
      SetAttr(field, "optype", "categorical");
      SetAttr(field, "dataType", "string");
      for (const std::string& c : f.categories) SetAttr(Element(field, "Value"), "value", c);
    }
  }
  ml::pmml::AddTargetField(dictionary, label);
  SetAttr(dictionary, "numberOfFields", std::to_string(model_.state().features.size() + 1));
}

void Writer::AddFeatureFields(pugi::xml_node schema) const {
  for (const FeatureInfo& f : model_.state().features) {
    pugi::xml_node field = Element(schema, "MiningField");
    SetAttr(field, "name", f.name);
    if (f.type == data::ColumnType::kCategorical) {
      SetAttr(field, "invalidValueTreatment", "asMissing");
    }
  }
}

void Writer::AddPredicate(pugi::xml_node node, size_t parent, bool left) const {
  const FeatureInfo& f = model_.state().features[static_cast<size_t>(forest_.feature(parent))];
  if (!forest_.categorical(parent)) {
    pugi::xml_node p = Element(node, "SimplePredicate");
    SetAttr(p, "field", f.name);
    SetAttr(p, "operator", left ? "lessThan" : "greaterOrEqual");
    SetAttr(p, "value", FloatText(forest_.threshold(parent)));
    return;
  }
  std::vector<std::string> cats;
  for (uint32_t c : forest_.LeftCategories(parent)) {
    if (c < f.categories.size()) cats.push_back(f.categories[c]);
  }
  pugi::xml_node p = Element(node, "SimpleSetPredicate");
  SetAttr(p, "field", f.name);
  SetAttr(p, "booleanOperator", left ? "isIn" : "isNotIn");
  pugi::xml_node array = Element(p, "Array");
  SetAttr(array, "type", "string");
  SetAttr(array, "n", std::to_string(cats.size()));
  array.text().set(ArrayText(cats).c_str());
}

void Writer::AddNode(pugi::xml_node node, size_t n, int& id) const {
  if (forest_.is_leaf(n)) {
    SetAttr(node, "score", Num(forest_.value(n)));
    return;
  }
  const int left_id = ++id;
  pugi::xml_node left = Element(node, "Node");
  SetAttr(left, "id", std::to_string(left_id));
  AddPredicate(left, n, true);
  AddNode(left, static_cast<size_t>(forest_.left(n)), id);
  const int right_id = ++id;
  pugi::xml_node right = Element(node, "Node");
  SetAttr(right, "id", std::to_string(right_id));
  AddPredicate(right, n, false);
  AddNode(right, static_cast<size_t>(forest_.right(n)), id);
  SetAttr(node, "defaultChild", std::to_string(forest_.default_left(n) ? left_id : right_id));
}

pugi::xml_node Writer::TreeModelIn(pugi::xml_node segmentation, const std::string& id) const {
  pugi::xml_node segment = Element(segmentation, "Segment");
  SetAttr(segment, "id", id);
  Element(segment, "True");
  pugi::xml_node tree = Element(segment, "TreeModel");
  SetAttr(tree, "functionName", "regression");
  SetAttr(tree, "missingValueStrategy", "defaultChild");
  SetAttr(tree, "noTrueChildStrategy", "returnNullPrediction");
  SetAttr(tree, "splitCharacteristic", "binarySplit");
  AddFeatureFields(Element(tree, "MiningSchema"));
  return tree;
}

void Writer::AddConstant(pugi::xml_node segmentation, double value) const {
  pugi::xml_node root = Element(TreeModelIn(segmentation, "base"), "Node");
  SetAttr(root, "id", "0");
  SetAttr(root, "score", Num(value));
  Element(root, "True");
}

void Writer::AddTree(pugi::xml_node segmentation, size_t t, const std::string& id) const {
  pugi::xml_node root = Element(TreeModelIn(segmentation, id), "Node");
  SetAttr(root, "id", "0");
  Element(root, "True");
  int next = 0;
  AddNode(root, forest_.root(t), next);
}

void Writer::AddSum(pugi::xml_node segmentation, size_t k, const std::string& id,
                    const std::string& output) const {
  const size_t outputs = model_.outputs();
  pugi::xml_node segment = Element(segmentation, "Segment");
  SetAttr(segment, "id", id);
  Element(segment, "True");
  pugi::xml_node model = Element(segment, "MiningModel");
  SetAttr(model, "functionName", "regression");
  AddFeatureFields(Element(model, "MiningSchema"));
  if (!output.empty()) {
    pugi::xml_node field = Element(Element(model, "Output"), "OutputField");
    SetAttr(field, "name", output);
    SetAttr(field, "optype", "continuous");
    SetAttr(field, "dataType", "double");
    SetAttr(field, "feature", "predictedValue");
    SetAttr(field, "isFinalResult", "false");
  }
  pugi::xml_node sum = Element(model, "Segmentation");
  SetAttr(sum, "multipleModelMethod", "sum");
  AddConstant(sum, model_.state().base_scores[k]);
  for (size_t t = k; t < forest_.num_trees(); t += outputs) AddTree(sum, t, std::to_string(t));
}

core::Result<std::string> Writer::Write() const {
  const ml::ModelInfo& info = model_.info();
  const ml::LabelInfo& label = info.label;
  for (const FeatureInfo& f : model_.state().features) {
    if (f.name == label.name) {
      return core::Unimplemented("the label '{}' is also a feature column", label.name);
    }
  }
  pugi::xml_document doc;
  pugi::xml_node pmml = ml::pmml::StartDocument(doc, info);
  AddDictionary(pmml);

  pugi::xml_node model = Element(pmml, "MiningModel");
  SetAttr(model, "modelName", "gbdt");
  SetAttr(model, "functionName", label.is_classification() ? "classification" : "regression");
  pugi::xml_node schema = Element(model, "MiningSchema");
  pugi::xml_node target = Element(schema, "MiningField");
  SetAttr(target, "name", label.name);
  SetAttr(target, "usageType", "target");
  AddFeatureFields(schema);
  pugi::xml_node top = Element(model, "Segmentation");
  if (!label.is_classification()) {
    SetAttr(top, "multipleModelMethod", "sum");
    AddConstant(top, model_.state().base_scores[0]);
    for (size_t t = 0; t < forest_.num_trees(); ++t) AddTree(top, t, std::to_string(t));
  } else {
    SetAttr(top, "multipleModelMethod", "modelChain");
    const size_t k = model_.outputs();
    std::vector<std::string> margins;
    for (size_t c = 0; c < k; ++c) {
      margins.push_back(k == 1 ? std::string("margin") : fmt::format("margin({})", c));
      AddSum(top, c, fmt::format("margin{}", c), margins.back());
    }
    pugi::xml_node link = Element(top, "Segment");
    SetAttr(link, "id", "link");
    Element(link, "True");
    pugi::xml_node reg = Element(link, "RegressionModel");
    SetAttr(reg, "functionName", "classification");
    SetAttr(reg, "normalizationMethod", k == 1 ? "logit" : "softmax");
    pugi::xml_node reg_schema = Element(reg, "MiningSchema");
    pugi::xml_node reg_target = Element(reg_schema, "MiningField");
    SetAttr(reg_target, "name", label.name);
    SetAttr(reg_target, "usageType", "target");
    for (const std::string& m : margins) SetAttr(Element(reg_schema, "MiningField"), "name", m);
    // Binary: the margin is the log-odds of the second class, whose table comes first; the
    // first class's table is empty (1 - p).
    std::vector<size_t> order;
    for (size_t c = 0; c < label.classes.size(); ++c) order.push_back(c);
    if (k == 1) order = {1, 0};
    for (size_t c : order) {
      pugi::xml_node table = Element(reg, "RegressionTable");
      SetAttr(table, "intercept", "0");
      SetAttr(table, "targetCategory", label.classes[c]);
      if (k > 1 || c == 1) {
        pugi::xml_node p = Element(table, "NumericPredictor");
        SetAttr(p, "name", margins[k == 1 ? 0 : c]);
        SetAttr(p, "coefficient", "1");
      }
    }
  }
  return ml::pmml::DocumentText(doc);
}

}  // namespace

core::Result<std::string> GbdtModel::ExportPmml() const { return Writer(*this).Write(); }

}  // namespace kiln::algorithms::tree
