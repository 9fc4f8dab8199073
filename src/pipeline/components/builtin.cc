#include "kiln/pipeline/builtin_components.h"

#include "register.h"

namespace kiln::pipeline {

core::Status RegisterBuiltinComponents(ComponentRegistry& registry,
                                       const ml::AlgorithmRegistry& algorithms) {
  KILN_RETURN_IF_ERROR(RegisterRead(registry));
  KILN_RETURN_IF_ERROR(RegisterWrite(registry));
  KILN_RETURN_IF_ERROR(RegisterSplit(registry));
  KILN_RETURN_IF_ERROR(RegisterSample(registry));
  KILN_RETURN_IF_ERROR(RegisterFilter(registry));
  KILN_RETURN_IF_ERROR(RegisterSelect(registry));
  KILN_RETURN_IF_ERROR(RegisterSql(registry));
  KILN_RETURN_IF_ERROR(RegisterScalers(registry));
  KILN_RETURN_IF_ERROR(RegisterImpute(registry));
  KILN_RETURN_IF_ERROR(RegisterOneHot(registry));
  KILN_RETURN_IF_ERROR(RegisterFeatureHashing(registry));
  KILN_RETURN_IF_ERROR(RegisterDiscretize(registry));
  KILN_RETURN_IF_ERROR(RegisterSelectFeatures(registry));
  KILN_RETURN_IF_ERROR(RegisterTrain(registry, algorithms));
  KILN_RETURN_IF_ERROR(RegisterPredict(registry));
  KILN_RETURN_IF_ERROR(RegisterTransform(registry));
  KILN_RETURN_IF_ERROR(RegisterEvaluate(registry));
  KILN_RETURN_IF_ERROR(RegisterCompareModels(registry));
  KILN_RETURN_IF_ERROR(RegisterRegisterModel(registry));
  KILN_RETURN_IF_ERROR(RegisterLoadModel(registry));
  KILN_RETURN_IF_ERROR(RegisterExportModel(registry));
  KILN_RETURN_IF_ERROR(RegisterNoop(registry));
  return core::Status::Ok();
}

}  // namespace kiln::pipeline
