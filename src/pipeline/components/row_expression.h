// RowExpression: a boolean expression over a row's columns, for the filter component.
//
//   tenure > 12 and contract != "Month-to-month"
//   (monthly_charges * 12) >= 1000 or not senior
//   payment in ("Credit card", "Bank transfer") and total_charges is not null
//   `column with spaces` < 3
//
// Numbers compare with numbers, texts (categorical columns, quoted literals) with texts; a
// comparison that involves a missing value is false (as in SQL), so `x != 1` keeps no row where
// x is missing — test with `is null` / `is not null`. The label column can be used by its name.
// Compile checks names and types against the dataset and reports the column (and a likely typo)
// or the position in the text of a problem. Thread-safe after Compile (Evaluate is const).
#pragma once

#include <memory>
#include <string>

#include "kiln/core/result.h"
#include "kiln/data/dataset.h"

namespace kiln::pipeline {

class RowExpression {
 public:
  static core::Result<RowExpression> Compile(const std::string& text, const data::Dataset& ds);
  RowExpression(RowExpression&&) noexcept;
  RowExpression& operator=(RowExpression&&) noexcept;
  ~RowExpression();

  // Whether `row` of the dataset it was compiled for matches.
  bool Matches(size_t row) const;

  struct Node;

 private:
  explicit RowExpression(std::unique_ptr<Node> root);
  std::unique_ptr<Node> root_;
};

}  // namespace kiln::pipeline
