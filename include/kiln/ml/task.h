// Task kinds and the label information a model keeps: which classes exist (in index order), that
// the target is numeric, or (clustering, which learns without a label) how many clusters there are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiln/core/result.h"

namespace kiln::ml {

// kTransform: the model maps rows to new features (PCA, TF-IDF; see transformer.h) and learns
// without a label; a label column, if any, is kept out of the features and carried through.
enum class Task { kBinary, kMulticlass, kRegression, kClustering, kTransform };
std::string_view TaskName(Task task);
core::Result<Task> ParseTask(std::string_view text);
// Clustering and transforms learn without a label.
inline bool LearnsWithoutLabel(Task task) {
  return task == Task::kClustering || task == Task::kTransform;
}

struct LabelInfo {
  Task task = Task::kRegression;
  std::string name;                  // the label column; clustering: "" or a column kept out of
                                     // the features (evaluate scores the clusters against it)
  std::vector<std::string> classes;  // classification: texts in class-index order;
                                     // binary: {negative, positive}
  bool numeric_classes = false;      // the classes were numbers in the data (0/1, -1/+1, 1..9)
  size_t clusters = 0;               // clustering: predictions are cluster indices 0..clusters-1

  bool is_classification() const { return task == Task::kBinary || task == Task::kMulticlass; }
  bool is_clustering() const { return task == Task::kClustering; }
  bool is_transform() const { return task == Task::kTransform; }
  size_t num_classes() const { return classes.size(); }
  nlohmann::json ToJson() const;
  static core::Result<LabelInfo> FromJson(const nlohmann::json& j);
};

}  // namespace kiln::ml
