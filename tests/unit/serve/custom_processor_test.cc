// Custom processors: the example library (examples/processors/churn_rules) and a test processor
// (tests/unit/serve/processors/test_processor.c) around small in-test servables — outputs added,
// request edits, the processor's own inputs, rejections and failures, and every load error (no
// library, ABI version mismatch, missing symbol, init failure).
#include "../../../src/serve/custom_processor.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "kiln/serve/inference_codec.h"
#include "kiln/serve/model_source.h"

namespace kiln::serve {
namespace {

// A churn-like classifier: P(Yes) = 0.9 when tenure < 12 months, else 0.1.
class ChurnServable final : public Servable {
 public:
  ChurnServable() {
    metadata_.platform = "fake_churn";
    metadata_.inputs.push_back({"tenure", kFp32, {-1}});
    metadata_.outputs.push_back({"predictions", kBytes, {-1}});
    metadata_.outputs.push_back({"probabilities", kFp64, {-1, 2}});
  }
  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override {
    const FeatureColumn* tenure = batch.Find("tenure");
    if (tenure == nullptr) return core::InvalidArgument("missing feature 'tenure'");
    InferenceOutput out;
    out.class_names = {"No", "Yes"};
    const auto n = static_cast<int64_t>(batch.rows);
    OutputTensor labels{"predictions", kBytes, {n}, {}, {}};
    OutputTensor probs{"probabilities", kFp64, {n, 2}, {}, {}};
    for (double t : tenure->numbers) {
      const double yes = t < 12 ? 0.9 : 0.1;
      labels.texts.push_back(yes > 0.5 ? "Yes" : "No");
      probs.numbers.push_back(1 - yes);
      probs.numbers.push_back(yes);
    }
    out.outputs.push_back(std::move(labels));
    out.outputs.push_back(std::move(probs));
    return out;
  }
  size_t memory_bytes() const override { return 16; }

 private:
  ServableMetadata metadata_;
};

// A regressor that predicts x and rejects features it does not know (like KilnServable).
class EchoServable final : public Servable {
 public:
  EchoServable() {
    metadata_.platform = "fake_echo";
    metadata_.inputs.push_back({"x", kFp32, {-1}});
    metadata_.outputs.push_back({"predictions", kFp64, {-1}});
  }
  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override {
    for (const FeatureColumn& c : batch.columns)
      if (c.name != "x") return core::InvalidArgument("unknown feature '{}'", c.name);
    const FeatureColumn* x = batch.Find("x");
    if (x == nullptr) return core::InvalidArgument("missing feature 'x'");
    InferenceOutput out;
    out.outputs.push_back(
        {"predictions", kFp64, {static_cast<int64_t>(batch.rows)}, x->numbers, {}});
    return out;
  }
  size_t memory_bytes() const override { return 8; }

 private:
  ServableMetadata metadata_;
};

class CustomProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessorRegistry::Entry churn;
    churn.name = "fake_churn";
    churn.factory.load = [](const ModelFiles&) -> core::Result<std::unique_ptr<Servable>> {
      return std::unique_ptr<Servable>(new ChurnServable());
    };
    ASSERT_TRUE(registry_.Register(std::move(churn)).ok());
    ProcessorRegistry::Entry echo;
    echo.name = "fake_echo";
    echo.factory.load = [](const ModelFiles&) -> core::Result<std::unique_ptr<Servable>> {
      return std::unique_ptr<Servable>(new EchoServable());
    };
    ASSERT_TRUE(registry_.Register(std::move(echo)).ok());
  }

  core::Result<std::unique_ptr<Servable>> Load(const std::string& library,
                                               const std::string& platform,
                                               nlohmann::json config = nlohmann::json::object()) {
    ModelFiles files;
    files.path = "model.bin";
    files.platform = "custom";
    files.config = {{"library", library}, {"platform", platform}, {"config", config}};
    return LoadCustomProcessor(files, registry_);
  }

  static FeatureBatch Numbers(const std::string& name, std::vector<double> values) {
    FeatureBatch b;
    b.rows = values.size();
    FeatureColumn c;
    c.name = name;
    c.numbers = std::move(values);
    b.columns.push_back(std::move(c));
    return b;
  }

  static const OutputTensor* Output(const InferenceOutput& out, const std::string& name) {
    for (const OutputTensor& t : out.outputs)
      if (t.name == name) return &t;
    return nullptr;
  }

  ProcessorRegistry registry_{"processor"};
};

TEST_F(CustomProcessorTest, ChurnRulesAddsAnActionFromTheThreshold) {
  auto servable = Load(KILN_EXAMPLE_PROCESSOR, "fake_churn", {{"threshold", 0.5}});
  ASSERT_TRUE(servable.ok()) << servable.status().ToString();
  const ServableMetadata& meta = (*servable)->metadata();
  EXPECT_EQ(meta.platform, "custom:churn_rules");
  ASSERT_EQ(meta.inputs.size(), 1u);
  ASSERT_EQ(meta.outputs.size(), 3u);
  EXPECT_EQ(meta.outputs[2].name, "action");
  EXPECT_EQ(meta.outputs[2].datatype, kBytes);
  EXPECT_EQ((*servable)->memory_bytes(), 16u);

  auto out = (*servable)->Infer(Numbers("tenure", {3, 40, 0}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const OutputTensor* action = Output(*out, "action");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->datatype, kBytes);
  EXPECT_EQ(action->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(action->texts, (std::vector<std::string>{"call_customer", "none", "call_customer"}));
  ASSERT_NE(Output(*out, "probabilities"), nullptr);  // the model's outputs stay
  EXPECT_EQ(out->class_names, (std::vector<std::string>{"No", "Yes"}));

  // A threshold above every probability: nobody to call.
  auto strict = Load(KILN_EXAMPLE_PROCESSOR, "fake_churn", {{"threshold", 0.95}});
  ASSERT_TRUE(strict.ok()) << strict.status().ToString();
  auto quiet = (*strict)->Infer(Numbers("tenure", {3}));
  ASSERT_TRUE(quiet.ok());
  EXPECT_EQ(Output(*quiet, "action")->texts, (std::vector<std::string>{"none"}));
}

TEST_F(CustomProcessorTest, ChurnRulesRejectsANegativeTenure) {
  auto servable = Load(KILN_EXAMPLE_PROCESSOR, "fake_churn");
  ASSERT_TRUE(servable.ok()) << servable.status().ToString();
  auto out = (*servable)->Infer(Numbers("tenure", {3, -2}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), core::StatusCode::kInvalidArgument);  // HTTP 400
  EXPECT_EQ(out.status().message(),
            "processor churn_rules: row 1: tenure is -2; a customer's tenure (months) cannot be "
            "negative");
}

TEST_F(CustomProcessorTest, PreProcessEditsReachTheModelAndOwnInputsDoNot) {
  auto servable = Load(KILN_TEST_PROCESSOR, "fake_echo");
  ASSERT_TRUE(servable.ok()) << servable.status().ToString();
  const ServableMetadata& meta = (*servable)->metadata();
  ASSERT_EQ(meta.inputs.size(), 2u);
  EXPECT_EQ(meta.inputs[1].name, "segment");
  ASSERT_EQ(meta.outputs.size(), 2u);
  EXPECT_EQ(meta.outputs[1].name, "doubled");

  FeatureBatch batch = Numbers("x", {1, 2.5});
  FeatureColumn segment;
  segment.name = "segment";
  segment.is_text = true;
  segment.texts = {"gold", ""};
  batch.columns.push_back(segment);
  auto out = (*servable)->Infer(batch);  // EchoServable would reject "segment"
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Output(*out, "predictions")->numbers, (std::vector<double>{2, 3.5}));  // x + 1
  EXPECT_EQ(Output(*out, "doubled")->numbers, (std::vector<double>{4, 7}));
  EXPECT_EQ(Output(*out, "echo")->texts, (std::vector<std::string>{"gold", ""}));

  auto missing = (*servable)->Infer(Numbers("y", {1}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "processor test_processor: feature x is required");
}

TEST_F(CustomProcessorTest, ConcurrentRequestsShareOneState) {
  auto servable = Load(KILN_EXAMPLE_PROCESSOR, "fake_churn");
  ASSERT_TRUE(servable.ok()) << servable.status().ToString();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto out = (*servable)->Infer(Numbers("tenure", {static_cast<double>(t * 10 + i % 5)}));
        const bool call = t * 10 + i % 5 < 12;
        if (!out.ok() || Output(*out, "action")->texts[0] != (call ? "call_customer" : "none"))
          failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(CustomProcessorTest, MisuseAndPostProcessFailuresAreInternalErrors) {
  auto misuse = Load(KILN_TEST_PROCESSOR, "fake_echo", {{"mode", "misuse"}});
  ASSERT_TRUE(misuse.ok()) << misuse.status().ToString();
  auto out = (*misuse)->Infer(Numbers("x", {1, 2}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), core::StatusCode::kInternal);  // HTTP 500
  EXPECT_EQ(out.status().message(),
            "processor test_processor: pre_process: set_numbers(\"x\"): 3 values for 2 rows");

  auto fail = Load(KILN_TEST_PROCESSOR, "fake_echo", {{"mode", "fail_post"}});
  ASSERT_TRUE(fail.ok()) << fail.status().ToString();
  out = (*fail)->Infer(Numbers("x", {1}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), core::StatusCode::kInternal);
  EXPECT_EQ(out.status().message(), "processor test_processor: post_process failed: told to fail");
}

TEST_F(CustomProcessorTest, LoadErrorsNameTheLibrary) {
  auto missing = Load("/nonexistent/libnope.so", "fake_churn");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "processor library /nonexistent/libnope.so: no such file");

  auto bad_version = Load(KILN_BAD_VERSION_PROCESSOR, "fake_churn");
  ASSERT_FALSE(bad_version.ok());
  EXPECT_EQ(bad_version.status().code(), core::StatusCode::kVersionMismatch);
  EXPECT_EQ(bad_version.status().message(),
            std::string("processor library ") + KILN_BAD_VERSION_PROCESSOR +
                ": built for processor ABI version 999, but this kiln supports version 1; "
                "rebuild it against this kiln's include/kiln/serve/processor_abi.h");

  auto no_table = Load(KILN_NO_TABLE_PROCESSOR, "fake_churn");
  ASSERT_FALSE(no_table.ok());
  EXPECT_EQ(no_table.status().message(),
            std::string("processor library ") + KILN_NO_TABLE_PROCESSOR +
                ": exports kiln_processor_abi_version but not kiln_processor_v1");

  // A file that is not a shared library at all.
  const std::string text = testing::TempDir() + "/not_a_library.so";
  std::ofstream(text) << "hello";
  auto not_elf = Load(text, "fake_churn");
  ASSERT_FALSE(not_elf.ok());
  EXPECT_NE(not_elf.status().message().find("cannot load"), std::string::npos)
      << not_elf.status().message();

  // A library that is not a processor (no kiln_processor_abi_version).
  auto not_processor = Load("libm.so.6", "fake_churn");
  ASSERT_FALSE(not_processor.ok());
  EXPECT_NE(not_processor.status().message().find("does not export kiln_processor_abi_version"),
            std::string::npos)
      << not_processor.status().message();
}

TEST_F(CustomProcessorTest, InitFailuresCarryTheProcessorsMessage) {
  auto bad = Load(KILN_EXAMPLE_PROCESSOR, "fake_churn", {{"threshold", 7}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), std::string("processor churn_rules (") +
                                        KILN_EXAMPLE_PROCESSOR +
                                        "): init failed: config.threshold: expected a number in "
                                        "[0, 1], found 7");
  auto told = Load(KILN_TEST_PROCESSOR, "fake_echo", {{"mode", "fail_init"}});
  ASSERT_FALSE(told.ok());
  EXPECT_NE(told.status().message().find("init failed: config.mode: told to fail"),
            std::string::npos);
}

TEST_F(CustomProcessorTest, ConfigErrors) {
  ModelFiles files;
  files.path = "model.bin";
  files.config = {{"platform", "fake_churn"}};
  auto no_library = LoadCustomProcessor(files, registry_);
  ASSERT_FALSE(no_library.ok());
  EXPECT_EQ(no_library.status().message(),
            "processor.library: expected the path of a processor's shared library, found nothing");
  auto recursive = Load(KILN_EXAMPLE_PROCESSOR, "custom");
  ASSERT_FALSE(recursive.ok());
  EXPECT_NE(recursive.status().message().find("cannot wrap itself"), std::string::npos);
  auto unknown_platform = Load(KILN_EXAMPLE_PROCESSOR, "nope");
  ASSERT_FALSE(unknown_platform.ok());
  EXPECT_NE(unknown_platform.status().message().find("unknown processor 'nope'"), std::string::npos)
      << unknown_platform.status().message();
}

TEST(ModelDirCustomProcessor, ALibraryInConfigMeansPlatformCustom) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(testing::TempDir()) / "kiln_custom_model_dir";
  fs::remove_all(dir);
  fs::create_directories(dir / "churn" / "1");
  std::ofstream(dir / "churn" / "1" / "model.kiln") << "x";
  std::ofstream(dir / "churn" / "config.json")
      << R"({"platform": "kiln", "processor": {"library": "lib/librules.so",
             "config": {"threshold": 0.3}}})";
  ModelDirSource source(dir.string());
  auto models = source.Poll();
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  ASSERT_EQ(models->size(), 1u);
  const ModelFiles& files = (*models)[0].versions[0].files;
  EXPECT_EQ(files.platform, "custom");
  EXPECT_EQ(files.config["library"], (dir / "churn" / "lib/librules.so").string());
  EXPECT_EQ(files.config["platform"], "kiln");
  EXPECT_EQ(files.config["config"]["threshold"], 0.3);
  fs::remove_all(dir);
}

TEST(EncodeV1, WritesAProcessorsOneDimensionalOutputsUnderTheirNames) {
  InferenceOutput out;
  out.class_names = {"No", "Yes"};
  out.outputs.push_back({"predictions", kBytes, {2}, {}, {"No", "Yes"}});
  out.outputs.push_back({"probabilities", kFp64, {2, 2}, {0.8, 0.2, 0.3, 0.7}, {}});
  out.outputs.push_back({"action", kBytes, {2}, {}, {"none", "call_customer"}});
  out.outputs.push_back({"risk", kFp64, {2}, {0.2, 0.7}, {}});
  out.outputs.push_back({"model", kFp64, {2}, {1, 2}, {}});  // never replaces the envelope
  const nlohmann::json j = nlohmann::json::parse(EncodeV1("churn", 3, out));
  EXPECT_EQ(j["action"], nlohmann::json({"none", "call_customer"}));
  EXPECT_EQ(j["risk"], nlohmann::json({0.2, 0.7}));
  EXPECT_EQ(j["model"], "churn");
  EXPECT_EQ(j["probabilities"][1]["Yes"], 0.7);
}

}  // namespace
}  // namespace kiln::serve
