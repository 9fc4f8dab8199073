// XGBoost JSON models as servables: a Booster saved with save_model("model.json") (XGBoost 1.x
// and 2.x, gbtree booster, numeric splits) predicts the way xgboost's predict / predict_proba do.
//
// Features are named by the model's feature_names, or "f0".."f{n-1}" when it has none; all are
// numeric (NaN or an empty text = missing, which follows each split's default direction).
// Classification objectives (binary:logistic, multi:softprob, multi:softmax) answer
// "predictions" (INT64 class index) and "probabilities" ([N, K] FP64, K = 2 for binary);
// the others answer "predictions" (FP64): reg:squarederror, reg:squaredlogerror,
// reg:pseudohubererror, reg:absoluteerror, reg:logistic, binary:logitraw (the raw margin),
// count:poisson, reg:gamma and reg:tweedie.
//
// Thread-safety: the servable is immutable after loading; Infer is safe to call concurrently.
#pragma once

#include <memory>

#include "kiln/core/result.h"
#include "kiln/serve/processor_registry.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// Reads files.path. Every tree index is checked here, so prediction needs no checks. Errors name
// the file and the field: kIoError/kNotFound (unreadable), kParseError (not JSON, a missing or
// malformed field, an out-of-range index, a cycle), kUnimplemented (gblinear/dart boosters,
// categorical splits, multi-target models, unsupported objectives).
core::Result<std::unique_ptr<Servable>> LoadXgboostJsonServable(const ModelFiles& files);

}  // namespace kiln::serve
