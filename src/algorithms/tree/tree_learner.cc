#include "tree_learner.h"

#include <algorithm>
#include <cmath>

#include "kiln/core/random.h"

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kSumGrain = 65536;
constexpr int kDefaultLeafwiseLeaves = 31;

// Features a split can use: a numeric feature with one value bin has no threshold to offer.
std::vector<size_t> Splittable(const data::BinMapper& mapper) {
  std::vector<size_t> out;
  for (size_t j = 0; j < mapper.num_features(); ++j) {
    const data::FeatureBins& f = mapper.feature(j);
    if (f.type == data::ColumnType::kCategorical || f.value_bins() > 1) out.push_back(j);
  }
  return out;
}

}  // namespace

TreeLearner::TreeLearner(const data::BinnedDataset& bins, const data::BinMapper& mapper,
                         const SplitFinder& finder, const TreeParams& params,
                         core::ThreadPool& pool)
    : bins_(bins),
      mapper_(mapper),
      finder_(finder),
      params_(params),
      pool_(pool),
      layout_(bins),
      hist_pool_(layout_.total()),
      splittable_(Splittable(mapper)),
      groups_(bins, splittable_) {
  if (params_.leafwise && params_.max_leaves == 0) params_.max_leaves = kDefaultLeafwiseLeaves;
}

Tree TreeLearner::Grow(std::span<const uint32_t> rows, bool all_rows, const GradPair* grads,
                       const std::vector<uint8_t>& allowed, uint64_t seed) {
  leaves_.clear();
  features_.clear();
  allowed_ = allowed;
  for (size_t j : splittable_) {
    if (allowed[j]) features_.push_back(j);
  }
  partition_.Reset(rows, all_rows, bins_.num_rows(), grads, pool_);

  Tree tree;
  tree.nodes.emplace_back();
  Open root;
  root.end = partition_.size();
  const size_t blocks = core::NumBlocks(root.end, kSumGrain);
  std::vector<HistBin> sums(blocks);
  core::ParallelForBlocks(pool_, 0, root.end, kSumGrain, [&](size_t b, size_t e, size_t k) {
    HistBin s;
    for (size_t i = b; i < e; ++i) {
      s.g += partition_.grads()[i].g;
      s.h += partition_.grads()[i].h;
    }
    sums[k] = s;
  });
  for (const HistBin& s : sums) {
    root.g += s.g;
    root.h += s.h;
  }
  if (MaySplit(root, 1)) {
    root.hist = hist_pool_.Acquire();
    std::vector<Open*> batch{&root};
    BuildHistograms(batch);
    FindSplits(batch, seed);
  }
  if (params_.leafwise) {
    GrowLeafwise(std::move(root), tree, seed);
  } else {
    GrowDepthwise(std::move(root), tree, seed);
  }
  return tree;
}

void TreeLearner::GrowDepthwise(Open root, Tree& tree, uint64_t seed) {
  std::vector<Open> level;
  level.push_back(std::move(root));
  size_t leaves = 1;
  while (!level.empty()) {
    std::vector<Open*> parents;
    for (Open& o : level) {
      if (CanSplit(o, leaves)) {
        parents.push_back(&o);
        ++leaves;
      } else {
        MakeLeaf(o, tree);
      }
    }
    if (parents.empty()) break;
    std::vector<Open> next = SplitNodes(parents, tree, leaves);
    std::vector<Open*> ready;
    for (Open& c : next) {
      if (c.hist >= 0) ready.push_back(&c);
    }
    FindSplits(ready, seed);
    level = std::move(next);
  }
}

void TreeLearner::GrowLeafwise(Open root, Tree& tree, uint64_t seed) {
  std::vector<Open> open;
  open.push_back(std::move(root));
  size_t leaves = 1;
  while (true) {
    size_t best = open.size();
    for (size_t i = 0; i < open.size(); ++i) {
      if (CanSplit(open[i], leaves) &&
          (best == open.size() || open[i].split.gain > open[best].split.gain)) {
        best = i;
      }
    }
    if (best == open.size()) break;
    Open parent = std::move(open[best]);
    open.erase(open.begin() + static_cast<long>(best));
    ++leaves;
    std::vector<Open*> parents{&parent};
    std::vector<Open> children = SplitNodes(parents, tree, leaves);
    std::vector<Open*> ready;
    for (Open& c : children) {
      if (c.hist >= 0) ready.push_back(&c);
    }
    FindSplits(ready, seed);
    for (Open& c : children) open.push_back(std::move(c));
  }
  for (Open& o : open) MakeLeaf(o, tree);
}

bool TreeLearner::MaySplit(const Open& child, size_t leaves) const {
  const bool depth_ok = params_.max_depth == 0 || child.depth < params_.max_depth;
  const bool leaves_ok =
      params_.max_leaves == 0 || leaves < static_cast<size_t>(params_.max_leaves);
  // Both children of a split need min_child_weight (and a row each).
  return depth_ok && leaves_ok && child.end - child.begin >= 2 && !features_.empty() &&
         child.h >= 2 * finder_.min_child_weight();
}

bool TreeLearner::CanSplit(const Open& o, size_t leaves) const {
  const bool depth_ok = params_.max_depth == 0 || o.depth < params_.max_depth;
  const bool leaves_ok =
      params_.max_leaves == 0 || leaves < static_cast<size_t>(params_.max_leaves);
  return o.hist >= 0 && o.split.valid() && o.split.gain > params_.min_split_gain && depth_ok &&
         leaves_ok;
}

void TreeLearner::MakeLeaf(Open& o, Tree& tree) {
  Node& n = tree.nodes[static_cast<size_t>(o.node)];
  n.feature = -1;
  n.value = finder_.Weight(o.g, o.h, o.bounds) * params_.learning_rate;
  n.cover = o.h;
  leaves_.push_back({o.node, o.begin, o.end});
  if (o.hist >= 0) {
    hist_pool_.Release(o.hist);
    o.hist = -1;
  }
}

void TreeLearner::BuildHistograms(const std::vector<Open*>& nodes) {
  // Groups with a feature this tree may split on (their other members are summed too, unused).
  std::vector<size_t> active;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t j : groups_.members(g)) {
      if (allowed_[j]) {
        active.push_back(g);
        break;
      }
    }
  }
  if (active.empty()) return;
  const bool identity = partition_.identity();
  pool_.Run(nodes.size() * active.size(), [&](size_t t) {
    const Open& o = *nodes[t / active.size()];
    const size_t g = active[t % active.size()];
    HistBin* hist = hist_pool_.Get(o.hist);
    HistBin* hists[kMaxFeatureGroup];
    const std::vector<size_t>& members = groups_.members(g);
    for (size_t q = 0; q < members.size(); ++q) hists[q] = hist + layout_.offset(members[q]);
    BuildGroupHistogram(bins_, groups_, g, identity ? nullptr : partition_.rows() + o.begin,
                        o.begin, partition_.grads() + o.begin, o.end - o.begin, hists);
  });
}

void TreeLearner::FindSplits(const std::vector<Open*>& nodes, uint64_t seed) {
  if (nodes.empty()) return;
  pool_.Run(nodes.size(), [&](size_t t) {
    Open& o = *nodes[t];
    o.split = SplitInfo{};
    std::vector<size_t> candidates = features_;
    if (params_.colsample_bynode < 1 && candidates.size() > 1) {
      core::Rng rng(seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<uint64_t>(o.node) + 1)));
      rng.Shuffle(candidates.begin(), candidates.end());
      const auto keep = std::max<size_t>(
          1, static_cast<size_t>(
                 std::lround(params_.colsample_bynode * static_cast<double>(candidates.size()))));
      candidates.resize(keep);
      std::sort(candidates.begin(), candidates.end());
    }
    const HistBin* hist = hist_pool_.Get(o.hist);
    for (size_t j : candidates)
      finder_.FindFeature(j, hist + layout_.offset(j), o.bounds, &o.split);
  });
}

std::vector<TreeLearner::Open> TreeLearner::SplitNodes(std::vector<Open*>& parents, Tree& tree,
                                                       size_t leaves) {
  // Nodes first (so node references stay valid while the rows move).
  for (Open* p : parents) {
    const SplitInfo& s = p->split;
    const auto j = static_cast<size_t>(s.feature);
    const auto left = static_cast<int32_t>(tree.nodes.size());
    tree.nodes.emplace_back();
    tree.nodes.emplace_back();
    Node& n = tree.nodes[static_cast<size_t>(p->node)];
    n.feature = s.feature;
    n.left = left;
    n.right = left + 1;
    n.default_left = s.default_left;
    n.categorical = s.categorical;
    n.gain = s.gain;
    n.cover = p->h;
    n.value = finder_.Weight(p->g, p->h, p->bounds) * params_.learning_rate;
    if (s.categorical) {
      n.cat_offset = static_cast<uint32_t>(tree.cat_bits.size());
      n.cat_words = (mapper_.feature(j).value_bins() + 31) / 32;
      tree.cat_bits.resize(tree.cat_bits.size() + n.cat_words, 0u);
      for (uint32_t c : s.left_categories) tree.cat_bits[n.cat_offset + c / 32] |= 1u << (c % 32);
    } else {
      n.split_bin = s.bin;
      n.threshold = mapper_.feature(j).Threshold(s.bin);
    }
  }
  std::vector<RowPartition::Request> requests;
  for (Open* p : parents) {
    RowPartition::Request r;
    r.begin = p->begin;
    r.end = p->end;
    r.node = &tree.nodes[static_cast<size_t>(p->node)];
    r.missing_bin = mapper_.feature(static_cast<size_t>(p->split.feature)).missing_bin();
    requests.push_back(r);
  }
  partition_.Split(requests, tree, bins_, pool_);

  std::vector<Open> children;
  children.reserve(parents.size() * 2);
  std::vector<Open*> to_build;
  std::vector<std::pair<size_t, size_t>> subtract;  // (larger, smaller) child indices
  for (size_t i = 0; i < parents.size(); ++i) {
    Open* p = parents[i];
    const SplitInfo& s = p->split;
    const Node& n = tree.nodes[static_cast<size_t>(p->node)];
    Open l, r;
    l.node = n.left;
    r.node = n.right;
    l.begin = p->begin;
    l.end = r.begin = p->begin + requests[i].left_count;
    r.end = p->end;
    l.g = s.left_g;
    l.h = s.left_h;
    r.g = s.right_g;
    r.h = s.right_h;
    l.depth = r.depth = p->depth + 1;
    finder_.ChildBounds(s, p->bounds, &l.bounds, &r.bounds);
    const bool need = MaySplit(l, leaves) || MaySplit(r, leaves);
    children.push_back(std::move(l));
    children.push_back(std::move(r));
    if (!need) {
      hist_pool_.Release(p->hist);
      p->hist = -1;
      continue;
    }
    const size_t li = children.size() - 2, ri = li + 1;
    const bool left_smaller =
        children[li].end - children[li].begin <= children[ri].end - children[ri].begin;
    const size_t small = left_smaller ? li : ri, large = left_smaller ? ri : li;
    children[large].hist = p->hist;
    p->hist = -1;
    children[small].hist = hist_pool_.Acquire();
    subtract.emplace_back(large, small);
  }
  for (const auto& [large, small] : subtract) to_build.push_back(&children[small]);
  BuildHistograms(to_build);
  for (const auto& [large, small] : subtract) {
    HistBin* big = hist_pool_.Get(children[large].hist);
    const HistBin* little = hist_pool_.Get(children[small].hist);
    for (size_t j : features_) {
      SubtractHistogram(big + layout_.offset(j), little + layout_.offset(j), layout_.num_bins(j));
    }
  }
  for (Open& c : children) {
    if (c.hist >= 0 && !MaySplit(c, leaves)) {
      hist_pool_.Release(c.hist);
      c.hist = -1;
    }
  }
  return children;
}

}  // namespace kiln::algorithms::tree
