// Batcher: dynamic batching for one loaded version. Concurrent requests are queued and merged
// into one Infer call of up to `max_batch_rows` rows, waiting at most `max_delay_us` after the
// first queued request; each request then gets its own rows of the answer. Under load this
// trades a bounded wait for fewer, larger predictions; at low load a request waits at most the
// delay.
//
// One worker thread per batcher runs the merged predictions and the callbacks; Submit never
// blocks. Thread-safety: Submit may be called from any thread. Destruction finishes the queued
// requests first.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "kiln/core/result.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

struct BatchingOptions {
  size_t max_batch_rows = 0;  // 0 = batching off
  int64_t max_delay_us = 500;
};

// The rows [begin, end) of every output tensor (row-major, first dimension = rows).
InferenceOutput SliceRows(const InferenceOutput& output, size_t total_rows, size_t begin,
                          size_t end);
// The batches' columns appended in order; columns are matched by name. kInvalidArgument when a
// batch lacks a column the first one has (requests are decoded against the same metadata, so
// this means a mismatch the caller should report as is).
core::Result<FeatureBatch> MergeBatches(const std::vector<const FeatureBatch*>& batches);

class Batcher {
 public:
  using Done = std::function<void(core::Result<InferenceOutput>)>;

  // `servable` must outlive the batcher.
  Batcher(const Servable& servable, BatchingOptions options);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues the rows; `done` is called once, on the worker thread, with this request's answer.
  void Submit(FeatureBatch batch, Done done);
  // Blocks until every queued request has been answered (its callback returned).
  void Drain();
  // Batches run and rows predicted so far (for /metrics).
  uint64_t batches() const;
  uint64_t batched_rows() const;

 private:
  struct Item {
    FeatureBatch batch;
    Done done;
  };
  // Shared with the worker thread, which may outlive this object: the last request's callback
  // can free the version (and so this batcher) on the worker itself, which then detaches.
  struct State {
    const Servable* servable;
    BatchingOptions options;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Item> queue;
    size_t queued_rows = 0;
    bool stopping = false;
    bool running = false;          // a batch is being predicted / answered
    std::condition_variable idle;  // signalled when the queue is empty and nothing runs
    uint64_t batches = 0;
    uint64_t rows = 0;
  };
  static void Loop(const std::shared_ptr<State>& state);
  static void Run(const Servable& servable, std::vector<Item>& items);

  std::shared_ptr<State> state_;
  std::thread worker_;
};

}  // namespace kiln::serve
