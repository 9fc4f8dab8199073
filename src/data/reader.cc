// ReadDataset: checks the file, picks the reader, and goes through the dataset cache.
#include "kiln/data/reader.h"

#include <filesystem>

#include <fmt/format.h>

#include "kiln/core/file.h"
#include "kiln/core/strings.h"
#include "kiln/data/dataset_cache.h"
#include "readers_internal.h"

namespace kiln::data {
namespace {

constexpr size_t kSniffBytes = 64 * 1024;

struct Magic {
  std::string_view bytes;
  std::string_view what;
};

// Refuses content that is clearly not text: known compressed/binary formats and NUL bytes in the
// first 64 KiB. Invalid UTF-8 is fine (bytes are treated opaquely).
core::Status CheckLooksLikeText(const std::string& path, std::string_view text) {
  static constexpr Magic kMagics[] = {
      {"\x1f\x8b", "a gzip-compressed file; decompress it first (gunzip)"},
      {"\x28\xb5\x2f\xfd", "a zstd-compressed file; decompress it first (zstd -d)"},
      {"BZh", "a bzip2-compressed file; decompress it first (bunzip2)"},
      {"\xfd\x37\x7a\x58\x5a\x00", "an xz-compressed file; decompress it first (unxz)"},
      {"PK\x03\x04", "a zip archive; extract it first"},
      {"PAR1", "a Parquet file; Kiln reads CSV, LibSVM and JSON Lines"},
      {"KILN", "a Kiln binary file (a model or cache), not a data file"},
      {"SQLite format 3", "an SQLite database, not a data file"},
  };
  for (const auto& m : kMagics) {
    // "BZh" must be followed by a block-size digit to count.
    if (core::StartsWith(text, m.bytes) &&
        (m.bytes != "BZh" || (text.size() > 3 && text[3] >= '1' && text[3] <= '9'))) {
      return core::InvalidArgument("{}: looks binary: it is {}", path, m.what);
    }
  }
  if (core::StartsWith(text, "\xFF\xFE") || core::StartsWith(text, "\xFE\xFF")) {
    return core::InvalidArgument(
        "{}: looks binary: it starts with a UTF-16 byte order mark; convert it to UTF-8 (e.g. "
        "iconv -f UTF-16 -t UTF-8)",
        path);
  }
  const std::string_view head = text.substr(0, kSniffBytes);
  if (const size_t nul = head.find('\0'); nul != std::string_view::npos) {
    return core::InvalidArgument(
        "{}: looks binary (a NUL byte at offset {}); expected a text file in CSV, LibSVM or JSON "
        "Lines format",
        path, nul);
  }
  // Text has few control bytes besides tab, line feed, carriage return and form feed.
  size_t control = 0;
  for (unsigned char c : head) {
    control +=
        (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f;
  }
  if (head.size() >= 32 && control * 10 > head.size()) {
    return core::InvalidArgument(
        "{}: looks binary ({} of the first {} bytes are control characters); expected a text "
        "file in CSV, LibSVM or JSON Lines format",
        path, control, head.size());
  }
  return core::Status::Ok();
}

core::Result<Dataset> ParseFile(const std::string& path, Format format, const ReadOptions& options,
                                core::Context& ctx) {
  KILN_ASSIGN_OR_RETURN(auto file, core::MappedFile::Open(path));
  if (file->size() == 0) {
    return core::DataError("{}: the file is empty; expected {} data", path, FormatName(format));
  }
  KILN_RETURN_IF_ERROR(CheckLooksLikeText(path, file->view()));
  internal::InputText in(path, file->view(), file.get(), ctx);
  switch (format) {
    case Format::kCsv:
      return internal::ReadCsvText(in, options);
    case Format::kLibSvm:
      return internal::ReadLibSvmText(in, options);
    case Format::kJsonLines:
      return internal::ReadJsonLinesText(in, options);
    case Format::kAuto:
      break;
  }
  return core::Internal("{}: no reader for format {}", path, FormatName(format));
}

}  // namespace

core::Result<Dataset> ReadDataset(const std::string& path, const ReadOptions& options,
                                  core::Context& ctx) {
  auto stat = core::StatFile(path);
  if (!stat.ok()) return stat.status();
  if (std::filesystem::is_directory(path)) {
    return core::InvalidArgument("{}: is a directory, expected a data file", path);
  }
  if (!stat->is_regular) {
    return core::InvalidArgument("{}: is not a regular file (a pipe or device?)", path);
  }
  ReadOptions resolved = options;
  if (resolved.format == Format::kAuto) {
    KILN_ASSIGN_OR_RETURN(resolved.format, DetectFormat(path));
  }
  std::optional<DatasetCache> cache;
  if (resolved.use_cache && stat->size > 0) {
    cache.emplace(resolved.cache_dir.empty() ? core::KilnHome() + "/cache/datasets"
                                             : resolved.cache_dir);
    std::string why;
    if (auto hit = cache->Load(path, resolved, &why)) {
      SourceInfo source = hit->source();
      source.path = path;
      source.from_cache = true;
      hit->set_source(std::move(source));
      ctx.logger().Info("read {} from the dataset cache ({} rows)", path, hit->num_rows());
      return std::move(*hit);
    }
    ctx.logger().Debug("dataset cache miss for {}: {}", path, why);
  }
  KILN_ASSIGN_OR_RETURN(Dataset ds, ParseFile(path, resolved.format, resolved, ctx));
  if (cache) {
    auto after = core::StatFile(path);
    if (!after.ok() || after->size != stat->size || after->mtime_ns != stat->mtime_ns) {
      ctx.logger().Warn("{} changed while it was read; not caching it", path);
    } else if (auto st = cache->Store(path, resolved, ds); !st.ok()) {
      ctx.logger().Warn("could not write the dataset cache for {}: {}", path, st.ToString());
    } else {
      ctx.logger().Debug("stored {} in the dataset cache", path);
    }
  }
  return ds;
}

}  // namespace kiln::data
