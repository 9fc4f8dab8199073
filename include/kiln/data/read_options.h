// ReadOptions: how to read a data file into a Dataset (format, label, weights, types, limits,
// cache). The same struct serves train (label required), evaluate (label required, schema hints
// from the model) and predict (label optional).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/data/column.h"

namespace kiln::data {

enum class Format { kAuto, kCsv, kLibSvm, kJsonLines };
std::string_view FormatName(Format format);
// "csv", "tsv" (CSV with tabs), "libsvm", "svm", "jsonl", "ndjson", "json", "auto".
core::Result<Format> ParseFormat(std::string_view text);
// By extension: .csv/.tsv -> CSV, .libsvm/.svm/.svmlight -> LibSVM, .jsonl/.ndjson -> JSON Lines.
// Unknown extensions: an error asking for --format.
core::Result<Format> DetectFormat(const std::string& path);

enum class LabelPolicy {
  kRequired,  // train/evaluate: a missing label column or value is an error
  kOptional,  // predict: read the label when present, otherwise none
  kNone,      // the data has no label at all
};

struct ReadOptions {
  Format format = Format::kAuto;
  std::string label = "label";  // label column (CSV/JSONL); LibSVM's label is the first token
  LabelPolicy label_policy = LabelPolicy::kRequired;
  std::string weight;                    // weight column, "" = none (CSV/JSONL)
  std::vector<std::string> ignore;       // columns to drop (CSV/JSONL)
  std::vector<std::string> categorical;  // force these columns categorical (CSV/JSONL)
  // Columns to drop when the file has them, with no error when it does not (CSV/JSONL): how
  // predict/evaluate reapply the training data's ignore list to new files. The label and weight
  // columns are never dropped by it.
  std::vector<std::string> ignore_if_present;
  // Expected types by column name (from a model's schema); overrides inference.
  std::map<std::string, ColumnType> column_types;
  // CSV
  char delimiter = 0;  // 0: ',' (or '\t' for .tsv)
  bool header = true;
  std::vector<std::string> na_values = {"", "NA", "N/A", "na", "n/a", "null", "NULL", "None", "?"};
  size_t infer_rows = 1000;  // rows used to infer column types
  // LibSVM: -1 = detect (0-based if any index 0 appears, else 1-based), 0 or 1.
  int index_base = -1;
  uint32_t num_features = 0;  // LibSVM: declared width (0 = from the data); larger indices error
  // Limits
  size_t max_line_bytes = size_t{64} << 20;  // longer lines are an error, not an allocation
  // Cache: parse once, then map the binary copy on later reads of the unchanged file.
  bool use_cache = true;
  std::string cache_dir;  // "" = $KILN_HOME/cache/datasets
  // Parallelism: chunk size for parallel parsing (0 = the default). Does not change the result;
  // about max(4, 2 x threads) chunks of input are in memory at a time.
  size_t chunk_bytes = size_t{4} << 20;
};

}  // namespace kiln::data
