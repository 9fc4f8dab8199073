// Seeded train/test splits and k-fold cross-validation, optionally stratified by the label.
#include "kiln/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "kiln/core/random.h"

namespace kiln::data {
namespace {

// View positions grouped by label class (categorical code or exact numeric value), groups in
// order of the class key. Missing labels form their own group.
core::Result<std::vector<std::vector<uint32_t>>> GroupByLabel(const DatasetView& view) {
  const Column* label = view.dataset().label();
  if (label == nullptr) {
    return core::InvalidArgument("a stratified split needs a label, and the data has none");
  }
  std::map<double, std::vector<uint32_t>> groups;
  std::vector<uint32_t> missing;
  for (size_t i = 0; i < view.size(); ++i) {
    const size_t r = view.row(i);
    if (label->IsMissing(r)) {
      missing.push_back(static_cast<uint32_t>(i));
      continue;
    }
    const double key = label->type == ColumnType::kNumeric ? label->values[r] : label->codes[r];
    groups[key].push_back(static_cast<uint32_t>(i));
  }
  std::vector<std::vector<uint32_t>> out;
  for (auto& [_, g] : groups) out.push_back(std::move(g));
  if (!missing.empty()) out.push_back(std::move(missing));
  return out;
}

std::vector<uint32_t> Iota(size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint32_t>(i);
  return v;
}

}  // namespace

core::Result<std::pair<DatasetView, DatasetView>> TrainTestSplit(const DatasetView& view,
                                                                 const SplitOptions& options) {
  const double f = options.test_fraction;
  if (!(f > 0.0 && f < 1.0)) {
    return core::InvalidArgument("the test fraction must be between 0 and 1 (exclusive), got {}",
                                 f);
  }
  const size_t n = view.size();
  const auto n_test = static_cast<size_t>(std::ceil(f * static_cast<double>(n)));
  if (n < 2 || n_test == 0 || n_test >= n) {
    return core::InvalidArgument(
        "cannot split {} rows with a test fraction of {}: one side would be empty", n, f);
  }
  std::vector<char> is_test(n, 0);
  core::Rng rng(options.seed);
  if (options.stratify) {
    KILN_ASSIGN_OR_RETURN(auto groups, GroupByLabel(view));
    // Each class gets floor(share); the remaining test slots go to the largest remainders.
    std::vector<size_t> take(groups.size());
    std::vector<std::pair<double, size_t>> remainders;
    size_t assigned = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      const double exact = f * static_cast<double>(groups[g].size());
      take[g] = static_cast<size_t>(std::floor(exact));
      assigned += take[g];
      remainders.emplace_back(exact - std::floor(exact), g);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; assigned < n_test && k < remainders.size(); ++k) {
      const size_t g = remainders[k].second;
      if (take[g] < groups[g].size()) {
        ++take[g];
        ++assigned;
      }
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      auto& members = groups[g];
      if (options.shuffle) rng.Shuffle(members.begin(), members.end());
      // Without shuffling, each class's last rows go to the test side.
      const size_t from = options.shuffle ? 0 : members.size() - take[g];
      for (size_t k = 0; k < take[g]; ++k) is_test[members[from + k]] = 1;
    }
  } else {
    std::vector<uint32_t> order = Iota(n);
    if (options.shuffle) rng.Shuffle(order.begin(), order.end());
    const size_t from = options.shuffle ? 0 : n - n_test;
    for (size_t k = 0; k < n_test; ++k) is_test[order[from + k]] = 1;
  }
  std::vector<uint32_t> train, test;
  for (size_t i = 0; i < n; ++i) (is_test[i] ? test : train).push_back(static_cast<uint32_t>(i));
  return std::make_pair(view.Select(train), view.Select(test));
}

core::Result<std::vector<Fold>> KFold(const DatasetView& view, int k, const SplitOptions& options) {
  const size_t n = view.size();
  if (k < 2) return core::InvalidArgument("k-fold cross-validation needs k >= 2, got {}", k);
  if (static_cast<size_t>(k) > n) {
    return core::InvalidArgument("cannot make {} folds from {} rows; use k <= {}", k, n, n);
  }
  const auto folds = static_cast<size_t>(k);
  std::vector<uint32_t> fold_of(n);
  core::Rng rng(options.seed);
  if (options.stratify) {
    KILN_ASSIGN_OR_RETURN(auto groups, GroupByLabel(view));
    // Deal each class's (shuffled) rows round-robin, continuing where the previous class
    // stopped, so every fold gets a near-equal share of every class and of the rows.
    size_t next = 0;
    for (auto& members : groups) {
      if (options.shuffle) rng.Shuffle(members.begin(), members.end());
      for (uint32_t pos : members) {
        fold_of[pos] = static_cast<uint32_t>(next);
        next = (next + 1) % folds;
      }
    }
  } else {
    std::vector<uint32_t> order = Iota(n);
    if (options.shuffle) rng.Shuffle(order.begin(), order.end());
    // Contiguous parts: the first n % k folds get one extra row.
    size_t at = 0;
    for (size_t f = 0; f < folds; ++f) {
      const size_t size = n / folds + (f < n % folds ? 1 : 0);
      for (size_t j = 0; j < size; ++j) fold_of[order[at++]] = static_cast<uint32_t>(f);
    }
  }
  std::vector<std::vector<uint32_t>> test(folds);
  for (size_t i = 0; i < n; ++i) test[fold_of[i]].push_back(static_cast<uint32_t>(i));
  std::vector<Fold> out;
  for (size_t f = 0; f < folds; ++f) {
    std::vector<uint32_t> train;
    train.reserve(n - test[f].size());
    for (size_t i = 0; i < n; ++i) {
      if (fold_of[i] != f) train.push_back(static_cast<uint32_t>(i));
    }
    out.push_back(Fold{view.Select(train), view.Select(test[f])});
  }
  return out;
}

}  // namespace kiln::data
