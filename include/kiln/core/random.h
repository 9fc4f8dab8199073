// Rng: a small, fast, seeded pseudo-random generator (xoshiro256**, seeded by splitmix64) whose
// sequence is the same on every platform and standard library, so a fixed seed reproduces a
// model bit for bit. Not thread-safe: give each thread or block its own, derived with Fork().
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

namespace kiln::core {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : state_) s = SplitMix(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n); n > 0. Lemire's multiply-shift (tiny bias is irrelevant here).
  uint64_t UniformInt(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    double u1 = Uniform();
    while (u1 <= 0.0) u1 = Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // A new generator for sub-task `stream` (e.g. a block index) independent of this one.
  Rng Fork(uint64_t stream) const {
    return Rng(state_[0] ^ (0x9E3779B97F4A7C15ULL * (stream + 1)) ^ state_[3]);
  }
  // Fisher-Yates shuffle of [first, last).
  template <typename It>
  void Shuffle(It first, It last) {
    const auto n = static_cast<uint64_t>(last - first);
    for (uint64_t i = n; i > 1; --i) {
      std::swap(first[i - 1], first[UniformInt(i)]);
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

}  // namespace kiln::core
