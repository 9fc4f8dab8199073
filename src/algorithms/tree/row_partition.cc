#include "row_partition.h"

#include <algorithm>

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kBlock = 16384;

// Splits one block of a node's rows into the same block of the scratch arrays: rows going left
// from the front, rows going right from the back (in reverse). Every row is written to both
// ends and only the matching end advances, so there is no branch on the (random) direction;
// the extra write always lands in the block's not yet final middle. Returns the left count.
template <typename BinT>
size_t SplitBlock(const BinT* col, const Tree& tree, const Node& node, uint32_t missing_bin,
                  const uint32_t* rows, const GradPair* grads, size_t count, uint32_t* out_rows,
                  GradPair* out_grads) {
  size_t l = 0, r = count - 1;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t row = rows[i];
    const GradPair g = grads[i];
    const size_t left = tree.BinGoesLeft(node, col[row], missing_bin) ? 1 : 0;
    out_rows[l] = row;
    out_grads[l] = g;
    out_rows[r] = row;
    out_grads[r] = g;
    l += left;
    r -= 1 - left;
  }
  return l;
}

}  // namespace

void RowPartition::Reset(std::span<const uint32_t> rows, bool all_rows, size_t n,
                         const GradPair* grads, core::ThreadPool& pool) {
  identity_ = all_rows;
  const size_t m = all_rows ? n : rows.size();
  rows_.resize(m);
  grads_.resize(m);
  tmp_rows_.resize(m);
  tmp_grads_.resize(m);
  core::ParallelForBlocks(pool, 0, m, kBlock * 4, [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      const uint32_t r = all_rows ? static_cast<uint32_t>(i) : rows[i];
      rows_[i] = r;
      grads_[i] = grads[r];
    }
  });
}

void RowPartition::Split(std::vector<Request>& requests, const Tree& tree,
                         const data::BinnedDataset& bins, core::ThreadPool& pool) {
  identity_ = false;
  struct Task {
    size_t request, begin, end;
    size_t lefts = 0, left_dst = 0, right_dst = 0;
  };
  std::vector<Task> tasks;
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t b = requests[r].begin; b < requests[r].end; b += kBlock)
      tasks.push_back({r, b, std::min(requests[r].end, b + kBlock)});
  }
  pool.Run(tasks.size(), [&](size_t t) {
    Task& task = tasks[t];
    const Request& req = requests[task.request];
    const auto j = static_cast<size_t>(req.node->feature);
    const size_t b = task.begin, count = task.end - task.begin;
    task.lefts =
        bins.wide(j)
            ? SplitBlock(bins.wide_bins(j), tree, *req.node, req.missing_bin, rows_.data() + b,
                         grads_.data() + b, count, tmp_rows_.data() + b, tmp_grads_.data() + b)
            : SplitBlock(bins.narrow_bins(j), tree, *req.node, req.missing_bin, rows_.data() + b,
                         grads_.data() + b, count, tmp_rows_.data() + b, tmp_grads_.data() + b);
  });
  // Destinations: a request's lefts in block order, then its rights in block order.
  for (size_t t = 0; t < tasks.size();) {
    Request& req = requests[tasks[t].request];
    size_t u = t, total_left = 0;
    for (; u < tasks.size() && tasks[u].request == tasks[t].request; ++u)
      total_left += tasks[u].lefts;
    size_t l = req.begin, r = req.begin + total_left;
    for (size_t v = t; v < u; ++v) {
      tasks[v].left_dst = l;
      tasks[v].right_dst = r;
      l += tasks[v].lefts;
      r += (tasks[v].end - tasks[v].begin) - tasks[v].lefts;
    }
    req.left_count = total_left;
    t = u;
  }
  pool.Run(tasks.size(), [&](size_t t) {
    const Task& task = tasks[t];
    const size_t lefts = task.lefts;
    std::copy_n(tmp_rows_.data() + task.begin, lefts, rows_.data() + task.left_dst);
    std::copy_n(tmp_grads_.data() + task.begin, lefts, grads_.data() + task.left_dst);
    // The rights were written from the back: reverse them into place (stable order).
    std::reverse_copy(tmp_rows_.data() + task.begin + lefts, tmp_rows_.data() + task.end,
                      rows_.data() + task.right_dst);
    std::reverse_copy(tmp_grads_.data() + task.begin + lefts, tmp_grads_.data() + task.end,
                      grads_.data() + task.right_dst);
  });
}

}  // namespace kiln::algorithms::tree
