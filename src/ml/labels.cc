#include "kiln/ml/labels.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/dist/agreement.h"

namespace kiln::ml {
namespace {

using data::Column;
using data::ColumnType;

constexpr size_t kMaxNumericClasses = 100;

core::Status NoLabel(const data::DatasetView& view) {
  const auto& src = view.dataset().source();
  return core::InvalidArgument("{}: the data has no label column; name it with --label",
                               src.path.empty() ? "dataset" : src.path);
}

core::Status TooManyNumbers(const data::DatasetView& view, size_t max_numeric) {
  return core::DataError(
      "{}: label '{}' has more than {} distinct numbers, so it looks like a numeric target, "
      "not classes; use a regression algorithm such as linear_regression (or write the "
      "classes as text if they really are classes)",
      view.dataset().source().path, view.dataset().label()->name, max_numeric);
}

core::Status MissingLabel(const data::DatasetView& view, size_t i) {
  const auto& ds = view.dataset();
  return core::DataError(
      "{}: the label '{}' is missing; every training and evaluation row needs one",
      ds.Where(view.row(i)), ds.label()->name);
}

// The classes of this view's labels (numeric ones as exact decimal text, so ranks can exchange
// them), without the checks that need every rank's classes.
struct LocalClasses {
  bool numeric = false;
  std::map<double, size_t> numbers;  // numeric: value -> first row
  std::vector<std::string> texts;    // text: the used categories
};

core::Result<LocalClasses> CollectClasses(const data::DatasetView& view, size_t max_numeric) {
  const Column* label = view.dataset().label();
  LocalClasses out;
  if (label->type == ColumnType::kNumeric) {
    out.numeric = true;
    for (size_t i = 0; i < view.size(); ++i) {
      const float v = label->values[view.row(i)];
      if (std::isnan(v)) return MissingLabel(view, i);
      if (v != std::floor(v)) {
        return core::DataError(
            "{}: label '{}' is {}, but classification needs class labels (integers or text); "
            "for a numeric target use a regression algorithm such as linear_regression",
            view.dataset().Where(view.row(i)), label->name, core::FormatDouble(v));
      }
      if (out.numbers.emplace(v, i).second && out.numbers.size() > max_numeric) {
        return TooManyNumbers(view, max_numeric);
      }
    }
  } else {
    std::vector<char> used(label->categories.size(), 0);
    for (size_t i = 0; i < view.size(); ++i) {
      const int32_t c = label->codes[view.row(i)];
      if (c < 0) return MissingLabel(view, i);
      used[static_cast<size_t>(c)] = 1;
    }
    for (size_t c = 0; c < used.size(); ++c) {
      if (used[c]) out.texts.push_back(label->categories[c]);
    }
  }
  return out;
}

// Merges every rank's classes into this rank's `local` (the union, as one process would see).
core::Status MergeClasses(dist::Collective& collective, const data::DatasetView& view,
                          size_t max_numeric, LocalClasses& local) {
  std::vector<std::string> mine{local.numeric ? "numeric" : "text"};
  if (local.numeric) {
    for (const auto& [v, _] : local.numbers) mine.push_back(fmt::format("{}", v));
  } else {
    mine.insert(mine.end(), local.texts.begin(), local.texts.end());
  }
  KILN_ASSIGN_OR_RETURN(auto all, dist::AllGatherStrings(collective, mine));
  std::set<std::string> texts;
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty() || all[r][0] != all[0][0]) {
      return core::DataError(
          "label '{}' is {} on rank 0 but {} on rank {}; every rank's data must have the same "
          "column types (name the label's type with --categorical if it is text)",
          view.dataset().label()->name, all[0][0], all[r].empty() ? "missing" : all[r][0], r);
    }
    for (size_t i = 1; i < all[r].size(); ++i) {
      if (!local.numeric) {
        texts.insert(all[r][i]);
        continue;
      }
      const auto v = core::ParseDouble(all[r][i]);
      if (!v) return core::Internal("rank {} sent the class '{}', not a number", r, all[r][i]);
      if (local.numbers.emplace(*v, 0).second && local.numbers.size() > max_numeric) {
        return TooManyNumbers(view, max_numeric);
      }
    }
  }
  if (!local.numeric) local.texts.assign(texts.begin(), texts.end());
  return core::Status::Ok();
}

}  // namespace

core::Result<LabelInfo> FitClassLabels(const data::DatasetView& view, size_t max_classes,
                                       dist::Collective* collective) {
  const Column* label = view.dataset().label();
  if (label == nullptr) return NoLabel(view);
  LabelInfo info;
  info.name = label->name;
  // Numbers with many distinct values are almost always a regression target given to a
  // classifier by mistake; text labels may have more classes.
  const size_t max_numeric = std::min<size_t>(max_classes, kMaxNumericClasses);
  auto collected = CollectClasses(view, max_numeric);
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(dist::AgreeOnStatus(*collective, collected.status()));
  }
  if (!collected.ok()) return collected.status();
  LocalClasses classes = std::move(collected).value();
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(MergeClasses(*collective, view, max_numeric, classes));
  }
  if (classes.numeric) {
    for (const auto& [v, _] : classes.numbers) info.classes.push_back(core::FormatDouble(v));
    info.numeric_classes = true;
  } else {
    info.classes = std::move(classes.texts);
    if (info.classes.size() > max_classes) {
      return core::DataError(
          "{}: label '{}' has {} distinct values (limit {}); is it an id column?",
          view.dataset().source().path, label->name, info.classes.size(), max_classes);
    }
    std::sort(info.classes.begin(), info.classes.end());
  }
  if (info.classes.size() < 2) {
    return core::DataError(
        "{}: label '{}' has only {} distinct value{} ({}); classification needs at "
        "least two classes",
        view.dataset().source().path.empty() ? "dataset" : view.dataset().source().path,
        label->name, info.classes.size(), info.classes.size() == 1 ? "" : "s",
        core::Join(info.classes, ", "));
  }
  info.task = info.classes.size() == 2 ? Task::kBinary : Task::kMulticlass;
  return info;
}

core::Result<LabelInfo> FitRegressionLabel(const data::DatasetView& view) {
  const Column* label = view.dataset().label();
  if (label == nullptr) return NoLabel(view);
  if (label->type != ColumnType::kNumeric) {
    size_t first = 0;
    while (first < view.size() && label->codes[view.row(first)] < 0) ++first;
    return core::DataError(
        "{}: label '{}' is text ('{}'), but regression needs a numeric target; for classes use a "
        "classifier such as logistic_regression",
        view.dataset().Where(view.row(std::min(first, view.size() - 1))), label->name,
        first < view.size() ? label->ValueText(view.row(first)) : "");
  }
  for (size_t i = 0; i < view.size(); ++i) {
    if (std::isnan(label->values[view.row(i)])) return MissingLabel(view, i);
  }
  LabelInfo info;
  info.task = Task::kRegression;
  info.name = label->name;
  return info;
}

core::Result<std::vector<int32_t>> EncodeClasses(const LabelInfo& info,
                                                 const data::DatasetView& view) {
  const Column* label = view.dataset().label();
  if (label == nullptr) return NoLabel(view);
  std::unordered_map<std::string, int32_t> index;
  for (size_t c = 0; c < info.classes.size(); ++c)
    index.emplace(info.classes[c], static_cast<int32_t>(c));
  auto unknown = [&](size_t i, const std::string& text) {
    return core::DataError(
        "{}: label '{}' has value '{}', which the model never saw; known classes: {}",
        view.dataset().Where(view.row(i)), label->name, core::Excerpt(text),
        core::Join(info.classes, ", "));
  };
  std::vector<int32_t> out(view.size());
  if (label->type == ColumnType::kNumeric) {
    // Numbers map through their shortest text ("1.0" and "1" are the same class).
    std::unordered_map<float, int32_t> cache;
    for (size_t i = 0; i < view.size(); ++i) {
      const float v = label->values[view.row(i)];
      if (std::isnan(v)) return MissingLabel(view, i);
      auto it = cache.find(v);
      if (it == cache.end()) {
        const std::string text = core::FormatDouble(v);
        auto found = index.find(text);
        if (found == index.end()) return unknown(i, text);
        it = cache.emplace(v, found->second).first;
      }
      out[i] = it->second;
    }
  } else {
    std::vector<int32_t> remap(label->categories.size(), -2);
    for (size_t c = 0; c < label->categories.size(); ++c) {
      auto found = index.find(label->categories[c]);
      if (found != index.end()) {
        remap[c] = found->second;
      } else if (info.numeric_classes) {
        // The model learned numbers; accept "1.0" for "1".
        if (auto v = core::ParseDouble(label->categories[c])) {
          auto f = index.find(core::FormatDouble(*v));
          if (f != index.end()) remap[c] = f->second;
        }
      }
    }
    for (size_t i = 0; i < view.size(); ++i) {
      const int32_t code = label->codes[view.row(i)];
      if (code < 0) return MissingLabel(view, i);
      const int32_t mapped = remap[static_cast<size_t>(code)];
      if (mapped < 0) return unknown(i, label->categories[static_cast<size_t>(code)]);
      out[i] = mapped;
    }
  }
  return out;
}

core::Result<std::vector<double>> EncodeTargets(const LabelInfo& info,
                                                const data::DatasetView& view) {
  (void)info;
  const Column* label = view.dataset().label();
  if (label == nullptr) return NoLabel(view);
  if (label->type != ColumnType::kNumeric) {
    return core::DataError("{}: label '{}' is text, but the model predicts a numeric target",
                           view.dataset().source().path, label->name);
  }
  std::vector<double> out(view.size());
  for (size_t i = 0; i < view.size(); ++i) {
    const float v = label->values[view.row(i)];
    if (std::isnan(v)) return MissingLabel(view, i);
    out[i] = v;
  }
  return out;
}

}  // namespace kiln::ml
