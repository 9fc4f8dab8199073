#include "kiln/cli/predictions_csv.h"

#include "kiln/cli/format.h"
#include "kiln/core/strings.h"

namespace kiln::cli {
namespace {

size_t ExpectedWidth(const ml::LabelInfo& label, const ml::Predictions& p) {
  if (label.task == ml::Task::kMulticlass) return label.num_classes();
  (void)p;
  return 1;
}

}  // namespace

std::vector<std::string> PredictionColumns(const ml::LabelInfo& label,
                                           const ml::Predictions& predictions) {
  if (label.is_clustering()) return {"cluster", "distance"};
  std::vector<std::string> columns = {"prediction"};
  if (!label.is_classification()) return columns;
  if (!predictions.probabilistic) {
    if (label.task == ml::Task::kBinary) {
      columns.push_back("score_" + label.classes[1]);
    } else {
      for (const auto& c : label.classes) columns.push_back("score_" + c);
    }
    return columns;
  }
  for (const auto& c : label.classes) columns.push_back("p_" + c);
  return columns;
}

core::Status CheckPredictions(const ml::LabelInfo& label, const ml::Predictions& p) {
  const size_t width = ExpectedWidth(label, p);
  if (p.scores.size() != p.rows * width) {
    return core::Internal("the model returned {} scores for {} rows; expected {} per row",
                          p.scores.size(), p.rows, width);
  }
  if (!label.is_classification() && !label.is_clustering()) return core::Status::Ok();
  if (p.classes.size() != p.rows) {
    return core::Internal("the model returned {} predicted classes for {} rows", p.classes.size(),
                          p.rows);
  }
  const size_t k = label.is_clustering() ? label.clusters : label.num_classes();
  for (size_t i = 0; i < p.rows; ++i) {
    if (p.classes[i] < 0 || static_cast<size_t>(p.classes[i]) >= k) {
      return core::Internal("the model predicted {} index {} for row {}; it has {}",
                            label.is_clustering() ? "cluster" : "class", p.classes[i], i + 1,
                            Plural(k, label.is_clustering() ? "cluster" : "class",
                                   label.is_clustering() ? "clusters" : "classes"));
    }
  }
  return core::Status::Ok();
}

std::string PredictionHeader(const ml::LabelInfo& label, const ml::Predictions& predictions) {
  std::string out;
  const auto columns = PredictionColumns(label, predictions);
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c > 0) out += ',';
    out += CsvField(columns[c]);
  }
  out += '\n';
  return out;
}

void AppendPredictionRows(const ml::LabelInfo& label, const ml::Predictions& p, size_t begin,
                          size_t end, std::string& out) {
  const size_t width = ExpectedWidth(label, p);
  // Class texts are quoted once, not per row.
  std::vector<std::string> class_fields;
  for (const auto& c : label.classes) class_fields.push_back(CsvField(c));
  for (size_t i = begin; i < end; ++i) {
    const double* row = p.scores.data() + i * width;
    if (label.is_clustering()) {
      out += std::to_string(p.classes[i]);
      out += ',';
      out += core::FormatDouble(row[0]);
      out += '\n';
      continue;
    }
    if (!label.is_classification()) {
      out += core::FormatDouble(row[0]);
      out += '\n';
      continue;
    }
    out += class_fields[static_cast<size_t>(p.classes[i])];
    if (label.task == ml::Task::kBinary && p.probabilistic) {
      out += ',';
      out += core::FormatDouble(1.0 - row[0]);
      out += ',';
      out += core::FormatDouble(row[0]);
    } else {
      for (size_t c = 0; c < width; ++c) {
        out += ',';
        out += core::FormatDouble(row[c]);
      }
    }
    out += '\n';
  }
}

}  // namespace kiln::cli
