// DataDictionary, derived fields and their expressions, MiningSchema and Targets.
#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "kiln/core/strings.h"
#include "pmml_parse_context.h"

namespace kiln::serve::pmml {
namespace {

core::Result<OpType> ParseOpType(ParseContext& ctx, const pugi::xml_node& node) {
  KILN_ASSIGN_OR_RETURN(std::string_view t,
                        ctx.Choice(node, "optype", {"categorical", "ordinal", "continuous"}, ""));
  if (t.empty()) return ctx.Bad(node, "the attribute 'optype' is missing");
  if (t == "categorical") return OpType::kCategorical;
  if (t == "ordinal") return OpType::kOrdinal;
  return OpType::kContinuous;
}

core::Result<Interval> ParseInterval(ParseContext& ctx, const pugi::xml_node& node) {
  KILN_ASSIGN_OR_RETURN(
      std::string_view closure,
      ctx.Choice(node, "closure", {"openClosed", "openOpen", "closedOpen", "closedClosed"}, ""));
  if (closure.empty()) return ctx.Bad(node, "the attribute 'closure' is missing");
  Interval i;
  i.left_closed = closure.substr(0, 6) == "closed";
  i.right_closed = closure.substr(closure.size() - 6) == "Closed";
  KILN_ASSIGN_OR_RETURN(i.left, ctx.Number(node, "leftMargin", i.left));
  KILN_ASSIGN_OR_RETURN(i.right, ctx.Number(node, "rightMargin", i.right));
  if (i.left > i.right) {
    return ctx.Bad(node, "leftMargin {} is greater than rightMargin {}", i.left, i.right);
  }
  return i;
}

core::Result<DataField> ParseDataField(ParseContext& ctx, const pugi::xml_node& node) {
  DataField f;
  f.line = ctx.Line(node);
  KILN_ASSIGN_OR_RETURN(std::string_view name, ctx.Required(node, "name"));
  f.name = std::string(name);
  KILN_ASSIGN_OR_RETURN(f.optype, ParseOpType(ctx, node));
  KILN_ASSIGN_OR_RETURN(f.type, ctx.TypeAttr(node, "dataType"));
  if (f.optype == OpType::kContinuous && !IsNumeric(f.type)) {
    return ctx.Bad(node,
                   "field '{}' is continuous but its dataType is {}; a continuous field "
                   "needs a numeric type",
                   f.name, DataTypeName(f.type));
  }
  if (ctx.Attr(node, "taxonomy")) {
    return ctx.Unsupported(node, "field '{}': taxonomies are not supported", f.name);
  }
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "Interval") {
      if (f.optype != OpType::kContinuous) {
        return ctx.Bad(child,
                       "field '{}' is not continuous; only continuous fields have "
                       "Intervals",
                       f.name);
      }
      KILN_ASSIGN_OR_RETURN(Interval i, ParseInterval(ctx, child));
      f.intervals.push_back(i);
    } else if (kind == "Value") {
      KILN_ASSIGN_OR_RETURN(
          std::string_view property,
          ctx.Choice(child, "property", {"valid", "invalid", "missing"}, "valid"));
      Value v;
      if (property == "valid") {
        KILN_ASSIGN_OR_RETURN(v, ctx.ValueAttr(child, "value", f.type, true));
        f.valid_texts.emplace_back(child.attribute("value").value());
      } else {
        // A missing or invalid marker may be text in a numeric field ("NA"); a request's text
        // that equals it is then taken for what it marks.
        KILN_ASSIGN_OR_RETURN(std::string_view text, ctx.Required(child, "value"));
        auto typed = ParseConstant(text, f.type, true);
        v = typed ? *typed : Value::Text(std::string(text));
      }
      (property == "valid"     ? f.valid
       : property == "invalid" ? f.invalid
                               : f.missing)
          .push_back(std::move(v));
    } else if (!ParseContext::Ignorable(kind)) {
      return ctx.Unsupported(child, "field '{}': <{}> is not supported in a DataField", f.name,
                             kind);
    }
  }
  return f;
}

// Attribute `name` of an expression element: a value for a field of `type`, or missing when
// the attribute is absent. With `loose`, text that is not a number stays a text (an Apply may
// compute a string).
core::Result<Value> OptionalValue(ParseContext& ctx, const pugi::xml_node& node, const char* name,
                                  DataType type, bool loose = false) {
  const auto text = ctx.Attr(node, name);
  if (!text) return Value::Missing();
  if (loose) {
    auto v = ParseConstant(*text, DataType::kDouble, false);
    return v ? *v : Value::Text(std::string(*text));
  }
  return ctx.ValueAttr(node, name, type, false);
}

struct FunctionInfo {
  std::string_view name;
  Function function;
  size_t min_args;
  size_t max_args;  // 0 = any number
};

constexpr FunctionInfo kFunctions[] = {
    {"+", Function::kAdd, 2, 2},
    {"-", Function::kSubtract, 2, 2},
    {"*", Function::kMultiply, 2, 2},
    {"/", Function::kDivide, 2, 2},
    {"min", Function::kMin, 1, 0},
    {"max", Function::kMax, 1, 0},
    {"sum", Function::kSum, 1, 0},
    {"avg", Function::kAvg, 1, 0},
    {"product", Function::kProduct, 1, 0},
    {"log10", Function::kLog10, 1, 1},
    {"ln", Function::kLn, 1, 1},
    {"sqrt", Function::kSqrt, 1, 1},
    {"abs", Function::kAbs, 1, 1},
    {"exp", Function::kExp, 1, 1},
    {"pow", Function::kPow, 2, 2},
    {"threshold", Function::kThreshold, 2, 2},
    {"floor", Function::kFloor, 1, 1},
    {"ceil", Function::kCeil, 1, 1},
    {"round", Function::kRound, 1, 1},
    {"expm1", Function::kExpm1, 1, 1},
    {"ln1p", Function::kLn1p, 1, 1},
    {"isMissing", Function::kIsMissing, 1, 1},
    {"isNotMissing", Function::kIsNotMissing, 1, 1},
    {"equal", Function::kEqual, 2, 2},
    {"notEqual", Function::kNotEqual, 2, 2},
    {"lessThan", Function::kLessThan, 2, 2},
    {"lessOrEqual", Function::kLessOrEqual, 2, 2},
    {"greaterThan", Function::kGreaterThan, 2, 2},
    {"greaterOrEqual", Function::kGreaterOrEqual, 2, 2},
    {"and", Function::kAnd, 2, 0},
    {"or", Function::kOr, 2, 0},
    {"not", Function::kNot, 1, 1},
    {"if", Function::kIf, 2, 3},
    {"isIn", Function::kIsIn, 2, 0},
    {"isNotIn", Function::kIsNotIn, 2, 0},
};

core::Result<Expression> ParseApply(ParseContext& ctx, const pugi::xml_node& node,
                                    const Scope& scope, int depth, std::vector<int>* reads) {
  Expression e;
  e.kind = Expression::Kind::kApply;
  e.line = ctx.Line(node);
  KILN_ASSIGN_OR_RETURN(std::string_view name, ctx.Required(node, "function"));
  const FunctionInfo* info = nullptr;
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) info = &f;
  }
  if (info == nullptr) {
    std::vector<std::string> names;
    for (const FunctionInfo& f : kFunctions) names.emplace_back(f.name);
    return ctx.Unsupported(node,
                           "function=\"{}\" is not supported (user-defined functions and "
                           "text, date and trigonometric built-ins are not); supported: {}",
                           core::Excerpt(name), core::Join(names, " "));
  }
  e.function = info->function;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    if (ParseContext::Ignorable(ParseContext::Name(child))) continue;
    KILN_ASSIGN_OR_RETURN(Expression arg, ParseExpression(ctx, child, scope, depth + 1, reads));
    e.args.push_back(std::move(arg));
  }
  if (e.args.size() < info->min_args || (info->max_args != 0 && e.args.size() > info->max_args)) {
    const std::string expected = info->max_args == info->min_args ? std::to_string(info->min_args)
                                 : info->max_args == 0
                                     ? fmt::format("at least {}", info->min_args)
                                     : fmt::format("{} to {}", info->min_args, info->max_args);
    return ctx.Bad(node, "function '{}' takes {} arguments, found {}", name, expected,
                   e.args.size());
  }
  KILN_ASSIGN_OR_RETURN(e.map_missing_to,
                        OptionalValue(ctx, node, "mapMissingTo", DataType::kDouble, true));
  KILN_ASSIGN_OR_RETURN(e.default_value,
                        OptionalValue(ctx, node, "defaultValue", DataType::kDouble, true));
  KILN_ASSIGN_OR_RETURN(std::string_view invalid,
                        ctx.Choice(node, "invalidValueTreatment", {"returnInvalid", "asMissing"},
                                   "returnInvalid", {"asIs"}));
  e.invalid = invalid == "asMissing" ? InvalidResult::kAsMissing : InvalidResult::kReturnInvalid;
  return e;
}

core::Result<Expression> ParseNormContinuous(ParseContext& ctx, const pugi::xml_node& node,
                                             const Scope& scope, std::vector<int>* reads) {
  Expression e;
  e.kind = Expression::Kind::kNormContinuous;
  e.line = ctx.Line(node);
  KILN_ASSIGN_OR_RETURN(std::string_view field, ctx.Required(node, "field"));
  KILN_ASSIGN_OR_RETURN(e.slot, ctx.Resolve(scope, node, field));
  if (reads != nullptr) reads->push_back(e.slot);
  if (!IsNumeric(ctx.SlotType(e.slot))) {
    return ctx.Bad(node, "field '{}' is a string field; NormContinuous needs a number", field);
  }
  KILN_ASSIGN_OR_RETURN(e.map_missing_to,
                        OptionalValue(ctx, node, "mapMissingTo", DataType::kDouble));
  KILN_ASSIGN_OR_RETURN(
      std::string_view outliers,
      ctx.Choice(node, "outliers", {"asIs", "asMissingValues", "asExtremeValues"}, "asIs"));
  e.outliers = outliers == "asIs" ? 0 : outliers == "asMissingValues" ? 1 : 2;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    if (ParseContext::Name(child) != "LinearNorm") {
      if (ParseContext::Ignorable(ParseContext::Name(child))) continue;
      return ctx.Bad(child, "expected LinearNorm elements in NormContinuous");
    }
    KILN_ASSIGN_OR_RETURN(const double orig, ctx.Number(child, "orig"));
    KILN_ASSIGN_OR_RETURN(const double norm, ctx.Number(child, "norm"));
    if (!e.points.empty() && orig <= e.points.back().first) {
      return ctx.Bad(child, "orig={} does not increase (the previous LinearNorm has orig={})", orig,
                     e.points.back().first);
    }
    e.points.emplace_back(orig, norm);
  }
  if (e.points.size() < 2) {
    return ctx.Bad(node, "NormContinuous needs at least two LinearNorm elements, found {}",
                   e.points.size());
  }
  return e;
}

}  // namespace

core::Status ParseDataDictionary(ParseContext& ctx, const pugi::xml_node& node, Scope& scope) {
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "DataField") {
      KILN_ASSIGN_OR_RETURN(DataField f, ParseDataField(ctx, child));
      if (scope.slots.count(f.name) != 0) {
        return ctx.Bad(child, "field '{}' is defined twice", f.name);
      }
      const int slot = ctx.NewSlot(f.name);
      ctx.SetSlotType(slot, f.type);
      ctx.SetSlotField(slot, static_cast<int>(ctx.doc().fields.size()));
      scope.slots.emplace(f.name, slot);
      ctx.doc().fields.push_back(std::move(f));
    } else if (kind == "Taxonomy") {
      return ctx.Unsupported(child, "taxonomies are not supported");
    } else if (!ParseContext::Ignorable(kind)) {
      return ctx.Bad(child, "unexpected element in the DataDictionary");
    }
  }
  if (ctx.doc().fields.empty()) return ctx.Bad(node, "the DataDictionary has no DataField");
  ctx.used_fields().assign(ctx.doc().fields.size(), false);
  return core::Status::Ok();
}

core::Result<Expression> ParseExpression(ParseContext& ctx, const pugi::xml_node& node,
                                         const Scope& scope, int depth, std::vector<int>* reads) {
  if (depth > kMaxExpressionDepth) {
    return ctx.Unsupported(node, "expressions nested deeper than {} levels", kMaxExpressionDepth);
  }
  const std::string_view kind = ParseContext::Name(node);
  Expression e;
  e.line = ctx.Line(node);
  if (kind == "Constant") {
    e.kind = Expression::Kind::kConstant;
    if (ctx.Attr(node, "missing") == "true") return e;
    const std::string_view text = node.text().as_string();
    if (ctx.Attr(node, "dataType")) {
      KILN_ASSIGN_OR_RETURN(const DataType type, ctx.TypeAttr(node, "dataType"));
      auto v = ParseConstant(text, type, false);
      if (!v) {
        return ctx.Bad(node, "\"{}\" is not a value of type {}", core::Excerpt(text),
                       DataTypeName(type));
      }
      e.constant = *v;
    } else {
      auto v = ParseConstant(text, DataType::kDouble, false);
      e.constant = v ? *v : Value::Text(std::string(text));
    }
    return e;
  }
  if (kind == "FieldRef" || kind == "NormDiscrete") {
    e.kind = kind == "FieldRef" ? Expression::Kind::kFieldRef : Expression::Kind::kNormDiscrete;
    KILN_ASSIGN_OR_RETURN(std::string_view field, ctx.Required(node, "field"));
    KILN_ASSIGN_OR_RETURN(e.slot, ctx.Resolve(scope, node, field));
    if (reads != nullptr) reads->push_back(e.slot);
    const DataType type = ctx.SlotType(e.slot);
    if (kind == "NormDiscrete") {
      KILN_ASSIGN_OR_RETURN(e.constant, ctx.ValueAttr(node, "value", type, true));
      KILN_RETURN_IF_ERROR(ctx.CheckCategory(node, e.slot, e.constant));
      KILN_ASSIGN_OR_RETURN(e.map_missing_to,
                            OptionalValue(ctx, node, "mapMissingTo", DataType::kDouble));
    } else {
      KILN_ASSIGN_OR_RETURN(e.map_missing_to, OptionalValue(ctx, node, "mapMissingTo", type));
    }
    return e;
  }
  if (kind == "Apply") return ParseApply(ctx, node, scope, depth, reads);
  if (kind == "NormContinuous") return ParseNormContinuous(ctx, node, scope, reads);
  static constexpr std::string_view kOther[] = {"Discretize", "MapValues", "TextIndex", "Aggregate",
                                                "Lag"};
  if (std::find(std::begin(kOther), std::end(kOther), kind) != std::end(kOther)) {
    return ctx.Unsupported(node,
                           "<{}> expressions are not supported; supported: Constant, "
                           "FieldRef, Apply, NormContinuous, NormDiscrete",
                           kind);
  }
  return ctx.Bad(node, "<{}> is not an expression", kind);
}

core::Status ParseDerivedFields(ParseContext& ctx, const pugi::xml_node& node, Scope& scope,
                                std::vector<DerivedField>& out) {
  std::vector<pugi::xml_node> elements;
  std::vector<DerivedField> fields;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "DefineFunction") {
      return ctx.Unsupported(child, "user-defined functions (DefineFunction) are not supported");
    }
    if (kind != "DerivedField") {
      if (ParseContext::Ignorable(kind)) continue;
      return ctx.Bad(child, "unexpected element in {}", ParseContext::Name(node));
    }
    DerivedField f;
    KILN_ASSIGN_OR_RETURN(std::string_view name, ctx.Required(child, "name"));
    f.name = std::string(name);
    KILN_ASSIGN_OR_RETURN(f.type, ctx.TypeAttr(child, "dataType"));
    KILN_RETURN_IF_ERROR(ParseOpType(ctx, child).status());
    if (scope.slots.count(f.name) != 0) {
      return ctx.Bad(child, "field '{}' is defined twice in this scope", f.name);
    }
    f.slot = ctx.NewSlot(f.name);
    ctx.SetSlotType(f.slot, f.type);
    scope.slots.emplace(f.name, f.slot);
    scope.derived.insert(f.slot);
    elements.push_back(child);
    fields.push_back(std::move(f));
  }
  // Expressions, and which of these fields each one reads.
  std::unordered_map<int, size_t> index;  // slot -> position in fields
  for (size_t i = 0; i < fields.size(); ++i) index.emplace(fields[i].slot, i);
  std::vector<std::vector<size_t>> deps(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    pugi::xml_node expression;
    for (const pugi::xml_node& child : ParseContext::Elements(elements[i])) {
      if (ParseContext::Ignorable(ParseContext::Name(child))) continue;
      if (expression) {
        return ctx.Bad(child, "derived field '{}' has more than one expression", fields[i].name);
      }
      expression = child;
    }
    if (!expression) {
      return ctx.Bad(elements[i], "derived field '{}' has no expression", fields[i].name);
    }
    std::vector<int> reads;
    KILN_ASSIGN_OR_RETURN(fields[i].expression, ParseExpression(ctx, expression, scope, 0, &reads));
    for (int slot : reads) {
      if (const auto it = index.find(slot); it != index.end()) deps[i].push_back(it->second);
      if (const int f = ctx.SlotField(slot); f >= 0)
        ctx.used_fields()[static_cast<size_t>(f)] = true;
    }
  }
  // Depth-first order: every field after the fields it reads; a cycle is an error.
  std::vector<int> state(fields.size(), 0);  // 0 new, 1 in progress, 2 done
  std::vector<size_t> order;
  std::function<core::Status(size_t)> visit = [&](size_t i) -> core::Status {
    if (state[i] == 2) return core::Status::Ok();
    if (state[i] == 1) {
      return ctx.Bad(elements[i], "derived field '{}' depends on itself", fields[i].name);
    }
    state[i] = 1;
    for (size_t d : deps[i]) KILN_RETURN_IF_ERROR(visit(d));
    state[i] = 2;
    order.push_back(i);
    return core::Status::Ok();
  };
  // An explicit depth bound: each level is a field of this element, so the recursion is bounded
  // by the number of fields; refuse absurd chains instead of risking the stack.
  if (fields.size() > 100000) {
    return ctx.Unsupported(node, "{} derived fields in one element; at most 100000", fields.size());
  }
  for (size_t i = 0; i < fields.size(); ++i) KILN_RETURN_IF_ERROR(visit(i));
  for (size_t i : order) out.push_back(std::move(fields[i]));
  return core::Status::Ok();
}

core::Status ParseMiningSchema(ParseContext& ctx, const pugi::xml_node& node, const Scope& parent,
                               Model& model, Scope& scope, std::vector<int>& active) {
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind != "MiningField") {
      if (ParseContext::Ignorable(kind)) continue;
      return ctx.Bad(child, "unexpected element in the MiningSchema");
    }
    KILN_ASSIGN_OR_RETURN(std::string_view name_view, ctx.Required(child, "name"));
    const std::string name(name_view);
    KILN_ASSIGN_OR_RETURN(std::string_view usage,
                          ctx.Choice(child, "usageType",
                                     {"active", "predicted", "target", "supplementary", "group",
                                      "order", "frequencyWeight", "analysisWeight"},
                                     "active"));
    if (usage == "predicted" || usage == "target") {
      // The predicted field is never an input, so it is looked up in the DataDictionary.
      int field = -1;
      for (size_t f = 0; f < ctx.doc().fields.size(); ++f) {
        if (ctx.doc().fields[f].name == name) field = static_cast<int>(f);
      }
      if (field < 0) {
        return ctx.Bad(child, "target field '{}' is not a field of the DataDictionary", name);
      }
      if (model.target >= 0 && model.target != field) {
        return ctx.Unsupported(child, "models with more than one target field are not supported");
      }
      model.target = field;
      continue;
    }
    if (usage != "active") continue;  // not an input of the model
    KILN_ASSIGN_OR_RETURN(const int in_slot, ctx.Resolve(parent, child, name));
    if (scope.slots.count(name) != 0) {
      return ctx.Bad(child, "field '{}' is listed twice in the MiningSchema", name);
    }
    FieldTreatment t;
    t.name = name;
    t.line = ctx.Line(child);
    t.field = ctx.SlotField(in_slot);
    t.in_slot = in_slot;
    const DataType type = ctx.SlotType(in_slot);
    if (ctx.Attr(child, "missingValueReplacement")) {
      KILN_ASSIGN_OR_RETURN(Value v, ctx.ValueAttr(child, "missingValueReplacement", type, false));
      t.missing_replacement = CastValue(std::move(v), type);
    }
    KILN_ASSIGN_OR_RETURN(
        std::string_view missing,
        ctx.Choice(child, "missingValueTreatment",
                   {"asIs", "asMean", "asMode", "asMedian", "asValue", "returnInvalid"}, "asIs"));
    t.missing_is_error = missing == "returnInvalid";
    KILN_ASSIGN_OR_RETURN(
        std::string_view invalid,
        ctx.Choice(child, "invalidValueTreatment",
                   {"returnInvalid", "asIs", "asMissing", "asValue"}, "returnInvalid"));
    t.invalid = invalid == "returnInvalid" ? FieldTreatment::Invalid::kReturnInvalid
                : invalid == "asIs"        ? FieldTreatment::Invalid::kAsIs
                : invalid == "asMissing"   ? FieldTreatment::Invalid::kAsMissing
                                           : FieldTreatment::Invalid::kAsValue;
    if (t.invalid == FieldTreatment::Invalid::kAsValue) {
      KILN_ASSIGN_OR_RETURN(Value v, ctx.ValueAttr(child, "invalidValueReplacement", type, false));
      t.invalid_replacement = CastValue(std::move(v), type);
    }
    KILN_ASSIGN_OR_RETURN(
        std::string_view outliers,
        ctx.Choice(child, "outliers", {"asIs", "asMissingValues", "asExtremeValues"}, "asIs"));
    if (outliers != "asIs") {
      if (!IsNumeric(type)) {
        return ctx.Bad(child, "outliers=\"{}\" needs a numeric field; '{}' is {}", outliers, name,
                       DataTypeName(type));
      }
      t.outliers = outliers == "asMissingValues" ? FieldTreatment::Outliers::kAsMissing
                                                 : FieldTreatment::Outliers::kAsExtreme;
      KILN_ASSIGN_OR_RETURN(t.low, ctx.Number(child, "lowValue", t.low));
      KILN_ASSIGN_OR_RETURN(t.high, ctx.Number(child, "highValue", t.high));
      if (!(t.low <= t.high)) {
        return ctx.Bad(child, "lowValue {} is greater than highValue {}", t.low, t.high);
      }
    }
    if (t.field >= 0) ctx.used_fields()[static_cast<size_t>(t.field)] = true;
    const DataField* f = t.field >= 0 ? &ctx.doc().fields[static_cast<size_t>(t.field)] : nullptr;
    const bool checks = f != nullptr && t.invalid != FieldTreatment::Invalid::kAsIs &&
                        (!f->valid.empty() || !f->invalid.empty() || !f->intervals.empty());
    const bool changes = !t.missing_replacement.missing() || t.missing_is_error ||
                         t.outliers != FieldTreatment::Outliers::kAsIs || checks;
    int slot = in_slot;
    if (changes) {
      slot = ctx.NewSlot(name);
      ctx.SetSlotType(slot, type);
      ctx.SetSlotField(slot, t.field);
      t.out_slot = slot;
      model.treatments.push_back(std::move(t));
    }
    scope.slots.emplace(name, slot);
    active.push_back(in_slot);
  }
  return core::Status::Ok();
}

core::Status ParseTargets(ParseContext& ctx, const pugi::xml_node& node, Model& model) {
  int count = 0;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind != "Target") {
      if (ParseContext::Ignorable(kind)) continue;
      return ctx.Bad(child, "unexpected element in Targets");
    }
    if (++count > 1) return ctx.Unsupported(child, "more than one Target is not supported");
    TargetTransform& t = model.target_transform;
    KILN_ASSIGN_OR_RETURN(t.min, ctx.Number(child, "min", t.min));
    KILN_ASSIGN_OR_RETURN(t.max, ctx.Number(child, "max", t.max));
    KILN_ASSIGN_OR_RETURN(t.rescale_factor, ctx.Number(child, "rescaleFactor", 1));
    KILN_ASSIGN_OR_RETURN(t.rescale_constant, ctx.Number(child, "rescaleConstant", 0));
    if (!(t.min <= t.max)) return ctx.Bad(child, "min {} is greater than max {}", t.min, t.max);
    KILN_ASSIGN_OR_RETURN(
        std::string_view cast,
        ctx.Choice(child, "castInteger", {"none", "round", "ceiling", "floor"}, "none"));
    t.cast = cast == "round"     ? TargetTransform::Cast::kRound
             : cast == "ceiling" ? TargetTransform::Cast::kCeiling
             : cast == "floor"   ? TargetTransform::Cast::kFloor
                                 : TargetTransform::Cast::kNone;
    const bool rescales = t.min != -INFINITY || t.max != INFINITY || t.rescale_factor != 1 ||
                          t.rescale_constant != 0 || t.cast != TargetTransform::Cast::kNone;
    if (rescales && model.function == MiningFunction::kClassification) {
      return ctx.Bad(child,
                     "min, max, rescaleFactor, rescaleConstant and castInteger apply to "
                     "regression models; this model is a classifier");
    }
    for (const pugi::xml_node& value : ParseContext::Elements(child)) {
      if (ParseContext::Ignorable(ParseContext::Name(value))) continue;
      if (ParseContext::Name(value) != "TargetValue") {
        return ctx.Bad(value, "unexpected element in Target");
      }
      if (ctx.Attr(value, "defaultValue") || ctx.Attr(value, "priorProbability") ||
          ParseContext::Child(value, "Partition")) {
        return ctx.Unsupported(value,
                               "default values and prior probabilities of TargetValue "
                               "are not supported");
      }
    }
  }
  return core::Status::Ok();
}

}  // namespace kiln::serve::pmml
