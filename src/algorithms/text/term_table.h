// TermTable: an insert-only hash table from term text to a dense id (0, 1, 2, ... in insertion
// order) that owns its terms — the vocabulary lookup of tfidf and the per-block term counts of
// its fit. Open addressing with linear probing over XXH3 hashes; lookups take string_views. A slot
// holds the id and the hash's high 32 bits, so a probe past another term rarely touches the
// term itself (one cache miss per lookup instead of three).
// Not thread-safe for writers; Find is const and safe to call concurrently once filled.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::algorithms::text {

class TermTable {
 public:
  TermTable() { Rehash(16); }

  // The id of `term`, adding it when new.
  uint32_t Insert(std::string_view term);
  // The id of `term`, or -1 when absent.
  int64_t Find(std::string_view term) const;

  size_t size() const { return terms_.size(); }
  const std::string& term(uint32_t id) const { return terms_[id]; }
  const std::vector<std::string>& terms() const { return terms_; }

 private:
  void Rehash(size_t slots);

  std::vector<std::string> terms_;
  std::vector<uint64_t> hashes_;  // per id
  // (hash >> 32) << 32 | (id + 1); 0 = empty. The size is a power of two.
  std::vector<uint64_t> slots_;
};

}  // namespace kiln::algorithms::text
