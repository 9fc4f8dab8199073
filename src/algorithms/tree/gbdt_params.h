// The parameters of gbdt: the ParamSpec (names, aliases, ranges, help) and the resolved values
// the booster reads.
#pragma once

#include <string>
#include <vector>

#include "feature_rows.h"
#include "kiln/core/param_spec.h"
#include "split_finder.h"
#include "tree_learner.h"

namespace kiln::algorithms::tree {

inline constexpr const char* kGbdtName = "gbdt";

core::ParamSpec GbdtSpec();

struct GbdtConfig {
  int num_trees = 100;
  TreeParams tree;
  SplitParams split;
  double subsample = 1;
  double colsample = 1;
  int early_stopping_rounds = 0;
  std::string objective = "auto";
  uint32_t max_bins = 255;
  std::string monotone_constraints;
  double huber_delta = 1;
  double quantile_alpha = 0.5;
  std::string init_model;
};

GbdtConfig ReadConfig(const core::ParamMap& params);

// Per-feature constraints (+1, -1, 0) from the monotone_constraints text: "COL:1,COL:-1" by
// column name, or one value per feature in column order ("1,0,-1", optionally in parentheses,
// as XGBoost). Errors name unknown columns, bad values, a wrong count, and constraints on
// categorical features.
core::Result<std::vector<int>> ParseMonotone(const std::string& text,
                                             const std::vector<FeatureInfo>& features);

}  // namespace kiln::algorithms::tree
