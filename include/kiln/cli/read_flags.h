// The data-reading flags that `kiln train`, `predict` and `evaluate` share (--format, --delimiter,
// --no-header, --na-values, --index-base, --num-features, --max-line-bytes, --no-cache), declared
// once, and the record of how a model's training data was read.
//
// Training stores the CSV/JSON Lines options that shaped its data in the model
// (TrainingInfo.extra["read_options"]); predict and evaluate read new files the same way by
// default, and flags given on their command line override that record. Models written before the
// record existed load with the reader's defaults. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/result.h"
#include "kiln/core/status.h"
#include "kiln/data/read_options.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace kiln::cli {

// The values as given on the command line; empty / zero / false means "not given".
struct ReadFlags {
  std::string format;
  std::string delimiter;
  bool header = false;     // --header: override a model trained with --no-header
  bool no_header = false;  // --no-header
  std::vector<std::string> na_values;
  std::string index_base;  // "0", "1" or "auto"
  uint32_t num_features = 0;
  uint64_t max_line_bytes = 0;
  bool no_cache = false;
};

// Which help text the flags get: defaults of the reader (train) or of the model (predict,
// evaluate).
enum class ReadFlagsUse { kTraining, kModel };

// Declares the flags on `command` in a "Reading data" group.
void AddReadFlags(CLI::App& command, ReadFlags& flags, ReadFlagsUse use);

// Sets in `options` every flag that was given. Errors (kInvalidArgument) name the flag.
core::Status ApplyReadFlags(const ReadFlags& flags, data::ReadOptions& options);

// "," -> ','; "tab", "\t" (backslash t) or a tab -> '\t'; "space" -> ' '; "semicolon", "pipe".
// A quote or a line break is an error, as is more than one character.
core::Result<char> ParseDelimiter(const std::string& text);
// "0" -> 0, "1" -> 1, "auto" -> -1.
core::Result<int> ParseIndexBase(const std::string& text);

// The options worth reusing on new data: {"format"?, "delimiter"?, "header", "na_values",
// "ignore", "categorical"}. `format_flag` is --format as given ("" = from the extension); the
// delimiter is recorded only when one was chosen (not the default for the file name).
nlohmann::json RecordReadOptions(const data::ReadOptions& options, const std::string& format_flag);

// Applies a record from RecordReadOptions to `options` for reading `path`: delimiter, header and
// NA values as at training; the training --ignore list as ignore_if_present; the recorded format
// only when `path`'s extension does not tell. (The categorical list needs no reapplying: the
// model's schema already fixes every feature's type.) A null record changes nothing; a malformed
// one is a kCorrupt error and changes nothing.
core::Status ApplyRecordedReadOptions(const nlohmann::json& record, const std::string& path,
                                      data::ReadOptions& options);

// The key under TrainingInfo.extra.
inline constexpr const char* kReadOptionsKey = "read_options";

}  // namespace kiln::cli
