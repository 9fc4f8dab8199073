#include "split_finder.h"

#include <algorithm>
#include <cmath>

namespace kiln::algorithms::tree {
namespace {

double ThresholdL1(double g, double l1) {
  if (g > l1) return g - l1;
  if (g < -l1) return g + l1;
  return 0;
}

// Overwrites `best` with a better candidate: feature j, left sums (g, h) of totals (tg, th),
// the children's weights; left_categories is left empty for the caller to fill.
void Record(SplitInfo* best, size_t j, double gain, uint32_t bin, bool default_left,
            bool categorical, double g, double h, double tg, double th, double wl, double wr) {
  best->feature = static_cast<int32_t>(j);
  best->gain = gain;
  best->bin = bin;
  best->default_left = default_left;
  best->categorical = categorical;
  best->left_categories.clear();
  best->left_g = g;
  best->left_h = h;
  best->right_g = tg - g;
  best->right_h = th - h;
  best->left_w = wl;
  best->right_w = wr;
}

}  // namespace

SplitFinder::SplitFinder(const SplitParams& params, std::vector<FeatureSpec> features)
    : params_(params), features_(std::move(features)) {
  for (const FeatureSpec& f : features_) monotone_ = monotone_ || f.monotone != 0;
}

double SplitFinder::Weight(double g, double h, const Bounds& bounds) const {
  const double denom = h + params_.l2;
  if (!(denom > 0)) return 0;
  return std::clamp(-ThresholdL1(g, params_.l1) / denom, bounds.lower, bounds.upper);
}

double SplitFinder::Score(double g, double h, double l2, const Bounds& bounds) const {
  const double denom = h + l2;
  if (!(denom > 0)) return 0;
  const double t = ThresholdL1(g, params_.l1);
  if (!monotone_) return t * t / denom;
  const double w = std::clamp(-t / denom, bounds.lower, bounds.upper);
  return -(2 * (g * w + params_.l1 * std::abs(w)) + denom * w * w);
}

bool SplitFinder::Better(double gl, double hl, double gr, double hr, double l2, double parent_score,
                         int monotone, const Bounds& bounds, const SplitInfo& best, double* gain,
                         double* wl, double* wr) const {
  if (hl < params_.min_child_weight || hr < params_.min_child_weight) return false;
  if (monotone_) {
    *wl = Weight(gl, hl, bounds);
    *wr = Weight(gr, hr, bounds);
    if ((monotone > 0 && *wl > *wr) || (monotone < 0 && *wl < *wr)) return false;
  }
  *gain = Score(gl, hl, l2, bounds) + Score(gr, hr, l2, bounds) - parent_score;
  if (!(*gain > best.gain)) return false;
  // Without constraints the weights are only needed for a split that wins.
  if (!monotone_) {
    *wl = Weight(gl, hl, bounds);
    *wr = Weight(gr, hr, bounds);
  }
  return true;
}

void SplitFinder::FindFeature(size_t j, const HistBin* hist, const Bounds& bounds,
                              SplitInfo* best) const {
  if (features_[j].categorical) {
    FindCategorical(j, hist, bounds, best);
  } else {
    FindNumeric(j, hist, bounds, best);
  }
}

void SplitFinder::FindNumeric(size_t j, const HistBin* hist, const Bounds& bounds,
                              SplitInfo* best) const {
  const FeatureSpec& f = features_[j];
  const uint32_t missing = f.num_bins - 1;
  double total_g = 0, total_h = 0;
  for (uint32_t b = 0; b < f.num_bins; ++b) {
    total_g += hist[b].g;
    total_h += hist[b].h;
  }
  const double mg = hist[missing].g, mh = hist[missing].h;
  const bool has_missing = mh > 0 || mg != 0;
  const double parent = Score(total_g, total_h, params_.l2, bounds);
  double gl = 0, hl = 0, gain = 0, wl = 0, wr = 0;
  auto record = [&](uint32_t b, bool default_left, double g_left, double h_left) {
    Record(best, j, gain, b, default_left, false, g_left, h_left, total_g, total_h, wl, wr);
  };
  for (uint32_t b = 0; b + 2 < f.num_bins; ++b) {
    gl += hist[b].g;
    hl += hist[b].h;
    if (Better(gl, hl, total_g - gl, total_h - hl, params_.l2, parent, f.monotone, bounds, *best,
               &gain, &wl, &wr)) {
      record(b, !has_missing && hl >= total_h - hl, gl, hl);
    }
    if (has_missing && Better(gl + mg, hl + mh, total_g - gl - mg, total_h - hl - mh, params_.l2,
                              parent, f.monotone, bounds, *best, &gain, &wl, &wr)) {
      record(b, true, gl + mg, hl + mh);
    }
  }
}

void SplitFinder::FindCategorical(size_t j, const HistBin* hist, const Bounds& bounds,
                                  SplitInfo* best) const {
  const FeatureSpec& f = features_[j];
  const uint32_t missing = f.num_bins - 1;
  double total_g = 0, total_h = 0;
  std::vector<uint32_t> used;
  for (uint32_t b = 0; b < f.num_bins; ++b) {
    total_g += hist[b].g;
    total_h += hist[b].h;
    if (b != missing && hist[b].h > 0) used.push_back(b);
  }
  const double mg = hist[missing].g, mh = hist[missing].h;
  const bool has_missing = mh > 0 || mg != 0;
  if (used.empty() || (used.size() == 1 && !has_missing)) return;
  const double parent = Score(total_g, total_h, params_.l2, bounds);
  const bool one_hot = missing <= params_.max_cat_onehot;
  const double l2 = one_hot ? params_.l2 : params_.l2 + params_.cat_l2;
  if (!one_hot) {
    const double smooth = params_.cat_smooth;
    std::stable_sort(used.begin(), used.end(), [&](uint32_t a, uint32_t b) {
      return hist[a].g / (hist[a].h + smooth) < hist[b].g / (hist[b].h + smooth);
    });
  }
  // Candidate left sets: one bin each (one-hot), or prefixes of the order from either end.
  const size_t max_k =
      one_hot ? 1 : std::min<size_t>(params_.max_cat_threshold, (used.size() + 1) / 2);
  const int directions = one_hot ? 1 : 2;
  double gain = 0, wl = 0, wr = 0;
  for (int dir = 0; dir < directions; ++dir) {
    const size_t starts = one_hot ? used.size() : 1;
    for (size_t s = 0; s < starts; ++s) {
      double gl = 0, hl = 0;
      const size_t limit = one_hot ? 1 : std::min(max_k, used.size() - (has_missing ? 0 : 1));
      for (size_t k = 0; k < limit; ++k) {
        const size_t pos = one_hot ? s : (dir == 0 ? k : used.size() - 1 - k);
        gl += hist[used[pos]].g;
        hl += hist[used[pos]].h;
        for (int miss_left = 0; miss_left <= (has_missing ? 1 : 0); ++miss_left) {
          const double g_left = gl + (miss_left ? mg : 0), h_left = hl + (miss_left ? mh : 0);
          if (!Better(g_left, h_left, total_g - g_left, total_h - h_left, l2, parent, 0, bounds,
                      *best, &gain, &wl, &wr)) {
            continue;
          }
          const bool default_left = miss_left != 0 || (!has_missing && h_left >= total_h - h_left);
          Record(best, j, gain, 0, default_left, true, g_left, h_left, total_g, total_h, wl, wr);
          for (size_t q = 0; q <= k; ++q) {
            const size_t p = one_hot ? s : (dir == 0 ? q : used.size() - 1 - q);
            best->left_categories.push_back(used[p]);
          }
          std::sort(best->left_categories.begin(), best->left_categories.end());
        }
      }
    }
  }
}

void SplitFinder::ChildBounds(const SplitInfo& split, const Bounds& bounds, Bounds* left,
                              Bounds* right) const {
  *left = bounds;
  *right = bounds;
  const int c = features_[static_cast<size_t>(split.feature)].monotone;
  if (c == 0) return;
  const double mid = (split.left_w + split.right_w) / 2;
  if (c > 0) {
    left->upper = mid;
    right->lower = mid;
  } else {
    left->lower = mid;
    right->upper = mid;
  }
}

}  // namespace kiln::algorithms::tree
