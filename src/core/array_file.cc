#include "kiln/core/array_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kiln/core/hash.h"

namespace kiln::core {
namespace {

constexpr DType kAllDTypes[] = {DType::kU8,  DType::kI32, DType::kU32, DType::kI64,
                                DType::kU64, DType::kF32, DType::kF64};

uint64_t AlignUp(uint64_t v) {
  return (v + kArrayFileAlign - 1) / kArrayFileAlign * kArrayFileAlign;
}

template <typename T>
void PutLE(char* out, T v) {
  std::memcpy(out, &v, sizeof(T));  // x86-64 and aarch64 Linux are little-endian
}
template <typename T>
T GetLE(const char* in) {
  T v;
  std::memcpy(&v, in, sizeof(T));
  return v;
}

// Writes everything to a file descriptor, hashing what goes after the prefix.
class Sink {
 public:
  Sink(int fd, Hasher* hasher) : fd_(fd), hasher_(hasher) {}
  bool Write(const void* data, size_t size, bool hash = true) {
    if (hash) hasher_->Update(data, size);
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }
  bool Pad(uint64_t from, uint64_t to) {
    static constexpr char kZeros[kArrayFileAlign] = {};
    return to <= from || Write(kZeros, to - from);
  }

 private:
  int fd_;
  Hasher* hasher_;
};

}  // namespace

std::string_view DTypeName(DType t) {
  switch (t) {
    case DType::kU8:
      return "u8";
    case DType::kI32:
      return "i32";
    case DType::kU32:
      return "u32";
    case DType::kI64:
      return "i64";
    case DType::kU64:
      return "u64";
    case DType::kF32:
      return "f32";
    case DType::kF64:
      return "f64";
  }
  return "?";
}

size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kU8:
      return 1;
    case DType::kI32:
    case DType::kU32:
    case DType::kF32:
      return 4;
    case DType::kI64:
    case DType::kU64:
    case DType::kF64:
      return 8;
  }
  return 1;
}

ArrayFileWriter::ArrayFileWriter(std::string magic, uint32_t version)
    : magic_(std::move(magic)), version_(version) {
  magic_.resize(8, '\0');
}

bool ArrayFileWriter::HasArray(std::string_view name) const {
  for (const auto& a : arrays_) {
    if (a.name == name) return true;
  }
  return false;
}

void ArrayFileWriter::AddArraysOf(const ArrayFileWriter& other, std::string_view prefix) {
  for (const Pending& a : other.arrays_) {
    arrays_.push_back({std::string(prefix) + a.name, a.dtype, a.data, a.count});
  }
}

Status ArrayFileWriter::Write(const std::string& path) const {
  // The header's array offsets depend on the header's own size: iterate until stable.
  nlohmann::json header;
  header["meta"] = meta_;
  std::string header_text;
  std::vector<uint64_t> offsets(arrays_.size());
  uint64_t header_size_guess = 0;
  for (int round = 0; round < 8; ++round) {
    uint64_t pos = AlignUp(kArrayFilePrefix + header_size_guess);
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < arrays_.size(); ++i) {
      offsets[i] = pos;
      list.push_back({{"name", arrays_[i].name},
                      {"dtype", DTypeName(arrays_[i].dtype)},
                      {"offset", pos},
                      {"count", arrays_[i].count}});
      pos = AlignUp(pos + arrays_[i].count * DTypeSize(arrays_[i].dtype));
    }
    header["arrays"] = std::move(list);
    header_text = header.dump();
    if (header_text.size() == header_size_guess) break;
    header_size_guess = header_text.size();
  }
  if (header_text.size() != header_size_guess)
    return Internal("{}: array file header did not settle", path);

  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("{}: the directory does not exist", path);
    return IoError("{}: cannot create: {}", path, std::strerror(err));
  }
  Hasher hasher;
  Sink sink(fd, &hasher);
  char prefix[kArrayFilePrefix] = {};
  bool ok = sink.Write(prefix, sizeof(prefix), /*hash=*/false);
  ok = ok && sink.Write(header_text.data(), header_text.size());
  uint64_t pos = kArrayFilePrefix + header_text.size();
  for (size_t i = 0; ok && i < arrays_.size(); ++i) {
    ok = sink.Pad(pos, offsets[i]);
    const uint64_t bytes = arrays_[i].count * DTypeSize(arrays_[i].dtype);
    ok = ok && (bytes == 0 || sink.Write(arrays_[i].data, bytes));
    pos = offsets[i] + bytes;
  }
  if (ok) {
    std::memcpy(prefix, magic_.data(), 8);
    PutLE<uint32_t>(prefix + 8, version_);
    PutLE<uint32_t>(prefix + 12, 0);
    PutLE<uint64_t>(prefix + 16, header_text.size());
    PutLE<uint64_t>(prefix + 24, pos);
    PutLE<uint64_t>(prefix + 32, hasher.Digest());
    ok = ::pwrite(fd, prefix, sizeof(prefix), 0) == static_cast<ssize_t>(sizeof(prefix));
  }
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return IoError("{}: write failed: {}", path, std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    return IoError("{}: cannot rename into place: {}", path, std::strerror(err));
  }
  return Status::Ok();
}

Result<std::shared_ptr<ArrayFileReader>> ArrayFileReader::Open(const std::string& path,
                                                               std::string_view magic,
                                                               uint32_t max_version,
                                                               std::string_view what) {
  KILN_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  const char* d = file->data();
  const size_t size = file->size();
  std::string want(magic);
  want.resize(8, '\0');
  if (size < kArrayFilePrefix || std::memcmp(d, want.data(), 8) != 0) {
    if (size >= 8 && std::memcmp(d, "KILN", 4) == 0) {
      return Corrupt("{}: is a Kiln file of another kind ('{}'), expected a {}", path,
                     std::string(d, strnlen(d, 8)), what);
    }
    return Corrupt("{}: not a Kiln {} (expected the file to start with '{}'{})", path, what,
                   std::string(magic), size < kArrayFilePrefix ? ", and it is too short" : "");
  }
  auto reader = std::shared_ptr<ArrayFileReader>(new ArrayFileReader());
  reader->file_ = file;
  reader->version_ = GetLE<uint32_t>(d + 8);
  const uint64_t header_size = GetLE<uint64_t>(d + 16);
  const uint64_t total = GetLE<uint64_t>(d + 24);
  const uint64_t checksum = GetLE<uint64_t>(d + 32);
  if (reader->version_ > max_version) {
    return VersionMismatch(
        "{}: {} format version {} was written by a newer Kiln; this Kiln reads versions up to {}",
        path, what, reader->version_, max_version);
  }
  if (total != size) {
    return Corrupt("{}: {} is {} ({} bytes, expected {}); it was truncated or appended to", path,
                   what, size < total ? "truncated" : "too long", size, total);
  }
  if (kArrayFilePrefix + header_size > size) {
    return Corrupt("{}: {} header runs past the end of the file", path, what);
  }
  const uint64_t actual = Hash64(d + kArrayFilePrefix, size - kArrayFilePrefix);
  if (actual != checksum) {
    return Corrupt("{}: {} checksum mismatch (stored {}, computed {}); the file is corrupted", path,
                   what, HexDigest(checksum), HexDigest(actual));
  }
  auto parsed = nlohmann::json::parse(std::string_view(d + kArrayFilePrefix, header_size), nullptr,
                                      /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("arrays") ||
      !parsed["arrays"].is_array()) {
    return Corrupt("{}: {} header is not valid JSON with an 'arrays' list", path, what);
  }
  reader->meta_ = parsed.value("meta", nlohmann::json::object());
  for (const auto& a : parsed["arrays"]) {
    Entry e;
    if (!a.is_object() || !a.contains("name") || !a.contains("dtype") || !a.contains("offset") ||
        !a.contains("count") || !a["name"].is_string() || !a["dtype"].is_string() ||
        !a["offset"].is_number_unsigned() || !a["count"].is_number_unsigned()) {
      return Corrupt("{}: {} header has a malformed array entry", path, what);
    }
    e.name = a["name"].get<std::string>();
    bool known = false;
    for (DType t : kAllDTypes) {
      if (DTypeName(t) == a["dtype"].get<std::string>()) {
        e.dtype = t;
        known = true;
      }
    }
    if (!known) return Corrupt("{}: array '{}' has unknown dtype", path, e.name);
    e.offset = a["offset"].get<uint64_t>();
    e.count = a["count"].get<uint64_t>();
    const uint64_t elem = DTypeSize(e.dtype);
    if (e.offset % kArrayFileAlign != 0 || e.offset > size || e.count > (size - e.offset) / elem) {
      return Corrupt("{}: array '{}' lies outside the file", path, e.name);
    }
    reader->entries_.push_back(std::move(e));
  }
  return reader;
}

bool ArrayFileReader::HasArray(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return true;
  }
  return false;
}

std::shared_ptr<ArrayFileReader> ArrayFileReader::Nested(std::string_view prefix,
                                                         nlohmann::json meta) const {
  auto part = std::shared_ptr<ArrayFileReader>(new ArrayFileReader());
  part->file_ = file_;
  part->version_ = version_;
  part->meta_ = std::move(meta);
  for (const auto& e : entries_) {
    if (e.name.size() < prefix.size() || e.name.compare(0, prefix.size(), prefix) != 0) continue;
    Entry renamed = e;
    renamed.name = e.name.substr(prefix.size());
    part->entries_.push_back(std::move(renamed));
  }
  return part;
}

std::vector<std::string> ArrayFileReader::ArrayNames() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

Result<const ArrayFileReader::Entry*> ArrayFileReader::Lookup(std::string_view name,
                                                              DType dtype) const {
  for (const auto& e : entries_) {
    if (e.name != name) continue;
    if (e.dtype != dtype) {
      return Corrupt("{}: array '{}' has dtype {}, expected {}", path(), name, DTypeName(e.dtype),
                     DTypeName(dtype));
    }
    return &e;
  }
  return Corrupt("{}: array '{}' is missing", path(), name);
}

}  // namespace kiln::core
