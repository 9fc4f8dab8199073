// Expressions (derived fields) and predicates (tree nodes, segments) of a PMML document.
#include <algorithm>
#include <cmath>

#include "kiln/core/strings.h"
#include "pmml_evaluator.h"

namespace kiln::serve::pmml {
namespace {

bool Truthy(const Value& v) {
  return v.kind == Value::Kind::kNumber ? v.number != 0 : !v.text.empty();
}

Value Bool(bool b) { return Value::Number(b ? 1 : 0); }

const char* FunctionName(Function f) {
  switch (f) {
    case Function::kAdd:
      return "+";
    case Function::kSubtract:
      return "-";
    case Function::kMultiply:
      return "*";
    case Function::kDivide:
      return "/";
    case Function::kMin:
      return "min";
    case Function::kMax:
      return "max";
    case Function::kSum:
      return "sum";
    case Function::kAvg:
      return "avg";
    case Function::kProduct:
      return "product";
    case Function::kLog10:
      return "log10";
    case Function::kLn:
      return "ln";
    case Function::kSqrt:
      return "sqrt";
    case Function::kAbs:
      return "abs";
    case Function::kExp:
      return "exp";
    case Function::kPow:
      return "pow";
    case Function::kThreshold:
      return "threshold";
    case Function::kFloor:
      return "floor";
    case Function::kCeil:
      return "ceil";
    case Function::kRound:
      return "round";
    case Function::kExpm1:
      return "expm1";
    case Function::kLn1p:
      return "ln1p";
    case Function::kIsMissing:
      return "isMissing";
    case Function::kIsNotMissing:
      return "isNotMissing";
    case Function::kEqual:
      return "equal";
    case Function::kNotEqual:
      return "notEqual";
    case Function::kLessThan:
      return "lessThan";
    case Function::kLessOrEqual:
      return "lessOrEqual";
    case Function::kGreaterThan:
      return "greaterThan";
    case Function::kGreaterOrEqual:
      return "greaterOrEqual";
    case Function::kAnd:
      return "and";
    case Function::kOr:
      return "or";
    case Function::kNot:
      return "not";
    case Function::kIf:
      return "if";
    case Function::kIsIn:
      return "isIn";
    case Function::kIsNotIn:
      return "isNotIn";
  }
  return "?";
}

// The numeric result of a function over present values; NaN when it has none (or an argument
// is not a number).
double Compute(Function f, const std::vector<Value>& a) {
  for (const Value& v : a) {
    if (v.kind != Value::Kind::kNumber) return std::nan("");
  }
  auto x = [&](size_t i) { return a[i].number; };
  switch (f) {
    case Function::kAdd:
      return x(0) + x(1);
    case Function::kSubtract:
      return x(0) - x(1);
    case Function::kMultiply:
      return x(0) * x(1);
    case Function::kDivide:
      return x(0) / x(1);
    case Function::kMin: {
      double m = x(0);
      for (size_t i = 1; i < a.size(); ++i) m = std::min(m, x(i));
      return m;
    }
    case Function::kMax: {
      double m = x(0);
      for (size_t i = 1; i < a.size(); ++i) m = std::max(m, x(i));
      return m;
    }
    case Function::kSum:
    case Function::kAvg: {
      double s = 0;
      for (size_t i = 0; i < a.size(); ++i) s += x(i);
      return f == Function::kSum ? s : s / static_cast<double>(a.size());
    }
    case Function::kProduct: {
      double p = 1;
      for (size_t i = 0; i < a.size(); ++i) p *= x(i);
      return p;
    }
    case Function::kLog10:
      return std::log10(x(0));
    case Function::kLn:
      return std::log(x(0));
    case Function::kSqrt:
      return std::sqrt(x(0));
    case Function::kAbs:
      return std::abs(x(0));
    case Function::kExp:
      return std::exp(x(0));
    case Function::kPow:
      return std::pow(x(0), x(1));
    case Function::kThreshold:
      return x(0) > x(1) ? 1 : 0;
    case Function::kFloor:
      return std::floor(x(0));
    case Function::kCeil:
      return std::ceil(x(0));
    case Function::kRound:
      return std::round(x(0));
    case Function::kExpm1:
      return std::expm1(x(0));
    case Function::kLn1p:
      return std::log1p(x(0));
    case Function::kLessThan:
      return x(0) < x(1);
    case Function::kLessOrEqual:
      return x(0) <= x(1);
    case Function::kGreaterThan:
      return x(0) > x(1);
    case Function::kGreaterOrEqual:
      return x(0) >= x(1);
    case Function::kAnd: {
      bool all = true;
      for (size_t i = 0; i < a.size(); ++i) all = all && x(i) != 0;
      return all;
    }
    case Function::kOr: {
      bool any = false;
      for (size_t i = 0; i < a.size(); ++i) any = any || x(i) != 0;
      return any;
    }
    case Function::kNot:
      return x(0) == 0;
    default:
      return std::nan("");
  }
}

core::Result<Value> Apply(const Document& doc, const Expression& e, const std::vector<Value>& slots,
                          int depth) {
  if (e.function == Function::kIsMissing || e.function == Function::kIsNotMissing) {
    KILN_ASSIGN_OR_RETURN(const Value v, EvaluateExpression(doc, e.args[0], slots, depth + 1));
    return Bool(v.missing() == (e.function == Function::kIsMissing));
  }
  if (e.function == Function::kIf) {
    KILN_ASSIGN_OR_RETURN(const Value c, EvaluateExpression(doc, e.args[0], slots, depth + 1));
    if (c.missing()) return e.map_missing_to;
    if (Truthy(c)) return EvaluateExpression(doc, e.args[1], slots, depth + 1);
    if (e.args.size() > 2) return EvaluateExpression(doc, e.args[2], slots, depth + 1);
    return e.default_value;
  }
  std::vector<Value> args;
  args.reserve(e.args.size());
  for (const Expression& a : e.args) {
    KILN_ASSIGN_OR_RETURN(Value v, EvaluateExpression(doc, a, slots, depth + 1));
    if (v.missing()) return e.map_missing_to;
    args.push_back(std::move(v));
  }
  switch (e.function) {
    case Function::kEqual:
      return Bool(SameValue(args[0], args[1]));
    case Function::kNotEqual:
      return Bool(!SameValue(args[0], args[1]));
    case Function::kIsIn:
    case Function::kIsNotIn: {
      bool in = false;
      for (size_t i = 1; i < args.size(); ++i) in = in || SameValue(args[0], args[i]);
      return Bool(in == (e.function == Function::kIsIn));
    }
    default:
      break;
  }
  const double r = Compute(e.function, args);
  if (std::isfinite(r)) return Value::Number(r);
  if (e.invalid == InvalidResult::kAsMissing) {
    return e.default_value;
  }
  std::vector<std::string> shown;
  for (const Value& v : args) {
    shown.push_back(v.kind == Value::Kind::kNumber ? core::FormatDouble(v.number)
                                                   : fmt::format("\"{}\"", core::Excerpt(v.text)));
  }
  return core::InvalidArgument("{}:{}: Apply: function '{}' has no valid result for ({})", doc.path,
                               e.line, FunctionName(e.function), core::Join(shown, ", "));
}

// NormContinuous: piecewise-linear between the points; outside them by `outliers`.
Value NormContinuous(const Expression& e, double x) {
  const auto& p = e.points;
  if (x < p.front().first || x > p.back().first) {
    if (e.outliers == 1) return Value::Missing();
    if (e.outliers == 2)
      return Value::Number(x < p.front().first ? p.front().second : p.back().second);
  }
  size_t i = 1;
  while (i + 1 < p.size() && x > p[i].first) ++i;
  const auto& [x0, y0] = p[i - 1];
  const auto& [x1, y1] = p[i];
  return Value::Number(y0 + (x - x0) / (x1 - x0) * (y1 - y0));
}

}  // namespace

core::Result<Value> EvaluateExpression(const Document& doc, const Expression& e,
                                       const std::vector<Value>& slots, int depth) {
  switch (e.kind) {
    case Expression::Kind::kConstant:
      return e.constant;
    case Expression::Kind::kFieldRef: {
      const Value& v = slots[static_cast<size_t>(e.slot)];
      return v.missing() ? e.map_missing_to : v;
    }
    case Expression::Kind::kNormDiscrete: {
      const Value& v = slots[static_cast<size_t>(e.slot)];
      if (v.missing()) return e.map_missing_to;
      return Bool(SameValue(v, e.constant));
    }
    case Expression::Kind::kNormContinuous: {
      const Value& v = slots[static_cast<size_t>(e.slot)];
      if (v.missing()) return e.map_missing_to;
      if (v.kind != Value::Kind::kNumber) {
        return core::InvalidArgument("{}:{}: NormContinuous: field '{}' holds the text \"{}\"",
                                     doc.path, e.line, doc.slot_names[static_cast<size_t>(e.slot)],
                                     core::Excerpt(v.text));
      }
      return NormContinuous(e, v.number);
    }
    case Expression::Kind::kApply:
      return Apply(doc, e, slots, depth);
  }
  return Value::Missing();
}

Truth EvaluatePredicate(const Predicate& p, const std::vector<Value>& slots, int& missing_slot) {
  using Op = Predicate::Op;
  switch (p.kind) {
    case Predicate::Kind::kTrue:
      return Truth::kTrue;
    case Predicate::Kind::kFalse:
      return Truth::kFalse;
    case Predicate::Kind::kSimple: {
      const Value& v = slots[static_cast<size_t>(p.slot)];
      if (p.op == Op::kIsMissing) return v.missing() ? Truth::kTrue : Truth::kFalse;
      if (p.op == Op::kIsNotMissing) return v.missing() ? Truth::kFalse : Truth::kTrue;
      if (v.missing()) {
        missing_slot = p.slot;
        return Truth::kUnknown;
      }
      bool r = false;
      switch (p.op) {
        case Op::kEqual:
          r = SameValue(v, p.value);
          break;
        case Op::kNotEqual:
          r = !SameValue(v, p.value);
          break;
        case Op::kLessThan:
          r = v.number < p.value.number;
          break;
        case Op::kLessOrEqual:
          r = v.number <= p.value.number;
          break;
        case Op::kGreaterThan:
          r = v.number > p.value.number;
          break;
        case Op::kGreaterOrEqual:
          r = v.number >= p.value.number;
          break;
        default:
          break;
      }
      return r ? Truth::kTrue : Truth::kFalse;
    }
    case Predicate::Kind::kSet: {
      const Value& v = slots[static_cast<size_t>(p.slot)];
      if (v.missing()) {
        missing_slot = p.slot;
        return Truth::kUnknown;
      }
      bool in = false;
      for (const Value& s : p.set) in = in || SameValue(v, s);
      return in == (p.op == Op::kIsIn) ? Truth::kTrue : Truth::kFalse;
    }
    case Predicate::Kind::kCompound:
      break;
  }
  bool unknown = false;
  switch (p.op) {
    case Op::kAnd:
      for (const Predicate& c : p.children) {
        const Truth t = EvaluatePredicate(c, slots, missing_slot);
        if (t == Truth::kFalse) return Truth::kFalse;
        unknown = unknown || t == Truth::kUnknown;
      }
      return unknown ? Truth::kUnknown : Truth::kTrue;
    case Op::kOr:
      for (const Predicate& c : p.children) {
        const Truth t = EvaluatePredicate(c, slots, missing_slot);
        if (t == Truth::kTrue) return Truth::kTrue;
        unknown = unknown || t == Truth::kUnknown;
      }
      return unknown ? Truth::kUnknown : Truth::kFalse;
    case Op::kXor: {
      bool odd = false;
      for (const Predicate& c : p.children) {
        const Truth t = EvaluatePredicate(c, slots, missing_slot);
        if (t == Truth::kUnknown) return Truth::kUnknown;
        odd = odd != (t == Truth::kTrue);
      }
      return odd ? Truth::kTrue : Truth::kFalse;
    }
    case Op::kSurrogate:
      for (const Predicate& c : p.children) {
        const Truth t = EvaluatePredicate(c, slots, missing_slot);
        if (t != Truth::kUnknown) return t;
      }
      return Truth::kUnknown;
    default:
      return Truth::kUnknown;
  }
}

}  // namespace kiln::serve::pmml
