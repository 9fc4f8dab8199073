#include "kiln/serve/batcher.h"

#include <chrono>

namespace kiln::serve {

InferenceOutput SliceRows(const InferenceOutput& output, size_t total_rows, size_t begin,
                          size_t end) {
  InferenceOutput out;
  out.class_names = output.class_names;
  for (const OutputTensor& t : output.outputs) {
    OutputTensor s;
    s.name = t.name;
    s.datatype = t.datatype;
    s.shape = t.shape;
    if (!s.shape.empty()) s.shape[0] = static_cast<int64_t>(end - begin);
    const size_t n = t.datatype == kBytes ? t.texts.size() : t.numbers.size();
    const size_t width = total_rows == 0 ? 0 : n / total_rows;
    if (t.datatype == kBytes) {
      s.texts.assign(t.texts.begin() + static_cast<std::ptrdiff_t>(begin * width),
                     t.texts.begin() + static_cast<std::ptrdiff_t>(end * width));
    } else {
      s.numbers.assign(t.numbers.begin() + static_cast<std::ptrdiff_t>(begin * width),
                       t.numbers.begin() + static_cast<std::ptrdiff_t>(end * width));
    }
    out.outputs.push_back(std::move(s));
  }
  return out;
}

core::Result<FeatureBatch> MergeBatches(const std::vector<const FeatureBatch*>& batches) {
  FeatureBatch merged;
  if (batches.empty()) return merged;
  merged.columns.reserve(batches[0]->columns.size());
  for (const FeatureColumn& c : batches[0]->columns) {
    FeatureColumn m;
    m.name = c.name;
    m.is_text = c.is_text;
    merged.columns.push_back(std::move(m));
  }
  for (const FeatureBatch* b : batches) {
    for (size_t k = 0; k < merged.columns.size(); ++k) {
      FeatureColumn& m = merged.columns[k];
      const FeatureColumn* c =
          k < b->columns.size() && b->columns[k].name == m.name ? &b->columns[k] : b->Find(m.name);
      if (c == nullptr || c->is_text != m.is_text)
        return core::InvalidArgument("a batched request lacks feature '{}'", m.name);
      if (m.is_text) {
        m.texts.insert(m.texts.end(), c->texts.begin(), c->texts.end());
      } else {
        m.numbers.insert(m.numbers.end(), c->numbers.begin(), c->numbers.end());
      }
    }
    merged.rows += b->rows;
  }
  return merged;
}

Batcher::Batcher(const Servable& servable, BatchingOptions options)
    : state_(std::make_shared<State>()) {
  state_->servable = &servable;
  state_->options = options;
  worker_ = std::thread([state = state_] { Loop(state); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  if (worker_.get_id() == std::this_thread::get_id()) {
    worker_.detach();  // freed from inside a callback: the loop ends on its own
  } else {
    worker_.join();
  }
}

uint64_t Batcher::batches() const {
  std::lock_guard lock(state_->mutex);
  return state_->batches;
}

uint64_t Batcher::batched_rows() const {
  std::lock_guard lock(state_->mutex);
  return state_->rows;
}

void Batcher::Drain() {
  std::unique_lock lock(state_->mutex);
  state_->idle.wait(lock, [this] { return state_->queue.empty() && !state_->running; });
}

void Batcher::Submit(FeatureBatch batch, Done done) {
  {
    std::lock_guard lock(state_->mutex);
    state_->queued_rows += batch.rows;
    state_->queue.push_back({std::move(batch), std::move(done)});
  }
  state_->wake.notify_one();
}

void Batcher::Loop(const std::shared_ptr<State>& state) {
  State& s = *state;
  std::unique_lock lock(s.mutex);
  while (true) {
    s.wake.wait(lock, [&] { return s.stopping || !s.queue.empty(); });
    if (s.queue.empty()) {
      s.idle.notify_all();
      return;  // stopping with nothing left
    }
    // The first request sets the deadline; later ones join until the batch is full.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(s.options.max_delay_us);
    s.wake.wait_until(lock, deadline,
                      [&] { return s.stopping || s.queued_rows >= s.options.max_batch_rows; });
    {
      std::vector<Item> items;
      size_t rows = 0;
      while (!s.queue.empty() &&
             (items.empty() || rows + s.queue.front().batch.rows <= s.options.max_batch_rows)) {
        rows += s.queue.front().batch.rows;
        s.queued_rows -= s.queue.front().batch.rows;
        items.push_back(std::move(s.queue.front()));
        s.queue.pop_front();
      }
      ++s.batches;
      s.rows += rows;
      s.running = true;
      const Servable& servable = *s.servable;
      lock.unlock();
      Run(servable, items);
      // `items` (and the version handles its callbacks hold) go here, before the lock.
    }
    lock.lock();
    s.running = false;
    if (s.queue.empty()) s.idle.notify_all();
  }
}

void Batcher::Run(const Servable& servable, std::vector<Item>& items) {
  if (items.size() == 1) {
    items[0].done(servable.Infer(items[0].batch));
    return;
  }
  std::vector<const FeatureBatch*> batches;
  for (const Item& item : items) batches.push_back(&item.batch);
  auto merged = MergeBatches(batches);
  auto output =
      merged.ok() ? servable.Infer(*merged) : core::Result<InferenceOutput>(merged.status());
  if (!output.ok()) {
    // One bad request must not fail its neighbours: answer each on its own.
    for (Item& item : items) item.done(servable.Infer(item.batch));
    return;
  }
  size_t begin = 0;
  for (Item& item : items) {
    const size_t end = begin + item.batch.rows;
    item.done(SliceRows(*output, merged->rows, begin, end));
    begin = end;
  }
}

}  // namespace kiln::serve
