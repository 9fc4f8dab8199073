#include "term_table.h"

#include "kiln/core/hash.h"

namespace kiln::algorithms::text {
namespace {

constexpr uint64_t kIdMask = 0xffffffffULL;

uint64_t Tag(uint64_t hash) { return hash & ~kIdMask; }

}  // namespace

uint32_t TermTable::Insert(std::string_view term) {
  const uint64_t h = core::Hash64(term);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) {
      const auto id = static_cast<uint32_t>(terms_.size());
      terms_.emplace_back(term);
      hashes_.push_back(h);
      slots_[i] = Tag(h) | (id + 1);
      if (terms_.size() * 2 > slots_.size()) Rehash(slots_.size() * 2);
      return id;
    }
    const auto id = static_cast<uint32_t>((s & kIdMask) - 1);
    if (Tag(s) == Tag(h) && terms_[id] == term) return id;
  }
}

int64_t TermTable::Find(std::string_view term) const {
  const uint64_t h = core::Hash64(term);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) return -1;
    const auto id = static_cast<uint32_t>((s & kIdMask) - 1);
    if (Tag(s) == Tag(h) && terms_[id] == term) return id;
  }
}

void TermTable::Rehash(size_t slots) {
  slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (size_t id = 0; id < hashes_.size(); ++id) {
    size_t i = hashes_[id] & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = Tag(hashes_[id]) | (id + 1);
  }
}

}  // namespace kiln::algorithms::text
