// Finding the best split of a node from its histogram.
//
// With G, H the sums of gradients and hessians, T(G) = sign(G) max(|G| - l1, 0) and the leaf
// weight w = -T(G) / (H + l2) (clamped to the node's monotone bounds), a node scores
//   S(G, H) = -(2 (G w + l1 |w|) + (H + l2) w^2)      (= T(G)^2 / (H + l2) unclamped)
// and a split gains S(left) + S(right) - S(node): twice the loss reduction, the quantity
// XGBoost compares with gamma (our min_split_gain). Both children need H >= min_child_weight.
//   numeric:     every threshold between value bins, with the missing bin sent left and right
//                (the better becomes the node's default direction; with no missing rows the
//                default is the side with the larger hessian);
//   categorical: up to max_cat_onehot value bins: one category against the rest; more: bins
//                sorted by G / (H + cat_smooth), every prefix (of at most max_cat_threshold
//                bins, from either end) against the rest, with cat_l2 added to l2 in the
//                children's scores (as LightGBM); the missing bin tried on both sides.
//   monotone:    a split on a feature with constraint +1 (-1) must give w_left <= w_right
//                (>=); the children's bounds then meet at the mean of the two weights.
// Ties go to the lower feature index, then the lower bin, then missing-right. Thread-safe
// (const), allocation-free except for categorical features.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "histogram.h"

namespace kiln::algorithms::tree {

struct SplitParams {
  double l1 = 0;
  double l2 = 1;
  double min_child_weight = 1;
  double cat_smooth = 10;
  double cat_l2 = 10;
  uint32_t max_cat_threshold = 32;
  uint32_t max_cat_onehot = 4;
};

struct FeatureSpec {
  bool categorical = false;
  uint32_t num_bins = 0;  // value bins + the missing bin (the last)
  int monotone = 0;       // +1 increasing, -1 decreasing, 0 none
};

struct Bounds {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

struct SplitInfo {
  int32_t feature = -1;  // -1: no split found
  double gain = 0;
  uint32_t bin = 0;  // numeric: bins <= bin go left
  bool default_left = false;
  bool categorical = false;
  std::vector<uint32_t> left_categories;  // categorical: bins that go left
  double left_g = 0, left_h = 0, right_g = 0, right_h = 0;
  double left_w = 0, right_w = 0;  // the children's weights (before the learning rate)

  bool valid() const { return feature >= 0; }
};

class SplitFinder {
 public:
  SplitFinder(const SplitParams& params, std::vector<FeatureSpec> features);

  const FeatureSpec& feature(size_t j) const { return features_[j]; }
  bool monotone() const { return monotone_; }
  double min_child_weight() const { return params_.min_child_weight; }
  // The leaf weight for sums (g, h) within bounds.
  double Weight(double g, double h, const Bounds& bounds) const;
  // Improves `best` with the best split of feature j (histogram slice `hist`) if it gains more.
  void FindFeature(size_t j, const HistBin* hist, const Bounds& bounds, SplitInfo* best) const;
  // The bounds of the children of a node with `bounds` split by `split`.
  void ChildBounds(const SplitInfo& split, const Bounds& bounds, Bounds* left, Bounds* right) const;

 private:
  double Score(double g, double h, double l2, const Bounds& bounds) const;
  // Whether left = (gl, hl), right = (gr, hr) gains more than `best` (then *gain and the
  // children's weights are set).
  bool Better(double gl, double hl, double gr, double hr, double l2, double parent_score,
              int monotone, const Bounds& bounds, const SplitInfo& best, double* gain, double* wl,
              double* wr) const;
  void FindNumeric(size_t j, const HistBin* hist, const Bounds& bounds, SplitInfo* best) const;
  void FindCategorical(size_t j, const HistBin* hist, const Bounds& bounds, SplitInfo* best) const;

  SplitParams params_;
  std::vector<FeatureSpec> features_;
  bool monotone_ = false;
};

}  // namespace kiln::algorithms::tree
