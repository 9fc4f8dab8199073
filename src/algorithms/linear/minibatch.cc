#include "minibatch.h"

namespace kiln::algorithms::linear {

size_t MiniBatchSize(size_t rows, OnlineMethod method) {
  const size_t max_batch = method == OnlineMethod::kSgd ? 128 : 1024;
  return std::clamp<size_t>(rows / 1000, 1, max_batch);
}

}  // namespace kiln::algorithms::linear
