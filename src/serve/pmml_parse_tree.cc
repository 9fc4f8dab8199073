// TreeModel: Nodes with predicates, scores and ScoreDistributions, and the strategies for
// missing values and for nodes none of whose children match.
#include <algorithm>
#include <unordered_map>

#include "kiln/core/strings.h"
#include "pmml_parse_context.h"

namespace kiln::serve::pmml {
namespace {

// Class probabilities of a node from its ScoreDistributions: their probability attributes when
// given, else their recordCounts over the sum of recordCounts.
core::Status ParseDistribution(ParseContext& ctx, const std::vector<pugi::xml_node>& items,
                               Model& model, TreeNode& node) {
  std::vector<std::pair<int, double>> counts, probabilities;
  for (const pugi::xml_node& sd : items) {
    KILN_ASSIGN_OR_RETURN(const int k, ctx.Category(sd, "value", model.target, model.categories));
    for (const auto& [other, unused] : counts) {
      if (other == k) {
        return ctx.Bad(sd, "a second ScoreDistribution for category '{}'",
                       model.categories[static_cast<size_t>(k)]);
      }
    }
    KILN_ASSIGN_OR_RETURN(const double count, ctx.Number(sd, "recordCount", 0));
    if (!(count >= 0)) return ctx.Bad(sd, "recordCount {} is negative", count);
    counts.emplace_back(k, count);
    if (ctx.Attr(sd, "probability")) {
      KILN_ASSIGN_OR_RETURN(const double p, ctx.Number(sd, "probability"));
      if (!(p >= 0 && p <= 1)) return ctx.Bad(sd, "probability {} is not in [0, 1]", p);
      probabilities.emplace_back(k, p);
    }
  }
  if (!probabilities.empty() && probabilities.size() != counts.size()) {
    return ctx.Bad(items.front(),
                   "some ScoreDistributions of this Node have a probability and "
                   "some do not");
  }
  double total = 0;
  for (const auto& [k, c] : counts) total += c;
  const auto& source = probabilities.empty() ? counts : probabilities;
  if (probabilities.empty() && !(total > 0)) return core::Status::Ok();  // no distribution
  // Probabilities are stored per model category; categories met later extend the vector.
  for (const auto& [k, v] : source) {
    if (node.probabilities.size() <= static_cast<size_t>(k)) {
      node.probabilities.resize(static_cast<size_t>(k) + 1, 0.0);
    }
    node.probabilities[static_cast<size_t>(k)] = probabilities.empty() ? v / total : v;
  }
  return core::Status::Ok();
}

struct TreeParser {
  ParseContext& ctx;
  const Scope& scope;
  Model& model;
  TreeBody& body;

  core::Result<uint32_t> Parse(const pugi::xml_node& xml, int depth) {
    if (depth > kMaxNodeDepth) {
      return ctx.Unsupported(xml, "trees deeper than {} levels are not supported", kMaxNodeDepth);
    }
    const auto index = static_cast<uint32_t>(body.nodes.size());
    body.nodes.emplace_back();
    TreeNode node;
    node.line = ctx.Line(xml);
    if (auto id = ctx.Attr(xml, "id")) node.id = std::string(*id);
    KILN_ASSIGN_OR_RETURN(node.predicate, ParseChildPredicate(ctx, xml, scope));
    std::vector<pugi::xml_node> distribution;
    std::vector<pugi::xml_node> children;
    for (const pugi::xml_node& child : ParseContext::Elements(xml)) {
      const std::string_view kind = ParseContext::Name(child);
      if (kind == "Node") {
        children.push_back(child);
      } else if (kind == "ScoreDistribution") {
        distribution.push_back(child);
      } else if (kind == "Regression" || kind == "DecisionTree") {
        return ctx.Unsupported(child, "models embedded in tree nodes (<{}>) are not supported",
                               kind);
      } else if (!IsPredicate(kind) && !ParseContext::Ignorable(kind)) {
        return ctx.Bad(child, "unexpected element in a Node");
      }
    }
    const bool classification = model.function == MiningFunction::kClassification;
    if (classification && !distribution.empty()) {
      KILN_RETURN_IF_ERROR(ParseDistribution(ctx, distribution, model, node));
    }
    if (ctx.Attr(xml, "score")) {
      node.has_score = true;
      if (classification) {
        KILN_ASSIGN_OR_RETURN(node.category,
                              ctx.Category(xml, "score", model.target, model.categories));
      } else {
        KILN_ASSIGN_OR_RETURN(node.score, ctx.Number(xml, "score"));
      }
    } else if (!node.probabilities.empty()) {
      node.has_score = true;
      node.category =
          static_cast<int>(std::max_element(node.probabilities.begin(), node.probabilities.end()) -
                           node.probabilities.begin());
    }
    const auto default_id = ctx.Attr(xml, "defaultChild");
    for (const pugi::xml_node& child : children) {
      KILN_ASSIGN_OR_RETURN(const uint32_t c, Parse(child, depth + 1));
      node.children.push_back(c);
      if (default_id && body.nodes[c].id == *default_id) node.default_child = static_cast<int>(c);
    }
    if (default_id && node.default_child < 0) {
      return ctx.Bad(xml, "defaultChild=\"{}\" is not the id of one of this Node's children",
                     core::Excerpt(*default_id));
    }
    if (node.children.empty() && !node.has_score) {
      return ctx.Bad(xml, "a leaf Node needs a score (or a ScoreDistribution)");
    }
    body.nodes[index] = std::move(node);
    return index;
  }
};

}  // namespace

core::Status ParseTreeBody(ParseContext& ctx, const pugi::xml_node& node, const Scope& scope,
                           Model& model) {
  TreeBody body;
  KILN_ASSIGN_OR_RETURN(std::string_view missing,
                        ctx.Choice(node, "missingValueStrategy",
                                   {"none", "lastPrediction", "nullPrediction", "defaultChild"},
                                   "none", {"weightedConfidence", "aggregateNodes"}));
  body.missing = missing == "lastPrediction"   ? TreeBody::Missing::kLastPrediction
                 : missing == "nullPrediction" ? TreeBody::Missing::kNullPrediction
                 : missing == "defaultChild"   ? TreeBody::Missing::kDefaultChild
                                               : TreeBody::Missing::kNone;
  KILN_ASSIGN_OR_RETURN(
      std::string_view no_true,
      ctx.Choice(node, "noTrueChildStrategy", {"returnNullPrediction", "returnLastPrediction"},
                 "returnNullPrediction"));
  body.no_true_child_last = no_true == "returnLastPrediction";
  pugi::xml_node root;
  for (const pugi::xml_node& child : ParseContext::Elements(node)) {
    if (ParseContext::Name(child) != "Node") continue;
    if (root) return ctx.Bad(child, "a TreeModel has one root Node");
    root = child;
  }
  if (!root) return ctx.Bad(node, "the TreeModel has no Node");
  TreeParser parser{ctx, scope, model, body};
  KILN_RETURN_IF_ERROR(parser.Parse(root, 0).status());
  // Every node's distribution covers every category the model ended up with.
  for (TreeNode& n : body.nodes) {
    if (!n.probabilities.empty()) n.probabilities.resize(model.categories.size(), 0.0);
  }
  if (model.function == MiningFunction::kClassification && model.categories.empty()) {
    return ctx.Bad(node, "the classification TreeModel names no category");
  }
  model.body = std::move(body);
  return core::Status::Ok();
}

}  // namespace kiln::serve::pmml
