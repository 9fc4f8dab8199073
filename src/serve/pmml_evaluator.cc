// Models: MiningSchema treatments, LocalTransformations, RegressionModel, TreeModel, MiningModel
// and Targets, for one row.
#include "pmml_evaluator.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kiln/core/strings.h"

namespace kiln::serve::pmml {
namespace {

std::string Describe(const Value& v) {
  if (v.kind == Value::Kind::kNumber) return core::FormatDouble(v.number);
  return fmt::format("\"{}\"", core::Excerpt(v.text));
}

std::string ModelWhere(const Document& doc, const Model& m) {
  return fmt::format("{}:{}: {}", doc.path, m.line, m.element);
}

class RowEvaluator {
 public:
  RowEvaluator(const Document& doc, std::vector<Value>& slots) : doc_(doc), slots_(slots) {}

  core::Result<Prediction> Run(const Model& m) {
    for (const FieldTreatment& t : m.treatments) KILN_RETURN_IF_ERROR(Treat(t));
    for (const DerivedField& d : m.locals) KILN_RETURN_IF_ERROR(Derive(d));
    core::Result<Prediction> p = core::Internal("no model body");
    if (const auto* r = std::get_if<RegressionBody>(&m.body)) {
      p = Regression(m, *r);
    } else if (const auto* t = std::get_if<TreeBody>(&m.body)) {
      p = Tree(m, *t);
    } else {
      p = Mining(m, std::get<MiningBody>(m.body));
    }
    if (!p.ok() || m.function != MiningFunction::kRegression) return p;
    const TargetTransform& t = m.target_transform;
    double v = std::clamp(p->value, t.min, t.max);
    v = v * t.rescale_factor + t.rescale_constant;
    switch (t.cast) {
      case TargetTransform::Cast::kRound:
        v = std::round(v);
        break;
      case TargetTransform::Cast::kCeiling:
        v = std::ceil(v);
        break;
      case TargetTransform::Cast::kFloor:
        v = std::floor(v);
        break;
      case TargetTransform::Cast::kNone:
        break;
    }
    p->value = v;
    return p;
  }

  core::Status Derive(const DerivedField& d) {
    KILN_ASSIGN_OR_RETURN(Value v, EvaluateExpression(doc_, d.expression, slots_));
    slots_[static_cast<size_t>(d.slot)] = CastValue(std::move(v), d.type);
    return core::Status::Ok();
  }

 private:
  const std::string& Name(int slot) const { return doc_.slot_names[static_cast<size_t>(slot)]; }

  core::Status Treat(const FieldTreatment& t) {
    Value v = slots_[static_cast<size_t>(t.in_slot)];
    if (!v.missing() && t.field >= 0 && t.invalid != FieldTreatment::Invalid::kAsIs) {
      const DataField& f = doc_.fields[static_cast<size_t>(t.field)];
      if (!f.IsValid(v)) {
        switch (t.invalid) {
          case FieldTreatment::Invalid::kReturnInvalid:
            return core::InvalidArgument(
                "feature '{}' has the value {}, which the model does not accept{}", t.name,
                Describe(v),
                f.valid_texts.empty()
                    ? ""
                    : " (valid values: " + core::Excerpt(core::Join(f.valid_texts, ", "), 300) +
                          ")");
          case FieldTreatment::Invalid::kAsMissing:
            v = Value::Missing();
            break;
          case FieldTreatment::Invalid::kAsValue:
            v = t.invalid_replacement;
            break;
          case FieldTreatment::Invalid::kAsIs:
            break;
        }
      }
    }
    if (v.kind == Value::Kind::kNumber && (v.number < t.low || v.number > t.high)) {
      if (t.outliers == FieldTreatment::Outliers::kAsMissing) v = Value::Missing();
      if (t.outliers == FieldTreatment::Outliers::kAsExtreme) {
        v.number = std::clamp(v.number, t.low, t.high);
      }
    }
    if (v.missing()) {
      if (!t.missing_replacement.missing()) {
        v = t.missing_replacement;
      } else if (t.missing_is_error) {
        return core::InvalidArgument(
            "feature '{}' is missing and the model does not accept a missing value "
            "(missingValueTreatment=\"returnInvalid\", {}:{})",
            t.name, doc_.path, t.line);
      }
    }
    slots_[static_cast<size_t>(t.out_slot)] = std::move(v);
    return core::Status::Ok();
  }

  core::Result<Prediction> Regression(const Model& m, const RegressionBody& body) {
    std::vector<double> y(std::max<size_t>(m.categories.size(), 1), 0.0);
    for (const RegressionTable& t : body.tables) {
      double sum = 0;
      for (const RegressionTable::NumericTerm& term : t.numeric) {
        const Value& v = slots_[static_cast<size_t>(term.slot)];
        if (v.missing()) {
          return core::InvalidArgument(
              "feature '{}' is missing and {}{} needs a value for it (send a value, or give its "
              "MiningField a missingValueReplacement)",
              Name(term.slot), ModelWhere(doc_, m),
              m.name.empty() ? std::string() : fmt::format(" '{}'", m.name));
        }
        sum +=
            term.coefficient * (term.exponent == 1 ? v.number : std::pow(v.number, term.exponent));
      }
      for (const RegressionTable::CategoricalTerm& term : t.categorical) {
        if (SameValue(slots_[static_cast<size_t>(term.slot)], term.value)) {
          sum += term.coefficient;
        }
      }
      y[t.category < 0 ? 0 : static_cast<size_t>(t.category)] = sum + t.intercept;
    }
    Prediction p;
    if (m.function == MiningFunction::kRegression) {
      p.value = Regress(body.normalization, y[0]);
      return p;
    }
    const size_t k = m.categories.size();
    p.probabilities.assign(k, 0.0);
    switch (body.normalization) {
      case Normalization::kSoftmax: {
        const double top = *std::max_element(y.begin(), y.end());
        double s = 0;
        for (size_t c = 0; c < k; ++c) s += (p.probabilities[c] = std::exp(y[c] - top));
        for (double& v : p.probabilities) v /= s;
        break;
      }
      case Normalization::kSimplemax: {
        double s = 0;
        for (double v : y) s += v;
        if (s == 0) {
          return core::InvalidArgument(
              "the model has no prediction for this row: its simplemax values sum to 0 ({})",
              ModelWhere(doc_, m));
        }
        for (size_t c = 0; c < k; ++c) p.probabilities[c] = y[c] / s;
        break;
      }
      case Normalization::kNone:
        p.probabilities = y;
        break;
      default: {
        // Binary: the first table's category gets f(y), the other 1 - f(y).
        const auto first = static_cast<size_t>(body.tables[0].category);
        const double q = Regress(body.normalization, y[first]);
        p.probabilities[first] = q;
        p.probabilities[1 - first] = 1 - q;
        break;
      }
    }
    p.category = ArgMax(p.probabilities);
    return p;
  }

  static int ArgMax(const std::vector<double>& v) {
    return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
  }

  // A regression value through its normalizationMethod (also the binary inverse links).
  static double Regress(Normalization n, double y) {
    switch (n) {
      case Normalization::kSoftmax:
      case Normalization::kLogit:
        return y >= 0 ? 1 / (1 + std::exp(-y)) : std::exp(y) / (1 + std::exp(y));
      case Normalization::kExp:
        return std::exp(y);
      case Normalization::kProbit:
        return 0.5 * std::erfc(-y / std::sqrt(2.0));
      case Normalization::kCloglog:
        return 1 - std::exp(-std::exp(y));
      case Normalization::kLoglog:
        return std::exp(-std::exp(-y));
      case Normalization::kCauchit:
        return 0.5 + std::atan(y) / std::numbers::pi;
      case Normalization::kNone:
      case Normalization::kSimplemax:
        return y;
    }
    return y;
  }

  core::Status NoPrediction(const TreeNode& node, const std::string& why, int missing_slot) const {
    return core::InvalidArgument(
        "the model has no prediction for this row: {}{} (Node{} at {}:{})", why,
        missing_slot >= 0 ? fmt::format(" (feature '{}' is missing)", Name(missing_slot)) : "",
        node.id.empty() ? std::string() : fmt::format(" '{}'", node.id), doc_.path, node.line);
  }

  static Prediction NodeResult(const Model& m, const TreeNode& node) {
    Prediction p;
    if (m.function == MiningFunction::kRegression) {
      p.value = node.score;
      return p;
    }
    p.category = node.category;
    if (!node.probabilities.empty()) {
      p.probabilities = node.probabilities;
    } else {
      p.probabilities.assign(m.categories.size(), 0.0);
      p.probabilities[static_cast<size_t>(node.category)] = 1;
    }
    return p;
  }

  core::Result<Prediction> Tree(const Model& m, const TreeBody& tree) {
    int missing_slot = -1;
    const TreeNode* node = &tree.nodes[0];
    if (EvaluatePredicate(node->predicate, slots_, missing_slot) != Truth::kTrue) {
      return NoPrediction(*node, "the root Node's predicate is not true", missing_slot);
    }
    while (!node->children.empty()) {
      const TreeNode* next = nullptr;
      for (uint32_t c : node->children) {
        const TreeNode& child = tree.nodes[c];
        const Truth t = EvaluatePredicate(child.predicate, slots_, missing_slot);
        if (t == Truth::kTrue) {
          next = &child;
          break;
        }
        if (t == Truth::kFalse || tree.missing == TreeBody::Missing::kNone) continue;
        if (tree.missing == TreeBody::Missing::kLastPrediction) {
          if (node->has_score) return NodeResult(m, *node);
          return NoPrediction(*node, "a value is missing and this Node has no score", missing_slot);
        }
        if (tree.missing == TreeBody::Missing::kNullPrediction) {
          return NoPrediction(child, "missingValueStrategy is nullPrediction", missing_slot);
        }
        if (node->default_child < 0) {
          return NoPrediction(*node, "a value is missing and this Node has no defaultChild",
                              missing_slot);
        }
        next = &tree.nodes[static_cast<size_t>(node->default_child)];
        break;
      }
      if (next == nullptr) {
        if (tree.no_true_child_last && node->has_score) return NodeResult(m, *node);
        return NoPrediction(*node,
                            tree.no_true_child_last
                                ? "no child Node matches and this Node has no score"
                                : "no child Node matches (noTrueChildStrategy is "
                                  "returnNullPrediction)",
                            missing_slot);
      }
      node = next;
    }
    return NodeResult(m, *node);
  }

  // A segment's classification result in its MiningModel's categories.
  static Prediction Remap(const Prediction& p, const Segment& s, size_t k) {
    Prediction out;
    out.probabilities.assign(k, 0.0);
    for (size_t c = 0; c < p.probabilities.size(); ++c) {
      out.probabilities[static_cast<size_t>(s.category_map[c])] += p.probabilities[c];
    }
    out.category = s.category_map[static_cast<size_t>(p.category)];
    return out;
  }

  core::Status Output(const OutputField& f, const Model& m, const Prediction& p) {
    Value v;
    switch (f.feature) {
      case OutputField::Feature::kPredictedValue:
        v = m.function == MiningFunction::kRegression
                ? Value::Number(p.value)
                : Value::Text(m.categories[static_cast<size_t>(p.category)]);
        break;
      case OutputField::Feature::kProbability:
        v = Value::Number(p.probabilities[static_cast<size_t>(f.category)]);
        break;
      case OutputField::Feature::kTransformedValue: {
        KILN_ASSIGN_OR_RETURN(v, EvaluateExpression(doc_, f.expression, slots_));
        break;
      }
    }
    slots_[static_cast<size_t>(f.slot)] = CastValue(std::move(v), f.type);
    return core::Status::Ok();
  }

  core::Result<Prediction> Mining(const Model& m, const MiningBody& body) {
    const bool classification = m.function == MiningFunction::kClassification;
    const size_t k = m.categories.size();
    std::vector<double> values;   // regression: each evaluated segment's value
    std::vector<double> weights;  // and weight
    std::vector<double> votes(k, 0.0);
    Prediction result;
    double best_confidence = -1;
    bool any = false;  // a segment that counts toward the result was evaluated
    for (const Segment& s : body.segments) {
      int missing_slot = -1;
      if (EvaluatePredicate(s.predicate, slots_, missing_slot) != Truth::kTrue) continue;
      core::Result<Prediction> r = Run(*s.model);
      if (!r.ok()) {
        return core::Status(r.status())
            .AddContext(fmt::format("in segment '{}' ({}:{})", s.id, doc_.path, s.line));
      }
      for (const OutputField& f : s.outputs) KILN_RETURN_IF_ERROR(Output(f, *s.model, *r));
      // A chain answers with the last model it ran that predicts what the MiningModel does;
      // the models before it only compute inputs for later ones.
      const bool counts =
          body.combine != Combine::kModelChain ||
          (s.model->function == m.function && (!classification || s.model->target == m.target));
      if (!counts) continue;
      any = true;
      if (!classification) {
        values.push_back(r->value);
        weights.push_back(s.weight);
      } else {
        Prediction p = Remap(*r, s, k);
        switch (body.combine) {
          case Combine::kMajorityVote:
            votes[static_cast<size_t>(p.category)] += 1;
            break;
          case Combine::kWeightedMajorityVote:
            votes[static_cast<size_t>(p.category)] += s.weight;
            break;
          case Combine::kAverage:
          case Combine::kWeightedAverage: {
            const double w = body.combine == Combine::kAverage ? 1 : s.weight;
            for (size_t c = 0; c < k; ++c) votes[c] += w * p.probabilities[c];
            weights.push_back(w);
            break;
          }
          case Combine::kMax: {
            const double confidence = p.probabilities[static_cast<size_t>(p.category)];
            if (confidence > best_confidence) {
              best_confidence = confidence;
              result = std::move(p);
            }
            break;
          }
          default:  // selectFirst, modelChain: the latest
            result = std::move(p);
            break;
        }
      }
      if (body.combine == Combine::kSelectFirst) break;
    }
    if (!any) {
      return core::InvalidArgument(
          "the model has no prediction for this row: no segment of {} applies (none has a true "
          "predicate{})",
          ModelWhere(doc_, m),
          body.combine == Combine::kModelChain ? " and predicts what the chain does" : "");
    }
    if (classification) {
      if (body.combine == Combine::kMajorityVote ||
          body.combine == Combine::kWeightedMajorityVote || body.combine == Combine::kAverage ||
          body.combine == Combine::kWeightedAverage) {
        double total = 0;
        for (double v : votes) total += v;
        result.probabilities.assign(k, 0.0);
        for (size_t c = 0; c < k; ++c) result.probabilities[c] = total > 0 ? votes[c] / total : 0;
        result.category = ArgMax(result.probabilities);
      }
      return result;
    }
    result.value = CombineValues(body.combine, values, weights);
    return result;
  }

  static double CombineValues(Combine how, std::vector<double>& values,
                              const std::vector<double>& weights) {
    double s = 0, w = 0;
    switch (how) {
      case Combine::kSum:
        for (double v : values) s += v;
        return s;
      case Combine::kWeightedSum:
        for (size_t i = 0; i < values.size(); ++i) s += weights[i] * values[i];
        return s;
      case Combine::kAverage:
        for (double v : values) s += v;
        return s / static_cast<double>(values.size());
      case Combine::kWeightedAverage:
        for (size_t i = 0; i < values.size(); ++i) {
          s += weights[i] * values[i];
          w += weights[i];
        }
        return s / w;
      case Combine::kMedian: {
        std::sort(values.begin(), values.end());
        const size_t n = values.size();
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
      }
      case Combine::kMax:
        return *std::max_element(values.begin(), values.end());
      default:  // selectFirst, modelChain: the latest value
        return values.back();
    }
  }

  const Document& doc_;
  std::vector<Value>& slots_;
};

}  // namespace

core::Result<Value> InputValue(const DataField& field, Value value) {
  for (const Value& m : field.missing) {
    if (SameValue(m, value)) return Value::Missing();
  }
  if (value.missing()) return value;
  if (IsNumeric(field.type) && value.kind == Value::Kind::kText) {
    // A missing-value text of a numeric field ("NA") was handled above; any other text is not a
    // value of the field.
    return core::InvalidArgument(
        "feature '{}' is numeric ({}) but has the text \"{}\"; send a "
        "number (or null for a missing value)",
        field.name, DataTypeName(field.type), core::Excerpt(value.text));
  }
  if (field.type == DataType::kInteger && value.number != std::trunc(value.number)) {
    return core::InvalidArgument("feature '{}' is an integer field but has the value {}",
                                 field.name, core::FormatDouble(value.number));
  }
  if (field.type == DataType::kBoolean && value.number != 0 && value.number != 1) {
    return core::InvalidArgument("feature '{}' is a boolean field (0 or 1) but has the value {}",
                                 field.name, core::FormatDouble(value.number));
  }
  Value v = CastValue(std::move(value), field.type);
  // A number sent for a field whose "missing" values are numbers (e.g. -999) after rounding.
  for (const Value& m : field.missing) {
    if (SameValue(m, v)) return Value::Missing();
  }
  return v;
}

core::Result<Prediction> EvaluateRow(const Document& doc, std::vector<Value>& slots) {
  for (size_t i = doc.fields.size(); i < slots.size(); ++i) slots[i] = Value::Missing();
  RowEvaluator row(doc, slots);
  for (const DerivedField& d : doc.globals) KILN_RETURN_IF_ERROR(row.Derive(d));
  return row.Run(doc.model);
}

}  // namespace kiln::serve::pmml
