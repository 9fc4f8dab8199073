#include "forest.h"

#include <algorithm>

namespace kiln::algorithms::tree {
namespace {

template <typename T>
core::Array<T> Copy(const std::vector<T>& v) {
  return core::Array<T>(std::vector<T>(v));
}

template <typename T>
void Append(std::vector<T>& out, const core::Array<T>& in) {
  out.insert(out.end(), in.begin(), in.end());
}

}  // namespace

std::vector<uint32_t> Forest::LeftCategories(size_t n) const {
  std::vector<uint32_t> out;
  for (uint32_t w = 0; w < cat_words_[n]; ++w) {
    const uint32_t bits = cat_bits_[cat_offset_[n] + w];
    for (uint32_t b = 0; b < 32; ++b) {
      if ((bits >> b) & 1u) out.push_back(w * 32 + b);
    }
  }
  return out;
}

void Forest::Save(core::ArrayFileWriter& writer) const {
  writer.AddArray("tree_begin", tree_begin_);
  writer.AddArray("node_feature", feature_);
  writer.AddArray("node_left", left_);
  writer.AddArray("node_right", right_);
  writer.AddArray("node_threshold", threshold_);
  writer.AddArray("node_flags", flags_);
  writer.AddArray("node_cat_offset", cat_offset_);
  writer.AddArray("node_cat_words", cat_words_);
  writer.AddArray("node_value", value_);
  writer.AddArray("node_gain", gain_);
  writer.AddArray("node_cover", cover_);
  writer.AddArray("cat_bits", cat_bits_);
}

core::Result<Forest> Forest::Load(const core::ArrayFileReader& file, size_t num_features) {
  Forest f;
  KILN_ASSIGN_OR_RETURN(f.tree_begin_, file.GetArray<uint64_t>("tree_begin"));
  KILN_ASSIGN_OR_RETURN(f.feature_, file.GetArray<int32_t>("node_feature"));
  KILN_ASSIGN_OR_RETURN(f.left_, file.GetArray<int32_t>("node_left"));
  KILN_ASSIGN_OR_RETURN(f.right_, file.GetArray<int32_t>("node_right"));
  KILN_ASSIGN_OR_RETURN(f.threshold_, file.GetArray<float>("node_threshold"));
  KILN_ASSIGN_OR_RETURN(f.flags_, file.GetArray<uint8_t>("node_flags"));
  KILN_ASSIGN_OR_RETURN(f.cat_offset_, file.GetArray<uint32_t>("node_cat_offset"));
  KILN_ASSIGN_OR_RETURN(f.cat_words_, file.GetArray<uint32_t>("node_cat_words"));
  KILN_ASSIGN_OR_RETURN(f.value_, file.GetArray<double>("node_value"));
  KILN_ASSIGN_OR_RETURN(f.gain_, file.GetArray<double>("node_gain"));
  KILN_ASSIGN_OR_RETURN(f.cover_, file.GetArray<double>("node_cover"));
  KILN_ASSIGN_OR_RETURN(f.cat_bits_, file.GetArray<uint32_t>("cat_bits"));
  const size_t nodes = f.feature_.size();
  for (size_t size :
       {f.left_.size(), f.right_.size(), f.threshold_.size(), f.flags_.size(), f.cat_offset_.size(),
        f.cat_words_.size(), f.value_.size(), f.gain_.size(), f.cover_.size()}) {
    if (size != nodes) {
      return core::Corrupt("{}: the tree node arrays have different lengths ({} and {})",
                           file.path(), nodes, size);
    }
  }
  const auto& tb = f.tree_begin_;
  if (tb.empty() || tb[0] != 0 || tb[tb.size() - 1] != nodes) {
    return core::Corrupt("{}: the tree offsets do not cover the {} nodes", file.path(), nodes);
  }
  for (size_t t = 0; t + 1 < tb.size(); ++t) {
    const uint64_t begin = tb[t], end = tb[t + 1];
    if (end <= begin) return core::Corrupt("{}: tree {} has no nodes", file.path(), t);
    for (uint64_t n = begin; n < end; ++n) {
      const int32_t feature = f.feature_[n];
      if (feature < 0) continue;
      const auto l = static_cast<uint64_t>(f.left_[n]);
      const auto r = static_cast<uint64_t>(f.right_[n]);
      const bool links_ok = f.left_[n] >= 0 && f.right_[n] >= 0 && l > n && r > n && l < end &&
                            r < end && static_cast<size_t>(feature) < num_features;
      const bool cats_ok =
          static_cast<uint64_t>(f.cat_offset_[n]) + f.cat_words_[n] <= f.cat_bits_.size();
      if (!links_ok || !cats_ok) {
        return core::Corrupt("{}: node {} of tree {} is malformed (feature {}, children {} and {})",
                             file.path(), n - begin, t, feature, f.left_[n], f.right_[n]);
      }
    }
  }
  return f;
}

ForestBuilder::ForestBuilder(const Forest& base) {
  tree_begin_.assign(base.tree_begin_.begin(), base.tree_begin_.end());
  if (tree_begin_.empty()) tree_begin_.push_back(0);
  Append(feature_, base.feature_);
  Append(left_, base.left_);
  Append(right_, base.right_);
  Append(threshold_, base.threshold_);
  Append(flags_, base.flags_);
  Append(cat_offset_, base.cat_offset_);
  Append(cat_words_, base.cat_words_);
  Append(value_, base.value_);
  Append(gain_, base.gain_);
  Append(cover_, base.cover_);
  Append(cat_bits_, base.cat_bits_);
}

void ForestBuilder::Add(const Tree& tree) {
  const auto base = static_cast<int32_t>(feature_.size());
  const auto bits_base = static_cast<uint32_t>(cat_bits_.size());
  for (const Node& n : tree.nodes) {
    feature_.push_back(n.feature);
    left_.push_back(n.is_leaf() ? -1 : n.left + base);
    right_.push_back(n.is_leaf() ? -1 : n.right + base);
    threshold_.push_back(n.is_leaf() || n.categorical ? 0.0f : n.threshold);
    flags_.push_back(static_cast<uint8_t>((n.default_left ? kDefaultLeft : 0) |
                                          (n.categorical ? kCategorical : 0)));
    cat_offset_.push_back(n.categorical ? n.cat_offset + bits_base : 0);
    cat_words_.push_back(n.categorical ? n.cat_words : 0);
    value_.push_back(n.value);
    gain_.push_back(n.gain);
    cover_.push_back(n.cover);
  }
  cat_bits_.insert(cat_bits_.end(), tree.cat_bits.begin(), tree.cat_bits.end());
  tree_begin_.push_back(feature_.size());
}

void ForestBuilder::Truncate(size_t trees) {
  if (trees >= num_trees()) return;
  const size_t nodes = tree_begin_[trees];
  uint32_t bits = 0;
  for (size_t n = 0; n < nodes; ++n) bits = std::max(bits, cat_offset_[n] + cat_words_[n]);
  tree_begin_.resize(trees + 1);
  for (auto* v : {&feature_, &left_, &right_}) v->resize(nodes);
  threshold_.resize(nodes);
  flags_.resize(nodes);
  cat_offset_.resize(nodes);
  cat_words_.resize(nodes);
  value_.resize(nodes);
  gain_.resize(nodes);
  cover_.resize(nodes);
  cat_bits_.resize(bits);
}

Forest ForestBuilder::Finish() const {
  Forest f;
  f.tree_begin_ = Copy(tree_begin_);
  f.feature_ = Copy(feature_);
  f.left_ = Copy(left_);
  f.right_ = Copy(right_);
  f.threshold_ = Copy(threshold_);
  f.flags_ = Copy(flags_);
  f.cat_offset_ = Copy(cat_offset_);
  f.cat_words_ = Copy(cat_words_);
  f.value_ = Copy(value_);
  f.gain_ = Copy(gain_);
  f.cover_ = Copy(cover_);
  f.cat_bits_ = Copy(cat_bits_);
  return f;
}

}  // namespace kiln::algorithms::tree
