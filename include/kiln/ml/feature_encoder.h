// FeatureEncoder: turns a Dataset's features into the numeric DesignMatrix a linear model
// trains on, with defaults that spare users hand preprocessing. Fitted on the training rows,
// saved inside the model (as JSON), and applied to new data matched BY COLUMN NAME (another
// column order and extra columns are fine; a missing column is an error naming it).
//
// Dense input, per column (in training column order):
//   numeric      -> (x - mean) / std (population std, like sklearn's StandardScaler; a constant
//                   column keeps scale 1, so it encodes to 0). With standardize=false the value
//                   passes through unscaled. A missing value is imputed with the training mean
//                   (encodes to 0 when standardized). Columns that had missing values in training
//                   also get a 0/1 indicator feature "<name>:missing".
//   categorical  -> one-hot over the training categories, sorted as text (like sklearn's
//                   OneHotEncoder), features "<name>=<category>", when there are at most
//                   max_onehot of them; unseen or missing values encode as all zeros. Columns
//                   with more categories are hashed into hash_buckets 0/1 features "<name>#<b>"
//                   with data::HashFeature (xxHash); missing encodes as all zeros.
// Sparse (LibSVM) input is used as is (no centering, which would destroy sparsity; no scaling),
// feature j -> encoded feature j; at predict time features beyond the training width are
// ignored.
//
// The output is dense column-major when that is compact (few features or most entries
// non-zero), else CSR. Thread-safety: a fitted encoder is immutable; Transform is const and safe
// to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/result.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/dataset_view.h"
#include "kiln/dist/collective.h"
#include "kiln/ml/design_matrix.h"

namespace kiln::ml {

struct FeatureEncoderOptions {
  bool standardize = true;
  int64_t max_onehot = 64;
  int64_t hash_buckets = 1024;
};

class FeatureEncoder {
 public:
  enum class Kind : uint8_t { kNumeric, kOneHot, kHashed };

  // One input column of dense data and the encoded features it produces.
  struct ColumnPlan {
    std::string name;
    Kind kind = Kind::kNumeric;
    size_t offset = 0;                    // first encoded feature of this column
    double mean = 0;                      // numeric: imputation value and centre
    double scale = 1;                     // numeric: divisor (1 when not standardized or constant)
    bool indicator = false;               // numeric: has a "<name>:missing" feature after the value
    std::vector<std::string> categories;  // one-hot: sorted training categories
    uint32_t buckets = 0;                 // hashed
    size_t width() const;
  };

  FeatureEncoder() = default;

  // Learns the encoding from the view's rows. Errors: no feature columns, a sparse dataset with
  // no columns. With a collective, every rank calls Fit with its own rows and all get the
  // encoder of all ranks' rows: the same categories (merged, sorted as one process sorts them),
  // means and scales (sums over ranks; equal to one process's within rounding). Every rank's
  // data must have the same feature columns and types, else every rank gets an error naming the
  // ranks and the first column that differs.
  static core::Result<FeatureEncoder> Fit(const data::DatasetView& view,
                                          const FeatureEncoderOptions& options,
                                          dist::Collective* collective = nullptr);

  // Encodes the view's rows. Dense columns are looked up by name; errors name a missing column,
  // a numeric column whose new values are text, or sparse/dense data the encoder was not fitted
  // on.
  core::Result<DesignMatrix> Transform(const data::DatasetView& view, core::ThreadPool& pool) const;

  // The encoded value of numeric plan column `p` for input `v` (NaN = missing, imputed with the
  // mean); Transform and one-row scorers both go through it.
  float EncodeNumeric(const ColumnPlan& p, float v) const {
    const double center = options_.standardize ? p.mean : 0.0;
    const double x = v != v ? p.mean : static_cast<double>(v);
    return static_cast<float>((x - center) / p.scale);
  }

  bool sparse() const { return sparse_; }
  const FeatureEncoderOptions& options() const { return options_; }
  size_t num_features() const { return num_features_; }
  const std::vector<ColumnPlan>& columns() const { return columns_; }
  // Names of the encoded features ("age", "age:missing", "contract=One year", "city#17", or
  // "f12" for sparse feature index 12).
  std::vector<std::string> FeatureNames() const;

  // Maps a weight vector over encoded features (and its intercept) back to the original units:
  // a standardized numeric feature's weight w becomes w / scale and the intercept absorbs
  // -w * mean / scale; other features keep their weights.
  void ToRawUnits(std::span<const double> weights, double intercept, std::vector<double>* raw,
                  double* raw_intercept) const;

  nlohmann::json ToJson() const;
  static core::Result<FeatureEncoder> FromJson(const nlohmann::json& j);

 private:
  core::Result<DesignMatrix> TransformSparse(const data::DatasetView& view) const;
  core::Result<DesignMatrix> TransformDense(const data::DatasetView& view,
                                            core::ThreadPool& pool) const;

  bool sparse_ = false;
  int index_base_ = 1;  // sparse: LibSVM index base, for feature names
  size_t num_features_ = 0;
  FeatureEncoderOptions options_;
  std::vector<ColumnPlan> columns_;
};

}  // namespace kiln::ml
