// RowPartition: the rows of the tree being grown, ordered so that every node owns a contiguous
// range, with each row's gradient pair kept beside it (so histogram building reads gradients
// sequentially). Splitting a node reorders its range stably: rows going left first, in their
// previous order. Work is split into fixed blocks of rows, so the order never depends on the
// thread count. Not thread-safe; uses the pool inside Split.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kiln/core/thread_pool.h"
#include "kiln/data/binned_dataset.h"
#include "objective.h"
#include "tree.h"

namespace kiln::algorithms::tree {

class RowPartition {
 public:
  // Starts a tree on `rows` (positions in the binned data, increasing) or, when `rows` is empty
  // and all_rows, on every row 0..n-1; grads are indexed by row position.
  void Reset(std::span<const uint32_t> rows, bool all_rows, size_t n, const GradPair* grads,
             core::ThreadPool& pool);

  size_t size() const { return rows_.size(); }
  const uint32_t* rows() const { return rows_.data(); }
  const GradPair* grads() const { return grads_.data(); }
  // True while the rows are exactly 0..n-1 in order (the root of an unsampled tree).
  bool identity() const { return identity_; }

  struct Request {
    size_t begin = 0, end = 0;   // the node's range
    const Node* node = nullptr;  // its split (in `tree`)
    uint32_t missing_bin = 0;    // of the split feature
    size_t left_count = 0;       // out: rows that went left, now at [begin, begin + left_count)
  };
  // Splits every requested range by its node's test on the binned feature.
  void Split(std::vector<Request>& requests, const Tree& tree, const data::BinnedDataset& bins,
             core::ThreadPool& pool);

 private:
  std::vector<uint32_t> rows_, tmp_rows_;
  std::vector<GradPair> grads_, tmp_grads_;
  bool identity_ = false;
};

}  // namespace kiln::algorithms::tree
