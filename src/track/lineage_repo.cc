#include "kiln/track/lineage_repo.h"

#include <algorithm>

#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

std::vector<LineageEdge> ToEdges(const SqlRows& rows) {
  std::vector<LineageEdge> out;
  for (const SqlRow& row : rows) {
    out.push_back({{row.Text(0), row.Int(1)}, {row.Text(2), row.Int(3)}, row.Text(4)});
  }
  return out;
}

std::string ShortHash(const std::string& hash) { return hash.substr(0, 12); }

}  // namespace

Status LineageRepo::AddEdge(const LineageEdge& edge) {
  return db_
      .Execute(
          "INSERT INTO lineage_edges (src_kind, src_id, dst_kind, dst_id, relation, "
          "created_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (src_kind, src_id, dst_kind, "
          "dst_id, relation) DO NOTHING",
          {edge.src.kind, edge.src.id, edge.dst.kind, edge.dst.id, edge.relation, NowMs()})
      .status();
}

Result<std::vector<LineageEdge>> LineageRepo::EdgesFrom(const LineageNode& node) {
  return Edges(node, /*from=*/true);
}

Result<std::vector<LineageEdge>> LineageRepo::EdgesTo(const LineageNode& node) {
  return Edges(node, /*from=*/false);
}

Result<std::vector<LineageEdge>> LineageRepo::Edges(const LineageNode& node, bool from) {
  // Two fixed statements (one per index: the primary key, lineage_by_dst), never user text.
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query(from ? "SELECT src_kind, src_id, dst_kind, dst_id, relation FROM lineage_edges "
                       "WHERE src_kind = ? AND src_id = ? ORDER BY dst_kind, dst_id"
                     : "SELECT src_kind, src_id, dst_kind, dst_id, relation FROM lineage_edges "
                       "WHERE dst_kind = ? AND dst_id = ? ORDER BY src_kind, src_id",
                {node.kind, node.id}));
  return ToEdges(rows);
}

Result<std::string> LineageRepo::Describe(const LineageNode& node) {
  SqlRows rows;
  if (node.kind == kNodeDatasetVersion) {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT v.source_path, v.version, v.content_hash, "
                                          "v.num_rows FROM dataset_versions v WHERE v.id = ?",
                                          {node.id}));
    if (!rows.empty()) {
      return fmt::format("dataset {} v{} ({} rows, {})", rows[0].Text(0), rows[0].Int(1),
                         rows[0].Int(3), ShortHash(rows[0].Text(2)));
    }
  } else if (node.kind == kNodeRun) {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT r.kind, r.status, e.name FROM runs r JOIN "
                                          "experiments e ON e.id = r.experiment_id WHERE r.id = ?",
                                          {node.id}));
    if (!rows.empty()) {
      return fmt::format("run {} ({} {}, experiment {})", node.id, rows[0].Text(0), rows[0].Text(1),
                         rows[0].Text(2));
    }
  } else if (node.kind == kNodeModelVersion) {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT m.name, v.version, v.algorithm FROM "
                                          "model_versions v JOIN models m ON m.id = v.model_id "
                                          "WHERE v.id = ?",
                                          {node.id}));
    if (!rows.empty()) {
      return fmt::format("model {}/{} ({})", rows[0].Text(0), rows[0].Int(1), rows[0].Text(2));
    }
  } else if (node.kind == kNodeDeployment) {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT name, endpoint, status FROM deployments WHERE "
                                          "id = ?",
                                          {node.id}));
    if (!rows.empty()) {
      return fmt::format("deployment {} at {} ({})", rows[0].Text(0), rows[0].Text(1),
                         rows[0].Text(2));
    }
  } else if (node.kind == kNodePipelineStep) {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT s.step, s.component, s.status, "
                                          "s.pipeline_run_id, p.pipeline FROM pipeline_steps s "
                                          "JOIN pipeline_runs p ON p.run_id = s.pipeline_run_id "
                                          "WHERE s.id = ?",
                                          {node.id}));
    if (!rows.empty()) {
      return fmt::format("step {} of pipeline {} run {} ({}, {})", rows[0].Text(0), rows[0].Text(4),
                         rows[0].Int(3), rows[0].Text(1), rows[0].Text(2));
    }
  } else {
    return core::InvalidArgument("unknown lineage node kind '{}'", node.kind);
  }
  return core::NotFound("{} {} not found in {}", node.kind, node.id, db_.description());
}

Result<LineageTreeNode> LineageRepo::Walk(const LineageNode& root, LineageDirection direction,
                                          int max_depth) {
  LineageTreeNode tree;
  tree.node = root;
  KILN_ASSIGN_OR_RETURN(tree.label, Describe(root));
  std::vector<LineageNode> seen{root};
  KILN_RETURN_IF_ERROR(WalkInto(tree, direction, max_depth, seen));
  return tree;
}

Status LineageRepo::WalkInto(LineageTreeNode& parent, LineageDirection direction, int depth,
                             std::vector<LineageNode>& seen) {
  if (depth <= 0) return Status::Ok();
  const bool up = direction == LineageDirection::kUpstream;
  KILN_ASSIGN_OR_RETURN(std::vector<LineageEdge> edges,
                        up ? EdgesTo(parent.node) : EdgesFrom(parent.node));
  for (const LineageEdge& edge : edges) {
    LineageTreeNode child;
    child.node = up ? edge.src : edge.dst;
    child.relation = edge.relation;
    Result<std::string> label = Describe(child.node);
    child.label =
        label.ok() ? *label : fmt::format("{} {} (deleted)", child.node.kind, child.node.id);
    const bool repeated = std::find(seen.begin(), seen.end(), child.node) != seen.end();
    if (!repeated) {
      seen.push_back(child.node);
      KILN_RETURN_IF_ERROR(WalkInto(child, direction, depth - 1, seen));
    }
    parent.children.push_back(std::move(child));
  }
  return Status::Ok();
}

}  // namespace kiln::track
