// Metrics against values worked out by hand (each example's arithmetic is in the comments).
// The ScikitLearnParity tests compare against scikit-learn (Debian's /usr/bin/python3) on random
// data with ties and weights.
#include "kiln/ml/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "kiln/core/random.h"

namespace kiln::ml::metrics {
namespace {

constexpr double kTol = 1e-12;

TEST(RocAucTest, DistinctScores) {
  // Positives 0.35 and 0.8; negatives 0.1 and 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4 (3 of 4).
  std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  std::vector<int32_t> y = {0, 0, 1, 1};
  EXPECT_NEAR(RocAuc(s, y), 0.75, kTol);
}

TEST(RocAucTest, TiesGetHalfCredit) {
  // Positives 0.5 and 0.9; negatives 0.5 and 0.2.
  // 0.5 vs 0.5: tie (0.5); 0.5 > 0.2 (1); 0.9 beats both (2). (0.5 + 1 + 2) / 4 = 0.875.
  std::vector<double> s = {0.5, 0.5, 0.2, 0.9};
  std::vector<int32_t> y = {1, 0, 0, 1};
  EXPECT_NEAR(RocAuc(s, y), 0.875, kTol);
}

TEST(RocAucTest, WeightedPairs) {
  // Same data, weights {2, 1, 1, 1}: W+ = 3, W- = 2.
  // pos 0.5 (w 2): tie with neg 0.5 (w 1) -> 2*1*0.5 = 1; beats neg 0.2 (w 1) -> 2.
  // pos 0.9 (w 1): beats both negatives -> 2. Total 5 / (3 * 2) = 5/6.
  std::vector<double> s = {0.5, 0.5, 0.2, 0.9};
  std::vector<int32_t> y = {1, 0, 0, 1};
  std::vector<float> w = {2, 1, 1, 1};
  EXPECT_NEAR(RocAuc(s, y, w), 5.0 / 6.0, kTol);
}

TEST(RocAucTest, AllTiedIsHalfAndOneClassIsNaN) {
  std::vector<double> s = {0.3, 0.3, 0.3};
  EXPECT_NEAR(RocAuc(s, std::vector<int32_t>{0, 1, 1}), 0.5, kTol);
  EXPECT_TRUE(std::isnan(RocAuc(s, std::vector<int32_t>{1, 1, 1})));
  EXPECT_TRUE(std::isnan(RocAuc(s, std::vector<int32_t>{0, 0, 0})));
  // Zero weight on the only negative: no negatives left.
  EXPECT_TRUE(std::isnan(
      RocAuc(std::vector<double>{0.1, 0.2}, std::vector<int32_t>{0, 1}, std::vector<float>{0, 1})));
}

TEST(RocAucTest, PerfectAndReversedAndNaNScores) {
  std::vector<int32_t> y = {0, 0, 1, 1};
  EXPECT_NEAR(RocAuc(std::vector<double>{1, 2, 3, 4}, y), 1.0, kTol);
  EXPECT_NEAR(RocAuc(std::vector<double>{4, 3, 2, 1}, y), 0.0, kTol);
  EXPECT_TRUE(std::isnan(RocAuc(std::vector<double>{1, NAN, 3, 4}, y)));
}

TEST(LogLossTest, Binary) {
  // -(ln 0.9 + ln(1 - 0.2)) / 2
  std::vector<double> p = {0.9, 0.2};
  std::vector<int32_t> y = {1, 0};
  EXPECT_NEAR(BinaryLogLoss(p, y), -(std::log(0.9) + std::log(0.8)) / 2, kTol);
  // Weights {3, 1}: (3 * -ln 0.9 + -ln 0.8) / 4
  std::vector<float> w = {3, 1};
  EXPECT_NEAR(BinaryLogLoss(p, y, w), -(3 * std::log(0.9) + std::log(0.8)) / 4, kTol);
}

TEST(LogLossTest, ClipsLikeScikitLearn) {
  // P = 0 for a positive is clipped to eps = 2^-52 (float64 machine epsilon, scikit-learn's
  // eps="auto"): -ln(2^-52) = 52 ln 2 = 36.0436533...
  EXPECT_NEAR(BinaryLogLoss(std::vector<double>{0.0}, std::vector<int32_t>{1}), 52 * std::log(2.0),
              1e-9);
  // P = 1 for a positive is clipped to 1 - eps: a loss of about 2e-16, not 0 and not -inf.
  const double tiny = BinaryLogLoss(std::vector<double>{1.0}, std::vector<int32_t>{1});
  EXPECT_GT(tiny, 0.0);
  EXPECT_LT(tiny, 1e-15);
}

TEST(LogLossTest, Multiclass) {
  // Rows {0.7, 0.2, 0.1} (true 0) and {0.1, 0.1, 0.8} (true 2): -(ln 0.7 + ln 0.8) / 2.
  std::vector<double> probs = {0.7, 0.2, 0.1, 0.1, 0.1, 0.8};
  std::vector<int32_t> y = {0, 2};
  EXPECT_NEAR(MulticlassLogLoss(probs, 3, y), -(std::log(0.7) + std::log(0.8)) / 2, kTol);
  // A row that does not sum to 1 is renormalised: {0.4, 0.2, 0.2} -> 0.4/0.8 for class 0.
  EXPECT_NEAR(MulticlassLogLoss(std::vector<double>{0.4, 0.2, 0.2}, 3, std::vector<int32_t>{0}),
              std::log(2.0), kTol);
  // Weights {1, 3}: (-ln 0.7 - 3 ln 0.8) / 4.
  EXPECT_NEAR(MulticlassLogLoss(probs, 3, y, std::vector<float>{1, 3}),
              -(std::log(0.7) + 3 * std::log(0.8)) / 4, kTol);
}

TEST(AccuracyTest, PlainAndWeighted) {
  std::vector<int32_t> pred = {0, 1, 1, 2};
  std::vector<int32_t> y = {0, 1, 2, 2};
  EXPECT_NEAR(Accuracy(pred, y), 0.75, kTol);
  // Weights {1, 1, 2, 1}: correct weight 1 + 1 + 1 = 3 of 5.
  EXPECT_NEAR(Accuracy(pred, y, std::vector<float>{1, 1, 2, 1}), 0.6, kTol);
  EXPECT_TRUE(std::isnan(Accuracy(std::vector<int32_t>{}, std::vector<int32_t>{})));
}

// truth:     0 0 0 1 1 2 2 2 2
// predicted: 0 0 1 0 2 2 2 0 2
// confusion (rows true, cols predicted):  [2 1 0] [1 0 1] [1 0 3]
// per class: tp {2, 0, 3}, predicted {4, 1, 4}, support {3, 2, 4}
//   precision {1/2, 0, 3/4}, recall {2/3, 0, 3/4}, f1 {4/7, 0, 3/4}
class ThreeClassTest : public ::testing::Test {
 protected:
  std::vector<int32_t> y_ = {0, 0, 0, 1, 1, 2, 2, 2, 2};
  std::vector<int32_t> pred_ = {0, 0, 1, 0, 2, 2, 2, 0, 2};
  std::vector<std::vector<double>> cm_ = ConfusionMatrix(pred_, y_, 3);
};

TEST_F(ThreeClassTest, ConfusionMatrix) {
  std::vector<std::vector<double>> want = {{2, 1, 0}, {1, 0, 1}, {1, 0, 3}};
  EXPECT_EQ(cm_, want);
}

TEST_F(ThreeClassTest, Macro) {
  // precision (1/2 + 0 + 3/4) / 3 = 5/12; recall (2/3 + 0 + 3/4) / 3 = 17/36;
  // f1 (4/7 + 0 + 3/4) / 3 = 37/84.
  auto r = ComputePrecisionRecallF1(cm_, Average::kMacro);
  EXPECT_NEAR(r.precision, 5.0 / 12, kTol);
  EXPECT_NEAR(r.recall, 17.0 / 36, kTol);
  EXPECT_NEAR(r.f1, 37.0 / 84, kTol);
}

TEST_F(ThreeClassTest, Micro) {
  // 5 true positives of 9 rows: precision = recall = f1 = accuracy = 5/9.
  auto r = ComputePrecisionRecallF1(cm_, Average::kMicro);
  EXPECT_NEAR(r.precision, 5.0 / 9, kTol);
  EXPECT_NEAR(r.recall, 5.0 / 9, kTol);
  EXPECT_NEAR(r.f1, 5.0 / 9, kTol);
}

TEST_F(ThreeClassTest, WeightedBySupport) {
  // precision (3*1/2 + 0 + 4*3/4) / 9 = 1/2; recall (3*2/3 + 4*3/4) / 9 = 5/9;
  // f1 (3*4/7 + 4*3/4) / 9 = 11/21.
  auto r = ComputePrecisionRecallF1(cm_, Average::kWeighted);
  EXPECT_NEAR(r.precision, 0.5, kTol);
  EXPECT_NEAR(r.recall, 5.0 / 9, kTol);
  EXPECT_NEAR(r.f1, 11.0 / 21, kTol);
}

TEST_F(ThreeClassTest, BinaryPicksOneClass) {
  auto r = ComputePrecisionRecallF1(cm_, Average::kBinary, 2);
  EXPECT_NEAR(r.precision, 0.75, kTol);
  EXPECT_NEAR(r.recall, 0.75, kTol);
  EXPECT_NEAR(r.f1, 0.75, kTol);
}

TEST(PrecisionRecallTest, ZeroDivisionGivesZero) {
  // Nothing predicted positive: precision 0/0 -> 0, recall 0/2 = 0, f1 0.
  auto cm = ConfusionMatrix(std::vector<int32_t>{0, 0, 0}, std::vector<int32_t>{0, 1, 1}, 2);
  auto r = ComputePrecisionRecallF1(cm, Average::kBinary, 1);
  EXPECT_EQ(r.precision, 0.0);
  EXPECT_EQ(r.recall, 0.0);
  EXPECT_EQ(r.f1, 0.0);
}

TEST(PrecisionRecallTest, MacroSkipsClassesAbsentFromTruthAndPredictions) {
  // Class 2 never occurs: macro averages classes 0 and 1 only (as scikit-learn's default labels).
  // truth 0 1 1, predicted 0 1 0: class 0 p 1/2 r 1; class 1 p 1 r 1/2.
  auto cm = ConfusionMatrix(std::vector<int32_t>{0, 1, 0}, std::vector<int32_t>{0, 1, 1}, 3);
  auto r = ComputePrecisionRecallF1(cm, Average::kMacro);
  EXPECT_NEAR(r.precision, 0.75, kTol);
  EXPECT_NEAR(r.recall, 0.75, kTol);
  // f1 per class = 2/3 each.
  EXPECT_NEAR(r.f1, 2.0 / 3, kTol);
}

TEST(ConfusionMatrixTest, Weighted) {
  auto cm = ConfusionMatrix(std::vector<int32_t>{0, 1, 1}, std::vector<int32_t>{0, 0, 1}, 2,
                            std::vector<float>{0.5f, 2, 3});
  std::vector<std::vector<double>> want = {{0.5, 2}, {0, 3}};
  EXPECT_EQ(cm, want);
}

// targets {3, -0.5, 2, 7}, predicted {2.5, 0, 2, 8}: errors {-0.5, 0.5, 0, 1}.
// MSE = (0.25 + 0.25 + 0 + 1) / 4 = 0.375; MAE = 2 / 4 = 0.5.
// mean 2.875; SS_tot = 0.125^2 + 3.375^2 + 0.875^2 + 4.125^2 = 29.1875; R2 = 1 - 1.5 / 29.1875.
TEST(RegressionTest, Unweighted) {
  std::vector<double> t = {3, -0.5, 2, 7};
  std::vector<double> p = {2.5, 0.0, 2, 8};
  EXPECT_NEAR(Rmse(p, t), std::sqrt(0.375), kTol);
  EXPECT_NEAR(Mae(p, t), 0.5, kTol);
  EXPECT_NEAR(R2(p, t), 1 - 1.5 / 29.1875, kTol);
}

// Weights {1, 1, 1, 2}: MSE = (0.25 + 0.25 + 0 + 2) / 5 = 0.5; MAE = (0.5 + 0.5 + 2) / 5 = 0.6.
// weighted mean 18.5 / 5 = 3.7; SS_tot = 0.7^2 + 4.2^2 + 1.7^2 + 2 * 3.3^2 = 42.8;
// SS_res = 2.5; R2 = 1 - 2.5 / 42.8.
TEST(RegressionTest, Weighted) {
  std::vector<double> t = {3, -0.5, 2, 7};
  std::vector<double> p = {2.5, 0.0, 2, 8};
  std::vector<float> w = {1, 1, 1, 2};
  EXPECT_NEAR(Rmse(p, t, w), std::sqrt(0.5), kTol);
  EXPECT_NEAR(Mae(p, t, w), 0.6, kTol);
  EXPECT_NEAR(R2(p, t, w), 1 - 2.5 / 42.8, kTol);
}

TEST(RegressionTest, ConstantTargetR2) {
  std::vector<double> t = {2, 2, 2};
  EXPECT_EQ(R2(std::vector<double>{2, 2, 2}, t), 1.0);
  EXPECT_EQ(R2(std::vector<double>{2, 3, 2}, t), 0.0);
  EXPECT_TRUE(std::isnan(Rmse(std::vector<double>{}, std::vector<double>{})));
}

// ---------------------------------------------------------------------------------------------
// Parity with scikit-learn: random scores, labels and weights (scores rounded to two decimals so
// that ties are common) go to /usr/bin/python3 as JSON; sklearn.metrics computes the same numbers.

constexpr const char* kParityScript = R"PY(
import json, sys
import numpy as np
from sklearn import metrics as m
d = json.load(open(sys.argv[1]))
out = {}
for tag, w in (("plain", None), ("weighted", np.array(d["w"]))):
    yb, sb = np.array(d["yb"]), np.array(d["sb"])
    pb = (sb >= 0.5).astype(int)
    r = {"auc": m.roc_auc_score(yb, sb, sample_weight=w),
         "logloss_b": m.log_loss(yb, sb, sample_weight=w, labels=[0, 1]),
         "acc_b": m.accuracy_score(yb, pb, sample_weight=w)}
    p, rc, f, _ = m.precision_recall_fscore_support(yb, pb, average="binary", sample_weight=w,
                                                    zero_division=0)
    r.update({"p_b": p, "r_b": rc, "f_b": f})
    ym, pm = np.array(d["ym"]), np.array(d["pm"]).reshape(len(d["ym"]), d["k"])
    cm = pm.argmax(axis=1)
    r["logloss_m"] = m.log_loss(ym, pm, sample_weight=w, labels=list(range(d["k"])))
    r["acc_m"] = m.accuracy_score(ym, cm, sample_weight=w)
    for avg in ("macro", "micro", "weighted"):
        p, rc, f, _ = m.precision_recall_fscore_support(ym, cm, average=avg, sample_weight=w,
                                                        zero_division=0)
        r.update({"p_" + avg: p, "r_" + avg: rc, "f_" + avg: f})
    r["cm"] = m.confusion_matrix(ym, cm, labels=list(range(d["k"])), sample_weight=w).tolist()
    yr, pr = np.array(d["yr"]), np.array(d["pr"])
    r["rmse"] = m.mean_squared_error(yr, pr, sample_weight=w, squared=False)
    r["mae"] = m.mean_absolute_error(yr, pr, sample_weight=w)
    r["r2"] = m.r2_score(yr, pr, sample_weight=w)
    out[tag] = r
print(json.dumps(out))
)PY";

bool HaveScikitLearn() {
  return std::system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") == 0;
}

std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  ::pclose(pipe);
  return output;
}

TEST(ScikitLearnParity, AllMetricsPlainAndWeighted) {
  if (!HaveScikitLearn()) GTEST_SKIP() << "/usr/bin/python3 with scikit-learn is not available";
  constexpr size_t kRows = 500;
  constexpr size_t kClasses = 4;
  core::Rng rng(20240607);
  std::vector<int32_t> yb(kRows), ym(kRows);
  std::vector<double> sb(kRows), pm(kRows * kClasses), yr(kRows), pr(kRows);
  std::vector<float> w(kRows);
  for (size_t i = 0; i < kRows; ++i) {
    yb[i] = rng.Uniform() < 0.4 ? 1 : 0;
    // Scores correlated with the label, rounded to 2 decimals: many ties; a few exact 0 and 1.
    double s = 0.3 * yb[i] + 0.7 * rng.Uniform();
    if (i % 97 == 0) s = static_cast<double>(i % 2);
    sb[i] = std::round(s * 100) / 100;
    ym[i] = static_cast<int32_t>(rng.UniformInt(kClasses));
    double sum = 0;
    for (size_t c = 0; c < kClasses; ++c) {
      double v = rng.Uniform() + (static_cast<int32_t>(c) == ym[i] ? 0.6 : 0.0);
      pm[i * kClasses + c] = v;
      sum += v;
    }
    for (size_t c = 0; c < kClasses; ++c) pm[i * kClasses + c] /= sum;
    yr[i] = 10 * rng.Normal();
    pr[i] = yr[i] + 3 * rng.Normal();
    // Exactly representable weights in float (multiples of 1/8), so both sides see the same.
    w[i] = static_cast<float>(1 + rng.UniformInt(40)) / 8.0f;
  }
  nlohmann::json in = {{"yb", yb},      {"sb", sb}, {"ym", ym}, {"pm", pm},
                       {"k", kClasses}, {"yr", yr}, {"pr", pr}, {"w", w}};
  const auto dir = std::filesystem::temp_directory_path();
  const auto data_path = dir / ("kiln_metrics_parity_" + std::to_string(::getpid()) + ".json");
  const auto script_path = dir / ("kiln_metrics_parity_" + std::to_string(::getpid()) + ".py");
  std::ofstream(data_path) << in.dump();
  std::ofstream(script_path) << kParityScript;
  const std::string output =
      RunCommand("/usr/bin/python3 " + script_path.string() + " " + data_path.string());
  std::filesystem::remove(data_path);
  std::filesystem::remove(script_path);
  auto parsed = nlohmann::json::parse(output, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << "scikit-learn script failed; output: " << output;

  for (const char* tag : {"plain", "weighted"}) {
    SCOPED_TRACE(tag);
    const nlohmann::json& r = parsed[tag];
    std::span<const float> ws;
    if (std::string(tag) == "weighted") ws = w;
    std::vector<int32_t> pb(kRows), cm(kRows);
    for (size_t i = 0; i < kRows; ++i) {
      pb[i] = sb[i] >= 0.5 ? 1 : 0;
      size_t best = 0;
      for (size_t c = 1; c < kClasses; ++c) {
        if (pm[i * kClasses + c] > pm[i * kClasses + best]) best = c;
      }
      cm[i] = static_cast<int32_t>(best);
    }
    constexpr double kParityTol = 1e-9;
    EXPECT_NEAR(RocAuc(sb, yb, ws), r["auc"].get<double>(), kParityTol);
    EXPECT_NEAR(BinaryLogLoss(sb, yb, ws), r["logloss_b"].get<double>(), kParityTol);
    EXPECT_NEAR(Accuracy(pb, yb, ws), r["acc_b"].get<double>(), kParityTol);
    auto binary = ComputePrecisionRecallF1(ConfusionMatrix(pb, yb, 2, ws), Average::kBinary, 1);
    EXPECT_NEAR(binary.precision, r["p_b"].get<double>(), kParityTol);
    EXPECT_NEAR(binary.recall, r["r_b"].get<double>(), kParityTol);
    EXPECT_NEAR(binary.f1, r["f_b"].get<double>(), kParityTol);

    EXPECT_NEAR(MulticlassLogLoss(pm, kClasses, ym, ws), r["logloss_m"].get<double>(), kParityTol);
    EXPECT_NEAR(Accuracy(cm, ym, ws), r["acc_m"].get<double>(), kParityTol);
    const auto confusion = ConfusionMatrix(cm, ym, kClasses, ws);
    for (size_t t = 0; t < kClasses; ++t) {
      for (size_t c = 0; c < kClasses; ++c) {
        EXPECT_NEAR(confusion[t][c], r["cm"][t][c].get<double>(), kParityTol);
      }
    }
    const std::pair<const char*, Average> averages[] = {
        {"macro", Average::kMacro}, {"micro", Average::kMicro}, {"weighted", Average::kWeighted}};
    for (const auto& [name, avg] : averages) {
      SCOPED_TRACE(name);
      auto prf = ComputePrecisionRecallF1(confusion, avg);
      EXPECT_NEAR(prf.precision, r[std::string("p_") + name].get<double>(), kParityTol);
      EXPECT_NEAR(prf.recall, r[std::string("r_") + name].get<double>(), kParityTol);
      EXPECT_NEAR(prf.f1, r[std::string("f_") + name].get<double>(), kParityTol);
    }
    EXPECT_NEAR(Rmse(pr, yr, ws), r["rmse"].get<double>(), kParityTol);
    EXPECT_NEAR(Mae(pr, yr, ws), r["mae"].get<double>(), kParityTol);
    EXPECT_NEAR(R2(pr, yr, ws), r["r2"].get<double>(), kParityTol);
  }
}

}  // namespace
}  // namespace kiln::ml::metrics
