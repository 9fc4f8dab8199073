#include "kiln/ml/estimator.h"

#include "kiln/ml/task.h"
#include "kiln/ml/transformer.h"

namespace kiln::ml {

core::Result<FitTransformResult> Estimator::FitTransform(const TrainInput& input,
                                                         core::Context& ctx) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Fit(input, ctx));
  const Transformer* transformer = model->AsTransformer();
  if (transformer == nullptr) {
    return core::InvalidArgument("{} makes a {} model, not a transform: it has no rows to write",
                                 model->info().algorithm, TaskName(model->info().label.task));
  }
  KILN_ASSIGN_OR_RETURN(data::Dataset rows, transformer->Transform(input.train, ctx));
  return FitTransformResult{std::move(model), std::move(rows)};
}

}  // namespace kiln::ml
