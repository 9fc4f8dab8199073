// Parsing one chunk of CSV records into column values (private to src/data).
//
// CsvPlan describes the columns (role, type, output slot) once the header and type inference are
// done. ParseCsvChunk converts the records that start in a chunk's byte range, writing each kept
// column's values (floats, or chunk-local category codes) through the chunk's column pointers.
//
// Two paths give the same result:
// - the fast path takes a record in the common form (unquoted fields without surrounding spaces
//   or quoted text without "" escapes and line breaks, numbers that parse cleanly, one line
//   ending in "\n" or "\r\n") in a single pass over its bytes, parsing numbers straight from
//   the text;
// - anything else (escaped quotes, spaces, NA tokens in numeric columns, blank lines, bad data)
//   goes to the general path for that record: CsvTokenizer (RFC 4180) and per-field conversion,
//   which also produces every error message. The fast path never reports errors itself.
// Each call uses only its chunk; calls for different chunks may run in parallel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunking.h"
#include "column_roles.h"
#include "csv_tokenizer.h"
#include "kiln/data/column.h"

namespace kiln::data::internal {

struct CsvColumnPlan {
  std::string name;
  size_t position = 0;  // 1-based
  ColumnRole role = ColumnRole::kFeature;
  ColumnType type = ColumnType::kNumeric;
  size_t slot = 0;          // position among the kept columns
  std::string type_reason;  // appended to "expected a number" errors
};

// How the fast path handles one column.
struct CsvFastColumn {
  enum class Kind : uint8_t { kNumber, kCode, kSkip };
  Kind kind = Kind::kNumber;
  bool last = false;          // the record's last field (ends with a line break)
  bool missing_ok = false;    // an empty field or NA token is a missing value (else: general)
  bool check_na = false;      // numeric NA tokens exist: a parsed number may be one
  bool non_negative = false;  // the weight column
  uint32_t slot = 0;
};

struct CsvPlan {
  char delimiter = ',';
  size_t max_record = 0;
  bool label_required = false;
  bool header = true;  // for ragged-row messages
  std::vector<CsvColumnPlan> columns;
  size_t kept = 0;  // columns that are not ignored
  NaValues na{{}};
  bool fast = false;  // the fast path applies (see PrepareFastPath)
  std::vector<CsvFastColumn> fast_columns;

  // Fills fast_columns and `fast` once columns, delimiter and na are set. The fast path needs a
  // delimiter that cannot be part of a number ("+-.0-9a-zA-Z" and NUL are excluded).
  void PrepareFastPath();
};

// One chunk's parsed values: column slot s is written at out[s][0 .. rows); the caller points
// out[s] at room for at least RowBound(range) values of 4 bytes (floats or int32 codes).
struct CsvChunk {
  ChunkStatus status;
  size_t rows = 0;
  bool multiline = false;           // some record spanned more than one line
  std::vector<uint32_t*> out;       // per kept column slot
  std::vector<CategoryDict> dicts;  // per column (categorical columns only)

  float* numbers(size_t slot) { return reinterpret_cast<float*>(out[slot]); }
  int32_t* codes(size_t slot) { return reinterpret_cast<int32_t*>(out[slot]); }
};

// Parses the records that start in [range.begin, range.end) of `text` (whole-file text; a
// record may run past range.end). Resets the chunk's rows and dictionaries first. `row_bound`
// is the room in each out[s]; more rows than that is an internal error, never an overrun.
void ParseCsvChunk(const CsvPlan& plan, std::string_view text, ChunkRange range, size_t row_bound,
                   CsvChunk* chunk);

// Records the tokenizer's error in `status`.
void TokenizerFailure(const CsvPlan& plan, const CsvTokenizer& tok, ChunkStatus* status);

}  // namespace kiln::data::internal
