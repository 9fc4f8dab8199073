// Forest: the finished trees of a tree model, flattened into per-node arrays the way the model
// file stores them (so a loaded model points into the mapped file). Node indices are global;
// a tree's nodes are [tree_begin[t], tree_begin[t+1]), its root first, and children always
// come after their parent (Load checks this, so traversal always ends).
//
// Feature values for traversal are floats per model feature: the number for numeric features,
// the category index for categorical ones, NaN for missing (and unknown categories).
// Immutable; thread-safe reads. ForestBuilder is not thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "kiln/core/array.h"
#include "kiln/core/array_file.h"
#include "kiln/core/result.h"
#include "tree.h"

namespace kiln::algorithms::tree {

inline constexpr uint8_t kDefaultLeft = 1;
inline constexpr uint8_t kCategorical = 2;

class Forest {
 public:
  size_t num_trees() const { return tree_begin_.empty() ? 0 : tree_begin_.size() - 1; }
  size_t num_nodes() const { return feature_.size(); }
  size_t root(size_t t) const { return tree_begin_[t]; }
  size_t tree_end(size_t t) const { return tree_begin_[t + 1]; }

  bool is_leaf(size_t n) const { return feature_[n] < 0; }
  int32_t feature(size_t n) const { return feature_[n]; }
  int32_t left(size_t n) const { return left_[n]; }
  int32_t right(size_t n) const { return right_[n]; }
  float threshold(size_t n) const { return threshold_[n]; }
  bool default_left(size_t n) const { return (flags_[n] & kDefaultLeft) != 0; }
  bool categorical(size_t n) const { return (flags_[n] & kCategorical) != 0; }
  double value(size_t n) const { return value_[n]; }
  double gain(size_t n) const { return gain_[n]; }
  double cover(size_t n) const { return cover_[n]; }
  // Categories (indices) of categorical node n that go left.
  std::vector<uint32_t> LeftCategories(size_t n) const;

  // The leaf tree t reaches for feature values x.
  size_t Leaf(size_t t, const float* x) const {
    size_t n = tree_begin_[t];
    while (feature_[n] >= 0)
      n = static_cast<size_t>(GoesLeft(n, x[feature_[n]]) ? left_[n] : right_[n]);
    return n;
  }
  double Value(size_t t, const float* x) const { return value_[Leaf(t, x)]; }

  // Writes the arrays into `writer` (the forest must outlive the write).
  void Save(core::ArrayFileWriter& writer) const;
  // Reads and checks the arrays: node links inside their tree and after their parent, feature
  // indices below `num_features`, category bitsets inside the bitset array.
  static core::Result<Forest> Load(const core::ArrayFileReader& file, size_t num_features);

 private:
  friend class ForestBuilder;
  bool GoesLeft(size_t n, float v) const {
    if (std::isnan(v)) return (flags_[n] & kDefaultLeft) != 0;
    if ((flags_[n] & kCategorical) == 0) return v < threshold_[n];
    const auto c = static_cast<uint32_t>(v);
    return c / 32 < cat_words_[n] && ((cat_bits_[cat_offset_[n] + c / 32] >> (c % 32)) & 1u);
  }

  core::Array<uint64_t> tree_begin_;  // num_trees + 1
  core::Array<int32_t> feature_;
  core::Array<int32_t> left_;
  core::Array<int32_t> right_;
  core::Array<float> threshold_;
  core::Array<uint8_t> flags_;
  core::Array<uint32_t> cat_offset_;
  core::Array<uint32_t> cat_words_;
  core::Array<double> value_;
  core::Array<double> gain_;
  core::Array<double> cover_;
  core::Array<uint32_t> cat_bits_;
};

// Appends trees to (a copy of) a forest.
class ForestBuilder {
 public:
  ForestBuilder() = default;
  explicit ForestBuilder(const Forest& base);

  size_t num_trees() const { return tree_begin_.size() - 1; }
  void Add(const Tree& tree);
  // Keeps the first `trees` trees.
  void Truncate(size_t trees);
  Forest Finish() const;

 private:
  std::vector<uint64_t> tree_begin_{0};
  std::vector<int32_t> feature_, left_, right_;
  std::vector<float> threshold_;
  std::vector<uint8_t> flags_;
  std::vector<uint32_t> cat_offset_, cat_words_;
  std::vector<double> value_, gain_, cover_;
  std::vector<uint32_t> cat_bits_;
};

}  // namespace kiln::algorithms::tree
