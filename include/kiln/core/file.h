// Files: read-only memory maps, whole-file reads, atomic writes and path helpers.
// All functions return Status/Result with the path in the message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kiln/core/result.h"

namespace kiln::core {

// A read-only memory map of a whole file. Thread-safe for reads. Share it with shared_ptr so that
// Arrays pointing into it keep it alive.
class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  // Tells the kernel that [offset, offset+length) will not be read again (frees page cache RSS).
  void DropRange(size_t offset, size_t length) const;

 private:
  MappedFile(std::string path, const char* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const char* data_;
  size_t size_;
};

struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool is_regular = false;
};

Result<FileStat> StatFile(const std::string& path);
bool FileExists(const std::string& path);
Result<std::string> ReadFileToString(const std::string& path);
// Writes to `path.tmp.<pid>` and renames over `path`, so readers never see a partial file.
Status WriteFileAtomic(const std::string& path, std::string_view contents);
// Creates the directory and its parents (like mkdir -p).
Status CreateDirectories(const std::string& path);
// $KILN_HOME, or ~/.kiln.
std::string KilnHome();

}  // namespace kiln::core
