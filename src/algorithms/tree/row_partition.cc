#include "row_partition.h"

#include <algorithm>

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kBlock = 16384;

template <typename BinT>
size_t MarkLeft(const BinT* col, const uint32_t* rows, size_t count, const Tree& tree,
                const Node& node, uint32_t missing_bin, uint8_t* left) {
  size_t lefts = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t l = tree.BinGoesLeft(node, col[rows[i]], missing_bin) ? 1 : 0;
    left[i] = l;
    lefts += l;
  }
  return lefts;
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
  left_.resize(m);
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
    const size_t count = task.end - task.begin;
    task.lefts = bins.wide(j) ? MarkLeft(bins.u16(j), rows_.data() + task.begin, count, tree,
                                         *req.node, req.missing_bin, left_.data() + task.begin)
                              : MarkLeft(bins.u8(j), rows_.data() + task.begin, count, tree,
                                         *req.node, req.missing_bin, left_.data() + task.begin);
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
    size_t l = task.left_dst, r = task.right_dst;
    for (size_t i = task.begin; i < task.end; ++i) {
      const size_t dst = left_[i] ? l++ : r++;
      tmp_rows_[dst] = rows_[i];
      tmp_grads_[dst] = grads_[i];
    }
  });
  pool.Run(tasks.size(), [&](size_t t) {
    const Task& task = tasks[t];
    std::copy(tmp_rows_.begin() + static_cast<long>(task.begin),
              tmp_rows_.begin() + static_cast<long>(task.end),
              rows_.begin() + static_cast<long>(task.begin));
    std::copy(tmp_grads_.begin() + static_cast<long>(task.begin),
              tmp_grads_.begin() + static_cast<long>(task.end),
              grads_.begin() + static_cast<long>(task.begin));
  });
}

}  // namespace kiln::algorithms::tree
