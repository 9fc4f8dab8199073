// The k-means solvers: seeding (greedy k-means++ or random rows), Lloyd's iterations and
// mini-batch k-means, over a PointSet (kmeans_points.h). All of them are deterministic for a seed
// and any thread count: the parallel steps write per-row results, and every sum over rows runs in
// row order within one task (per cluster) or over fixed blocks combined in block order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/random.h"
#include "kiln/core/result.h"
#include "kmeans_points.h"

namespace kiln::algorithms::cluster {

struct KMeansOptions {
  size_t k = 8;
  int max_iter = 300;  // Lloyd iterations; mini-batch: passes over the data
  double tol = 1e-4;   // Lloyd: stop when Σ‖Δc‖² ≤ tol × PointSet::mean_variance()
  size_t batch_size = 1024;
  int max_no_improvement = 10;  // mini-batch: stop after this many steps without a better
                                // smoothed batch inertia (0: never)
  std::string label = "kmeans";
};

struct KMeansResult {
  std::vector<double> centres;  // k x dims, row-major, original space
  double inertia = 0;           // Σ w ‖x − c‖² under the final assignment (exact)
  int iterations = 0;           // Lloyd iterations, or mini-batch steps
  bool converged = false;
  std::string stop_reason;
};

// Greedy k-means++ (Arthur & Vassilvitskii 2007, with 2 + ⌊ln k⌋ candidates per centre as
// scikit-learn): the first centre a weighted random row, each next one the best of the candidates
// drawn with probability proportional to weight × squared distance to the nearest centre so far.
std::vector<double> KMeansPlusPlus(const PointSet& x, size_t k, core::Rng& rng,
                                   core::ThreadPool& pool);
// k distinct rows chosen uniformly.
std::vector<double> RandomRows(const PointSet& x, size_t k, core::Rng& rng);

// Lloyd's algorithm from `centres` (k x dims). A cluster left empty takes the row farthest from
// its centre, as scikit-learn does. Stops when the assignment repeats, the centres move less
// than the tolerance, or after max_iter iterations.
core::Result<KMeansResult> Lloyd(const PointSet& x, std::vector<double> centres,
                                 const KMeansOptions& options, core::Context& ctx);

// Mini-batch k-means (Sculley 2010, with scikit-learn's weighted running means): steps of
// batch_size rows drawn with replacement; each centre moves to the weighted mean of every row it
// has been given. Runs max_iter × rows / batch_size steps or stops early (max_no_improvement).
core::Result<KMeansResult> MiniBatch(const PointSet& x, std::vector<double> centres,
                                     const KMeansOptions& options, core::Rng& rng,
                                     core::Context& ctx);

// Σ w ‖x − c_label‖², exact.
double Inertia(const PointSet& x, std::span<const double> centres, std::span<const int32_t> labels,
               core::ThreadPool& pool);

}  // namespace kiln::algorithms::cluster
