// The dataset cache: Datasets in Kiln's array-file container (magic "KILNDSET"), mapped back
// without copying, keyed by the source file and the read options that shape the result.
#include "kiln/data/dataset_cache.h"

#include <chrono>
#include <deque>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/core/array_file.h"
#include "kiln/core/file.h"
#include "kiln/core/hash.h"
#include "kiln/core/strings.h"

namespace kiln::data {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kMagic = "KILNDSET";
constexpr uint32_t kFormatVersion = 1;
// Bump when a reader change alters what the same file and options parse to.
constexpr int kParserVersion = 1;
// Entries written within this long of the source's modification time also check its content.
constexpr int64_t kRacyWindowNs = 3'000'000'000;

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec) return path;
  return abs.lexically_normal().string();
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Everything that determines what ReadDataset returns for a file, except its content. Options
// with defaults that depend on the file name (format, delimiter) are resolved first, so that
// "auto" and the format it stands for share an entry.
Json CacheKey(const std::string& abs_path, const ReadOptions& o) {
  Format format = o.format;
  if (format == Format::kAuto) {
    if (auto detected = DetectFormat(abs_path); detected.ok()) format = *detected;
  }
  char delimiter = o.delimiter;
  if (format == Format::kCsv && delimiter == 0) {
    delimiter = core::EndsWith(core::ToLower(abs_path), ".tsv") ? '\t' : ',';
  }
  Json j;
  j["path"] = abs_path;
  j["parser_version"] = kParserVersion;
  j["format"] = FormatName(format);
  j["label"] = o.label;
  j["label_policy"] = static_cast<int>(o.label_policy);
  j["weight"] = o.weight;
  j["ignore"] = Sorted(o.ignore);
  if (!o.ignore_if_present.empty()) j["ignore_if_present"] = Sorted(o.ignore_if_present);
  j["categorical"] = Sorted(o.categorical);
  Json types = Json::object();
  for (const auto& [name, type] : o.column_types) types[name] = ColumnTypeName(type);
  j["column_types"] = std::move(types);
  j["delimiter"] = static_cast<int>(delimiter);
  j["header"] = o.header;
  j["na_values"] = Sorted(o.na_values);
  j["infer_rows"] = o.infer_rows;
  j["index_base"] = o.index_base;
  j["num_features"] = o.num_features;
  j["max_line_bytes"] = o.max_line_bytes;
  return j;
}

// Keeps category blobs alive until the writer has written them.
struct CategoryStore {
  std::deque<std::vector<uint64_t>> offsets;
  std::deque<std::vector<uint8_t>> bytes;
};

Json ColumnMeta(const Column& c) {
  return {{"name", c.name}, {"type", ColumnTypeName(c.type)}, {"categories", c.categories.size()}};
}

void AddColumn(core::ArrayFileWriter& w, const std::string& prefix, const Column& c,
               CategoryStore& store) {
  if (c.type == ColumnType::kNumeric) {
    w.AddArray(prefix + ".values", c.values);
    return;
  }
  w.AddArray(prefix + ".codes", c.codes);
  auto& offsets = store.offsets.emplace_back();
  auto& bytes = store.bytes.emplace_back();
  offsets.push_back(0);
  for (const auto& s : c.categories) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    offsets.push_back(bytes.size());
  }
  w.AddArray(prefix + ".cat_offsets", offsets);
  w.AddArray(prefix + ".cat_bytes", bytes);
}

core::Status WriteDatasetFile(const std::string& path, const Dataset& ds, const Json& extra) {
  core::ArrayFileWriter w(std::string(kMagic), kFormatVersion);
  CategoryStore store;
  Json& meta = w.meta();
  meta["sparse"] = ds.is_sparse();
  meta["num_rows"] = ds.num_rows();
  meta["schema"] = ds.schema().ToJson();
  const SourceInfo& src = ds.source();
  meta["source"] = {{"path", src.path},
                    {"format", src.format},
                    {"file_bytes", src.file_bytes},
                    {"content_hash", src.content_hash},
                    {"first_data_line", src.first_data_line}};
  if (ds.is_sparse()) {
    meta["num_cols"] = ds.csr().num_cols;
    w.AddArray("csr.indptr", ds.csr().indptr);
    w.AddArray("csr.indices", ds.csr().indices);
    w.AddArray("csr.values", ds.csr().values);
  } else {
    Json cols = Json::array();
    for (size_t i = 0; i < ds.columns().size(); ++i) {
      cols.push_back(ColumnMeta(ds.columns()[i]));
      AddColumn(w, fmt::format("c{}", i), ds.columns()[i], store);
    }
    meta["columns"] = std::move(cols);
  }
  if (const Column* label = ds.label()) {
    meta["label"] = ColumnMeta(*label);
    AddColumn(w, "label", *label, store);
  } else {
    meta["label"] = nullptr;
  }
  meta["has_weights"] = ds.has_weights();
  if (ds.has_weights()) w.AddArray("weights", ds.weights());
  if (!src.row_lines.empty()) w.AddArray("row_lines", src.row_lines);
  for (const auto& [k, v] : extra.items()) meta[k] = v;
  return w.Write(path);
}

struct Loaded {
  Dataset dataset;
  Json meta;
};

template <typename T>
core::Result<core::Array<T>> SizedArray(const core::ArrayFileReader& r, const std::string& name,
                                        size_t expected) {
  KILN_ASSIGN_OR_RETURN(core::Array<T> a, r.GetArray<T>(name));
  if (a.size() != expected) {
    return core::Corrupt("{}: array '{}' has {} entries, expected {}", r.path(), name, a.size(),
                         expected);
  }
  return a;
}

core::Result<Column> ReadColumn(const core::ArrayFileReader& r, const std::string& prefix,
                                const Json& m, size_t rows) {
  if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("type") ||
      !m["type"].is_string() || !m.contains("categories") ||
      !m["categories"].is_number_unsigned()) {
    return core::Corrupt("{}: malformed column entry for '{}'", r.path(), prefix);
  }
  Column c;
  c.name = m["name"].get<std::string>();
  const std::string type = m["type"].get<std::string>();
  if (type == "numeric") {
    c.type = ColumnType::kNumeric;
    KILN_ASSIGN_OR_RETURN(c.values, SizedArray<float>(r, prefix + ".values", rows));
    return c;
  }
  if (type != "categorical") return core::Corrupt("{}: unknown column type '{}'", r.path(), type);
  c.type = ColumnType::kCategorical;
  const auto ncat = m["categories"].get<size_t>();
  KILN_ASSIGN_OR_RETURN(c.codes, SizedArray<int32_t>(r, prefix + ".codes", rows));
  KILN_ASSIGN_OR_RETURN(auto offsets, SizedArray<uint64_t>(r, prefix + ".cat_offsets", ncat + 1));
  KILN_ASSIGN_OR_RETURN(auto bytes, r.GetArray<uint8_t>(prefix + ".cat_bytes"));
  c.categories.reserve(ncat);
  for (size_t k = 0; k < ncat; ++k) {
    if (offsets[k] > offsets[k + 1] || offsets[k + 1] > bytes.size()) {
      return core::Corrupt("{}: bad category offsets in '{}'", r.path(), prefix);
    }
    c.categories.emplace_back(reinterpret_cast<const char*>(bytes.data()) + offsets[k],
                              offsets[k + 1] - offsets[k]);
  }
  for (int32_t code : c.codes) {
    if (code < kMissingCode || code >= static_cast<int64_t>(ncat)) {
      return core::Corrupt("{}: category code out of range in '{}'", r.path(), prefix);
    }
  }
  return c;
}

core::Result<Loaded> ReadDatasetFile(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(
      auto reader, core::ArrayFileReader::Open(path, kMagic, kFormatVersion, "dataset cache file"));
  const core::ArrayFileReader& r = *reader;
  const Json& meta = r.meta();
  auto bad = [&](std::string_view what) {
    return core::Corrupt("{}: dataset cache file: {}", path, what);
  };
  if (!meta.contains("sparse") || !meta["sparse"].is_boolean() || !meta.contains("num_rows") ||
      !meta["num_rows"].is_number_unsigned() || !meta.contains("schema") ||
      !meta.contains("source") || !meta["source"].is_object() || !meta.contains("label") ||
      !meta.contains("has_weights") || !meta["has_weights"].is_boolean()) {
    return bad("missing metadata");
  }
  const auto rows = meta["num_rows"].get<size_t>();
  std::optional<Column> label;
  if (!meta["label"].is_null()) {
    KILN_ASSIGN_OR_RETURN(Column c, ReadColumn(r, "label", meta["label"], rows));
    label = std::move(c);
  }
  core::Array<float> weights;
  if (meta["has_weights"].get<bool>()) {
    KILN_ASSIGN_OR_RETURN(weights, SizedArray<float>(r, "weights", rows));
  }
  Dataset ds;
  if (meta["sparse"].get<bool>()) {
    if (!meta.contains("num_cols") || !meta["num_cols"].is_number_unsigned()) {
      return bad("missing num_cols");
    }
    CsrMatrix csr;
    csr.num_cols = meta["num_cols"].get<uint32_t>();
    KILN_ASSIGN_OR_RETURN(csr.indptr, SizedArray<uint64_t>(r, "csr.indptr", rows + 1));
    KILN_ASSIGN_OR_RETURN(csr.indices, r.GetArray<uint32_t>("csr.indices"));
    KILN_ASSIGN_OR_RETURN(csr.values, SizedArray<float>(r, "csr.values", csr.indices.size()));
    if (csr.indptr[0] != 0 || csr.indptr[rows] != csr.indices.size()) {
      return bad("row pointers do not match the nonzeros");
    }
    for (size_t i = 0; i < rows; ++i) {
      if (csr.indptr[i] > csr.indptr[i + 1]) return bad("row pointers are not increasing");
    }
    uint32_t max_index = 0;
    for (uint32_t idx : csr.indices) max_index = std::max(max_index, idx);
    if (!csr.indices.empty() && max_index >= csr.num_cols) return bad("column index out of range");
    ds = Dataset::Sparse(std::move(csr), std::move(label), std::move(weights));
  } else {
    if (!meta.contains("columns") || !meta["columns"].is_array()) return bad("missing columns");
    std::vector<Column> columns;
    for (size_t i = 0; i < meta["columns"].size(); ++i) {
      KILN_ASSIGN_OR_RETURN(Column c,
                            ReadColumn(r, fmt::format("c{}", i), meta["columns"][i], rows));
      columns.push_back(std::move(c));
    }
    if (columns.empty()) return bad("no columns");
    ds = Dataset::Dense(std::move(columns), std::move(label), std::move(weights));
  }
  if (ds.num_rows() != rows) return bad("row count mismatch");
  auto schema = Schema::FromJson(meta["schema"]);
  if (!schema.ok()) return bad(schema.status().message());
  ds.set_schema(std::move(schema).value());
  const Json& s = meta["source"];
  SourceInfo source;
  try {
    source.path = s.at("path").get<std::string>();
    source.format = s.at("format").get<std::string>();
    source.file_bytes = s.at("file_bytes").get<uint64_t>();
    source.content_hash = s.at("content_hash").get<uint64_t>();
    source.first_data_line = s.at("first_data_line").get<uint64_t>();
  } catch (const std::exception&) {
    return bad("malformed source information");
  }
  if (r.HasArray("row_lines")) {
    KILN_ASSIGN_OR_RETURN(source.row_lines, SizedArray<uint64_t>(r, "row_lines", rows));
  }
  ds.set_source(std::move(source));
  return Loaded{std::move(ds), meta};
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DatasetCache::DatasetCache(std::string dir) : dir_(std::move(dir)) {}

std::string DatasetCache::EntryPath(const std::string& source_path,
                                    const ReadOptions& options) const {
  if (!core::StatFile(source_path).ok()) return "";
  const std::string key = CacheKey(AbsolutePath(source_path), options).dump();
  return dir_ + "/" + core::HexDigest(core::Hash64(key)) + ".kds";
}

std::optional<Dataset> DatasetCache::Load(const std::string& source_path,
                                          const ReadOptions& options, std::string* why) const {
  auto miss = [&](std::string reason) -> std::optional<Dataset> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  auto stat = core::StatFile(source_path);
  if (!stat.ok()) return miss(stat.status().ToString());
  const std::string entry = EntryPath(source_path, options);
  if (entry.empty() || !core::FileExists(entry)) return miss("no cache entry");
  auto loaded = ReadDatasetFile(entry);
  if (!loaded.ok()) return miss("damaged entry ignored: " + loaded.status().ToString());
  const Json& meta = loaded->meta;
  if (!meta.contains("cache_key") ||
      meta["cache_key"] != CacheKey(AbsolutePath(source_path), options)) {
    return miss("the entry belongs to other options");
  }
  const Json st = meta.value("source_stat", Json::object());
  if (!st.is_object() || !st.contains("size") || !st["size"].is_number_unsigned() ||
      !st.contains("mtime_ns") || !st["mtime_ns"].is_number_integer() || !st.contains("racy") ||
      !st["racy"].is_boolean()) {
    return miss("damaged entry ignored: malformed source_stat");
  }
  if (st["size"].get<uint64_t>() != stat->size || st["mtime_ns"].get<int64_t>() != stat->mtime_ns) {
    return miss("the source file changed since the entry was written");
  }
  if (st["racy"].get<bool>()) {
    // Written right after the file was modified: the time stamp alone cannot prove the content.
    auto file = core::MappedFile::Open(source_path);
    if (!file.ok()) return miss(file.status().ToString());
    const uint64_t hash = core::Hash64((*file)->data(), (*file)->size());
    if (hash != loaded->dataset.source().content_hash) {
      return miss("the source file's content changed since the entry was written");
    }
  }
  return std::move(loaded->dataset);
}

core::Status DatasetCache::Store(const std::string& source_path, const ReadOptions& options,
                                 const Dataset& dataset) const {
  KILN_ASSIGN_OR_RETURN(core::FileStat stat, core::StatFile(source_path));
  if (stat.size != dataset.source().file_bytes) {
    return core::FailedPrecondition("{}: the file changed while it was read; not cached",
                                    source_path);
  }
  KILN_RETURN_IF_ERROR(core::CreateDirectories(dir_));
  Json extra;
  extra["cache_key"] = CacheKey(AbsolutePath(source_path), options);
  extra["source_stat"] = {{"size", stat.size},
                          {"mtime_ns", stat.mtime_ns},
                          {"racy", NowNs() - stat.mtime_ns < kRacyWindowNs}};
  return WriteDatasetFile(EntryPath(source_path, options), dataset, extra);
}

core::Status DatasetCache::WriteBinary(const std::string& path, const Dataset& dataset) {
  return WriteDatasetFile(path, dataset, Json::object());
}

core::Result<Dataset> DatasetCache::ReadBinary(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(Loaded loaded, ReadDatasetFile(path));
  return std::move(loaded.dataset);
}

}  // namespace kiln::data
