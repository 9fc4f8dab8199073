#include "kiln/ml/pmml_export.h"

#include <pugixml.hpp>

#include <set>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/ml/pmml_writer.h"

namespace kiln::ml {
namespace {

using Plan = FeatureEncoder::ColumnPlan;
using pmml::Element;
using pmml::Num;
using pmml::SetAttr;

pugi::xml_node Constant(pugi::xml_node parent, double v) {
  pugi::xml_node c = Element(parent, "Constant");
  SetAttr(c, "dataType", "double");
  c.text().set(Num(v).c_str());
  return c;
}

pugi::xml_node FieldRef(pugi::xml_node parent, const std::string& field) {
  pugi::xml_node f = Element(parent, "FieldRef");
  SetAttr(f, "field", field);
  return f;
}

// A name for a derived field that no column has.
std::string Unique(const std::string& wanted, std::set<std::string>& taken) {
  std::string name = wanted;
  while (taken.count(name) != 0) name += "_";
  taken.insert(name);
  return name;
}

// Derived-field names of each numeric column: its encoded value and its missing indicator.
struct NumericNames {
  std::string value;
  std::string indicator;
};

// DerivedFields for one numeric column, computing exactly what FeatureEncoder::TransformDense
// does: float((x - centre) / scale), the mean for a missing x, and the 0/1 indicator.
NumericNames AddNumeric(pugi::xml_node local, const Plan& p, bool standardize,
                        std::set<std::string>& taken) {
  NumericNames names;
  names.value = Unique((standardize ? "standardized(" : "imputed(") + p.name + ")", taken);
  pugi::xml_node d = Element(local, "DerivedField");
  SetAttr(d, "name", names.value);
  SetAttr(d, "optype", "continuous");
  SetAttr(d, "dataType", "float");
  if (standardize) {
    // A missing x is imputed with the mean, which encodes as (mean - mean) / scale = 0.
    pugi::xml_node divide = Element(d, "Apply");
    SetAttr(divide, "function", "/");
    SetAttr(divide, "mapMissingTo", "0");
    pugi::xml_node minus = Element(divide, "Apply");
    SetAttr(minus, "function", "-");
    FieldRef(minus, p.name);
    Constant(minus, p.mean);
    Constant(divide, p.scale);
  } else {
    // scale is 1 and nothing is centred: the value itself, or the mean when missing.
    pugi::xml_node ref = FieldRef(d, p.name);
    SetAttr(ref, "mapMissingTo", Num(p.mean));
  }
  if (p.indicator) {
    names.indicator = Unique("missing(" + p.name + ")", taken);
    pugi::xml_node m = Element(local, "DerivedField");
    SetAttr(m, "name", names.indicator);
    SetAttr(m, "optype", "continuous");
    SetAttr(m, "dataType", "float");
    pugi::xml_node when = Element(m, "Apply");
    SetAttr(when, "function", "if");
    pugi::xml_node is_missing = Element(when, "Apply");
    SetAttr(is_missing, "function", "isMissing");
    FieldRef(is_missing, p.name);
    Constant(when, 1);
    Constant(when, 0);
  }
  return names;
}

// One RegressionTable: weights `w` (one per encoded feature) and intercept, times `sign`.
void AddTable(pugi::xml_node model, const FeatureEncoder& encoder,
              const std::vector<NumericNames>& numeric, std::span<const double> w, double b,
              double sign, const std::string* category) {
  pugi::xml_node table = Element(model, "RegressionTable");
  SetAttr(table, "intercept", Num(sign * b));
  if (category != nullptr) SetAttr(table, "targetCategory", *category);
  // The schema lists NumericPredictors before CategoricalPredictors.
  const auto& columns = encoder.columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    const Plan& p = columns[c];
    if (p.kind != FeatureEncoder::Kind::kNumeric) continue;
    auto add = [&](const std::string& name, double weight) {
      if (weight == 0) return;  // contributes nothing (Kiln skips it too)
      pugi::xml_node n = Element(table, "NumericPredictor");
      SetAttr(n, "name", name);
      SetAttr(n, "coefficient", Num(sign * weight));
    };
    add(numeric[c].value, w[p.offset]);
    if (p.indicator) add(numeric[c].indicator, w[p.offset + 1]);
  }
  for (const Plan& p : columns) {
    if (p.kind != FeatureEncoder::Kind::kOneHot) continue;
    for (size_t k = 0; k < p.categories.size(); ++k) {
      const double weight = w[p.offset + k];
      if (weight == 0) continue;
      pugi::xml_node n = Element(table, "CategoricalPredictor");
      SetAttr(n, "name", p.name);
      SetAttr(n, "value", p.categories[k]);
      SetAttr(n, "coefficient", Num(sign * weight));
    }
  }
}

core::Status Check(const LinearPmml& m) {
  if (m.info == nullptr || m.encoder == nullptr) return core::Internal("LinearPmml is incomplete");
  const size_t d = m.encoder->num_features();
  if (m.weights.size() != m.outputs * d || m.intercept.size() != m.outputs) {
    return core::Internal("LinearPmml: {} weights and {} intercepts for {} outputs x {} features",
                          m.weights.size(), m.intercept.size(), m.outputs, d);
  }
  if (m.encoder->sparse()) {
    return core::Unimplemented(
        "models trained on sparse (LibSVM) data cannot be exported to PMML: PMML needs named "
        "columns");
  }
  for (const Plan& p : m.encoder->columns()) {
    if (p.kind == FeatureEncoder::Kind::kHashed) {
      return core::Unimplemented(
          "column '{}' is hashed into {} buckets (it has more categories than max_onehot), and "
          "PMML cannot express Kiln's feature hashing; retrain with max_onehot at least its "
          "number of categories to export this model",
          p.name, p.buckets);
    }
  }
  const LabelInfo& label = m.info->label;
  const size_t k = label.num_classes();
  const bool ok = m.kind == LinearPmml::Kind::kRegression ? !label.is_classification()
                  : m.kind == LinearPmml::Kind::kLogistic ? k == 2 && m.outputs == 1
                  : m.kind == LinearPmml::Kind::kSoftmax
                      ? k >= 2 && m.outputs == k
                      : k >= 2 && (m.outputs == 1 ? k == 2 : m.outputs == k);
  if (!ok || (m.kind == LinearPmml::Kind::kRegression && m.outputs != 1)) {
    return core::Internal("LinearPmml: {} outputs do not fit a {} label with {} classes", m.outputs,
                          TaskName(label.task), k);
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::string> WriteLinearPmml(const LinearPmml& m) {
  KILN_RETURN_IF_ERROR(Check(m));
  const ModelInfo& info = *m.info;
  const LabelInfo& label = info.label;
  const FeatureEncoder& encoder = *m.encoder;
  const bool classification = label.is_classification();
  const size_t d = encoder.num_features();

  pugi::xml_document doc;
  pugi::xml_node pmml = pmml::StartDocument(doc, info);

  // DataDictionary: the columns in training order, then the label.
  std::set<std::string> taken;
  pugi::xml_node dictionary = Element(pmml, "DataDictionary");
  for (const Plan& p : encoder.columns()) {
    taken.insert(p.name);
    pugi::xml_node f = Element(dictionary, "DataField");
    SetAttr(f, "name", p.name);
    if (p.kind == FeatureEncoder::Kind::kNumeric) {
      SetAttr(f, "optype", "continuous");
      SetAttr(f, "dataType", "float");
    } else {
      SetAttr(f, "optype", "categorical");
      SetAttr(f, "dataType", "string");
      for (const std::string& c : p.categories) SetAttr(Element(f, "Value"), "value", c);
    }
  }
  if (taken.count(label.name) != 0) {
    return core::Unimplemented("the label '{}' is also a feature column", label.name);
  }
  taken.insert(label.name);
  pmml::AddTargetField(dictionary, label);
  SetAttr(dictionary, "numberOfFields", std::to_string(encoder.columns().size() + 1));

  pugi::xml_node model = Element(pmml, "RegressionModel");
  SetAttr(model, "modelName", info.algorithm);
  SetAttr(model, "algorithmName", info.algorithm);
  SetAttr(model, "functionName", classification ? "classification" : "regression");
  const char* normalization = m.kind == LinearPmml::Kind::kLogistic  ? "logit"
                              : m.kind == LinearPmml::Kind::kSoftmax ? "softmax"
                                                                     : "none";
  SetAttr(model, "normalizationMethod", normalization);
  pugi::xml_node schema = Element(model, "MiningSchema");
  pugi::xml_node target_field = Element(schema, "MiningField");
  SetAttr(target_field, "name", label.name);
  SetAttr(target_field, "usageType", "target");
  for (const Plan& p : encoder.columns()) {
    pugi::xml_node f = Element(schema, "MiningField");
    SetAttr(f, "name", p.name);
    // An unseen category matches no CategoricalPredictor: all zeros, as Kiln's one-hot.
    if (p.kind == FeatureEncoder::Kind::kOneHot) SetAttr(f, "invalidValueTreatment", "asIs");
  }
  pugi::xml_node local = Element(model, "LocalTransformations");
  // FeatureEncoder centres only when it standardizes (then a constant column has scale 1).
  const bool centred = encoder.options().standardize;
  std::vector<NumericNames> numeric(encoder.columns().size());
  for (size_t c = 0; c < encoder.columns().size(); ++c) {
    const Plan& p = encoder.columns()[c];
    if (p.kind == FeatureEncoder::Kind::kNumeric) {
      numeric[c] = AddNumeric(local, p, centred, taken);
    }
  }
  if (!local.first_child()) model.remove_child(local);

  auto row = [&](size_t o) { return m.weights.subspan(o * d, d); };
  switch (m.kind) {
    case LinearPmml::Kind::kRegression:
      AddTable(model, encoder, numeric, row(0), m.intercept[0], 1, nullptr);
      break;
    case LinearPmml::Kind::kLogistic:
      // P(classes[1]) = logit⁻¹(y); the empty second table is classes[0] = 1 - P.
      AddTable(model, encoder, numeric, row(0), m.intercept[0], 1, &label.classes[1]);
      SetAttr(Element(model, "RegressionTable"), "intercept", "0");
      SetAttr(model.last_child(), "targetCategory", label.classes[0]);
      break;
    case LinearPmml::Kind::kSoftmax:
      for (size_t c = 0; c < m.outputs; ++c) {
        AddTable(model, encoder, numeric, row(c), m.intercept[c], 1, &label.classes[c]);
      }
      break;
    case LinearPmml::Kind::kDecision:
      if (m.outputs == 1) {
        // Kiln answers [-s, s] for a binary SVM: classes[0] gets the negated equation.
        AddTable(model, encoder, numeric, row(0), m.intercept[0], -1, &label.classes[0]);
        AddTable(model, encoder, numeric, row(0), m.intercept[0], 1, &label.classes[1]);
      } else {
        for (size_t c = 0; c < m.outputs; ++c) {
          AddTable(model, encoder, numeric, row(c), m.intercept[c], 1, &label.classes[c]);
        }
      }
      break;
  }
  return pmml::DocumentText(doc);
}

}  // namespace kiln::ml
