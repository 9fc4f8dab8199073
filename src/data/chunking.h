// Chunked, parallel parsing support shared by the text readers (private to src/data).
//
// InputText wraps the bytes of one file: it hashes them in order (SourceInfo::content_hash),
// reports progress and, when the bytes come from a MappedFile, drops the pages already parsed so
// that the input does not count fully toward peak memory.
//
// ParseChunks splits text into chunks that end at record boundaries, parses a batch of chunks in
// parallel and checks that each chunk stopped exactly where the next one starts. If a chunk's
// parser ran past its planned end (possible only for CSV, when a stray quote fools the quote
// parity used for planning), the following chunks are discarded and re-planned from where the
// parser actually stopped. The chunks kept therefore cover the text exactly, in order, each
// parsed from a true record boundary; combining them in order gives the same result for any
// thread count and chunk size.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/core/array.h"
#include "kiln/core/context.h"
#include "kiln/core/file.h"
#include "kiln/core/growable_buffer.h"
#include "kiln/core/hash.h"
#include "kiln/core/status.h"
#include "kiln/data/dataset.h"

namespace kiln::data::internal {

class InputText {
 public:
  // `file` may be null (text held elsewhere); then nothing is dropped.
  InputText(std::string path, std::string_view text, const core::MappedFile* file,
            core::Context& ctx);
  ~InputText();
  InputText(const InputText&) = delete;
  InputText& operator=(const InputText&) = delete;

  const std::string& path() const { return path_; }
  std::string_view text() const { return text_; }
  size_t size() const { return text_.size(); }
  core::Context& ctx() { return ctx_; }

  // Everything before `upto` has been parsed: hash it, drop its pages, report progress.
  // Calls must be in increasing order.
  void Consume(size_t upto);
  size_t consumed() const { return consumed_; }
  // XXH3-64 of the whole text; consumes whatever is left first.
  uint64_t FinishHash();

 private:
  std::string path_;
  std::string_view text_;
  const core::MappedFile* file_;
  core::Context& ctx_;
  core::Hasher hasher_;
  std::unique_ptr<core::ProgressTask> progress_;
  size_t consumed_ = 0;
};

// Stands for an absolute line number inside chunk error messages; ChunkError replaces it with
// the line `ref_line` lines after the chunk's first line.
inline constexpr std::string_view kLineMarker = "\x01@line@";

struct ChunkRange {
  size_t begin = 0;
  size_t end = 0;
};

// Lines of the rows of one chunk, relative to the chunk's first line (0-based). Stores nothing
// while rows sit on consecutive lines; switches to an explicit list at the first gap (a skipped
// blank or comment line, or a record spanning several lines).
class RowLineRecorder {
 public:
  void Add(uint64_t local_line) {
    if (explicit_) {
      lines_.push_back(local_line);
    } else if (count_ == 0) {
      first_ = local_line;
    } else if (local_line != first_ + count_) {
      lines_.reserve(count_ + 1024);
      for (uint64_t i = 0; i < count_; ++i) lines_.push_back(first_ + i);
      lines_.push_back(local_line);
      explicit_ = true;
    }
    ++count_;
  }
  void Clear() {
    explicit_ = false;
    count_ = 0;
    first_ = 0;
    lines_.clear();
  }
  uint64_t count() const { return count_; }
  bool consecutive() const { return !explicit_; }
  uint64_t first() const { return first_; }
  uint64_t Line(uint64_t row) const { return explicit_ ? lines_[row] : first_ + row; }

 private:
  bool explicit_ = false;
  uint64_t count_ = 0;
  uint64_t first_ = 0;
  std::vector<uint64_t> lines_;
};

// What every chunk parser reports besides its payload.
struct ChunkStatus {
  size_t stop = 0;     // where parsing stopped (== the planned end when boundaries agree)
  uint64_t lines = 0;  // line breaks consumed in [begin, stop)
  RowLineRecorder rows;
  // The first error in the chunk, if any.
  bool failed = false;
  core::StatusCode code = core::StatusCode::kParseError;
  uint64_t error_line = 0;  // relative to the chunk's first line
  uint64_t ref_line = 0;    // relative line that kLineMarker in `error` stands for
  std::string error;        // the message after "FILE line N", e.g. ", column 2 'x': ..."

  void Fail(core::StatusCode c, uint64_t local_line, std::string message) {
    failed = true;
    code = c;
    error_line = local_line;
    error = std::move(message);
  }
  void Reset() {
    stop = 0;
    lines = 0;
    rows.Clear();
    failed = false;
    error_line = ref_line = 0;
    error.clear();
  }
};

// Plans up to `max_chunks` chunks starting at `from` (a record boundary), each about
// `chunk_bytes` long and ending at a record boundary. The last chunk may end before the text
// does (the driver plans again from there).
using ChunkPlanner = std::function<std::vector<ChunkRange>(size_t from, size_t max_chunks)>;

// Boundaries after line breaks ('\n'). A boundary is searched at most `max_scan` bytes past each
// nominal chunk end; when none is found the chunk runs to the end of the text.
std::vector<ChunkRange> PlanLineChunks(std::string_view text, size_t from, size_t chunk_bytes,
                                       size_t max_chunks, size_t max_scan);
// Boundaries after line breaks outside double quotes, judged by the parity of quote characters
// since `from` (exact for RFC 4180 input; see ParseChunks for the fallback). When no such line
// break lies within min(max_scan, 1 MiB), the next line break is taken as a guess.
std::vector<ChunkRange> PlanQuotedChunks(std::string_view text, size_t from, size_t chunk_bytes,
                                         size_t max_chunks, size_t max_scan,
                                         core::ThreadPool& pool);

// Where the rows of a sequence of chunks sit: the line of the first row and, when the rows are
// not on consecutive lines (skipped blank or comment lines, records spanning lines), the line of
// every row. Chunks are appended in text order. Not thread-safe.
struct RowLines {
  uint64_t first_data_line = 1;
  core::Array<uint64_t> row_lines;  // empty when consecutive
};

// The SourceInfo of a dataset parsed from `in` (hashes whatever is left of the text).
SourceInfo MakeSourceInfo(InputText& in, std::string format, RowLines row_lines);
class RowLinesBuilder {
 public:
  // `first_line`: the 1-based line at which the chunk starts.
  void Append(const RowLineRecorder& chunk, uint64_t first_line);
  // `start_line` is reported as first_data_line when there are no rows.
  RowLines Finish(uint64_t start_line) &&;

 private:
  bool have_rows_ = false;
  bool consecutive_ = true;
  uint64_t first_ = 0;
  uint64_t count_ = 0;
  std::vector<uint64_t> lines_;  // once not consecutive
};

// Memory advice for large parse buffers (no-ops where unsupported). Huge pages cut the number
// of page faults ~500x, which matters on virtual machines where a fault is expensive; only
// buffers of 32 MiB or more are advised, so a partly used last huge page wastes little. Trim
// gives back the pages past the used size (splitting a partly used huge page).
void AdviseHugePages(void* data, size_t bytes);
void TrimUnused(void* data, size_t used_bytes, size_t capacity_bytes);
template <typename T>
void AdviseHugePages(core::GrowableBuffer<T>& buffer) {
  AdviseHugePages(buffer.data(), buffer.capacity() * sizeof(T));
}

// Asks the kernel to back [data, data + bytes) with writable pages now, in one call: much
// cheaper than a page fault per 4 KiB page on first write (5x on this kind of virtual machine).
// No-op where unsupported; only performance depends on it.
void PrefaultForWrite(void* data, size_t bytes);

// The number of line feeds in [p, p + n).
size_t CountLineFeeds(const char* p, size_t n);

// A byte limit for messages: "64 MiB", "1000 bytes".
std::string ByteLimitText(size_t bytes);

// The Status for a failed chunk whose first line is `first_line` (1-based).
core::Status ChunkError(const std::string& path, const ChunkStatus& status, uint64_t first_line);

// Chunks per parallel batch: enough to keep every thread busy, few enough that the input
// pages in flight stay small. Any value gives the same result.
inline size_t BatchChunks(core::Context& ctx) {
  return static_cast<size_t>(std::max(4, 2 * ctx.threads()));
}

// Parses in.text()[start, end of text) chunk by chunk, a batch of chunks at a time.
//   prepare(const std::vector<ChunkRange>& ranges, std::vector<Chunk*>& chunks): readies one
//     chunk per range before the batch is parsed (e.g. points it at its part of the output);
//     returns a Status. Called on the calling thread; it may use the pool itself.
//   parse(Chunk&, ChunkRange): fills one chunk; runs in parallel with other calls. Chunk objects
//     are reused from batch to batch (so their buffers are too), so parse must reset what it
//     uses. Chunk has a ChunkStatus member `status`, which the driver resets.
//   absorb(std::vector<Chunk*>& chunks, const std::vector<uint64_t>& first_lines): takes the
//     batch's valid chunks, in text order, with the 1-based line at which each starts; returns
//     a Status. Called on the calling thread; it may use the pool itself. The valid chunks are
//     a prefix of the prepared ones.
// `start_line` is the line at `start`. Errors name the first failing chunk's line.
template <typename Chunk, typename PrepareFn, typename ParseFn, typename AbsorbFn>
core::Status ParseChunks(InputText& in, size_t start, uint64_t start_line, const ChunkPlanner& plan,
                         PrepareFn&& prepare, ParseFn&& parse, AbsorbFn&& absorb) {
  core::Context& ctx = in.ctx();
  size_t pos = start;
  uint64_t line = start_line;
  in.Consume(start);
  std::vector<std::unique_ptr<Chunk>> pool;
  std::vector<Chunk*> batch;
  std::vector<Chunk*> valid;
  std::vector<uint64_t> first_lines;
  while (pos < in.size()) {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled("reading " + in.path()));
    const std::vector<ChunkRange> ranges = plan(pos, BatchChunks(ctx));
    while (pool.size() < ranges.size()) pool.push_back(std::make_unique<Chunk>());
    batch.clear();
    for (size_t i = 0; i < ranges.size(); ++i) batch.push_back(pool[i].get());
    KILN_RETURN_IF_ERROR(prepare(ranges, batch));
    core::ParallelForBlocks(ctx.pool(), 0, ranges.size(), 1, [&](size_t b, size_t, size_t) {
      pool[b]->status.Reset();
      parse(*pool[b], ranges[b]);
    });
    valid.clear();
    first_lines.clear();
    for (size_t i = 0; i < ranges.size(); ++i) {
      const ChunkStatus& st = pool[i]->status;
      if (st.failed) return ChunkError(in.path(), st, line);
      valid.push_back(pool[i].get());
      first_lines.push_back(line);
      line += st.lines;
      pos = st.stop;
      if (st.stop != ranges[i].end) break;  // re-plan from where the parser stopped
    }
    KILN_RETURN_IF_ERROR(absorb(valid, first_lines));
    in.Consume(pos);
  }
  return core::Status::Ok();
}

// ParseChunks without a prepare step.
template <typename Chunk, typename ParseFn, typename AbsorbFn>
core::Status ParseChunks(InputText& in, size_t start, uint64_t start_line, const ChunkPlanner& plan,
                         ParseFn&& parse, AbsorbFn&& absorb) {
  return ParseChunks<Chunk>(
      in, start, start_line, plan,
      [](const std::vector<ChunkRange>&, std::vector<Chunk*>&) { return core::Status::Ok(); },
      std::forward<ParseFn>(parse), std::forward<AbsorbFn>(absorb));
}

}  // namespace kiln::data::internal
