// Scores one row against a parsed PMML document (pmml_model.h).
//
// The row is an array of slots (one per field of the document): the caller puts the row's
// DataField values into slots [0, fields) — already of each field's type (InputValue) — and the
// evaluator computes every other slot (derived fields, MiningSchema treatments, model-chain
// outputs) as it goes.
//
// Semantics (PMML 4.4 where it is explicit, otherwise as documented in docs/serving.md):
//  - A NumericPredictor of a missing value makes the RegressionModel's result missing (an error
//    naming the field); a CategoricalPredictor of a missing value contributes 0.
//  - A predicate on a missing value is UNKNOWN: TreeModel's missingValueStrategy decides
//    (none: take it as FALSE; lastPrediction; nullPrediction; defaultChild); CompoundPredicate
//    uses three-valued logic (surrogate: the first known child).
//  - A Segment whose predicate is not TRUE is skipped; a segment without a prediction fails the
//    row. Ties between classes go to the first in category order.
//  - Arithmetic is in double; a float field's values are single-precision numbers.
// A row without a prediction is a kInvalidArgument status naming the field and the element.
//
// Thread-safety: stateless; the document is read-only, the slots belong to the caller.
#pragma once

#include <vector>

#include "kiln/core/result.h"
#include "pmml_model.h"

namespace kiln::serve::pmml {

struct Prediction {
  double value = 0;                   // regression
  int category = -1;                  // classification: index into the model's categories
  std::vector<double> probabilities;  // classification: one per category
};

// A request's value for DataField `field`, as the field holds it: the DataField's "missing"
// values become missing, numbers take the field's type (float rounds, booleans are 0/1), a
// number for a string field becomes its shortest text. kInvalidArgument when the value cannot
// be of the field's type (text for a numeric field, a fraction for an integer field); the
// message names the field, not the row.
core::Result<Value> InputValue(const DataField& field, Value value);

// Evaluates the document's model for the row in `slots` (size doc.slot_names.size()).
core::Result<Prediction> EvaluateRow(const Document& doc, std::vector<Value>& slots);

// pmml_expressions.cc: the value of an expression (kInvalidArgument when a function has no
// valid result and its invalidValueTreatment is returnInvalid).
core::Result<Value> EvaluateExpression(const Document& doc, const Expression& e,
                                       const std::vector<Value>& slots, int depth = 0);
// The truth of a predicate; `missing_slot` gets a slot whose missing value made it UNKNOWN.
Truth EvaluatePredicate(const Predicate& p, const std::vector<Value>& slots, int& missing_slot);

}  // namespace kiln::serve::pmml
