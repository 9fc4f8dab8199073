#include "kiln/algorithms/builtin.h"

#include "bayes/register.h"
#include "cluster/register.h"
#include "decomposition/register.h"
#include "ensemble/register.h"
#include "fm/register.h"
#include "linear/register.h"
#include "text/register.h"
#include "tree/register.h"

namespace kiln::algorithms {

core::Status RegisterBuiltinAlgorithms(ml::AlgorithmRegistry& registry) {
  KILN_RETURN_IF_ERROR(RegisterLogisticRegression(registry));
  KILN_RETURN_IF_ERROR(RegisterLinearRegression(registry));
  KILN_RETURN_IF_ERROR(RegisterLinearSvm(registry));
  KILN_RETURN_IF_ERROR(RegisterNaiveBayes(registry));
  KILN_RETURN_IF_ERROR(RegisterKMeans(registry));
  KILN_RETURN_IF_ERROR(RegisterFactorizationMachine(registry));
  KILN_RETURN_IF_ERROR(RegisterGbdt(registry));
  KILN_RETURN_IF_ERROR(RegisterDecisionTree(registry));
  KILN_RETURN_IF_ERROR(RegisterRandomForest(registry));
  KILN_RETURN_IF_ERROR(RegisterPca(registry));
  KILN_RETURN_IF_ERROR(RegisterTfidf(registry));
  // Last: it wraps the binary classifiers registered before it.
  KILN_RETURN_IF_ERROR(RegisterOneVsRest(registry));
  return core::Status::Ok();
}

}  // namespace kiln::algorithms
