// The one-row scorer of linear models answers exactly what Predict answers on a Dataset.
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "linear_test_util.h"
#include "row_predictor_test_util.h"

namespace kiln::algorithms {
namespace {

using testing::Classification;
using testing::ExpectRowsMatchPredict;
using testing::Train;
using testing::WithGaps;

TEST(LinearRowPredictorTest, ClassifiersMatchPredictRowForRow) {
  for (const char* algo : {"logistic_regression", "linear_svm"}) {
    for (int classes : {2, 3}) {
      for (const char* standardize : {"true", "false"}) {
        SCOPED_TRACE(std::string(algo) + " classes=" + std::to_string(classes) +
                     " standardize=" + standardize);
        auto model = Train(algo, WithGaps(Classification(300, classes, 3), false, false),
                           {{"standardize", standardize}});
        ASSERT_TRUE(model.ok()) << model.status().ToString();
        ExpectRowsMatchPredict(**model, WithGaps(Classification(200, classes, 9), false, true));
      }
    }
  }
}

TEST(LinearRowPredictorTest, RegressionAndHashedColumnsMatchPredict) {
  // max_onehot 2 < 3 categories: the categorical column is hashed.
  for (const char* max_onehot : {"64", "2"}) {
    SCOPED_TRACE(std::string("max_onehot=") + max_onehot);
    auto model = Train("linear_regression", WithGaps(Classification(300, 2, 4), true, false),
                       {{"max_onehot", max_onehot}, {"hash_buckets", "16"}});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    ExpectRowsMatchPredict(**model, WithGaps(Classification(150, 2, 5), true, true));
  }
}

}  // namespace
}  // namespace kiln::algorithms
