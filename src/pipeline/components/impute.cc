// impute: missing values filled with what was learned on `data` — the mean, the median, the
// most frequent value or a constant — optionally with an indicator column per imputed column.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

struct Fill {
  std::string column;
  bool numeric = true;
  float number = 0;
  std::string text;
};

class Impute final : public FittedTransform {
 public:
  explicit Impute(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "impute"));
    KILN_ASSIGN_OR_RETURN(std::vector<size_t> idx,
                          FindColumns(ds, SplitList(params_.GetString("columns")), "impute"));
    const std::string& strategy = params_.GetString("strategy");
    std::vector<Fill> fills;
    for (size_t i : idx) {
      const data::Column& c = ds.columns()[i];
      Fill f{c.name, c.type == data::ColumnType::kNumeric};
      if (!f.numeric) {
        if (strategy == "mean" || strategy == "median") {
          if (!params_.GetString("columns").empty())
            return core::InvalidArgument(
                "impute: strategy {} needs numbers, but column '{}' is "
                "categorical",
                strategy, c.name);
        }
        if (strategy == "constant") {
          f.text = params_.GetString("fill_text");
        } else {
          std::vector<size_t> counts(c.categories.size(), 0);
          for (int32_t code : c.codes) {
            if (code >= 0) ++counts[static_cast<size_t>(code)];
          }
          if (counts.empty()) continue;  // nothing to learn from: left as is
          f.text = c.categories[static_cast<size_t>(std::max_element(counts.begin(), counts.end()) -
                                                    counts.begin())];
        }
      } else {
        std::vector<float> seen;
        for (float v : c.values) {
          if (!std::isnan(v)) seen.push_back(v);
        }
        if (strategy == "constant") {
          f.number = static_cast<float>(params_.GetDouble("fill_value"));
        } else if (seen.empty()) {
          f.number = 0;
        } else if (strategy == "mean") {
          double sum = 0;
          for (float v : seen) sum += v;
          f.number = static_cast<float>(sum / static_cast<double>(seen.size()));
        } else if (strategy == "median") {
          std::sort(seen.begin(), seen.end());
          const size_t n = seen.size();
          f.number = n % 2 ? seen[n / 2] : (seen[n / 2 - 1] + seen[n / 2]) / 2;
        } else {
          std::map<float, size_t> counts;
          for (float v : seen) ++counts[v];
          f.number = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
                       return a.second < b.second;
                     })->first;
        }
      }
      fills.push_back(std::move(f));
    }
    step.Note(fmt::format("{} columns ({})", fills.size(), strategy));
    const bool indicator = params_.GetBool("add_indicator");
    return Apply(
        [fills = std::move(fills), indicator](const data::Dataset& in) -> Result<data::Dataset> {
          KILN_RETURN_IF_ERROR(RequireDense(in, "impute"));
          std::vector<data::Column> columns = in.columns();
          std::vector<data::Column> indicators;
          for (const Fill& f : fills) {
            const int i = in.FindColumn(f.column);
            if (i < 0) return core::NotFound("the data has no column '{}' to impute", f.column);
            data::Column& c = columns[static_cast<size_t>(i)];
            std::vector<float> missing(in.num_rows(), 0);
            if (c.type == data::ColumnType::kNumeric) {
              std::vector<float> v = c.values.ToVector();
              for (size_t r = 0; r < v.size(); ++r) {
                if (std::isnan(v[r])) {
                  v[r] = f.number;
                  missing[r] = 1;
                }
              }
              c.values = core::Array<float>(std::move(v));
            } else {
              int32_t code = c.FindCategory(f.text);
              if (code < 0) {
                c.categories.push_back(f.text);
                code = static_cast<int32_t>(c.categories.size() - 1);
              }
              std::vector<int32_t> codes = c.codes.ToVector();
              for (size_t r = 0; r < codes.size(); ++r) {
                if (codes[r] < 0) {
                  codes[r] = code;
                  missing[r] = 1;
                }
              }
              c.codes = core::Array<int32_t>(std::move(codes));
            }
            if (indicator)
              indicators.push_back(data::Column::Numeric(f.column + "_missing", missing));
          }
          for (data::Column& c : indicators) columns.push_back(std::move(c));
          return data::WithColumns(in, std::move(columns));
        });
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterImpute(ComponentRegistry& registry) {
  core::ParamSpec p("impute");
  p.String("columns", "", "columns to fill, comma-separated (default: every column)");
  p.Choice("strategy", "mean", {"mean", "median", "most_frequent", "constant"},
           "what fills a missing value (categorical columns use most_frequent unless constant)");
  p.Double("fill_value", 0, "strategy constant: the number for numeric columns");
  p.String("fill_text", "missing", "strategy constant: the text for categorical columns");
  p.Bool("add_indicator", false, "add a 0/1 column <name>_missing per imputed column");
  ComponentFactory f = TransformFactory();
  f.create = Make<Impute>();
  return Add(registry, "impute", "Fill missing values", std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
