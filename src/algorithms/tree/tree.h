// Tree: one regression tree as the learner grows it. A node either is a leaf with a value, or
// tests one feature:
//   numeric:     value < threshold goes left (on bins: bin <= split_bin; the two agree exactly,
//                see data/bin_mapper.h);
//   categorical: categories whose bit is set in the node's bitset go left;
//   missing values (NaN, and categories without a bin) go left when default_left.
// Category bits are indexed by the feature's category index (its bin). Forest (forest.h) holds
// finished trees the way the model file stores them.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::algorithms::tree {

struct Node {
  int32_t feature = -1;  // -1: leaf
  int32_t left = -1;
  int32_t right = -1;
  float threshold = 0;     // numeric
  uint32_t split_bin = 0;  // numeric: training bins <= split_bin go left
  bool default_left = false;
  bool categorical = false;
  uint32_t cat_offset = 0;  // categorical: first word of the node's bitset in Tree::cat_bits
  uint32_t cat_words = 0;
  double value = 0;  // leaf output (learning rate applied); internal nodes: their weight
  double gain = 0;   // split gain (internal nodes)
  double cover = 0;  // sum of hessians of the node's training rows

  bool is_leaf() const { return feature < 0; }
};

struct Tree {
  std::vector<Node> nodes;  // nodes[0] is the root
  std::vector<uint32_t> cat_bits;

  size_t num_leaves() const {
    size_t n = 0;
    for (const Node& node : nodes) n += node.is_leaf();
    return n;
  }
  bool CategoryGoesLeft(const Node& node, uint32_t category) const {
    const uint32_t word = category / 32;
    return word < node.cat_words && ((cat_bits[node.cat_offset + word] >> (category % 32)) & 1u);
  }
  // Whether a training row with bin `bin` (of the node's feature, whose missing bin is
  // `missing_bin`) goes left.
  bool BinGoesLeft(const Node& node, uint32_t bin, uint32_t missing_bin) const {
    if (bin == missing_bin) return node.default_left;
    return node.categorical ? CategoryGoesLeft(node, bin) : bin <= node.split_bin;
  }
};

}  // namespace kiln::algorithms::tree
