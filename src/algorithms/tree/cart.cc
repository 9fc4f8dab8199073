#include "cart.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

namespace kiln::algorithms::tree {
namespace {

struct Split {
  double gain = 0;
  int32_t feature = -1;
  uint32_t bin = 0;       // bins <= bin go left
  uint32_t next_bin = 0;  // the first bin on the right that holds rows of the node
  bool missing_left = false;
};

struct Open {
  size_t node = 0;
  size_t begin = 0, end = 0;
  int depth = 0;
  Split split;
};

struct OpenOrder {
  // Largest gain first; ties: the node created first.
  bool operator()(const Open& a, const Open& b) const {
    if (a.split.gain != b.split.gain) return a.split.gain < b.split.gain;
    return a.node > b.node;
  }
};

// Any threshold from the bound after `bin` to the bound before `next_bin` parts the node's rows
// alike; as CART, take the middle of the gap (new values in it are split evenly).
float Threshold(const data::FeatureBins& fb, const Split& split) {
  if (fb.type != data::ColumnType::kNumeric) return static_cast<float>(split.bin) + 0.5f;
  const float lo = fb.Threshold(split.bin), hi = fb.Threshold(split.next_bin - 1);
  const float mid = lo + (hi - lo) / 2;
  return std::clamp(mid, lo, hi);
}

class Grower {
 public:
  Grower(const CartConfig& config, const CartData& data, std::vector<uint32_t> rows,
         const std::vector<uint32_t>& weight, core::Rng& rng)
      : config_(config),
        data_(data),
        k_(data.num_classes),
        width_(data.num_classes > 0 ? data.num_classes + 1 : 3),
        rows_(std::move(rows)),
        weight_(weight),
        rng_(rng) {
    const size_t d = data.bins->num_features();
    features_.resize(d);
    std::iota(features_.begin(), features_.end(), 0u);
    hist_.assign(static_cast<size_t>(data.mapper->max_num_bins()) * width_, 0.0);
    total_.resize(width_);
    left_.resize(width_);
    right_.resize(width_);
    left_m_.resize(width_);
  }

  CartTree Grow() {
    std::priority_queue<Open, std::vector<Open>, OpenOrder> open;
    out_.tree.nodes.emplace_back();
    open.push(Evaluate(0, 0, rows_.size(), 0));
    size_t leaves = 1;
    while (!open.empty()) {
      if (config_.max_leaves > 0 && leaves >= config_.max_leaves) break;
      const Open o = open.top();
      open.pop();
      if (o.split.feature < 0) continue;
      const size_t mid = Partition(o);
      const auto left = out_.tree.nodes.size();
      out_.tree.nodes.emplace_back();
      out_.tree.nodes.emplace_back();
      Node& n = out_.tree.nodes[o.node];
      n.feature = o.split.feature;
      n.left = static_cast<int32_t>(left);
      n.right = static_cast<int32_t>(left + 1);
      n.split_bin = o.split.bin;
      n.default_left = o.split.missing_left;
      n.gain = o.split.gain;
      const data::FeatureBins& fb = data_.mapper->feature(static_cast<size_t>(o.split.feature));
      n.threshold = Threshold(fb, o.split);
      ++leaves;
      open.push(Evaluate(left, o.begin, mid, o.depth + 1));
      open.push(Evaluate(left + 1, mid, o.end, o.depth + 1));
    }
    return std::move(out_);
  }

 private:
  // "Purity" of a node's stats: the impurity decrease of a split is
  // Score(left) + Score(right) - Score(parent) (weighted by the node's weight).
  double Score(const double* s) const {
    if (k_ == 0) return s[0] > 0 ? s[1] * s[1] / s[0] : 0.0;
    double w = 0, acc = 0;
    for (size_t c = 0; c < k_; ++c) {
      w += s[c];
      if (config_.entropy) {
        if (s[c] > 0) acc += s[c] * std::log(s[c]);
      } else {
        acc += s[c] * s[c];
      }
    }
    if (!(w > 0)) return 0;
    return config_.entropy ? acc - w * std::log(w) : acc / w;
  }
  double Weight(const double* s) const {
    if (k_ == 0) return s[0];
    double w = 0;
    for (size_t c = 0; c < k_; ++c) w += s[c];
    return w;
  }

  void AddRow(double* h, uint32_t row) const {
    const double w = weight_[row];
    if (k_ > 0) {
      h[static_cast<size_t>(data_.classes[row])] += w;
      h[k_] += 1;
    } else {
      h[0] += w;
      h[1] += w * data_.targets[row];
      h[2] += 1;
    }
  }

  // Sets the node's output and finds its best split (feature -1: stays a leaf).
  Open Evaluate(size_t node, size_t begin, size_t end, int depth) {
    std::fill(total_.begin(), total_.end(), 0.0);
    for (size_t i = begin; i < end; ++i) AddRow(total_.data(), rows_[i]);
    const double w = Weight(total_.data());
    Node& n = out_.tree.nodes[node];
    n.cover = w;
    if (k_ == 0) {
      n.value = w > 0 ? total_[1] / w : 0.0;
      out_.dist.push_back(n.value);
    } else {
      size_t best = 0;
      for (size_t c = 0; c < k_; ++c) {
        out_.dist.push_back(w > 0 ? total_[c] / w : 0.0);
        if (total_[c] > total_[best]) best = c;
      }
      n.value = static_cast<double>(best);
    }
    Open o{node, begin, end, depth, {}};
    const size_t count = end - begin;
    if (config_.max_depth > 0 && depth >= config_.max_depth) return o;
    if (count < std::max<size_t>(config_.min_samples_split, 2 * config_.min_samples_leaf)) return o;
    const double parent = Score(total_.data());
    // A pure node (or constant target) cannot gain.
    const double tolerance = 1e-12 * std::max(1.0, std::abs(parent)) + 1e-12 * w;
    // As scikit-learn: draw features until max_features of them vary within the node (a
    // constant feature cannot split it and does not count).
    const size_t d = features_.size();
    const size_t m = config_.max_features == 0 ? d : std::min(d, config_.max_features);
    size_t varying = 0;
    for (size_t i = 0; i < d && varying < m; ++i) {
      if (m < d) std::swap(features_[i], features_[i + rng_.UniformInt(d - i)]);
      varying += EvaluateFeature(features_[i], begin, end, parent, tolerance, &o.split);
    }
    return o;
  }

  template <typename B>
  void Accumulate(const B* col, size_t begin, size_t end, uint32_t missing, uint32_t* lo,
                  uint32_t* hi) {
    for (size_t i = begin; i < end; ++i) {
      const uint32_t row = rows_[i];
      const uint32_t b = col[row];
      AddRow(hist_.data() + static_cast<size_t>(b) * width_, row);
      if (b != missing) {
        *lo = std::min(*lo, b);
        *hi = std::max(*hi, b);
      }
    }
  }

  // Returns whether the feature takes more than one bin in the node.
  bool EvaluateFeature(uint32_t j, size_t begin, size_t end, double parent, double tolerance,
                       Split* best) {
    const data::BinnedDataset& bins = *data_.bins;
    const uint32_t missing = data_.mapper->feature(j).missing_bin();
    uint32_t lo = missing, hi = 0;
    if (bins.wide(j)) {
      Accumulate(bins.wide_bins(j), begin, end, missing, &lo, &hi);
    } else {
      Accumulate(bins.narrow_bins(j), begin, end, missing, &lo, &hi);
    }
    const double* miss = hist_.data() + static_cast<size_t>(missing) * width_;
    const bool has_missing = miss[width_ - 1] > 0;
    const double min_leaf = static_cast<double>(config_.min_samples_leaf);
    std::fill(left_.begin(), left_.end(), 0.0);
    // Split between each two neighbouring bins that hold rows of the node: bins <= prev go
    // left, `b` is the first bin on the right.
    int64_t prev = -1;
    for (uint32_t b = lo; b <= hi && lo < hi; ++b) {
      const double* h = hist_.data() + static_cast<size_t>(b) * width_;
      if (h[width_ - 1] == 0) continue;
      for (int ml = 0; prev >= 0 && ml < (has_missing ? 2 : 1); ++ml) {
        for (size_t s = 0; s < width_; ++s) {
          left_m_[s] = left_[s] + (ml ? miss[s] : 0.0);
          right_[s] = total_[s] - left_m_[s];
        }
        if (left_m_[width_ - 1] < min_leaf || right_[width_ - 1] < min_leaf) continue;
        const double gain = Score(left_m_.data()) + Score(right_.data()) - parent;
        if (gain > tolerance && gain > best->gain) {
          best->gain = gain;
          best->feature = static_cast<int32_t>(j);
          best->bin = static_cast<uint32_t>(prev);
          best->next_bin = b;
          // Without training rows missing, missing values follow the heavier side.
          best->missing_left =
              has_missing ? ml == 1 : Weight(left_m_.data()) >= Weight(right_.data());
        }
      }
      for (size_t s = 0; s < width_; ++s) left_[s] += h[s];
      prev = b;
    }
    // Clear what this node used, so the next feature starts from zeros.
    if (lo <= hi && lo != missing) {
      std::fill(hist_.begin() + static_cast<std::ptrdiff_t>(lo * width_),
                hist_.begin() + static_cast<std::ptrdiff_t>((hi + 1) * width_), 0.0);
    }
    std::fill(hist_.begin() + static_cast<std::ptrdiff_t>(missing * width_),
              hist_.begin() + static_cast<std::ptrdiff_t>((missing + 1) * width_), 0.0);
    return lo < hi || (has_missing && lo <= hi && lo != missing);
  }

  size_t Partition(const Open& o) {
    const data::BinnedDataset& bins = *data_.bins;
    const auto j = static_cast<size_t>(o.split.feature);
    const uint32_t missing = data_.mapper->feature(j).missing_bin();
    auto first = rows_.begin() + static_cast<std::ptrdiff_t>(o.begin);
    auto last = rows_.begin() + static_cast<std::ptrdiff_t>(o.end);
    auto mid = std::stable_partition(first, last, [&](uint32_t row) {
      const uint32_t b = bins.bin(j, row);
      return b == missing ? o.split.missing_left : b <= o.split.bin;
    });
    return static_cast<size_t>(mid - rows_.begin());
  }

  const CartConfig& config_;
  const CartData& data_;
  const size_t k_;
  const size_t width_;  // stats per bin: class weights + distinct rows, or weight, sum, rows
  std::vector<uint32_t> rows_;
  const std::vector<uint32_t>& weight_;
  core::Rng& rng_;
  std::vector<uint32_t> features_;
  std::vector<double> hist_, total_, left_, right_, left_m_;
  CartTree out_;
};

}  // namespace

CartTree GrowCart(const CartConfig& config, const CartData& data, std::vector<uint32_t> rows,
                  const std::vector<uint32_t>& weight, core::Rng& rng) {
  return Grower(config, data, std::move(rows), weight, rng).Grow();
}

}  // namespace kiln::algorithms::tree
