// PMML export of linear models: a FeatureEncoder's preprocessing plus K weight vectors become one
// PMML 4.4 RegressionModel that scores exactly as Kiln does (`kiln export --format pmml`).
//
// How Kiln's encoding is written:
//  - A numeric column is a DataField of dataType float (Kiln reads numbers as floats) and a
//    DerivedField "standardized(x)" (or "imputed(x)" without standardization) of dataType float:
//    (x - mean) / scale computed in double and rounded to float, as the encoder does; a missing
//    value becomes the encoded mean through Apply's mapMissingTo (0 when standardized). A
//    column that had missing values in training also gets "missing(x)", 1 when x is missing.
//    (Imputation is not a MiningField missingValueReplacement: that would hide the missing value
//    from the indicator, and a replacement is a field value, rounded to float, where Kiln
//    imputes the exact mean.)
//  - A one-hot categorical column is a string DataField listing the training categories and one
//    CategoricalPredictor per category; invalidValueTreatment="asIs" lets an unseen category
//    through to match no predictor, and a missing one matches none either: both encode as all
//    zeros, as in Kiln.
//  - Weights are written with 17 significant digits, so they read back as the same doubles.
// Refused (kUnimplemented): sparse (LibSVM) models, hashed categorical columns.
//
// Thread-safety: a pure function.
#pragma once

#include <span>
#include <string>

#include "kiln/core/result.h"
#include "kiln/ml/feature_encoder.h"
#include "kiln/ml/model.h"

namespace kiln::ml {

struct LinearPmml {
  enum class Kind {
    kRegression,  // one output: the prediction
    kLogistic,    // binary: one output, P(classes[1]) = sigmoid (normalizationMethod logit)
    kSoftmax,     // K outputs, one per class (normalizationMethod softmax)
    kDecision,    // SVM decision values: one output (binary) or one per class, not probabilities
  };
  const ModelInfo* info = nullptr;
  const FeatureEncoder* encoder = nullptr;
  Kind kind = Kind::kRegression;
  size_t outputs = 1;
  std::span<const double> weights;    // outputs x encoder->num_features(), row-major
  std::span<const double> intercept;  // outputs
};

// The PMML document. Errors: kUnimplemented for what PMML export cannot express (naming the
// column or the reason), kInternal for inconsistent arguments.
core::Result<std::string> WriteLinearPmml(const LinearPmml& model);

}  // namespace kiln::ml
