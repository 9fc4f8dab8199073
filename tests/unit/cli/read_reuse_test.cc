// predict and evaluate read new files the way the training file was read: the options recorded
// in the model by `kiln train` are the defaults, flags override them, and old models without the
// record still work.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kiln/cli/read_flags.h"
#include "kiln/core/error_code.h"
#include "kiln/ml/model_io.h"
#include "test_support.h"

namespace kiln::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Semicolons, no header, '-' for missing, an id column to ignore; the label is c3.
constexpr const char* kHeaderless =
    "a1;1;red;Yes\n"
    "a2;-;blue;No\n"
    "a3;3;red;Yes\n"
    "a4;4;green;No\n";

class ReadReuseTest : public ::testing::Test {
 protected:
  // Runs kiln, remembering the options of every data read.
  clitest::RunResult Kiln(const std::vector<std::string>& args) {
    reads_.clear();
    return clitest::RunKiln(args, [this](const std::string& path, const data::ReadOptions& options,
                                         core::Context& ctx) {
      reads_.push_back(options);
      return clitest::ReadSimpleCsv(path, options, ctx);
    });
  }

  std::string TrainHeaderless() {
    const std::string data = dir_.Write("train.txt", kHeaderless);
    const std::string model = dir_.Path("model.kiln");
    auto r = Kiln({"train", "--algo", "prior", "--data", data, "--format", "csv", "--delimiter",
                   "semicolon", "--no-header", "--na-values", "-", "--label", "c3", "--ignore",
                   "c0", "--output", model});
    EXPECT_EQ(r.code, 0) << r.err;
    return model;
  }

  clitest::TempDir dir_;
  std::vector<data::ReadOptions> reads_;
};

TEST_F(ReadReuseTest, TrainRecordsHowItsDataWasRead) {
  const std::string model = TrainHeaderless();
  auto r = Kiln({"inspect", model, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json record = nlohmann::json::parse(r.out)["training"]["extra"]["read_options"];
  EXPECT_EQ(record["format"], "csv");
  EXPECT_EQ(record["delimiter"], ";");
  EXPECT_EQ(record["header"], false);
  EXPECT_EQ(record["na_values"], nlohmann::json({"", "-"}));
  EXPECT_EQ(record["ignore"], nlohmann::json({"c0"}));
  EXPECT_EQ(record["categorical"], nlohmann::json::array());
}

TEST_F(ReadReuseTest, PredictAndEvaluateReadNewFilesTheSameWay) {
  const std::string model = TrainHeaderless();
  const std::string data = dir_.Write("new.txt", "b9;-;red;No\nb8;2;blue;Yes\n");
  for (const char* command : {"predict", "evaluate"}) {
    auto r = Kiln({command, "--model", model, "--data", data});
    ASSERT_EQ(r.code, 0) << command << ": " << r.err;
    ASSERT_EQ(reads_.size(), 1u);
    const data::ReadOptions& o = reads_[0];
    EXPECT_EQ(o.format, data::Format::kCsv) << command;  // .txt: the training format
    EXPECT_EQ(o.delimiter, ';') << command;
    EXPECT_FALSE(o.header) << command;
    EXPECT_THAT(o.na_values, ElementsAre("", "-")) << command;
    EXPECT_THAT(o.ignore_if_present, ElementsAre("c0")) << command;
    EXPECT_TRUE(o.ignore.empty()) << command;
    // The column ignored at training is not reported as unused.
    EXPECT_THAT(r.log, Not(HasSubstr("does not use"))) << command;
  }
}

TEST_F(ReadReuseTest, FlagsOverrideTheRecord) {
  const std::string model = TrainHeaderless();
  const std::string data =
      dir_.Write("new.csv", "c0,c1,c2,c3\nb9,NA,red,No\nb8,2,blue,Yes\n");  // a regular CSV
  auto r = Kiln({"predict", "--model", model, "--data", data, "--header", "--delimiter", ",",
                 "--na-values", "NA"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(reads_.size(), 1u);
  EXPECT_EQ(reads_[0].format, data::Format::kAuto);  // .csv tells
  EXPECT_EQ(reads_[0].delimiter, ',');
  EXPECT_TRUE(reads_[0].header);
  EXPECT_THAT(reads_[0].na_values, ElementsAre("", "NA"));
  EXPECT_THAT(r.out, HasSubstr("prediction"));
}

TEST_F(ReadReuseTest, PredictDoesNotReportTheTrainingWeightColumn) {
  const std::string train = dir_.Write("train.csv", "x,w,label\n1,1,a\n2,2,b\n");
  const std::string model = dir_.Path("w.kiln");
  ASSERT_EQ(
      Kiln({"train", "--algo", "prior", "--data", train, "--weight", "w", "--output", model}).code,
      0);
  auto r = Kiln({"predict", "--model", model, "--data", train});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.log, Not(HasSubstr("does not use")));
  // evaluate still says how to weight its metrics by it.
  r = Kiln({"evaluate", "--model", model, "--data", train});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.log, HasSubstr("pass --weight w"));
}

// Rewrites `path` with training.extra changed by `edit` (what older or damaged files hold).
void EditTrainingExtra(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  ml::AlgorithmRegistry registry("algorithm");
  ASSERT_TRUE(clitest::RegisterTestAlgorithms(registry).ok());
  auto model = ml::LoadModel(path, registry);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  edit((*model)->mutable_info().training.extra);
  ASSERT_TRUE(ml::SaveModel(**model, path).ok());
}

TEST_F(ReadReuseTest, ModelsWithoutTheRecordReadWithTheDefaults) {
  const std::string train = dir_.Write("train.csv", "id,x,label\n1,1,a\n2,2,b\n");
  const std::string model = dir_.Path("old.kiln");
  ASSERT_EQ(
      Kiln({"train", "--algo", "prior", "--data", train, "--ignore", "id", "--output", model}).code,
      0);
  EditTrainingExtra(model, [](nlohmann::json& extra) { extra.erase(kReadOptionsKey); });
  auto r = Kiln({"predict", "--model", model, "--data", train});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(reads_.size(), 1u);
  EXPECT_TRUE(reads_[0].header);
  EXPECT_EQ(reads_[0].na_values, data::ReadOptions{}.na_values);
  EXPECT_TRUE(reads_[0].ignore_if_present.empty());
  // Without the record, the id column is just an unused column again.
  EXPECT_THAT(r.log, HasSubstr("ignoring 1 column the model does not use: id"));
}

TEST_F(ReadReuseTest, ADamagedRecordIsAWarningNotAFailure) {
  const std::string train = dir_.Write("train.csv", "x,label\n1,a\n2,b\n");
  const std::string model = dir_.Path("bad.kiln");
  ASSERT_EQ(Kiln({"train", "--algo", "prior", "--data", train, "--output", model}).code, 0);
  EditTrainingExtra(model, [](nlohmann::json& extra) { extra[kReadOptionsKey]["header"] = 1; });
  auto r = Kiln({"predict", "--model", model, "--data", train});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.log, HasSubstr("'header' is not true or false"));
  EXPECT_THAT(r.log, HasSubstr("with the default options"));
}

}  // namespace
}  // namespace kiln::cli
