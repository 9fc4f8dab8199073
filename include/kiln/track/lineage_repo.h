// LineageRepo: the lineage graph — typed edges between dataset versions, runs, model versions
// and deployments (pipeline runs and tuning trials later) — and walks over it upstream (where
// did this come from) and downstream (what was made from it). Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

// One node of a lineage walk, with a human label ("dataset data/train.csv v2 (a1b2…)",
// "run 42 train finished", "model churn/3", "deployment churn-live").
struct LineageTreeNode {
  LineageNode node;
  std::string relation;  // the edge that led here from the parent ("" at the root)
  std::string label;
  std::vector<LineageTreeNode> children;
};

enum class LineageDirection { kUpstream, kDownstream };

class LineageRepo {
 public:
  explicit LineageRepo(SqlConnection& db) : db_(db) {}

  // Adds an edge; adding the same edge twice is a no-op.
  core::Status AddEdge(const LineageEdge& edge);
  core::Result<std::vector<LineageEdge>> EdgesFrom(const LineageNode& node);
  core::Result<std::vector<LineageEdge>> EdgesTo(const LineageNode& node);

  // The tree reached from `root` in one direction, `max_depth` edges deep at most. A node seen
  // twice is shown again without its subtree.
  core::Result<LineageTreeNode> Walk(const LineageNode& root, LineageDirection direction,
                                     int max_depth = 32);
  // The label of one node; kNotFound if it does not exist.
  core::Result<std::string> Describe(const LineageNode& node);

 private:
  core::Result<std::vector<LineageEdge>> Edges(const LineageNode& node, bool from);
  core::Status WalkInto(LineageTreeNode& parent, LineageDirection direction, int depth,
                        std::vector<LineageNode>& seen);
  SqlConnection& db_;
};

}  // namespace kiln::track
