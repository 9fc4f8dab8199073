// kiln lineage: where a model, run or dataset came from (upstream) and what was made from it
// (downstream), as an indented tree, a Graphviz digraph or JSON nodes and edges.
#include <set>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/tracking_refs.h"
#include "tracking_lookup.h"

namespace kiln::cli {
namespace {

constexpr const char* kLineageExamples = R"(Examples:
  kiln lineage bc
  kiln lineage bc/1 --upstream --depth 2
  kiln lineage run:1 --format json
  kiln lineage dataset:1 --downstream
  kiln lineage bc --format dot

ENTITY is a model (NAME for its latest version, NAME/VERSION, NAME@ALIAS), run:ID, or
dataset:ID or dataset:PATH (the newest version read from that file). Render dot output with
Graphviz: kiln lineage NAME --format dot > lineage.dot && dot -Tsvg lineage.dot.)";

// Every node and edge of the walks, edges in their stored direction (src -> dst).
struct Graph {
  std::map<track::LineageNode, std::string> labels;
  std::set<std::tuple<track::LineageNode, track::LineageNode, std::string>> edges;
};

void Collect(const track::LineageTreeNode& parent, bool upstream, Graph& graph) {
  graph.labels.emplace(parent.node, parent.label);
  for (const auto& child : parent.children) {
    graph.labels.emplace(child.node, child.label);
    if (upstream) {
      graph.edges.emplace(child.node, parent.node, child.relation);
    } else {
      graph.edges.emplace(parent.node, child.node, child.relation);
    }
    Collect(child, upstream, graph);
  }
}

void PrintTree(const track::LineageTreeNode& node, const std::string& arrow,
               const std::string& indent, std::ostream& out) {
  for (const auto& child : node.children) {
    out << fmt::format("{}{} {}: {}\n", indent, arrow, child.relation, child.label);
    PrintTree(child, arrow, indent + "   ", out);
  }
}

std::string DotId(const track::LineageNode& node) {
  return fmt::format("{}_{}", node.kind, node.id);
}

std::string DotQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* DotShape(const std::string& kind) {
  if (kind == track::kNodeDatasetVersion) return "note";
  if (kind == track::kNodeRun) return "box";
  if (kind == track::kNodeDeployment) return "doubleoctagon";
  return "ellipse";
}

}  // namespace

CLI::App* AddLineageCommand(CLI::App& app, LineageOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "lineage", "Show where a model, run or dataset came from and what was made from it");
  cmd->add_option("entity", o.entity,
                  "NAME, NAME/VERSION, NAME@ALIAS, run:ID, dataset:ID or dataset:PATH")
      ->type_name("ENTITY")
      ->required();
  CLI::Option* up =
      cmd->add_flag("--upstream", o.upstream, "Only what it came from (inputs, producing runs)");
  cmd->add_flag("--downstream", o.downstream, "Only what was made from it")->excludes(up);
  cmd->add_option("--format", o.format, "tree, dot (Graphviz) or json [default: tree]")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"tree", "dot", "json"}));
  cmd->add_option("--depth", o.depth, "Follow at most N edges from ENTITY [default: 32]")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  cmd->footer(kLineageExamples);
  return cmd;
}

core::Status RunLineage(const LineageOptions& options, Session& session) {
  KILN_ASSIGN_OR_RETURN(EntityRef ref, ParseEntityRef(options.entity));
  KILN_ASSIGN_OR_RETURN(track::LineageNode root, FindEntity(session, ref));
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  const bool up = !options.downstream;
  const bool down = !options.upstream;
  std::optional<track::LineageTreeNode> upstream;
  std::optional<track::LineageTreeNode> downstream;
  if (up) {
    KILN_ASSIGN_OR_RETURN(
        upstream, store->lineage().Walk(root, track::LineageDirection::kUpstream, options.depth));
  }
  if (down) {
    KILN_ASSIGN_OR_RETURN(
        downstream,
        store->lineage().Walk(root, track::LineageDirection::kDownstream, options.depth));
  }
  auto& out = session.out();
  const track::LineageTreeNode& any = upstream ? *upstream : *downstream;
  if (options.format == "tree") {
    out << any.label << '\n';
    if (upstream) {
      out << "upstream:\n";
      if (upstream->children.empty()) out << "  (nothing recorded)\n";
      PrintTree(*upstream, "<-", "  ", out);
    }
    if (downstream) {
      out << "downstream:\n";
      if (downstream->children.empty()) out << "  (nothing recorded)\n";
      PrintTree(*downstream, "->", "  ", out);
    }
    return core::Status::Ok();
  }
  Graph graph;
  if (upstream) Collect(*upstream, true, graph);
  if (downstream) Collect(*downstream, false, graph);
  if (options.format == "json") {
    nlohmann::json j;
    j["root"] = {{"kind", root.kind}, {"id", root.id}, {"label", any.label}};
    j["nodes"] = nlohmann::json::array();
    for (const auto& [node, label] : graph.labels) {
      j["nodes"].push_back({{"kind", node.kind}, {"id", node.id}, {"label", label}});
    }
    j["edges"] = nlohmann::json::array();
    for (const auto& [src, dst, relation] : graph.edges) {
      j["edges"].push_back({{"src", {{"kind", src.kind}, {"id", src.id}}},
                            {"dst", {{"kind", dst.kind}, {"id", dst.id}}},
                            {"relation", relation}});
    }
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return core::Status::Ok();
  }
  out << "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  for (const auto& [node, label] : graph.labels) {
    out << fmt::format("  {} [label={}, shape={}{}];\n", DotId(node), DotQuote(label),
                       DotShape(node.kind), node == root ? ", penwidth=2" : "");
  }
  for (const auto& [src, dst, relation] : graph.edges) {
    out << fmt::format("  {} -> {} [label={}];\n", DotId(src), DotId(dst), DotQuote(relation));
  }
  out << "}\n";
  return core::Status::Ok();
}

}  // namespace kiln::cli
