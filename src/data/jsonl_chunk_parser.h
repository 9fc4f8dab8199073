// Parsing one chunk of JSON Lines rows into chunk-local typed columns (private to src/data).
//
// A key's type is fixed by the options or by the inference pass over the first rows, or else
// decided by its first non-null value in file order. When a chunk is parsed, the chunks before
// it may not have been absorbed yet (the chunks of a batch are parsed at the same time), so a key
// that `decided` does not know, the chunk decides itself at its first non-null value there
// (JsonlChunkColumn::decided_here). The reader absorbs chunks in order; when such a decision
// disagrees with the type an earlier chunk decided (JsonlChunkConflicts), it parses the chunk
// again with the types now known, which gives exactly the result of reading the file in one
// piece. Type errors may depend on those decisions, so chunk errors are not reported through
// ChunkStatus::failed (the driver would report them before absorbing the chunks in front) but
// in JsonlChunk::error, which the reader reports when it reaches the chunk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chunking.h"
#include "column_roles.h"
#include "jsonl_line_parser.h"
#include "kiln/data/read_options.h"

namespace kiln::data::internal {

// Key -> type, for keys whose type is known.
using JsonlTypes = std::unordered_map<std::string, ColumnType, StringHash, std::equal_to<>>;

struct JsonlPlan {
  const ReadOptions* options = nullptr;
  NaValues na{{}};
  size_t max_line = 0;
  JsonlTypes inferred;  // from the first infer_rows lines

  ColumnRole Role(const std::string& key) const;
  // The type known before any row is read: forced by the options, else inferred.
  std::optional<ColumnType> FixedType(const std::string& key, ColumnRole role) const;
};

struct JsonlChunkColumn {
  std::string name;
  ColumnRole role = ColumnRole::kFeature;
  bool decided = false;
  bool decided_here = false;  // decided by a value in this chunk, not known before it
  ColumnType type = ColumnType::kNumeric;
  std::vector<float> values;   // kNumeric, once decided
  std::vector<int32_t> codes;  // kCategorical, once decided: codes into `dict`
  CategoryDict dict;           // chunk-local categories in order of first appearance
  size_t rows = 0;             // rows filled so far

  // Sets the type and fills the rows so far with missing values.
  void Decide(ColumnType t);
  void PushMissing();
};

struct JsonlChunk {
  ChunkStatus status;  // stop, lines and row lines; never `failed`
  ChunkStatus error;   // error.failed: the chunk's first error; the rows after it are not read
  ChunkRange range;
  size_t rows = 0;
  std::vector<JsonlChunkColumn> columns;  // in order of first appearance in the chunk
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_name;
  // The chunk's first row (relative line) without the label key (when the label is required)
  // and without the weight key (when there is one).
  std::optional<uint64_t> label_absent;
  std::optional<uint64_t> weight_absent;
  JsonLineHandler handler;
};

// Parses the rows in text[range.begin, range.end) (a range of whole lines) into `chunk`, which
// it resets first. `decided` holds the types decided by the rows before the chunk, as far as
// they are known; it is only read. Calls for different chunks may run in parallel.
void ParseJsonlChunk(const JsonlPlan& plan, const JsonlTypes& decided, std::string_view text,
                     ChunkRange range, JsonlChunk* chunk);

// True if a type the chunk decided itself differs from the one `decided` now holds.
bool JsonlChunkConflicts(const JsonlChunk& chunk, const JsonlTypes& decided);

}  // namespace kiln::data::internal
