#include "kiln/data/feature_hashing.h"

#include "kiln/core/hash.h"

namespace kiln::data {

uint32_t HashFeature(std::string_view column, std::string_view value, uint32_t buckets) {
  const uint64_t h = core::Hash64(value, core::Hash64(column, 0x6b696c6e));
  return static_cast<uint32_t>((static_cast<unsigned __int128>(h) * buckets) >> 64);
}

}  // namespace kiln::data
