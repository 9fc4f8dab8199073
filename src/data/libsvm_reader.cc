// LibSVM / SVMlight reader: "label idx:val idx:val ... [# comment]" per line, parsed in parallel
// chunks straight into per-chunk CSR buffers, then copied once into the final arrays (each
// chunk's buffers are freed as soon as they are copied, so the output is never held twice).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "chunking.h"
#include "kiln/core/growable_buffer.h"
#include "kiln/core/progress.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "number_parsing.h"
#include "readers_internal.h"

namespace kiln::data {
namespace internal {
namespace {

// Largest index accepted in the file: the column (index - base) must fit num_cols in uint32.
constexpr uint64_t kMaxIndex = 0xFFFFFFFEull;

// One chunk's rows. The buffers are reserved to an upper bound and written through data(); the
// counts say how much is used. Chunks are reused from batch to batch (so are their pages).
struct LibSvmChunk {
  ChunkStatus status;
  core::GrowableBuffer<uint32_t> indices;  // as written in the file (base not subtracted yet)
  core::GrowableBuffer<float> values;
  core::GrowableBuffer<uint64_t> row_ends;  // nnz count after each row
  core::GrowableBuffer<float> labels;
  size_t nnz = 0;
  size_t rows = 0;
  bool has_zero_index = false;
  bool any_label = false;
  uint32_t max_index = 0;
  bool has_entries = false;
  // Where max_index first appeared, for the --num-features error.
  uint64_t max_line = 0;
  size_t max_token = 0;
};

struct LibSvmPlan {
  size_t max_line = 0;
  int index_base = -1;      // -1 = detect
  uint64_t max_column = 0;  // when num_features is declared and the base is known: max index
  bool check_width = false;
  uint32_t num_features = 0;
  bool label_required = true;
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string Token(const char* b, const char* line_end) {
  const char* e = b;
  while (e < line_end && !IsBlank(*e)) ++e;
  return core::Excerpt(std::string_view(b, static_cast<size_t>(e - b)));
}

void ParseLibSvmChunk(const LibSvmPlan& plan, std::string_view text, ChunkRange range,
                      LibSvmChunk* chunk) {
  ChunkStatus& st = chunk->status;
  chunk->nnz = chunk->rows = 0;
  chunk->has_zero_index = chunk->any_label = chunk->has_entries = false;
  chunk->max_index = 0;
  const size_t len = range.end - range.begin;
  // Every entry "i:v" takes at least 4 bytes with its separator, every row at least 2.
  if (!chunk->indices.Reserve(len / 4 + 1) || !chunk->values.Reserve(len / 4 + 1) ||
      !chunk->row_ends.Reserve(len / 2 + 1) || !chunk->labels.Reserve(len / 2 + 1)) {
    st.Fail(core::StatusCode::kResourceExhausted, 0, ": cannot allocate memory for the rows");
    return;
  }
  AdviseHugePages(chunk->indices);
  AdviseHugePages(chunk->values);
  uint32_t* idx_out = chunk->indices.data();
  float* val_out = chunk->values.data();
  size_t nnz = 0;
  size_t rows = 0;
  uint64_t line = 0;
  uint32_t max_index = 0;
  const char* p = text.data() + range.begin;
  const char* const end = text.data() + range.end;
  auto fail = [&](uint64_t at_line, std::string message) {
    st.Fail(core::StatusCode::kParseError, at_line, std::move(message));
  };
  while (p < end) {
    const size_t avail = static_cast<size_t>(end - p);
    const size_t scan = std::min(avail, plan.max_line + 1);
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', scan));
    if (nl == nullptr && scan < avail) {
      st.Fail(core::StatusCode::kResourceExhausted, line,
              fmt::format(": the line is longer than the limit of {} (--max-line-bytes); is this "
                          "really a LibSVM file?",
                          ByteLimitText(plan.max_line)));
      return;
    }
    const char* next = nl == nullptr ? end : nl + 1;
    const char* le = nl == nullptr ? end : nl;
    if (le > p && le[-1] == '\r') --le;
    // Label.
    const char* q = p;
    while (q < le && IsBlank(*q)) ++q;
    if (q == le || *q == '#') {
      if (q < le && std::memchr(q, '\0', static_cast<size_t>(le - q)) != nullptr) {
        fail(line, ": found a NUL byte in a comment; is this a binary file?");
        return;
      }
      p = next;
      ++line;
      continue;
    }
    float label = std::numeric_limits<float>::quiet_NaN();
    size_t token = 1;
    {
      const char* stop = nullptr;
      NumberStatus ns = ParseFloatPrefix(q, le, &label, &stop);
      if (ns == NumberStatus::kOk && stop < le && !IsBlank(*stop) && *stop != '#') {
        ns = NumberStatus::kNotNumber;
      }
      if (ns == NumberStatus::kOk) {
        q = stop;
        chunk->any_label = true;
      } else {
        // A first token with ':' is a feature: the label is absent.
        const char* e = q;
        while (e < le && !IsBlank(*e) && *e != ':') ++e;
        const bool is_feature = e < le && *e == ':';
        if (!is_feature || plan.label_required) {
          if (is_feature) {
            fail(line, fmt::format(", token 1 '{}': expected a label (a number) as the first "
                                   "token, found a feature; every row needs a label",
                                   Token(q, le)));
          } else if (ns == NumberStatus::kNotNumber) {
            fail(line, fmt::format(", token 1 '{}': expected a label (a number) as the first "
                                   "token",
                                   Token(q, le)));
          } else {
            fail(line, fmt::format(", token 1: the label is not usable: {}",
                                   DescribeNumberProblem(ns, Token(q, le))));
          }
          return;
        }
        label = std::numeric_limits<float>::quiet_NaN();
        token = 0;
      }
    }
    // Features.
    uint64_t prev = 0;
    bool have_prev = false;
    for (;;) {
      while (q < le && IsBlank(*q)) ++q;
      if (q >= le) break;
      if (*q == '#') {
        if (std::memchr(q, '\0', static_cast<size_t>(le - q)) != nullptr) {
          fail(line, ": found a NUL byte in a comment; is this a binary file?");
          return;
        }
        break;
      }
      ++token;
      const char* tok = q;
      uint64_t index = 0;
      const char* d = q;
      while (d < le && static_cast<unsigned>(*d - '0') <= 9 && d - q < 11) {
        index = index * 10 + static_cast<unsigned>(*d - '0');
        ++d;
      }
      if (d == q || d >= le || *d != ':' || index > kMaxIndex) {
        const char* tok_end = tok;
        while (tok_end < le && !IsBlank(*tok_end)) ++tok_end;
        const std::string_view whole(tok, static_cast<size_t>(tok_end - tok));
        if (core::StartsWith(whole, "qid:")) {
          // A ranking query id: tolerated and ignored.
          q = tok_end;
          --token;
          continue;
        }
        const size_t colon = whole.find(':');
        std::string why;
        if (colon == std::string_view::npos) {
          why = "expected index:value, found no ':'";
        } else if (colon == 0) {
          why = "the index before ':' is missing";
        } else if (whole[0] == '-') {
          why = "indices must be non-negative integers";
        } else if (whole.substr(0, colon).find_first_not_of("0123456789") !=
                   std::string_view::npos) {
          why = fmt::format("expected an integer index before ':', found '{}'",
                            core::Excerpt(whole.substr(0, colon)));
        } else {
          why = fmt::format("the index is too large (the largest allowed is {})", kMaxIndex);
        }
        fail(line, fmt::format(", token {} '{}': {}", token, Token(tok, le), why));
        return;
      }
      if (index < static_cast<uint64_t>(std::max(plan.index_base, 0))) {
        fail(line, fmt::format(", token {} '{}': index {} is below the index base {} (pass "
                               "--index-base 0 if the file counts features from 0)",
                               token, Token(tok, le), index, plan.index_base));
        return;
      }
      if (have_prev && index <= prev) {
        fail(line,
             fmt::format(", token {} '{}': index {} {} index {}; indices in a row must be "
                         "strictly increasing (sorted, no duplicates)",
                         token, Token(tok, le), index,
                         index == prev ? "repeats the previous" : "comes after the larger", prev));
        return;
      }
      if (plan.check_width && index > plan.max_column) {
        fail(line, fmt::format(", token {} '{}': index {} is beyond the declared {} features",
                               token, Token(tok, le), index, plan.num_features));
        return;
      }
      q = d + 1;
      float v;
      const char* stop = nullptr;
      NumberStatus ns;
      if (q + 1 <= le && *q == '1' && (q + 1 == le || IsBlank(q[1]))) {
        v = 1.0f;  // the common binary feature
        stop = q + 1;
        ns = NumberStatus::kOk;
      } else if (q >= le || IsBlank(*q)) {
        fail(line,
             fmt::format(", token {} '{}': the value after ':' is missing", token, Token(tok, le)));
        return;
      } else {
        ns = ParseFloatPrefix(q, le, &v, &stop);
      }
      if (ns == NumberStatus::kOk && stop < le && !IsBlank(*stop) && *stop != '#') {
        ns = NumberStatus::kNotNumber;
      }
      if (ns != NumberStatus::kOk) {
        fail(line,
             fmt::format(", token {} '{}': {}", token, Token(tok, le),
                         ns == NumberStatus::kNotNumber
                             ? fmt::format("expected a number after ':', found '{}'", Token(q, le))
                             : DescribeNumberProblem(ns, Token(q, le))));
        return;
      }
      q = stop;
      if (index == 0) chunk->has_zero_index = true;
      if (index > max_index || !chunk->has_entries) {
        max_index = static_cast<uint32_t>(index);
        chunk->max_line = line;
        chunk->max_token = token;
        chunk->has_entries = true;
      }
      idx_out[nnz] = static_cast<uint32_t>(index);
      val_out[nnz] = v;
      ++nnz;
      prev = index;
      have_prev = true;
    }
    chunk->labels.data()[rows] = label;
    chunk->row_ends.data()[rows] = nnz;
    ++rows;
    st.rows.Add(line);
    p = next;
    ++line;
  }
  chunk->nnz = nnz;
  chunk->rows = rows;
  chunk->max_index = max_index;
  st.stop = range.end;
  st.lines = line;
}

}  // namespace

core::Result<Dataset> ReadLibSvmText(InputText& in, const ReadOptions& options) {
  const std::string& path = in.path();
  const std::string_view text = in.text();
  core::Context& ctx = in.ctx();
  if (text.empty()) return core::DataError("{}: the file is empty", path);
  if (!options.weight.empty() || !options.ignore.empty() || !options.categorical.empty()) {
    return core::InvalidArgument(
        "{}: --weight, --ignore and --categorical apply to CSV and JSON Lines files; a LibSVM "
        "file has only a label and numbered features",
        path);
  }
  if (options.index_base < -1 || options.index_base > 1) {
    return core::InvalidArgument("index base must be 0, 1 or -1 (detect), got {}",
                                 options.index_base);
  }
  LibSvmPlan plan;
  plan.max_line = std::max<size_t>(options.max_line_bytes, 1);
  plan.index_base = options.index_base;
  plan.num_features = options.num_features;
  plan.label_required = options.label_policy == LabelPolicy::kRequired;
  if (options.num_features > 0 && options.index_base >= 0) {
    plan.check_width = true;
    plan.max_column =
        uint64_t{options.num_features} - 1 + static_cast<uint64_t>(options.index_base);
  }
  const size_t start = core::StartsWith(text, "\xEF\xBB\xBF") ? 3 : 0;
  const ChunkPlanner planner = [&](size_t from, size_t max_chunks) {
    return PlanLineChunks(text, from, options.chunk_bytes, max_chunks, plan.max_line + 1);
  };
  // Each batch is appended to the final arrays as soon as it is parsed (the chunk buffers are
  // reused), so the output is never held twice. With a detected index base, indices are stored
  // as index - 1 and fixed up at the end if an index 0 shows the file is 0-based (the uint32
  // arithmetic wraps back exactly).
  const uint32_t shift = options.index_base >= 0 ? static_cast<uint32_t>(options.index_base) : 1;
  core::GrowableBuffer<uint64_t> indptr;
  core::GrowableBuffer<uint32_t> indices;
  core::GrowableBuffer<float> values;
  core::GrowableBuffer<float> labels;
  if (!indptr.PushBack(0)) return core::ResourceExhausted("{}: out of memory", path);
  uint64_t rows = 0, nnz = 0;
  bool has_zero = false, any_label = false, has_entries = false;
  uint32_t max_index = 0;
  uint64_t max_line = 0;
  size_t max_token = 0;
  RowLinesBuilder lines;
  std::vector<uint64_t> row_offset, nnz_offset;
  auto absorb = [&](std::vector<LibSvmChunk*>& chunks,
                    const std::vector<uint64_t>& first_lines) -> core::Status {
    row_offset.assign(chunks.size() + 1, rows);
    nnz_offset.assign(chunks.size() + 1, nnz);
    for (size_t c = 0; c < chunks.size(); ++c) {
      const LibSvmChunk& ch = *chunks[c];
      row_offset[c + 1] = row_offset[c] + ch.rows;
      nnz_offset[c + 1] = nnz_offset[c] + ch.nnz;
      has_zero |= ch.has_zero_index;
      any_label |= ch.any_label;
      if (ch.has_entries && (!has_entries || ch.max_index > max_index)) {
        max_index = ch.max_index;
        max_line = first_lines[c] + ch.max_line;
        max_token = ch.max_token;
        has_entries = true;
      }
      lines.Append(ch.status.rows, first_lines[c]);
    }
    const uint64_t batch_rows = row_offset.back() - rows;
    const uint64_t batch_nnz = nnz_offset.back() - nnz;
    if (row_offset.back() > kMaxRows) {
      return core::ResourceExhausted("{}: more than Kiln's limit of {} rows per file", path,
                                     kMaxRows);
    }
    if ((batch_rows > 0 &&
         (indptr.Extend(batch_rows) == nullptr || labels.Extend(batch_rows) == nullptr)) ||
        (batch_nnz > 0 &&
         (indices.Extend(batch_nnz) == nullptr || values.Extend(batch_nnz) == nullptr))) {
      return core::ResourceExhausted("{}: cannot allocate memory for {} rows and {} nonzeros", path,
                                     row_offset.back(), nnz_offset.back());
    }
    AdviseHugePages(indptr);
    AdviseHugePages(indices);
    AdviseHugePages(values);
    AdviseHugePages(labels);
    core::ParallelForBlocks(ctx.pool(), 0, chunks.size(), 1, [&](size_t c, size_t, size_t) {
      const LibSvmChunk& ch = *chunks[c];
      const uint64_t r0 = row_offset[c], n0 = nnz_offset[c];
      uint32_t* di = indices.data() + n0;
      const uint32_t* si = ch.indices.data();
      for (size_t i = 0; i < ch.nnz; ++i) di[i] = si[i] - shift;
      if (ch.nnz > 0) std::memcpy(values.data() + n0, ch.values.data(), ch.nnz * sizeof(float));
      uint64_t* dp = indptr.data() + r0 + 1;
      const uint64_t* sp = ch.row_ends.data();
      for (size_t r = 0; r < ch.rows; ++r) dp[r] = n0 + sp[r];
      if (ch.rows > 0) std::memcpy(labels.data() + r0, ch.labels.data(), ch.rows * sizeof(float));
    });
    rows = row_offset.back();
    nnz = nnz_offset.back();
    return core::Status::Ok();
  };
  KILN_RETURN_IF_ERROR(ParseChunks<LibSvmChunk>(
      in, start, 1, planner,
      [&](LibSvmChunk& chunk, ChunkRange range) { ParseLibSvmChunk(plan, text, range, &chunk); },
      absorb));

  if (rows == 0) {
    return core::DataError("{}: the file has no data rows (only blank or comment lines)", path);
  }
  const int base = options.index_base >= 0 ? options.index_base : (has_zero ? 0 : 1);
  if (static_cast<uint32_t>(base) != shift) {
    // Detected 0-based after storing index - 1: add the 1 back.
    uint32_t* idx = indices.data();
    core::ParallelForBlocks(ctx.pool(), 0, nnz, size_t{1} << 20, [&](size_t b, size_t e, size_t) {
      for (size_t i = b; i < e; ++i) ++idx[i];
    });
  }
  uint32_t num_cols = has_entries ? max_index - static_cast<uint32_t>(base) + 1 : 0;
  if (options.num_features > 0) {
    if (has_entries && num_cols > options.num_features) {
      return core::DataError(
          "{} line {}, token {}: index {} is beyond the declared {} features (index base {})", path,
          max_line, max_token, max_index, options.num_features, base);
    }
    num_cols = options.num_features;
  }
  RowLines row_lines = std::move(lines).Finish(1);

  CsrMatrix csr;
  csr.indptr = std::move(indptr).Freeze();
  csr.indices = std::move(indices).Freeze();
  csr.values = std::move(values).Freeze();
  csr.num_cols = num_cols;
  std::optional<Column> label;
  if (options.label_policy != LabelPolicy::kNone && any_label) {
    label = Column();
    label->name = "label";
    label->type = ColumnType::kNumeric;
    label->values = std::move(labels).Freeze();
  }
  Dataset ds = Dataset::Sparse(std::move(csr), std::move(label));
  Schema schema = ds.schema();
  schema.index_base = base;
  ds.set_schema(std::move(schema));
  ds.set_source(MakeSourceInfo(in, "libsvm", std::move(row_lines)));
  return ds;
}

}  // namespace internal

core::Result<Dataset> ReadLibSvm(const std::string& path, std::string_view text,
                                 const ReadOptions& options, core::Context& ctx) {
  internal::InputText in(path, text, nullptr, ctx);
  return internal::ReadLibSvmText(in, options);
}

}  // namespace kiln::data
