// Dynamic batching: concurrent requests merge into one prediction and each gets its own rows.
#include "kiln/serve/batcher.h"

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace kiln::serve {
namespace {

// Answers 10 * x + (number of rows in the call), so a test can see which rows were merged.
class CountingServable final : public Servable {
 public:
  CountingServable() {
    metadata_.inputs.push_back({"x", kFp32, {-1}});
    metadata_.outputs.push_back({"predictions", kFp64, {-1}});
  }
  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override {
    calls.fetch_add(1);
    const FeatureColumn* x = batch.Find("x");
    if (x == nullptr) return core::InvalidArgument("missing feature x");
    InferenceOutput out;
    OutputTensor t{"predictions", kFp64, {static_cast<int64_t>(batch.rows)}, {}, {}};
    for (double v : x->numbers) {
      if (v < 0) return core::InvalidArgument("negative x");
      t.numbers.push_back(10 * v + static_cast<double>(batch.rows));
    }
    out.outputs.push_back(std::move(t));
    return out;
  }
  size_t memory_bytes() const override { return 0; }
  mutable std::atomic<int> calls{0};

 private:
  ServableMetadata metadata_;
};

FeatureBatch Rows(std::vector<double> x) {
  FeatureBatch b;
  b.rows = x.size();
  b.columns.push_back({"x", false, std::move(x), {}});
  return b;
}

TEST(Batcher, ConcurrentRequestsShareOnePrediction) {
  CountingServable servable;
  Batcher batcher(servable, {.max_batch_rows = 8, .max_delay_us = 200'000});
  std::vector<std::promise<core::Result<InferenceOutput>>> answers(4);
  for (int i = 0; i < 4; ++i) {
    batcher.Submit(
        Rows({static_cast<double>(i), static_cast<double>(i)}),
        [&answers, i](core::Result<InferenceOutput> out) { answers[i].set_value(std::move(out)); });
  }
  for (int i = 0; i < 4; ++i) {
    auto out = answers[i].get_future().get();
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const OutputTensor& t = out->outputs[0];
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2}));
    // 8 rows reached the batch limit: one call with all of them.
    EXPECT_EQ(t.numbers, (std::vector<double>{10.0 * i + 8, 10.0 * i + 8}));
  }
  EXPECT_EQ(servable.calls.load(), 1);
  EXPECT_EQ(batcher.batches(), 1u);
  EXPECT_EQ(batcher.batched_rows(), 8u);
}

TEST(Batcher, ALoneRequestWaitsAtMostTheDelay) {
  CountingServable servable;
  Batcher batcher(servable, {.max_batch_rows = 64, .max_delay_us = 20'000});
  std::promise<core::Result<InferenceOutput>> answer;
  const auto start = std::chrono::steady_clock::now();
  batcher.Submit(Rows({1}),
                 [&](core::Result<InferenceOutput> out) { answer.set_value(std::move(out)); });
  auto out = answer.get_future().get();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->outputs[0].numbers[0], 11);
  EXPECT_GE(ms, 15);   // it did wait for company
  EXPECT_LT(ms, 500);  // and then went alone (20 ms delay; generous for a loaded machine)
}

TEST(Batcher, ABadRequestDoesNotFailItsNeighbours) {
  CountingServable servable;
  Batcher batcher(servable, {.max_batch_rows = 3, .max_delay_us = 200'000});
  std::vector<std::promise<core::Result<InferenceOutput>>> answers(3);
  const std::vector<double> xs = {1, -1, 2};
  for (int i = 0; i < 3; ++i)
    batcher.Submit(Rows({xs[i]}), [&answers, i](core::Result<InferenceOutput> out) {
      answers[i].set_value(std::move(out));
    });
  auto a = answers[0].get_future().get();
  auto b = answers[1].get_future().get();
  auto c = answers[2].get_future().get();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->outputs[0].numbers[0], 11);  // answered alone after the merged call failed
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("negative"), std::string::npos);
  ASSERT_TRUE(c.ok());
}

TEST(Batcher, DestroyingItAnswersWhatIsQueued) {
  CountingServable servable;
  std::atomic<int> answered{0};
  {
    Batcher batcher(servable, {.max_batch_rows = 1000, .max_delay_us = 1'000'000});
    for (int i = 0; i < 5; ++i)
      batcher.Submit(Rows({1}), [&](core::Result<InferenceOutput> out) {
        EXPECT_TRUE(out.ok());
        answered.fetch_add(1);
      });
  }
  EXPECT_EQ(answered.load(), 5);
}

TEST(SliceRows, TakesEachTensorsRows) {
  InferenceOutput out;
  out.class_names = {"a", "b"};
  out.outputs.push_back({"predictions", kBytes, {3}, {}, {"a", "b", "a"}});
  out.outputs.push_back({"probabilities", kFp64, {3, 2}, {1, 0, 0, 1, 0.5, 0.5}, {}});
  InferenceOutput s = SliceRows(out, 3, 1, 3);
  EXPECT_EQ(s.outputs[0].texts, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(s.outputs[1].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(s.outputs[1].numbers, (std::vector<double>{0, 1, 0.5, 0.5}));
  EXPECT_EQ(s.class_names, out.class_names);
}

}  // namespace
}  // namespace kiln::serve
