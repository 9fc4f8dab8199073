// Test servables: a "test" processor whose servables answer a number from their config
// ({"answer": 2}) for every row, count how many are alive, and fail to load when the config says
// {"fail": true}. Shared by the manager and model control tests.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "kiln/serve/processor_registry.h"
#include "kiln/serve/servable.h"

namespace kiln::serve::test_support {

class VersionServable final : public Servable {
 public:
  VersionServable(double version, std::atomic<int>* alive, std::atomic<std::thread::id>* freed_on)
      : version_(version), alive_(alive), freed_on_(freed_on) {
    metadata_.platform = "test";
    metadata_.inputs.push_back({"x", kFp32, {-1}});
    metadata_.outputs.push_back({"predictions", kFp64, {-1}});
    alive_->fetch_add(1);
  }
  ~VersionServable() override {
    alive_->fetch_sub(1);
    if (freed_on_ != nullptr) freed_on_->store(std::this_thread::get_id());
  }
  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override {
    InferenceOutput out;
    out.outputs.push_back({"predictions",
                           kFp64,
                           {static_cast<int64_t>(batch.rows)},
                           std::vector<double>(batch.rows, version_),
                           {}});
    return out;
  }
  size_t memory_bytes() const override { return 8; }

 private:
  double version_;
  std::atomic<int>* alive_;
  std::atomic<std::thread::id>* freed_on_;
  ServableMetadata metadata_;
};

// Registers the "test" processor; its servables count themselves in `alive` and record the
// thread that freed the last one in `freed_on` (may be null).
inline core::Status RegisterTestProcessor(ProcessorRegistry& registry, std::atomic<int>* alive,
                                          std::atomic<std::thread::id>* freed_on = nullptr) {
  ProcessorRegistry::Entry e;
  e.name = "test";
  e.factory.load = [alive,
                    freed_on](const ModelFiles& files) -> core::Result<std::unique_ptr<Servable>> {
    if (files.config.value("fail", false)) return core::Corrupt("{}: broken", files.path);
    return std::unique_ptr<Servable>(
        new VersionServable(files.config.value("answer", 0.0), alive, freed_on));
  };
  return registry.Register(std::move(e));
}

}  // namespace kiln::serve::test_support
