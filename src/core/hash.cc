#include "kiln/core/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>

namespace kiln::core {

struct Hasher::State {
  XXH3_state_t xxh;
};

uint64_t Hash64(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

std::string HexDigest(uint64_t hash) { return fmt::format("{:016x}", hash); }

Hasher::Hasher(uint64_t seed) : state_(std::make_unique<State>()) {
  XXH3_64bits_reset_withSeed(&state_->xxh, seed);
}
Hasher::~Hasher() = default;

void Hasher::Update(const void* data, size_t size) { XXH3_64bits_update(&state_->xxh, data, size); }

uint64_t Hasher::Digest() const { return XXH3_64bits_digest(&state_->xxh); }

}  // namespace kiln::core
