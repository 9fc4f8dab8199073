#include "access_log.h"

#include <cerrno>
#include <cstring>

namespace kiln::serve {

core::Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stderr, false));
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr)
    return core::IoError("--access-log {}: cannot open for appending: {}", path,
                         std::strerror(errno));
  return std::unique_ptr<AccessLog>(new AccessLog(f, true));
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(file_);
}

void AccessLog::Write(const std::string& json_line) {
  std::lock_guard lock(mutex_);
  std::fwrite(json_line.data(), 1, json_line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

}  // namespace kiln::serve
