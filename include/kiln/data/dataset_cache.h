// DatasetCache: a binary copy of a parsed Dataset, keyed by the source file's path, size,
// modification time and the read options that shape the result. Loading maps the arrays from the
// cache file without copying (near memory speed). A stale or damaged entry is ignored and
// rewritten, never trusted. Thread-compatible; concurrent processes are safe (atomic renames).
#pragma once

#include <optional>
#include <string>

#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"

namespace kiln::data {

class DatasetCache {
 public:
  explicit DatasetCache(std::string dir);

  // The cache file a (path, options) pair maps to; "" if the source cannot be stat'ed.
  std::string EntryPath(const std::string& source_path, const ReadOptions& options) const;
  // The cached dataset, or nullopt when absent/stale/damaged (then *why, if given, says which).
  // An entry made while the source's modification time was recent is checked against the
  // content hash too, so a file rewritten within the clock's resolution is not trusted.
  std::optional<Dataset> Load(const std::string& source_path, const ReadOptions& options,
                              std::string* why = nullptr) const;
  // Creates the cache directory if needed. Callers treat a failure as a warning.
  core::Status Store(const std::string& source_path, const ReadOptions& options,
                     const Dataset& dataset) const;
  const std::string& dir() const { return dir_; }

  // Writes a dataset to / reads it from a binary file (the cache's format).
  static core::Status WriteBinary(const std::string& path, const Dataset& dataset);
  static core::Result<Dataset> ReadBinary(const std::string& path);

 private:
  std::string dir_;
};

}  // namespace kiln::data
