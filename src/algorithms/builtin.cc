#include "kiln/algorithms/builtin.h"

#include "linear/register.h"
#include "tree/register.h"

namespace kiln::algorithms {

core::Status RegisterBuiltinAlgorithms(ml::AlgorithmRegistry& registry) {
  KILN_RETURN_IF_ERROR(RegisterLogisticRegression(registry));
  KILN_RETURN_IF_ERROR(RegisterLinearRegression(registry));
  KILN_RETURN_IF_ERROR(RegisterLinearSvm(registry));
  KILN_RETURN_IF_ERROR(RegisterGbdt(registry));
  return core::Status::Ok();
}

}  // namespace kiln::algorithms
