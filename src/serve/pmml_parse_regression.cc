// RegressionModel: RegressionTables of NumericPredictors and CategoricalPredictors, and the
// normalizationMethod that turns the tables' values into a prediction or class probabilities.
#include "kiln/core/strings.h"
#include "pmml_parse_context.h"

namespace kiln::serve::pmml {
namespace {

core::Result<Normalization> ParseNormalization(ParseContext& ctx, const pugi::xml_node& node,
                                               MiningFunction function) {
  KILN_ASSIGN_OR_RETURN(std::string_view n,
                        ctx.Choice(node, "normalizationMethod",
                                   {"none", "simplemax", "softmax", "logit", "probit", "cloglog",
                                    "exp", "loglog", "cauchit"},
                                   "none"));
  const bool regression = function == MiningFunction::kRegression;
  if (regression && n == "simplemax") {
    return ctx.Bad(node, "normalizationMethod=\"simplemax\" is for classification models");
  }
  if (!regression && n == "exp") {
    return ctx.Bad(node, "normalizationMethod=\"exp\" is for regression models");
  }
  return n == "simplemax" ? Normalization::kSimplemax
         : n == "softmax" ? Normalization::kSoftmax
         : n == "logit"   ? Normalization::kLogit
         : n == "probit"  ? Normalization::kProbit
         : n == "cloglog" ? Normalization::kCloglog
         : n == "exp"     ? Normalization::kExp
         : n == "loglog"  ? Normalization::kLoglog
         : n == "cauchit" ? Normalization::kCauchit
                          : Normalization::kNone;
}

core::Result<RegressionTable> ParseTable(ParseContext& ctx, const pugi::xml_node& node,
                                         const Scope& scope, Model& model) {
  RegressionTable t;
  KILN_ASSIGN_OR_RETURN(t.intercept, ctx.Number(node, "intercept"));
  if (model.function == MiningFunction::kClassification) {
    KILN_ASSIGN_OR_RETURN(t.category,
                          ctx.Category(node, "targetCategory", model.target, model.categories));
  }
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    const std::string_view kind = ParseContext::Name(child);
    if (kind == "NumericPredictor") {
      KILN_ASSIGN_OR_RETURN(std::string_view name, ctx.Required(child, "name"));
      KILN_ASSIGN_OR_RETURN(const int slot, ctx.Resolve(scope, child, name));
      if (!IsNumeric(ctx.SlotType(slot))) {
        return ctx.Bad(child, "field '{}' is a string field; a NumericPredictor needs a number",
                       name);
      }
      KILN_ASSIGN_OR_RETURN(const double exponent, ctx.Number(child, "exponent", 1));
      KILN_ASSIGN_OR_RETURN(const double coefficient, ctx.Number(child, "coefficient"));
      t.numeric.push_back({slot, exponent, coefficient});
    } else if (kind == "CategoricalPredictor") {
      KILN_ASSIGN_OR_RETURN(std::string_view name, ctx.Required(child, "name"));
      KILN_ASSIGN_OR_RETURN(const int slot, ctx.Resolve(scope, child, name));
      KILN_ASSIGN_OR_RETURN(Value value, ctx.ValueAttr(child, "value", ctx.SlotType(slot), true));
      KILN_RETURN_IF_ERROR(ctx.CheckCategory(child, slot, value));
      KILN_ASSIGN_OR_RETURN(const double coefficient, ctx.Number(child, "coefficient"));
      t.categorical.push_back({slot, std::move(value), coefficient});
    } else if (kind == "PredictorTerm") {
      return ctx.Unsupported(child, "interaction terms (PredictorTerm) are not supported");
    } else if (!ParseContext::Ignorable(kind)) {
      return ctx.Bad(child, "unexpected element in a RegressionTable");
    }
  }
  return t;
}

bool IsBinaryNormalization(Normalization n) {
  return n == Normalization::kLogit || n == Normalization::kProbit ||
         n == Normalization::kCloglog || n == Normalization::kLoglog ||
         n == Normalization::kCauchit;
}

}  // namespace

core::Status ParseRegressionBody(ParseContext& ctx, const pugi::xml_node& node, const Scope& scope,
                                 Model& model) {
  RegressionBody body;
  KILN_ASSIGN_OR_RETURN(body.normalization, ParseNormalization(ctx, node, model.function));
  std::vector<pugi::xml_node> table_nodes;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    if (ParseContext::Name(child) != "RegressionTable") continue;
    KILN_ASSIGN_OR_RETURN(RegressionTable t, ParseTable(ctx, child, scope, model));
    for (const RegressionTable& other : body.tables) {
      if (model.function == MiningFunction::kClassification && other.category == t.category) {
        return ctx.Bad(child, "a second RegressionTable for category '{}'",
                       model.categories[static_cast<size_t>(t.category)]);
      }
    }
    body.tables.push_back(std::move(t));
    table_nodes.push_back(child);
  }
  if (body.tables.empty()) return ctx.Bad(node, "the RegressionModel has no RegressionTable");
  if (model.function == MiningFunction::kRegression) {
    if (body.tables.size() != 1) {
      return ctx.Bad(table_nodes[1],
                     "a regression RegressionModel has one RegressionTable, "
                     "found {}",
                     body.tables.size());
    }
  } else if (IsBinaryNormalization(body.normalization)) {
    // p(first) = f(y(first)) and the other category 1 - p(first): the second table, if any,
    // must be the empty equation this implies.
    if (body.tables.size() > 2 || model.categories.size() != 2) {
      return ctx.Unsupported(node,
                             "normalizationMethod logit, probit, cloglog, loglog and "
                             "cauchit are supported for two categories; this model has {}",
                             model.categories.size());
    }
    if (body.tables.size() == 2) {
      const RegressionTable& last = body.tables[1];
      if (last.intercept != 0 || !last.numeric.empty() || !last.categorical.empty()) {
        return ctx.Bad(table_nodes[1],
                       "with a binary normalizationMethod the second category's probability is "
                       "1 - p(first); its RegressionTable must be empty (intercept 0, no "
                       "predictors), or its equation would be ignored");
      }
      body.tables.pop_back();
    }
  } else {
    for (size_t k = 0; k < model.categories.size(); ++k) {
      bool found = false;
      for (const RegressionTable& t : body.tables)
        found = found || t.category == static_cast<int>(k);
      if (!found) {
        return ctx.Bad(node, "category '{}' of the target field has no RegressionTable",
                       model.categories[k]);
      }
    }
    if (model.categories.size() < 2) {
      return ctx.Bad(node, "a classification RegressionModel needs two or more categories");
    }
  }
  model.body = std::move(body);
  return core::Status::Ok();
}

}  // namespace kiln::serve::pmml
