#include "csv_chunk_parser.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <limits>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "number_parsing.h"

namespace kiln::data::internal {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string FieldWhere(const CsvColumnPlan& col) {
  return fmt::format(", column {} '{}'", col.position, core::Excerpt(col.name));
}

// Converts field `f` of column `c`; on bad data records the error and returns false.
bool ConvertField(const CsvPlan& plan, size_t c, const CsvField& f, size_t row, CsvChunk* chunk) {
  const CsvColumnPlan& col = plan.columns[c];
  if (col.role == ColumnRole::kIgnored) return true;
  const std::string_view text = f.text;
  auto fail = [&](std::string what) {
    chunk->status.Fail(core::StatusCode::kDataError, f.line, FieldWhere(col) + ": " + what);
    return false;
  };
  auto missing = [&]() -> bool {
    if (col.role == ColumnRole::kLabel && plan.label_required) {
      return fail(fmt::format(
          "the label is missing ({}); every row needs a label for training and evaluation",
          text.empty() ? std::string("empty field")
                       : fmt::format("'{}' is a missing-value token", core::Excerpt(text))));
    }
    if (col.role == ColumnRole::kWeight) {
      return fail("the weight is missing; every row needs a weight (a finite number >= 0)");
    }
    return true;
  };
  if (col.type == ColumnType::kCategorical) {
    int32_t code = kMissingCode;
    if (plan.na.Contains(text)) {
      if (!missing()) return false;
    } else {
      code = chunk->dicts[c].Intern(text);
    }
    chunk->codes(col.slot)[row] = code;
    return true;
  }
  float v = kNaN;
  bool is_missing = plan.na.has_numeric_token() && plan.na.Contains(text);
  if (!is_missing) {
    const NumberStatus st = ParseFloat(text, &v);
    if (st != NumberStatus::kOk) {
      if (st == NumberStatus::kNotNumber && plan.na.Contains(text)) {
        is_missing = true;
        v = kNaN;
      } else if (st == NumberStatus::kNotNumber) {
        return fail(DescribeNumberProblem(st, text) + "; " + col.type_reason);
      } else {
        return fail(DescribeNumberProblem(st, text));
      }
    }
  }
  if (is_missing && !missing()) return false;
  if (col.role == ColumnRole::kWeight && v < 0) {
    return fail(fmt::format("weights must be >= 0, found {}", core::Excerpt(text)));
  }
  chunk->numbers(col.slot)[row] = v;
  return true;
}

std::string RaggedMessage(size_t expected, size_t found, bool header, std::string_view record) {
  const size_t eol = record.find_first_of("\r\n");
  return fmt::format(
      ": expected {} fields ({}), found {} in '{}'; check for a missing or extra delimiter, or a "
      "field containing the delimiter that should be quoted",
      expected, header ? "as in the header" : "as in the first row", found,
      core::Excerpt(record.substr(0, eol)));
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// The first byte in [p, end) that is `delimiter`, '\n', '\r', '"' or NUL; `end` if none.
const char* FindFieldEnd(const char* p, const char* end, char delimiter) {
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8(delimiter);
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i zero = _mm_setzero_si128();
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, nl)),
                     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)),
                                  _mm_cmpeq_epi8(v, zero)));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    const char c = *p;
    if (c == delimiter || c == '\n' || c == '\r' || c == '"' || c == '\0') return p;
  }
  return end;
}

// If `q` ends a field (the delimiter; for the last field "\n" or "\r\n"), where the next field
// or record starts; else nullptr.
inline const char* AfterField(const char* q, const char* end, char delimiter, bool last) {
  if (q >= end) return nullptr;
  if (!last) return *q == delimiter ? q + 1 : nullptr;
  if (*q == '\n') return q + 1;
  if (*q == '\r' && q + 1 < end && q[1] == '\n') return q + 2;
  return nullptr;
}

// The fast path: parses the record at `p` as row `row` if it has the common form (see the
// header); returns where the next record starts, or nullptr to leave the record to the general
// path (values already written for the row are then overwritten, and categories interned here
// are interned again there in the same order, so nothing of the attempt shows).
const char* FastRecord(const CsvPlan& plan, const char* p, const char* end, size_t row,
                       CsvChunk* chunk) {
  const char* const begin = p;
  const char delimiter = plan.delimiter;
  const size_t ncols = plan.fast_columns.size();
  for (size_t c = 0; c < ncols; ++c) {
    const CsvFastColumn& col = plan.fast_columns[c];
    const char* next = nullptr;
    if (col.kind == CsvFastColumn::Kind::kNumber) {
      float v;
      if ((next = AfterField(p, end, delimiter, col.last)) != nullptr) {  // empty field
        if (!col.missing_ok) return nullptr;
        v = kNaN;
      } else {
        const char* stop = nullptr;
        if (!ParseFloatFast(p, end, &v, &stop) &&
            ParseFloatPrefix(p, end, &v, &stop) != NumberStatus::kOk) {
          return nullptr;
        }
        next = AfterField(stop, end, delimiter, col.last);
        if (next == nullptr) return nullptr;
        if (col.check_na && plan.na.Contains(std::string_view(p, static_cast<size_t>(stop - p)))) {
          return nullptr;
        }
        if (col.non_negative && v < 0) return nullptr;
      }
      chunk->numbers(col.slot)[row] = v;
    } else {
      // Unquoted: up to the delimiter. Quoted: "text" without "" escapes or line breaks, the
      // closing quote right before the delimiter. Anything else goes to the general path.
      const bool quoted = p < end && *p == '"';
      const char* from = quoted ? p + 1 : p;
      const char* stop = FindFieldEnd(from, end, quoted ? '"' : delimiter);
      if (quoted && (stop == end || *stop != '"')) return nullptr;
      next = AfterField(quoted ? stop + 1 : stop, end, delimiter, col.last);
      if (next == nullptr) return nullptr;
      if (col.kind == CsvFastColumn::Kind::kCode) {
        const std::string_view text(from, static_cast<size_t>(stop - from));
        int32_t code = kMissingCode;
        if (plan.na.Contains(text)) {
          if (!col.missing_ok) return nullptr;
        } else {
          // Unquoted text is trimmed by the general path; quoted text is kept as it is.
          if (!quoted && !text.empty() && (IsSpace(text.front()) || IsSpace(text.back()))) {
            return nullptr;
          }
          code = chunk->dicts[c].Intern(text);
        }
        chunk->codes(col.slot)[row] = code;
      }
    }
    p = next;
  }
  // The general path refuses records longer than max_record; leave any long one to it.
  if (static_cast<size_t>(p - begin) > plan.max_record) return nullptr;
  return p;
}

}  // namespace

void CsvPlan::PrepareFastPath() {
  const char d = delimiter;
  fast = !((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || d == '+' ||
           d == '-' || d == '.' || d == '\0');
  fast_columns.clear();
  for (size_t c = 0; c < columns.size(); ++c) {
    const CsvColumnPlan& col = columns[c];
    CsvFastColumn f;
    f.last = c + 1 == columns.size();
    f.slot = static_cast<uint32_t>(col.slot);
    if (col.role == ColumnRole::kIgnored) {
      f.kind = CsvFastColumn::Kind::kSkip;
    } else if (col.type == ColumnType::kCategorical) {
      f.kind = CsvFastColumn::Kind::kCode;
    } else {
      f.kind = CsvFastColumn::Kind::kNumber;
    }
    // Missing values in these columns are errors: the general path reports them.
    f.missing_ok = col.role != ColumnRole::kWeight &&
                   !(col.role == ColumnRole::kLabel && label_required) && na.empty_is_na();
    f.check_na = na.has_numeric_token();
    f.non_negative = col.role == ColumnRole::kWeight;
    fast_columns.push_back(f);
  }
}

void TokenizerFailure(const CsvPlan& plan, const CsvTokenizer& tok, ChunkStatus* status) {
  std::string where;
  const size_t field = tok.error_field();
  if (field > 0 && field <= plan.columns.size()) {
    where = FieldWhere(plan.columns[field - 1]);
  } else if (field > 0) {
    where = fmt::format(", field {}", field);
  }
  status->Fail(tok.error_code(), tok.error_line(), where + ": " + tok.error_message());
  status->ref_line = tok.error_ref_line();
}

void ParseCsvChunk(const CsvPlan& plan, std::string_view text, ChunkRange range, size_t row_bound,
                   CsvChunk* chunk) {
  const size_t ncols = plan.columns.size();
  ChunkStatus& st = chunk->status;
  chunk->rows = 0;
  chunk->multiline = false;
  chunk->dicts.assign(ncols, CategoryDict());
  const char* const base = text.data();
  const char* const end = base + text.size();
  CsvTokenizer tok(text, range.begin, plan.delimiter, plan.max_record);
  std::vector<CsvField> fields;
  fields.reserve(ncols);
  size_t pos = range.begin;
  uint64_t line = 0;  // line breaks since range.begin
  // When most records need the general path (say "1, 2, 3" with spaces), trying the fast path
  // first only costs time: stop trying for the rest of the chunk. Either path gives the same
  // result, so this cannot change it.
  bool try_fast = plan.fast;
  size_t fast_tries = 0, fast_misses = 0;
  while (pos < range.end) {
    if (try_fast && chunk->rows < row_bound) {
      const char* next = FastRecord(plan, base + pos, end, chunk->rows, chunk);
      fast_misses += next == nullptr;
      if (++fast_tries == 256) try_fast = fast_misses * 2 < fast_tries;
      if (next != nullptr) {
        st.rows.Add(line);
        ++chunk->rows;
        ++line;
        pos = static_cast<size_t>(next - base);
        continue;
      }
    }
    tok.Seek(pos, line);
    const CsvTokenizer::Next r = tok.Read(&fields);
    if (r == CsvTokenizer::Next::kEnd) break;
    if (r == CsvTokenizer::Next::kError) {
      TokenizerFailure(plan, tok, &st);
      return;
    }
    chunk->multiline = chunk->multiline || tok.line() > line + 1;
    pos = tok.pos();
    line = tok.line();
    if (r == CsvTokenizer::Next::kBlank && ncols > 1) continue;
    if (fields.size() != ncols) {
      st.Fail(
          core::StatusCode::kParseError, tok.record_line(),
          RaggedMessage(ncols, fields.size(), plan.header, text.substr(tok.record_begin(), 200)));
      return;
    }
    if (chunk->rows >= row_bound) {  // cannot happen; guards the output
      st.Fail(core::StatusCode::kInternal, tok.record_line(),
              ": internal error: row bound exceeded");
      return;
    }
    st.rows.Add(tok.record_line());
    for (size_t c = 0; c < ncols; ++c) {
      if (!ConvertField(plan, c, fields[c], chunk->rows, chunk)) return;
    }
    ++chunk->rows;
  }
  st.stop = pos;
  st.lines = line;
}

}  // namespace kiln::data::internal
