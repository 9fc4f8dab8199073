// Predicates of TreeModel nodes and Segments: SimplePredicate, SimpleSetPredicate (with its
// Array), CompoundPredicate, True, False.
#include <algorithm>

#include "kiln/core/strings.h"
#include "pmml_parse_context.h"

namespace kiln::serve::pmml {
namespace {

using Op = Predicate::Op;

// The entries of an <Array>: separated by white space; a "double-quoted" entry may hold spaces
// and \" for a quote.
core::Result<std::vector<std::string>> ArrayEntries(ParseContext& ctx, const pugi::xml_node& node) {
  const std::string_view text = node.text().as_string();
  std::vector<std::string> out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < text.size()) {
    if (space(text[i])) {
      ++i;
      continue;
    }
    std::string entry;
    if (text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '"') {
          entry += '"';
          i += 2;
        } else if (text[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          entry += text[i++];
        }
      }
      if (!closed) return ctx.Bad(node, "a quoted entry is not closed: \"{}", core::Excerpt(entry));
    } else {
      while (i < text.size() && !space(text[i])) entry += text[i++];
    }
    out.push_back(std::move(entry));
  }
  if (const auto n = ctx.Attr(node, "n")) {
    auto count = core::ParseDouble(*n);
    if (!count || *count != static_cast<double>(out.size())) {
      return ctx.Bad(node, "n=\"{}\" but the array has {} entries", core::Excerpt(*n), out.size());
    }
  }
  return out;
}

core::Result<Predicate> ParseSimple(ParseContext& ctx, const pugi::xml_node& node,
                                    const Scope& scope) {
  Predicate p;
  p.kind = Predicate::Kind::kSimple;
  p.line = ctx.Line(node);
  KILN_ASSIGN_OR_RETURN(std::string_view field, ctx.Required(node, "field"));
  KILN_ASSIGN_OR_RETURN(p.slot, ctx.Resolve(scope, node, field));
  KILN_ASSIGN_OR_RETURN(std::string_view op,
                        ctx.Choice(node, "operator",
                                   {"equal", "notEqual", "lessThan", "lessOrEqual", "greaterThan",
                                    "greaterOrEqual", "isMissing", "isNotMissing"},
                                   ""));
  if (op.empty()) return ctx.Bad(node, "the attribute 'operator' is missing");
  p.op = op == "equal"            ? Op::kEqual
         : op == "notEqual"       ? Op::kNotEqual
         : op == "lessThan"       ? Op::kLessThan
         : op == "lessOrEqual"    ? Op::kLessOrEqual
         : op == "greaterThan"    ? Op::kGreaterThan
         : op == "greaterOrEqual" ? Op::kGreaterOrEqual
         : op == "isMissing"      ? Op::kIsMissing
                                  : Op::kIsNotMissing;
  if (p.op == Op::kIsMissing || p.op == Op::kIsNotMissing) return p;
  const DataType type = ctx.SlotType(p.slot);
  const bool equality = p.op == Op::kEqual || p.op == Op::kNotEqual;
  if (!equality && !IsNumeric(type)) {
    return ctx.Unsupported(node,
                           "operator {} on the string field '{}' is not supported (only "
                           "equal, notEqual, isMissing and isNotMissing are)",
                           op, field);
  }
  KILN_ASSIGN_OR_RETURN(p.value, ctx.ValueAttr(node, "value", type, equality));
  if (equality) KILN_RETURN_IF_ERROR(ctx.CheckCategory(node, p.slot, p.value));
  return p;
}

core::Result<Predicate> ParseSet(ParseContext& ctx, const pugi::xml_node& node,
                                 const Scope& scope) {
  Predicate p;
  p.kind = Predicate::Kind::kSet;
  p.line = ctx.Line(node);
  KILN_ASSIGN_OR_RETURN(std::string_view field, ctx.Required(node, "field"));
  KILN_ASSIGN_OR_RETURN(p.slot, ctx.Resolve(scope, node, field));
  KILN_ASSIGN_OR_RETURN(std::string_view op,
                        ctx.Choice(node, "booleanOperator", {"isIn", "isNotIn"}, ""));
  if (op.empty()) return ctx.Bad(node, "the attribute 'booleanOperator' is missing");
  p.op = op == "isIn" ? Op::kIsIn : Op::kIsNotIn;
  const pugi::xml_node array = ParseContext::Child(node, "Array");
  if (!array) return ctx.Bad(node, "a SimpleSetPredicate needs an Array of values");
  KILN_RETURN_IF_ERROR(ctx.Choice(array, "type", {"int", "real", "string"}, "string").status());
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> entries, ArrayEntries(ctx, array));
  const DataType type = ctx.SlotType(p.slot);
  for (const std::string& e : entries) {
    auto v = ParseConstant(e, type, true);
    if (!v) {
      return ctx.Bad(array, "\"{}\" is not a value of field '{}' (type {})", core::Excerpt(e),
                     field, DataTypeName(type));
    }
    KILN_RETURN_IF_ERROR(ctx.CheckCategory(array, p.slot, *v));
    p.set.push_back(std::move(*v));
  }
  return p;
}

}  // namespace

bool IsPredicate(std::string_view name) {
  return name == "SimplePredicate" || name == "SimpleSetPredicate" || name == "CompoundPredicate" ||
         name == "True" || name == "False";
}

core::Result<Predicate> ParsePredicate(ParseContext& ctx, const pugi::xml_node& node,
                                       const Scope& scope, int depth) {
  if (depth > kMaxExpressionDepth) {
    return ctx.Unsupported(node, "predicates nested deeper than {} levels", kMaxExpressionDepth);
  }
  const std::string_view kind = ParseContext::Name(node);
  if (kind == "SimplePredicate") return ParseSimple(ctx, node, scope);
  if (kind == "SimpleSetPredicate") return ParseSet(ctx, node, scope);
  Predicate p;
  p.line = ctx.Line(node);
  if (kind == "True" || kind == "False") {
    p.kind = kind == "True" ? Predicate::Kind::kTrue : Predicate::Kind::kFalse;
    return p;
  }
  if (kind != "CompoundPredicate") return ctx.Bad(node, "<{}> is not a predicate", kind);
  p.kind = Predicate::Kind::kCompound;
  KILN_ASSIGN_OR_RETURN(std::string_view op,
                        ctx.Choice(node, "booleanOperator", {"and", "or", "xor", "surrogate"}, ""));
  if (op.empty()) return ctx.Bad(node, "the attribute 'booleanOperator' is missing");
  p.op = op == "and" ? Op::kAnd : op == "or" ? Op::kOr : op == "xor" ? Op::kXor : Op::kSurrogate;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    if (ParseContext::Ignorable(ParseContext::Name(child))) continue;
    KILN_ASSIGN_OR_RETURN(Predicate c, ParsePredicate(ctx, child, scope, depth + 1));
    p.children.push_back(std::move(c));
  }
  if (p.children.size() < 2) {
    return ctx.Bad(node, "a CompoundPredicate needs at least two predicates, found {}",
                   p.children.size());
  }
  return p;
}

core::Result<Predicate> ParseChildPredicate(ParseContext& ctx, const pugi::xml_node& parent,
                                            const Scope& scope) {
  for (const pugi::xml_node& child : ParseContext::Elements(parent)) {
    if (IsPredicate(ParseContext::Name(child))) return ParsePredicate(ctx, child, scope, 0);
  }
  return ctx.Bad(parent,
                 "a predicate (True, False, SimplePredicate, SimpleSetPredicate or "
                 "CompoundPredicate) is missing");
}

}  // namespace kiln::serve::pmml
