#include "kiln/algorithms/builtin.h"

namespace kiln::algorithms {

core::Status RegisterBuiltinAlgorithms(ml::AlgorithmRegistry& registry) {
  (void)registry;
  return core::Status::Ok();
}

}  // namespace kiln::algorithms
