// kiln train --dist allreduce in-process (cli::Run with the built-in algorithms and the real
// reader): the model equals plain training, {rank} files, and the errors that name a rank.
// The same over mpirun is tests/integration/test_cli_dist.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "kiln/algorithms/builtin.h"
#include "kiln/cli/cli.h"
#include "kiln/core/error_code.h"
#include "kiln/data/reader.h"
#include "kiln/ml/model_io.h"
#include "test_support.h"

namespace kiln::cli {
namespace {

using ::testing::HasSubstr;

// The real algorithms and reader: the distributed ones are the built-in linear models.
clitest::RunResult Kiln(const std::vector<std::string>& args) {
  return clitest::RunKiln(args, data::ReadDataset, nullptr, algorithms::RegisterBuiltinAlgorithms);
}

// 60 rows: two numeric columns (one with gaps), a category, a binary label.
std::string Csv(size_t begin, size_t end, bool header = true) {
  std::string csv = header ? "x,gap,color,label\n" : "";
  const char* colors[] = {"red", "green", "blue"};
  for (size_t i = begin; i < end; ++i) {
    const double x = std::sin(static_cast<double>(i) * 1.7) * 3;
    const std::string gap = i % 5 == 0 ? "" : std::to_string(std::cos(static_cast<double>(i)));
    const bool yes = x + (i % 3 == 0 ? 1.0 : -0.5) + std::sin(static_cast<double>(i) * 0.3) > 0;
    csv += fmt::format("{},{},{},{}\n", x, gap, colors[i % 3], yes ? "yes" : "no");
  }
  return csv;
}

std::vector<double> Coefficients(const std::string& path) {
  ml::AlgorithmRegistry registry("algorithm");
  EXPECT_TRUE(algorithms::RegisterBuiltinAlgorithms(registry).ok());
  auto model = ml::LoadModel(path, registry);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  std::vector<double> out;
  if (!model.ok()) return out;
  const nlohmann::json d = (*model)->Describe();
  for (const auto& row : d["weights"])
    for (double v : row) out.push_back(v);
  for (double v : d["intercept"]) out.push_back(v);
  return out;
}

void ExpectClose(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << "coefficient " << i;
}

class TrainDistTest : public ::testing::Test {
 protected:
  std::vector<std::string> Train(const std::string& data, const std::string& model) {
    return {"train",    "--algo", "logistic_regression", "--data", data,
            "--output", model,    "--threads",           "2",      "-p",
            "tol=1e-10"};
  }
  clitest::TempDir dir_;
};

TEST_F(TrainDistTest, AllReduceEqualsPlainTraining) {
  const std::string data = dir_.Write("train.csv", Csv(0, 60));
  auto plain = Kiln(Train(data, dir_.Path("plain.kiln")));
  ASSERT_EQ(plain.code, 0) << plain.err;
  for (const char* workers : {"1", "2", "3"}) {
    auto args = Train(data, dir_.Path("dist.kiln"));
    args.insert(args.end(), {"--dist", "allreduce", "--workers", workers});
    auto r = Kiln(args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr(fmt::format("--dist allreduce: {} rank", workers)));
    EXPECT_THAT(r.out, HasSubstr("on 60 rows × 3 features"));
    ExpectClose(Coefficients(dir_.Path("dist.kiln")), Coefficients(dir_.Path("plain.kiln")));
  }
}

TEST_F(TrainDistTest, OneFilePerRank) {
  const std::string data = dir_.Write("all.csv", Csv(0, 60));
  dir_.Write("part-0.csv", Csv(0, 25));
  dir_.Write("part-1.csv", Csv(25, 60));
  ASSERT_EQ(Kiln(Train(data, dir_.Path("plain.kiln"))).code, 0);
  auto args = Train(dir_.Path("part-{rank}.csv"), dir_.Path("dist.kiln"));
  args.insert(args.end(), {"--dist", "allreduce", "--workers", "2"});
  auto r = Kiln(args);
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectClose(Coefficients(dir_.Path("dist.kiln")), Coefficients(dir_.Path("plain.kiln")));
}

TEST_F(TrainDistTest, ErrorsNameTheRank) {
  dir_.Write("cols-0.csv", Csv(0, 30));
  dir_.Write("cols-1.csv", "x,color,label\n1,red,yes\n2,blue,no\n");
  auto args = Train(dir_.Path("cols-{rank}.csv"), dir_.Path("m.kiln"));
  args.insert(args.end(), {"--dist", "allreduce", "--workers", "2"});
  auto r = Kiln(args);
  EXPECT_EQ(r.code, core::kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("feature column 2 is gap (numeric) on rank 0 but color"));

  args = Train(dir_.Write("three.csv", Csv(0, 3)), dir_.Path("m.kiln"));
  args.insert(args.end(), {"--dist", "allreduce", "--workers", "4"});
  r = Kiln(args);
  EXPECT_EQ(r.code, core::kExitBadData);
  EXPECT_THAT(r.err, HasSubstr("rank 0 of 4: logistic_regression: this rank's shard has no "
                               "training rows"));

  args = Train(dir_.Path("missing-{rank}.csv"), dir_.Path("m.kiln"));
  args.insert(args.end(), {"--dist", "allreduce", "--workers", "2"});
  r = Kiln(args);
  EXPECT_EQ(r.code, core::kExitNotFound);
  EXPECT_THAT(r.err, HasSubstr("missing-0.csv: no such file (rank 0)"));
}

}  // namespace
}  // namespace kiln::cli
