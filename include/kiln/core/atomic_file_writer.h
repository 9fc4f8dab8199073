// AtomicFileWriter: a file written in pieces that appears under its name only when complete.
// Bytes go to `path.tmp.<pid>`; Commit() closes it and renames it over `path`, so readers never
// see a partial file, and a writer destroyed without Commit (an error on the way) removes the
// temporary file. For outputs too large to build in one string first (WriteFileAtomic does that).
// Thread-safety: one thread at a time. Movable, not copyable.
#pragma once

#include <string>
#include <string_view>

#include "kiln/core/result.h"
#include "kiln/core/status.h"

namespace kiln::core {

class AtomicFileWriter {
 public:
  // Creates the temporary file; kNotFound when the directory does not exist.
  static Result<AtomicFileWriter> Create(const std::string& path);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Appends all of `bytes` (retrying short writes).
  Status Append(std::string_view bytes);
  // Closes and renames into place. The writer is finished afterwards, whatever the outcome.
  Status Commit();

  const std::string& path() const { return path_; }

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  // Closes the descriptor (if open) and removes the temporary file.
  void Discard();

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
};

}  // namespace kiln::core
