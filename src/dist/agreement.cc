#include "kiln/dist/agreement.h"

#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace kiln::dist {
namespace {

// Wire format of a string list: u64 count, then per string u64 length + bytes.
void PutU64(std::vector<std::byte>& out, uint64_t v) {
  const size_t at = out.size();
  out.resize(at + sizeof v);
  std::memcpy(out.data() + at, &v, sizeof v);
}

void PutStrings(std::vector<std::byte>& out, const std::vector<std::string>& strings) {
  PutU64(out, strings.size());
  for (const std::string& s : strings) {
    PutU64(out, s.size());
    const size_t at = out.size();
    out.resize(at + s.size());
    if (!s.empty()) std::memcpy(out.data() + at, s.data(), s.size());
  }
}

class Reader {
 public:
  explicit Reader(const std::vector<std::byte>& bytes) : bytes_(bytes) {}
  bool U64(uint64_t* v) {
    if (bytes_.size() - pos_ < sizeof *v) return false;
    std::memcpy(v, bytes_.data() + pos_, sizeof *v);
    pos_ += sizeof *v;
    return true;
  }
  bool Strings(std::vector<std::string>* out) {
    uint64_t count = 0;
    if (!U64(&count) || count > bytes_.size()) return false;
    out->clear();
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t len = 0;
      if (!U64(&len) || bytes_.size() - pos_ < len) return false;
      out->emplace_back(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
      pos_ += len;
    }
    return true;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  const std::vector<std::byte>& bytes_;
  size_t pos_ = 0;
};

}  // namespace

core::Status AgreeOnStatus(Collective& collective, const core::Status& local, bool* exchanged) {
  if (exchanged != nullptr) *exchanged = false;
  // Each rank sends its code, then [message, context...] (nothing more when OK).
  std::vector<std::byte> bytes;
  PutU64(bytes, static_cast<uint64_t>(local.code()));
  if (!local.ok()) {
    std::vector<std::string> parts{local.message()};
    parts.insert(parts.end(), local.context().begin(), local.context().end());
    PutStrings(bytes, parts);
  }
  KILN_ASSIGN_OR_RETURN(auto all, collective.AllGather(bytes));
  if (exchanged != nullptr) *exchanged = true;
  const int n = collective.size();
  for (int r = 0; r < n; ++r) {
    Reader reader(all[static_cast<size_t>(r)]);
    uint64_t code = 0;
    if (!reader.U64(&code)) {
      return core::Internal("AgreeOnStatus: rank {} sent a malformed status", r);
    }
    if (code == 0) continue;
    std::vector<std::string> parts;
    if (!reader.Strings(&parts) || parts.empty() || !reader.done() ||
        code > static_cast<uint64_t>(core::StatusCode::kInternal)) {
      return core::Internal("AgreeOnStatus: rank {} sent a malformed status", r);
    }
    core::Status status(static_cast<core::StatusCode>(code),
                        n > 1 ? fmt::format("rank {} of {}: {}", r, n, parts[0]) : parts[0]);
    // Context is stored outermost first and AddContext prepends: add innermost first.
    for (size_t i = parts.size() - 1; i >= 1; --i) status.AddContext(parts[i]);
    return status;
  }
  return core::Status::Ok();
}

core::Result<std::vector<std::vector<std::string>>> AllGatherStrings(
    Collective& collective, const std::vector<std::string>& local) {
  std::vector<std::byte> bytes;
  PutStrings(bytes, local);
  KILN_ASSIGN_OR_RETURN(auto all, collective.AllGather(bytes));
  std::vector<std::vector<std::string>> out(all.size());
  for (size_t r = 0; r < all.size(); ++r) {
    Reader reader(all[r]);
    if (!reader.Strings(&out[r]) || !reader.done()) {
      return core::Internal("AllGatherStrings: rank {} sent a malformed string list", r);
    }
  }
  return out;
}

}  // namespace kiln::dist
