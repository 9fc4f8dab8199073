// The `kiln` commands run in-process through cli::Run with a test reader and the test-only
// "prior" algorithm (test_support.h): argument handling, output formats, exit codes, messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kiln/cli/cli.h"
#include "kiln/core/error_code.h"
#include "test_support.h"

namespace kiln::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kBinaryCsv =
    "x1,x2,color,label\n"
    "1,2,red,Yes\n"
    "2,3,blue,No\n"
    "3,1,red,Yes\n"
    "4,5,green,No\n"
    "5,2,red,Yes\n";

using clitest::RunResult;

class CliTest : public ::testing::Test {
 protected:
  RunResult Kiln(const std::vector<std::string>& args) {
    return clitest::RunKiln(args, clitest::ReadSimpleCsv, &cancel_);
  }

  // Trains "prior" on kBinaryCsv into model.kiln; returns the model path.
  std::string TrainBinary(std::vector<std::string> extra = {}) {
    const std::string data = dir_.Write("train.csv", kBinaryCsv);
    const std::string model = dir_.Path("model.kiln");
    std::vector<std::string> args = {"train", "--algo", "prior", "--data", data, "--output", model};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Kiln(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return model;
  }

  clitest::TempDir dir_;
  core::CancellationToken cancel_;
};

// --- help, version, usage errors ---------------------------------------------------------------

TEST_F(CliTest, HelpListsCommandsAndExamples) {
  RunResult r = Kiln({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* command : {"train", "predict", "evaluate", "inspect", "algorithms"}) {
    EXPECT_THAT(r.out, HasSubstr(command));
  }
  EXPECT_THAT(r.out, HasSubstr("Examples:"));
  EXPECT_THAT(r.out, HasSubstr("--quiet"));
  EXPECT_TRUE(r.err.empty());
}

TEST_F(CliTest, EveryCommandHasHelpWithExamples) {
  const std::vector<std::pair<std::string, std::string>> commands = {{"train", "--algo"},
                                                                     {"predict", "--model"},
                                                                     {"evaluate", "--json"},
                                                                     {"inspect", "MODEL"},
                                                                     {"algorithms", "NAME"}};
  for (const auto& [command, option] : commands) {
    RunResult r = Kiln({command, "--help"});
    EXPECT_EQ(r.code, 0) << command;
    EXPECT_THAT(r.out, HasSubstr("Examples:")) << command;
    EXPECT_THAT(r.out, HasSubstr(option)) << command;
    EXPECT_THAT(r.out, HasSubstr("kiln " + command)) << command;
  }
  EXPECT_THAT(Kiln({"train", "--help"}).out, HasSubstr("--threads"));
  EXPECT_THAT(Kiln({"evaluate", "--help"}).out, HasSubstr("--seed"));
}

TEST_F(CliTest, Version) {
  RunResult r = Kiln({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("kiln ") + KILN_VERSION + "\n");
}

TEST_F(CliTest, NoCommandIsAUsageError) {
  RunResult r = Kiln({});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("a command is required"));
}

TEST_F(CliTest, UnknownCommandFlagAndMissingOptionAreUsageErrors) {
  RunResult r = Kiln({"frobnicate"});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, StartsWith("kiln: error: "));
  EXPECT_THAT(r.err, HasSubstr("frobnicate"));

  r = Kiln({"train", "--algo", "prior", "--data", "x.csv", "--output", "m", "--bogus"});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--bogus"));
  EXPECT_THAT(r.err, HasSubstr("kiln train --help"));

  r = Kiln({"train", "--data", "x.csv", "--output", "m"});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--algo"));

  r = Kiln({"train", "--algo", "prior", "--data", "x.csv", "--output", "m", "--threads", "-2"});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--threads"));

  r = Kiln({"predict", "--model", "m", "--data", "d", "--seed", "abc"});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--seed"));
}

TEST_F(CliTest, QuietAndVerboseTogetherIsAnError) {
  RunResult r = Kiln({"-q", "-v", "algorithms"});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--quiet and --verbose"));
  // Global flags are accepted after the command too.
  EXPECT_EQ(Kiln({"algorithms", "-q"}).code, 0);
}

// --- train: algorithm, params, files ----------------------------------------------------------

TEST_F(CliTest, UnknownAlgorithmSuggestsAndLists) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  RunResult r = Kiln({"train", "--algo", "prio", "--data", data, "--output", dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitNotFound);
  EXPECT_THAT(r.err, StartsWith("kiln: not found: unknown algorithm 'prio'"));
  EXPECT_THAT(r.err, HasSubstr("did you mean 'prior'?"));
  EXPECT_THAT(r.err, HasSubstr("known: prior, prior_unweighted"));
}

TEST_F(CliTest, UnknownParamSuggestsAndListsValidOnes) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  RunResult r =
      Kiln({"train", "--algo", "prior", "--data", data, "-p", "l3=1", "--output", dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown parameter 'l3' for prior (did you mean 'l2'?); valid "
                               "parameters: l2, iterations, probabilistic, target"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Path("m")));
}

TEST_F(CliTest, BadParamValuesSayWhatWasExpected) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  const std::string model = dir_.Path("m");
  RunResult r =
      Kiln({"train", "--algo", "prior", "--data", data, "-p", "l2=abc", "--output", model});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("parameter 'l2' of prior"));
  EXPECT_THAT(r.err, HasSubstr("abc"));

  r = Kiln({"train", "--algo", "prior", "--data", data, "-p", "l2=-1", "--output", model});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr(">= 0"));

  r = Kiln({"train", "--algo", "prior", "--data", data, "-p", "target=median", "--output", model});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("one of: classes, mean"));

  r = Kiln({"train", "--algo", "prior", "--data", data, "-p", "l2", "--output", model});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("l2"));
  EXPECT_FALSE(std::filesystem::exists(model));
}

TEST_F(CliTest, MissingDataFileIsNotFound) {
  const std::string missing = dir_.Path("nope.csv");
  RunResult r = Kiln({"train", "--algo", "prior", "--data", missing, "--output", dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitNotFound);
  EXPECT_EQ(r.err, "kiln: not found: --data " + missing + ": no such file\n");

  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  r = Kiln(
      {"train", "--algo", "prior", "--data", data, "--valid", missing, "--output", dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitNotFound);
  EXPECT_THAT(r.err, HasSubstr("--valid " + missing + ": no such file"));

  r = Kiln({"train", "--algo", "prior", "--data", dir_.Path(""), "--output", dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("is a directory"));
}

TEST_F(CliTest, OutputThatIsADirectoryIsRefusedBeforeTraining) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  std::filesystem::create_directories(dir_.Path("outdir"));
  RunResult r = Kiln({"train", "--algo", "prior", "--data", data, "--output", dir_.Path("outdir")});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--output " + dir_.Path("outdir") + ": is a directory"));
}

TEST_F(CliTest, OutputOverAnInputIsRefused) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  RunResult r = Kiln({"train", "--algo", "prior", "--data", data, "--output", data});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("refusing to overwrite it"));
  const std::string model = TrainBinary();
  r = Kiln({"predict", "--model", model, "--data", data, "--output", model});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("is also an input of this command"));
  std::ifstream in(data);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), kBinaryCsv);
}

TEST_F(CliTest, TrainCreatesParentDirectoriesAndPrintsASummary) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  const std::string model = dir_.Path("nested/deeper/model.kiln");
  RunResult r = Kiln({"train", "--algo", "prior", "--data", data, "--output", model, "--threads",
                      "1", "--seed", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(model));
  EXPECT_THAT(r.out, HasSubstr("trained prior on 5 rows × 3 features from " + data));
  EXPECT_THAT(r.out, HasSubstr("1 thread, seed 7"));
  EXPECT_THAT(r.out, HasSubstr("task: binary classification of 'label' (2 classes: No, Yes)"));
  EXPECT_THAT(r.out, HasSubstr("model written to " + model + "\n"));
}

TEST_F(CliTest, TrainReportsValidationMetrics) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  const std::string valid = dir_.Write("valid.csv", "x1,x2,color,label\n1,1,red,Yes\n2,2,red,No\n");
  RunResult r = Kiln({"train", "--algo", "prior", "--data", data, "--valid", valid, "--output",
                      dir_.Path("m.kiln")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("validation on " + valid + " (2 rows):\n  metric"));
  EXPECT_THAT(r.out, HasSubstr("  accuracy   0.500000\n"));
}

TEST_F(CliTest, WeightWithoutWeightCapabilityWarns) {
  const std::string data = dir_.Write("w.csv", "x1,w,label\n1,1,a\n2,2,b\n3,1,a\n");
  RunResult r = Kiln({"train", "--algo", "prior_unweighted", "--data", data, "--weight", "w",
                      "--output", dir_.Path("m")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.log, HasSubstr("prior_unweighted does not use sample weights"));
}

TEST_F(CliTest, CancelledTrainingExits130AndWritesNoModel) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  const std::string model = dir_.Path("m.kiln");
  cancel_.Cancel();
  RunResult r = Kiln(
      {"train", "--algo", "prior", "--data", data, "-p", "iterations=1000", "--output", model});
  EXPECT_EQ(r.code, core::kExitCancelled);
  EXPECT_EQ(r.err, "kiln: cancelled: training was cancelled\n");
  EXPECT_FALSE(std::filesystem::exists(model));
}

TEST_F(CliTest, BadCsvIsAParseErrorNamingFileAndLine) {
  const std::string data = dir_.Write("ragged.csv", "a,label\n1,x\n2,y,3\n");
  RunResult r = Kiln({"train", "--algo", "prior", "--data", data, "--output", dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitBadData);
  EXPECT_EQ(r.err, "kiln: parse error: " + data + " line 3: expected 2 fields, found 3\n");
}

TEST_F(CliTest, UnknownFormatIsAUsageError) {
  const std::string data = dir_.Write("train.csv", kBinaryCsv);
  RunResult r = Kiln({"train", "--algo", "prior", "--data", data, "--format", "parquet", "--output",
                      dir_.Path("m")});
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("parquet"));
  EXPECT_THAT(r.err, HasSubstr("--format"));
}

// --- predict ----------------------------------------------------------------------------------

TEST_F(CliTest, PredictWritesCsvToStdout) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("new.csv", "x1,x2,color\n1,1,red\n2,2,blue\n");
  RunResult r = Kiln({"predict", "--model", model, "--data", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "prediction,p_No,p_Yes\nYes,0.4,0.6\nYes,0.4,0.6\n");
}

TEST_F(CliTest, PredictWritesAFileWhenAsked) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("new.csv", "x1,x2,color,label\n1,1,red,No\n");
  const std::string output = dir_.Path("out/predictions.csv");
  RunResult r = Kiln({"predict", "--model", model, "--data", data, "--output", output});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "predictions for 1 row written to " + output + "\n");
  std::ifstream in(output);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "prediction,p_No,p_Yes\nYes,0.4,0.6\n");
}

TEST_F(CliTest, PredictNonProbabilisticBinaryHasOneScoreColumn) {
  const std::string model = TrainBinary({"-p", "probabilistic=false"});
  const std::string data = dir_.Write("new.csv", "x1,x2,color\n1,1,red\n");
  RunResult r = Kiln({"predict", "--model", model, "--data", data, "--output", "-"});
  ASSERT_EQ(r.code, 0) << r.err;
  // Decision value 0.6 - 0.4.
  EXPECT_THAT(r.out, StartsWith("prediction,score_Yes\nYes,0.19999"));
}

TEST_F(CliTest, PredictMulticlassAndRegression) {
  const std::string mc = dir_.Write("mc.csv", "x1,species\n1,b a\n2,c\n3,\"q\n4,b a\n");
  RunResult r = Kiln({"train", "--algo", "prior", "--data", mc, "--label", "species", "--output",
                      dir_.Path("mc.kiln")});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Kiln({"predict", "--model", dir_.Path("mc.kiln"), "--data", mc});
  ASSERT_EQ(r.code, 0) << r.err;
  // Class texts are CSV-quoted where needed (a quote is doubled).
  EXPECT_THAT(r.out, StartsWith("prediction,\"p_\"\"q\",p_b a,p_c\nb a,0.25,0.5,0.25\n"));

  const std::string reg = dir_.Write("reg.csv", "x1,y\n1,1\n2,2\n3,6\n");
  r = Kiln({"train", "--algo", "prior", "--data", reg, "--label", "y", "-p", "target=mean",
            "--output", dir_.Path("reg.kiln")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("task: regression of 'y'"));
  r = Kiln({"predict", "--model", dir_.Path("reg.kiln"), "--data", reg});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "prediction\n3\n3\n3\n");
}

TEST_F(CliTest, PredictOnDataMissingAFeatureColumnNamesIt) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("new.csv", "x1,color\n1,red\n");
  RunResult r = Kiln({"predict", "--model", model, "--data", data});
  EXPECT_EQ(r.code, core::kExitBadData);
  EXPECT_EQ(r.err, "kiln: data error: " + data +
                       ": missing a feature column the model was trained on: 'x2'; the data has "
                       "columns x1, color\n");
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliTest, PredictWarnsAboutColumnsTheModelIgnores) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("new.csv", "id,x1,x2,color\n7,1,1,red\n");
  RunResult r = Kiln({"predict", "--model", model, "--data", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.log, HasSubstr("ignoring 1 column the model does not use: id"));
}

// --- model files ------------------------------------------------------------------------------

TEST_F(CliTest, BrokenModelFilesAreClearErrors) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("new.csv", "x1,x2,color\n1,1,red\n");
  std::string bytes;
  {
    std::ifstream in(model, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    bytes = s.str();
  }
  ASSERT_GT(bytes.size(), 64u);
  const std::string truncated = dir_.Write("truncated.kiln", bytes.substr(0, bytes.size() / 2));
  std::string flipped_bytes = bytes;
  flipped_bytes[flipped_bytes.size() - 3] ^= 0x20;
  const std::string flipped = dir_.Write("flipped.kiln", flipped_bytes);
  const std::string text = dir_.Write("text.kiln", "this is not a model\n");
  const std::string empty = dir_.Write("empty.kiln", "");
  for (const std::string& path : {truncated, flipped, text, empty}) {
    for (const char* command : {"predict", "evaluate"}) {
      RunResult r = Kiln({command, "--model", path, "--data", data});
      EXPECT_EQ(r.code, core::kExitBadFile) << command << " " << path << ": " << r.err;
      EXPECT_THAT(r.err, StartsWith("kiln: corrupt file: ")) << path;
      EXPECT_THAT(r.err, HasSubstr(path));
    }
    RunResult r = Kiln({"inspect", path});
    EXPECT_EQ(r.code, core::kExitBadFile) << path << ": " << r.err;
  }
  RunResult r = Kiln({"predict", "--model", dir_.Path("absent.kiln"), "--data", data});
  EXPECT_EQ(r.code, core::kExitNotFound);
  EXPECT_THAT(r.err, HasSubstr("--model " + dir_.Path("absent.kiln") + ": no such file"));
}

// --- evaluate ---------------------------------------------------------------------------------

TEST_F(CliTest, EvaluateTableAndJson) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("test.csv", "x1,x2,color,label\n1,1,red,Yes\n2,2,red,No\n");
  RunResult r = Kiln({"evaluate", "--model", model, "--data", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(2 rows)\nmetric     value\nauc        0.500000\n"));
  EXPECT_THAT(r.out, HasSubstr("confusion matrix"));

  r = Kiln({"evaluate", "--model", model, "--data", data, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  // Keys in display order (as the table), not alphabetical.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(r.out);
  std::vector<std::string> keys;
  for (const auto& [k, _] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"auc", "logloss", "accuracy", "precision", "recall", "f1"}));
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.5);

  // An undefined metric (AUC with one class present) is null, and keeps its place.
  const std::string one_class = dir_.Write("one.csv", "x1,x2,color,label\n1,1,red,Yes\n");
  r = Kiln({"evaluate", "--model", model, "--data", one_class, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(j.begin().key(), "auc");
  EXPECT_TRUE(j["auc"].is_null());
  EXPECT_THAT(r.out, StartsWith("{\n  \"auc\": null,\n  \"logloss\": "));
}

TEST_F(CliTest, EvaluateWithOtherLabelColumnAndWeights) {
  const std::string model = TrainBinary();
  const std::string data =
      dir_.Write("test.csv", "x1,x2,color,truth,w\n1,1,red,Yes,3\n2,2,red,No,1\n");
  RunResult r = Kiln({"evaluate", "--model", model, "--data", data, "--label", "truth", "--weight",
                      "w", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["accuracy"].get<double>(), 0.75);
}

TEST_F(CliTest, EvaluateWithALabelTheModelNeverSaw) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("test.csv", "x1,x2,color,label\n1,1,red,Maybe\n");
  RunResult r = Kiln({"evaluate", "--model", model, "--data", data});
  EXPECT_EQ(r.code, core::kExitBadData);
  EXPECT_THAT(r.err, StartsWith("kiln: data error: " + data +
                                " line 2: label 'label' has value "
                                "'Maybe', which the model never saw; known classes: No, Yes"));
}

TEST_F(CliTest, EvaluateNeedsTheLabel) {
  const std::string model = TrainBinary();
  const std::string data = dir_.Write("test.csv", "x1,x2,color\n1,1,red\n");
  RunResult r = Kiln({"evaluate", "--model", model, "--data", data});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("label"));
}

// --- inspect, algorithms ----------------------------------------------------------------------

TEST_F(CliTest, InspectShowsHeaderAndDescription) {
  const std::string model = TrainBinary({"-p", "l2=0.5", "--seed", "9", "-p", "iterations=3"});
  RunResult r = Kiln({"inspect", model});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("algorithm  prior\n"));
  EXPECT_THAT(r.out, HasSubstr("kiln model file, version 1"));
  EXPECT_THAT(r.out, HasSubstr("binary classification of 'label' (2 classes: No, Yes)"));
  EXPECT_THAT(r.out, HasSubstr("3 columns: 2 numeric (x1, x2); 1 categorical (color)"));
  EXPECT_THAT(r.out, HasSubstr("iterations=3 l2=0.5"));
  EXPECT_THAT(r.out, HasSubstr("seed 9"));
  EXPECT_THAT(r.out, HasSubstr("kind: test-only prior model"));

  r = Kiln({"inspect", model, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["algorithm"], "prior");
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["params"]["l2"], 0.5);
  EXPECT_EQ(j["label"]["classes"], (std::vector<std::string>{"No", "Yes"}));
  EXPECT_EQ(j["training"]["rows"], 5);
  EXPECT_EQ(j["training"]["seed"], 9);
  EXPECT_EQ(j["training"]["kiln_version"], KILN_VERSION);
  EXPECT_EQ(j["training"]["data_hash"].get<std::string>().size(), 16u);
  EXPECT_THAT(j["training"]["created_at"].get<std::string>(), ::testing::EndsWith("Z"));
  EXPECT_TRUE(std::filesystem::path(j["training"]["data_path"].get<std::string>()).is_absolute());
  EXPECT_EQ(j["description"]["kind"], "test-only prior model");
}

TEST_F(CliTest, AlgorithmsListAndDetail) {
  RunResult r = Kiln({"algorithms"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("prior  (binary, multiclass, regression)\n    Test-only: "));
  EXPECT_THAT(r.out, HasSubstr("\nprior_unweighted  (binary, multiclass, regression)\n"));
  EXPECT_THAT(r.out,
              HasSubstr("    capabilities: binary, multiclass, regression, dense, weights\n"));

  r = Kiln({"algorithms", "prior"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("parameters (-p key=value):"));
  EXPECT_THAT(r.out, HasSubstr("  iterations     int     default 1        an integer >= 1\n"
                               "      Fake iterations (each checks for Ctrl-C)\n"));
  EXPECT_THAT(r.out, HasSubstr("one of: classes, mean"));

  r = Kiln({"algorithms", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "prior");
  EXPECT_EQ(list[0]["params"][0]["name"], "l2");
  EXPECT_TRUE(list[0]["capabilities"].is_array());

  r = Kiln({"algorithms", "prior", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json one = nlohmann::json::parse(r.out);
  EXPECT_EQ(one["name"], "prior");
  EXPECT_EQ(one["params"].size(), 4u);
  EXPECT_EQ(one["tasks"], (std::vector<std::string>{"binary", "multiclass", "regression"}));

  r = Kiln({"algorithms", "priro"});
  EXPECT_EQ(r.code, core::kExitNotFound);
  EXPECT_THAT(r.err, HasSubstr("did you mean 'prior'?"));
}

}  // namespace
}  // namespace kiln::cli
