#include "kiln/track/artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include "kiln/core/file.h"

namespace kiln::track {
namespace {

constexpr std::string_view kUriPrefix = "kiln-blob:xxh128:";
constexpr size_t kDigestHexLength = 32;
constexpr size_t kChunkSize = size_t{1} << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

int64_t NowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Closes and reports the error close() returned, if any (0 on success).
  int Close() {
    int rc = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Streaming XXH3-128. Not thread-safe.
class Xxh128 {
 public:
  Xxh128() : state_(XXH3_createState()) { XXH3_128bits_reset(state_); }
  ~Xxh128() { XXH3_freeState(state_); }
  Xxh128(const Xxh128&) = delete;
  Xxh128& operator=(const Xxh128&) = delete;
  void Update(const void* data, size_t size) { XXH3_128bits_update(state_, data, size); }
  // 32 lowercase hex digits of the canonical (big-endian) form.
  std::string HexDigest() const {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state_));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(kDigestHexLength);
    for (unsigned char byte : canonical.digest) {
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
    return out;
  }

 private:
  XXH3_state_t* state_;
};

// A temp file made with mkstemp; unlinked on destruction unless Release()d after a rename.
class TempFile {
 public:
  static core::Result<std::unique_ptr<TempFile>> Create(const std::string& dir,
                                                        const std::string& prefix) {
    std::string pattern = dir + "/" + prefix + "XXXXXX";
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) return core::NotFound("{}: the directory does not exist", dir);
      return core::IoError("{}: cannot create a temp file: {}", dir, ErrnoText(err));
    }
    return std::unique_ptr<TempFile>(new TempFile(std::move(pattern), fd));
  }
  // Takes over an existing file (removed on destruction unless installed).
  static core::Result<std::unique_ptr<TempFile>> Adopt(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) return core::NotFound("{}: no such file to move into the store", path);
      return core::IoError("{}: cannot open: {}", path, ErrnoText(err));
    }
    return std::unique_ptr<TempFile>(new TempFile(path, fd));
  }
  ~TempFile() {
    fd_.Reset();
    if (!released_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  core::Status Write(const char* data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_.get(), data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return core::IoError("{}: write failed: {}", path_, ErrnoText(errno));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
    return core::Status::Ok();
  }
  // fsync (unless deferred), chmod, close: the file is complete, ready to be renamed.
  core::Status Finish(mode_t mode, bool sync = true) {
    if (sync && ::fsync(fd_.get()) != 0) {
      return core::IoError("{}: fsync failed: {}", path_, ErrnoText(errno));
    }
    if (::fchmod(fd_.get(), mode) != 0) {
      return core::IoError("{}: chmod failed: {}", path_, ErrnoText(errno));
    }
    if (int err = fd_.Close(); err != 0) {
      return core::IoError("{}: close failed: {}", path_, ErrnoText(err));
    }
    return core::Status::Ok();
  }
  void Release() { released_ = true; }

 private:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  Fd fd_;
  bool released_ = false;
};

core::Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return core::IoError("{}: cannot open directory: {}", dir, ErrnoText(errno));
  if (::fsync(fd.get()) != 0) {
    return core::IoError("{}: fsync of directory failed: {}", dir, ErrnoText(errno));
  }
  return core::Status::Ok();
}

core::Result<int> OpenForReading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return core::NotFound("{}: no such file", path);
    return core::IoError("{}: cannot open: {}", path, ErrnoText(err));
  }
  return fd;
}

// Reads fd to the end in chunks, hashing each chunk and handing it to `sink` (a Status(const
// char*, size_t) callable).
template <typename Sink>
core::Status StreamAndHash(int fd, const std::string& path, Xxh128& hash, uint64_t& size,
                           Sink&& sink) {
  std::vector<char> buffer(kChunkSize);
  size = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::IoError("{}: read failed: {}", path, ErrnoText(errno));
    }
    if (n == 0) return core::Status::Ok();
    hash.Update(buffer.data(), static_cast<size_t>(n));
    size += static_cast<uint64_t>(n);
    KILN_RETURN_IF_ERROR(sink(buffer.data(), static_cast<size_t>(n)));
  }
}

// The names in `dir` (no "." or ".."), without exceptions. A missing directory has no names.
core::Result<std::vector<std::string>> ListNames(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return names;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return core::IoError("{}: cannot list: {}", dir, ec.message());
  return names;
}

struct Digested {
  std::string digest;
  uint64_t size = 0;
};

core::Result<Digested> HashFile(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(int raw_fd, OpenForReading(path));
  Fd fd(raw_fd);
  Xxh128 hash;
  Digested out;
  KILN_RETURN_IF_ERROR(StreamAndHash(fd.get(), path, hash, out.size,
                                     [](const char*, size_t) { return core::Status::Ok(); }));
  out.digest = hash.HexDigest();
  return out;
}

core::Status MismatchError(const std::string& path, std::string_view uri, std::string_view expected,
                           std::string_view found, uint64_t size) {
  return core::Corrupt(
      "{}: blob content does not match its address: expected xxh128 {} (from {}), found {} over "
      "{} bytes; put the original content again to repair it",
      path, expected, uri, found, size);
}

BlobInfo MakeInfo(std::string digest, const struct stat& st) {
  BlobInfo info;
  info.uri = std::string(kUriPrefix) + digest;
  info.digest = std::move(digest);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ms = MtimeNs(st) / 1000000;
  return info;
}

core::Status UriError(std::string_view uri, std::string_view what) {
  return core::InvalidArgument("'{}' is not a blob URI: expected {}<32 lowercase hex digits>, {}",
                               uri, kUriPrefix, what);
}

}  // namespace

std::string ArtifactStore::DefaultRoot() { return core::KilnHome() + "/artifacts"; }

ArtifactStore::ArtifactStore(std::string root) : root_(std::move(root)) {}

bool ArtifactStore::IsBlobUri(std::string_view uri) {
  if (!uri.starts_with(kUriPrefix)) return false;
  std::string_view digest = uri.substr(kUriPrefix.size());
  return digest.size() == kDigestHexLength && IsLowerHex(digest);
}

std::string ArtifactStore::BlobPath(std::string_view digest) const {
  return root_ + "/blobs/" + std::string(digest.substr(0, 2)) + "/" + std::string(digest.substr(2));
}

namespace {

// Moves a finished temp file (content `digest`, `size` bytes) to its address `blob_path`. An
// existing blob with the same content is kept (and its mtime refreshed); a damaged one is replaced.
core::Result<BlobInfo> Install(const std::string& blob_path, TempFile& temp,
                               const std::string& digest, uint64_t size, bool sync = true) {
  const std::string shard = std::filesystem::path(blob_path).parent_path().string();
  KILN_RETURN_IF_ERROR(core::CreateDirectories(shard));

  struct stat st {};
  if (::stat(blob_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) == size) {
    // Refresh the mtime first so that a concurrent GC sees a young blob, then check the content.
    // EPERM (a store shared between users) only loses the refresh.
    if (::utimensat(AT_FDCWD, blob_path.c_str(), nullptr, 0) == 0 || errno != ENOENT) {
      auto existing = HashFile(blob_path);
      if (existing.ok() && existing->digest == digest && ::stat(blob_path.c_str(), &st) == 0) {
        return MakeInfo(digest, st);  // the temp file is unlinked by its owner
      }
      if (!existing.ok() && existing.status().code() != core::StatusCode::kNotFound) {
        return core::Status(existing.status()).AddContext("while checking the existing blob");
      }
    }
  }
  // New, damaged or concurrently removed: rename over whatever is there. A concurrent put of the
  // same content may rename an identical file over ours; either way the address holds it.
  if (::rename(temp.path().c_str(), blob_path.c_str()) != 0) {
    return core::IoError("{}: cannot rename {} into place: {}", blob_path, temp.path(),
                         ErrnoText(errno));
  }
  temp.Release();
  if (sync) KILN_RETURN_IF_ERROR(FsyncDir(shard));
  if (::stat(blob_path.c_str(), &st) != 0) {
    return core::IoError("{}: cannot stat the new blob: {}", blob_path, ErrnoText(errno));
  }
  return MakeInfo(digest, st);
}

}  // namespace

core::Result<BlobInfo> ArtifactStore::PutFile(const std::string& path) const {
  KILN_ASSIGN_OR_RETURN(int raw_fd, OpenForReading(path));
  Fd source(raw_fd);
  struct stat st {};
  if (::fstat(source.get(), &st) != 0) {
    return core::IoError("{}: cannot stat: {}", path, ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return core::InvalidArgument("{}: expected a regular file to put into the artifact store",
                                 path);
  }
  const std::string tmp_dir = root_ + "/tmp";
  KILN_RETURN_IF_ERROR(core::CreateDirectories(tmp_dir));
  KILN_ASSIGN_OR_RETURN(auto temp, TempFile::Create(tmp_dir, "put-"));
  Xxh128 hash;
  uint64_t size = 0;
  KILN_RETURN_IF_ERROR(
      StreamAndHash(source.get(), path, hash, size,
                    [&](const char* data, size_t n) { return temp->Write(data, n); }));
  KILN_RETURN_IF_ERROR(temp->Finish(0444));
  const std::string digest = hash.HexDigest();
  auto info = Install(BlobPath(digest), *temp, digest, size);
  if (!info.ok()) return core::Status(info.status()).AddContext("while putting " + path);
  return info;
}

core::Result<std::string> ArtifactStore::NewTempPath(const std::string& prefix) const {
  const std::string tmp_dir = root_ + "/tmp";
  KILN_RETURN_IF_ERROR(core::CreateDirectories(tmp_dir));
  KILN_ASSIGN_OR_RETURN(auto temp, TempFile::Create(tmp_dir, prefix + "-"));
  temp->Release();  // the caller writes it, then MoveIn or removes it
  return temp->path();
}

core::Result<BlobInfo> ArtifactStore::MoveIn(const std::string& path, Durability durability) const {
  const bool sync = durability == Durability::kSynced;
  KILN_ASSIGN_OR_RETURN(auto temp, TempFile::Adopt(path));
  KILN_ASSIGN_OR_RETURN(Digested digested, HashFile(path));
  KILN_RETURN_IF_ERROR(temp->Finish(0444, sync));
  auto info = Install(BlobPath(digested.digest), *temp, digested.digest, digested.size, sync);
  if (!info.ok()) return core::Status(info.status()).AddContext("while moving in " + path);
  return info;
}

core::Status ArtifactStore::SyncAll() const {
  KILN_RETURN_IF_ERROR(core::CreateDirectories(root_));
  Fd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return core::IoError("{}: cannot open directory: {}", root_, ErrnoText(errno));
  if (::syncfs(fd.get()) != 0)
    return core::IoError("{}: syncfs failed: {}", root_, ErrnoText(errno));
  return core::Status::Ok();
}

core::Result<BlobInfo> ArtifactStore::PutBytes(std::string_view bytes,
                                               Durability durability) const {
  Xxh128 hash;
  hash.Update(bytes.data(), bytes.size());
  const std::string digest = hash.HexDigest();
  const std::string blob_path = BlobPath(digest);
  // Already stored (the common case for re-run steps): refresh the mtime, check, done.
  struct stat st {};
  if (::stat(blob_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) == bytes.size() &&
      ::utimensat(AT_FDCWD, blob_path.c_str(), nullptr, 0) == 0) {
    auto existing = HashFile(blob_path);
    if (existing.ok() && existing->digest == digest && ::stat(blob_path.c_str(), &st) == 0)
      return MakeInfo(digest, st);
  }
  const std::string tmp_dir = root_ + "/tmp";
  KILN_RETURN_IF_ERROR(core::CreateDirectories(tmp_dir));
  KILN_ASSIGN_OR_RETURN(auto temp, TempFile::Create(tmp_dir, "put-"));
  KILN_RETURN_IF_ERROR(temp->Write(bytes.data(), bytes.size()));
  const bool sync = durability == Durability::kSynced;
  KILN_RETURN_IF_ERROR(temp->Finish(0444, sync));
  return Install(blob_path, *temp, digest, bytes.size(), sync);
}

core::Result<std::string> ArtifactStore::PathFor(std::string_view uri) const {
  if (!uri.starts_with(kUriPrefix)) return UriError(uri, "found another prefix");
  std::string_view digest = uri.substr(kUriPrefix.size());
  if (digest.size() != kDigestHexLength) {
    return UriError(uri, fmt::format("found {} characters after the prefix", digest.size()));
  }
  if (!IsLowerHex(digest)) return UriError(uri, "found a character that is not 0-9 or a-f");
  std::string path = BlobPath(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) {
      return core::NotFound("blob {} is not in the artifact store {}: no file {}", uri, root_,
                            path);
    }
    return core::IoError("{}: cannot stat blob {}: {}", path, uri, ErrnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return core::Corrupt("{}: expected the regular file of blob {}, found something else", path,
                         uri);
  }
  return path;
}

core::Result<std::string> ArtifactStore::ReadVerified(std::string_view uri) const {
  KILN_ASSIGN_OR_RETURN(std::string path, PathFor(uri));
  KILN_ASSIGN_OR_RETURN(int raw_fd, OpenForReading(path));
  Fd fd(raw_fd);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return core::IoError("{}: cannot stat: {}", path, ErrnoText(errno));
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  Xxh128 hash;
  uint64_t size = 0;
  KILN_RETURN_IF_ERROR(StreamAndHash(fd.get(), path, hash, size, [&](const char* data, size_t n) {
    out.append(data, n);
    return core::Status::Ok();
  }));
  const std::string found = hash.HexDigest();
  const std::string_view expected = uri.substr(kUriPrefix.size());
  if (found != expected) return MismatchError(path, uri, expected, found, size);
  return out;
}

core::Status ArtifactStore::Verify(std::string_view uri) const {
  KILN_ASSIGN_OR_RETURN(std::string path, PathFor(uri));
  KILN_ASSIGN_OR_RETURN(Digested found, HashFile(path));
  const std::string_view expected = uri.substr(kUriPrefix.size());
  if (found.digest != expected) return MismatchError(path, uri, expected, found.digest, found.size);
  return core::Status::Ok();
}

core::Status ArtifactStore::CopyOut(std::string_view uri, const std::string& dest) const {
  KILN_ASSIGN_OR_RETURN(std::string path, PathFor(uri));
  KILN_ASSIGN_OR_RETURN(int raw_fd, OpenForReading(path));
  Fd source(raw_fd);
  const std::filesystem::path dest_path(dest);
  std::string dir = dest_path.parent_path().string();
  if (dir.empty()) dir = ".";
  auto temp = TempFile::Create(dir, "." + dest_path.filename().string() + ".tmp.");
  if (!temp.ok())
    return core::Status(temp.status()).AddContext("while copying " + path + " to " + dest);
  Xxh128 hash;
  uint64_t size = 0;
  KILN_RETURN_IF_ERROR(
      StreamAndHash(source.get(), path, hash, size,
                    [&](const char* data, size_t n) { return (*temp)->Write(data, n); }));
  const std::string found = hash.HexDigest();
  const std::string_view expected = uri.substr(kUriPrefix.size());
  if (found != expected) return MismatchError(path, uri, expected, found, size);
  KILN_RETURN_IF_ERROR((*temp)->Finish(0644));
  if (::rename((*temp)->path().c_str(), dest.c_str()) != 0) {
    return core::IoError("{}: cannot rename {} into place: {}", dest, (*temp)->path(),
                         ErrnoText(errno));
  }
  (*temp)->Release();
  return FsyncDir(dir);
}

core::Result<std::vector<BlobInfo>> ArtifactStore::List() const {
  std::vector<BlobInfo> out;
  const std::string blobs_dir = root_ + "/blobs";
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> shards, ListNames(blobs_dir));
  for (const std::string& prefix : shards) {
    if (prefix.size() != 2 || !IsLowerHex(prefix)) continue;
    const std::string shard_dir = blobs_dir + "/" + prefix;
    KILN_ASSIGN_OR_RETURN(std::vector<std::string> files, ListNames(shard_dir));
    for (const std::string& rest : files) {
      if (rest.size() != kDigestHexLength - 2 || !IsLowerHex(rest)) continue;
      struct stat st {};
      const std::string path = shard_dir + "/" + rest;
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      out.push_back(MakeInfo(prefix + rest, st));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const BlobInfo& a, const BlobInfo& b) { return a.uri < b.uri; });
  return out;
}

core::Result<GcReport> ArtifactStore::CollectGarbage(
    const std::unordered_set<std::string>& referenced, const GcOptions& options) const {
  return CollectGarbage(
      [&]() -> core::Result<std::unordered_set<std::string>> { return referenced; }, options);
}

core::Result<GcReport> ArtifactStore::CollectGarbage(const ReferencedFn& referenced_fn,
                                                     const GcOptions& options) const {
  if (options.min_age_seconds < 0) {
    return core::InvalidArgument("GcOptions.min_age_seconds: expected >= 0, found {}",
                                 options.min_age_seconds);
  }
  const int64_t cutoff_ns = NowNs() - options.min_age_seconds * 1000000000LL;
  GcReport report;
  // List first, then read the references: a blob listed here was stored before the references
  // were read, so a command that stored it and recorded its URI is seen as referencing it.
  KILN_ASSIGN_OR_RETURN(std::vector<BlobInfo> blobs, List());
  KILN_ASSIGN_OR_RETURN(const std::unordered_set<std::string> referenced, referenced_fn());
  for (BlobInfo& blob : blobs) {
    if (referenced.contains(blob.uri)) {
      ++report.kept;
      continue;
    }
    const std::string path = BlobPath(blob.digest);
    // Look again just before deleting: a put may have deduplicated onto this blob meanwhile.
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;  // removed by someone else
    if (MtimeNs(st) > cutoff_ns) {
      ++report.kept_young;
      continue;
    }
    if (!options.dry_run && ::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) continue;
      return core::IoError("{}: cannot delete unreferenced blob {}: {}", path, blob.uri,
                           ErrnoText(errno));
    }
    report.bytes += blob.size;
    report.deleted.push_back(std::move(blob));
  }

  const std::string tmp_dir = root_ + "/tmp";
  KILN_ASSIGN_OR_RETURN(std::vector<std::string> temps, ListNames(tmp_dir));
  for (const std::string& name : temps) {
    const std::string path = tmp_dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (MtimeNs(st) > cutoff_ns) continue;
    if (!options.dry_run && ::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) continue;
      return core::IoError("{}: cannot delete stale temp file: {}", path, ErrnoText(errno));
    }
    report.removed_temp_files.push_back(path);
  }
  return report;
}

}  // namespace kiln::track
