// AccessLog: one JSON line per request (time, remote, method, path, status, model, version,
// latency) — and one per shadow answer — to a file or stderr. Thread-safe (a mutex around
// each write).
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "kiln/core/result.h"

namespace kiln::serve {

class AccessLog {
 public:
  // "-" = stderr; else the file, appended to.
  static core::Result<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  // Writes `json_line` (one JSON object, no newline) and a newline.
  void Write(const std::string& json_line);

 private:
  AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
  std::mutex mutex_;
  std::FILE* file_;
  bool owned_;
};

}  // namespace kiln::serve
