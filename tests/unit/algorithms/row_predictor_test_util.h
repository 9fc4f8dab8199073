// Checks that a model's one-row scorer (ml::RowPredictor) answers what Predict answers, and data
// with the gaps serving meets (missing numbers and categories, unseen categories).
#pragma once

#include <cmath>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "kiln/core/context.h"
#include "kiln/data/dataset.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/model.h"

namespace kiln::algorithms::testing {

// Classification() plus missing numbers, a missing and an unseen category, and a numeric target
// for regression.
inline data::Dataset WithGaps(const data::Dataset& base, bool regression, bool unseen) {
  std::vector<data::Column> cols;
  for (const data::Column& c : base.columns()) {
    if (c.type == data::ColumnType::kNumeric) {
      auto v = c.values.ToVector();
      for (size_t i = 3; i < v.size(); i += 7) v[i] = std::nanf("");
      cols.push_back(data::Column::Numeric(c.name, v));
    } else {
      auto codes = c.codes.ToVector();
      auto categories = c.categories;
      for (size_t i = 5; i < codes.size(); i += 11) codes[i] = data::kMissingCode;
      if (unseen) {
        categories.push_back("never-seen");
        for (size_t i = 2; i < codes.size(); i += 13)
          codes[i] = static_cast<int32_t>(categories.size() - 1);
      }
      cols.push_back(data::Column::Categorical(c.name, codes, categories));
    }
  }
  if (!regression) return data::Dataset::Dense(cols, *base.label());
  std::vector<float> y(base.num_rows());
  const auto a = base.columns()[0].values.ToVector();
  for (size_t i = 0; i < y.size(); ++i) y[i] = 2 * a[i] + static_cast<float>(i % 5);
  return data::Dataset::Dense(cols, data::Column::Numeric("y", y));
}

inline void ExpectRowsMatchPredict(const ml::Model& model, const data::Dataset& ds) {
  std::unique_ptr<ml::RowPredictor> rows = model.MakeRowPredictor();
  ASSERT_NE(rows, nullptr);
  core::Context ctx(core::ContextOptions{.threads = 1});
  auto p = model.Predict(data::DatasetView(ds), ctx);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(rows->width(), p->width());
  EXPECT_EQ(rows->probabilistic(), p->probabilistic);
  const size_t f = ds.columns().size();
  std::vector<double> numbers(f);
  std::vector<std::string_view> texts(f);
  std::vector<double> scores(rows->width());
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    for (size_t k = 0; k < f; ++k) {
      const data::Column& c = ds.columns()[k];
      if (c.type == data::ColumnType::kNumeric) {
        numbers[k] = c.values[r];
      } else {
        const int32_t code = c.codes[r];
        texts[k] = code < 0 ? std::string_view() : std::string_view(c.categories[code]);
      }
    }
    const int32_t cls = rows->Predict(numbers, texts, scores);
    for (size_t j = 0; j < scores.size(); ++j)
      ASSERT_EQ(scores[j], p->score(r, j)) << "row " << r << " score " << j;
    ASSERT_EQ(cls, p->classes.empty() ? -1 : p->classes[r]) << "row " << r;
  }
}
}  // namespace kiln::algorithms::testing
