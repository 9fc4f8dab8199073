#include "kiln/core/file.h"

#include "kiln/core/atomic_file_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace kiln::core {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

Result<std::shared_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("{}: no such file", path);
    return IoError("{}: cannot open: {}", path, ErrnoText(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("{}: cannot stat: {}", path, ErrnoText(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return InvalidArgument("{}: is a directory, expected a file", path);
  }
  const auto size = static_cast<size_t>(st.st_size);
  const char* data = "";
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return IoError("{}: cannot map: {}", path, ErrnoText(err));
    }
    data = static_cast<const char*>(p);
  }
  ::close(fd);
  return std::shared_ptr<MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (size_ > 0) ::munmap(const_cast<char*>(data_), size_);
}

void MappedFile::DropRange(size_t offset, size_t length) const {
  constexpr size_t kPage = 4096;
  size_t begin = (offset + kPage - 1) / kPage * kPage;
  size_t end = std::min(size_, offset + length) / kPage * kPage;
  if (end > begin) {
    ::madvise(const_cast<char*>(data_) + begin, end - begin, MADV_DONTNEED);
  }
}

Result<FileStat> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("{}: no such file", path);
    return IoError("{}: cannot stat: {}", path, ErrnoText(err));
  }
  FileStat out;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  out.is_regular = S_ISREG(st.st_mode);
  return out;
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> ReadFileToString(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return std::string(file->view());
}

Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  KILN_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(path));
  KILN_RETURN_IF_ERROR(writer.Append(contents));
  return writer.Commit();
}

Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError("{}: cannot create directory: {}", path, ec.message());
  return Status::Ok();
}

std::string KilnHome() {
  if (const char* home = std::getenv("KILN_HOME"); home != nullptr && *home != '\0') return home;
  if (const char* user = std::getenv("HOME"); user != nullptr && *user != '\0') {
    return std::string(user) + "/.kiln";
  }
  return ".kiln";
}

}  // namespace kiln::core
