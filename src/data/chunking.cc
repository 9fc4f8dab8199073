#include "chunking.h"

#include <sys/mman.h>

#include <cstring>
#include <filesystem>

namespace kiln::data::internal {

InputText::InputText(std::string path, std::string_view text, const core::MappedFile* file,
                     core::Context& ctx)
    : path_(std::move(path)), text_(text), file_(file), ctx_(ctx) {
  progress_ = ctx.progress().Start("reading " + std::filesystem::path(path_).filename().string(),
                                   text.size(), "B");
}

InputText::~InputText() {
  if (progress_) progress_->Finish();
}

void InputText::Consume(size_t upto) {
  upto = std::min(upto, text_.size());
  if (upto <= consumed_) return;
  hasher_.Update(text_.data() + consumed_, upto - consumed_);
  if (file_ != nullptr) file_->DropRange(consumed_, upto - consumed_);
  progress_->Add(upto - consumed_);
  consumed_ = upto;
}

SourceInfo MakeSourceInfo(InputText& in, std::string format, RowLines row_lines) {
  SourceInfo source;
  source.path = in.path();
  source.format = std::move(format);
  source.file_bytes = in.size();
  source.content_hash = in.FinishHash();
  source.first_data_line = row_lines.first_data_line;
  source.row_lines = std::move(row_lines.row_lines);
  return source;
}

uint64_t InputText::FinishHash() {
  Consume(text_.size());
  return hasher_.Digest();
}

namespace {

constexpr size_t kDefaultChunkBytes = size_t{4} << 20;
constexpr size_t kHugePageMinBytes = size_t{32} << 20;
// How far past a nominal chunk end to look for a line break outside quotes before guessing.
constexpr size_t kQuotedScanBytes = size_t{1} << 20;

// First position >= from + chunk_bytes - 1 holding '\n', searched up to `max_scan` bytes;
// returns the boundary after it, or text.size() if there is none in reach.
size_t NextLineBoundary(std::string_view text, size_t nominal, size_t max_scan) {
  const size_t scan_begin = nominal - 1;  // a chunk may end right at `nominal`
  const size_t scan_len = std::min(text.size() - scan_begin, max_scan);
  const void* hit = std::memchr(text.data() + scan_begin, '\n', scan_len);
  if (hit == nullptr) return text.size();
  return static_cast<size_t>(static_cast<const char*>(hit) - text.data()) + 1;
}

size_t CountByte(const char* p, size_t n, char byte) {
  // Blocks of at most 255 bytes let the compiler count in byte lanes (vectorised).
  size_t count = 0;
  while (n > 0) {
    const size_t m = std::min<size_t>(n, 255);
    uint8_t c = 0;
    for (size_t i = 0; i < m; ++i) c = static_cast<uint8_t>(c + (p[i] == byte));
    count += c;
    p += m;
    n -= m;
  }
  return count;
}

size_t CountQuotes(const char* p, size_t n) { return CountByte(p, n, '"'); }

}  // namespace

std::vector<ChunkRange> PlanLineChunks(std::string_view text, size_t from, size_t chunk_bytes,
                                       size_t max_chunks, size_t max_scan) {
  chunk_bytes = chunk_bytes == 0 ? kDefaultChunkBytes : chunk_bytes;
  std::vector<ChunkRange> out;
  size_t begin = from;
  while (begin < text.size() && out.size() < max_chunks) {
    size_t end = text.size();
    if (text.size() - begin > chunk_bytes) {
      end = NextLineBoundary(text, begin + chunk_bytes, max_scan);
    }
    out.push_back({begin, end});
    begin = end;
  }
  return out;
}

std::vector<ChunkRange> PlanQuotedChunks(std::string_view text, size_t from, size_t chunk_bytes,
                                         size_t max_chunks, size_t max_scan,
                                         core::ThreadPool& pool) {
  chunk_bytes = chunk_bytes == 0 ? kDefaultChunkBytes : chunk_bytes;
  // Nominal ends from + k * chunk_bytes; a boundary is searched from the byte before each.
  std::vector<size_t> target;
  for (size_t k = 1; k <= max_chunks; ++k) {
    const size_t at = from + k * chunk_bytes;
    if (at >= text.size()) break;
    target.push_back(at - 1);
  }
  // Quotes per segment [target[k-1], target[k]) in parallel, for the parity at each target.
  std::vector<size_t> counts(target.size());
  core::ParallelForBlocks(pool, 0, target.size(), 1, [&](size_t k, size_t, size_t) {
    const size_t seg_begin = k == 0 ? from : target[k - 1];
    counts[k] = CountQuotes(text.data() + seg_begin, target[k] - seg_begin);
  });
  std::vector<ChunkRange> out;
  size_t begin = from;  // current chunk start: a boundary, outside quotes
  // The last boundary search started at scan_start and counted scan_quotes quotes up to `begin`.
  size_t scan_start = from;
  size_t scan_quotes = 0;
  for (size_t k = 0; k < target.size(); ++k) {
    if (target[k] < begin) continue;  // a long record took us past this nominal end
    const size_t seg_begin = k == 0 ? from : target[k - 1];
    size_t quotes;  // in [begin, target[k])
    if (scan_start == seg_begin) {
      quotes = counts[k] - scan_quotes;
    } else {
      quotes = CountQuotes(text.data() + begin, target[k] - begin);
    }
    size_t parity = quotes & 1;
    size_t end = text.size();
    scan_quotes = 0;
    const size_t limit = std::min(text.size(), target[k] + std::min(max_scan, kQuotedScanBytes));
    for (size_t p = target[k]; p < limit; ++p) {
      const char c = text[p];
      if (c == '"') {
        parity ^= 1;
        ++scan_quotes;
      } else if (c == '\n' && parity == 0) {
        end = p + 1;
        break;
      }
    }
    if (end == text.size() && limit < text.size()) {
      // No line break outside quotes within reach: the parity is probably fooled by a stray
      // quote (or a quoted field is very long). Guess the next line break; if the guess is
      // wrong the chunk's parser runs past it and the driver re-plans from where it stopped,
      // so a guess is always safe.
      const void* nl = std::memchr(text.data() + target[k], '\n', text.size() - target[k]);
      if (nl != nullptr) {
        end = static_cast<size_t>(static_cast<const char*>(nl) - text.data()) + 1;
        out.push_back({begin, end});
        return out;  // the quote counts past here no longer apply
      }
    }
    out.push_back({begin, end});
    if (end == text.size()) return out;
    begin = end;
    scan_start = target[k];
  }
  if (begin < text.size() && target.size() < max_chunks) out.push_back({begin, text.size()});
  return out;
}

void RowLinesBuilder::Append(const RowLineRecorder& chunk, uint64_t first_line) {
  if (chunk.count() == 0) return;
  const uint64_t chunk_first = first_line + chunk.first();
  if (!have_rows_) {
    have_rows_ = true;
    first_ = chunk_first;
  }
  if (consecutive_ && (chunk_first != first_ + count_ || !chunk.consecutive())) {
    consecutive_ = false;
    lines_.reserve(count_ + chunk.count());
    for (uint64_t r = 0; r < count_; ++r) lines_.push_back(first_ + r);
  }
  if (!consecutive_) {
    for (uint64_t r = 0; r < chunk.count(); ++r) lines_.push_back(first_line + chunk.Line(r));
  }
  count_ += chunk.count();
}

RowLines RowLinesBuilder::Finish(uint64_t start_line) && {
  RowLines out;
  out.first_data_line = have_rows_ ? first_ : start_line;
  if (!consecutive_) out.row_lines = core::Array<uint64_t>(std::move(lines_));
  return out;
}

void AdviseHugePages(void* data, size_t bytes) {
#ifdef MADV_HUGEPAGE
  // Only for large buffers: a partly filled last huge page wastes up to 2 MiB per buffer.
  if (data != nullptr && bytes >= kHugePageMinBytes) ::madvise(data, bytes, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void PrefaultForWrite(void* data, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  constexpr uintptr_t kPage = 4096;
  if (data == nullptr || bytes == 0) return;
  const auto begin = reinterpret_cast<uintptr_t>(data) / kPage * kPage;
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes + kPage - 1) / kPage * kPage;
  // Errors (an old kernel) only mean the pages fault in on first write instead.
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)bytes;
#endif
}

size_t CountLineFeeds(const char* p, size_t n) { return CountByte(p, n, '\n'); }

void TrimUnused(void* data, size_t used_bytes, size_t capacity_bytes) {
  constexpr size_t kPage = 4096;
  const size_t from = (used_bytes + kPage - 1) / kPage * kPage;
  if (data != nullptr && capacity_bytes > from) {
    ::madvise(static_cast<char*>(data) + from, capacity_bytes - from, MADV_DONTNEED);
  }
}

std::string ByteLimitText(size_t bytes) {
  constexpr size_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
  if (bytes >= kGiB && bytes % kGiB == 0) return fmt::format("{} GiB", bytes / kGiB);
  if (bytes >= kMiB && bytes % kMiB == 0) return fmt::format("{} MiB", bytes / kMiB);
  if (bytes >= kKiB && bytes % kKiB == 0) return fmt::format("{} KiB", bytes / kKiB);
  return fmt::format("{} bytes", bytes);
}

core::Status ChunkError(const std::string& path, const ChunkStatus& status, uint64_t first_line) {
  std::string message = status.error;
  const std::string ref = std::to_string(first_line + status.ref_line);
  for (size_t at = message.find(kLineMarker); at != std::string::npos;
       at = message.find(kLineMarker, at)) {
    message.replace(at, kLineMarker.size(), ref);
  }
  return core::Status(status.code,
                      fmt::format("{} line {}{}", path, first_line + status.error_line, message));
}

}  // namespace kiln::data::internal
