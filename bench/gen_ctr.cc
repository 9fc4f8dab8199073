// gen_ctr: writes seeded, CTR-like sparse data in LibSVM format (a train and a test file).
//
// Each row has about --nnz binary features drawn from a Zipf-like popularity law (exponent 1.1)
// over --features ids; a feature's popularity rank is hashed to its index, so popular features
// are spread over the index space. Indices are 1-based, sorted and unique. Labels 0/1 come from
// a true sparse logistic model (about 20% of features carry a weight; the bias is calibrated so
// that about 22% of rows are positive), so a linear model can learn real signal. With
// --interactions F the true model also has pairwise effects through F latent dimensions per
// feature (a factorization machine's structure); the default output is unchanged.
//
//   gen_ctr --rows 1000000 --test-rows 200000 --out-train /tmp/ctr_train.libsvm
//           --out-test /tmp/ctr_test.libsvm
//
// Output is identical for a given seed whatever the thread count (rows are generated in fixed
// blocks, each with its own forked random stream).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "kiln/core/context.h"
#include "kiln/core/hash.h"
#include "kiln/core/random.h"

namespace {

struct Config {
  uint64_t rows = 1'000'000;
  uint64_t test_rows = 200'000;
  uint32_t features = 1u << 20;
  uint32_t nnz = 40;
  uint64_t seed = 1;
  double zipf = 1.1;
  double positive_rate = 0.22;
  uint32_t interactions = 0;        // latent dimensions of pairwise effects (0 = none)
  double interaction_scale = 0.15;  // standard deviation of each latent value
  std::string out_train = "ctr_train.libsvm";
  std::string out_test = "ctr_test.libsvm";
  int threads = 0;
};

constexpr uint64_t kBlockRows = 8192;

class Generator {
 public:
  explicit Generator(const Config& cfg) : cfg_(cfg), weights_(cfg.features, 0.0f) {
    kiln::core::Rng rng(cfg.seed);
    // The true model: about 20% of features carry a weight.
    for (uint32_t j = 0; j < cfg.features; ++j) {
      if (rng.Uniform() < 0.2) weights_[j] = static_cast<float>(rng.Normal() * 0.6);
    }
    // Pairwise effects (--interactions F): feature j has a latent vector u_j, and a row scores
    // Σ_{i<j} ⟨u_i, u_j⟩ on top of its weights, the structure a factorization machine models.
    // Drawn from a stream of their own, so the default output does not change.
    if (cfg.interactions > 0) {
      kiln::core::Rng latent = rng.Fork(0xfac7);
      latent_.resize(static_cast<size_t>(cfg.features) * cfg.interactions);
      for (float& u : latent_) u = static_cast<float>(latent.Normal() * cfg.interaction_scale);
    }
    power_ = 1.0 - cfg.zipf;
    top_ = std::pow(static_cast<double>(cfg.features) + 1.0, power_);
    pow_of_two_ = (cfg.features & (cfg.features - 1)) == 0;
    // Calibrate the bias on a pilot sample so that the positive rate is as asked.
    kiln::core::Rng pilot = rng.Fork(0xb1a5);
    std::vector<uint32_t> row;
    std::vector<double> scores;
    for (int i = 0; i < 20000; ++i) {
      DrawRow(pilot, &row);
      scores.push_back(Score(row));
    }
    double lo = -20, hi = 20;
    for (int it = 0; it < 60; ++it) {
      const double mid = (lo + hi) / 2;
      double mean = 0;
      for (double s : scores) mean += 1.0 / (1.0 + std::exp(-(s + mid)));
      mean /= static_cast<double>(scores.size());
      (mean < cfg.positive_rate ? lo : hi) = mid;
    }
    bias_ = (lo + hi) / 2;
    root_ = rng;
  }

  double bias() const { return bias_; }

  // Sorted unique 0-based feature ids for one row.
  void DrawRow(kiln::core::Rng& rng, std::vector<uint32_t>* row) const {
    row->clear();
    const uint32_t lo = std::max<uint32_t>(1, cfg_.nnz * 3 / 4);
    const uint32_t span = cfg_.nnz / 2 + 1;
    const uint32_t want =
        std::min<uint32_t>(lo + static_cast<uint32_t>(rng.UniformInt(span)), cfg_.features);
    while (row->size() < want) {
      const uint32_t id = Feature(rng);
      if (std::find(row->begin(), row->end(), id) == row->end()) row->push_back(id);
    }
    std::sort(row->begin(), row->end());
  }

  double Score(const std::vector<uint32_t>& row) const {
    double s = 0;
    for (uint32_t j : row) s += weights_[j];
    const size_t f = cfg_.interactions;
    for (size_t t = 0; t < f; ++t) {
      double sum = 0, squares = 0;
      for (uint32_t j : row) {
        const double u = latent_[size_t{j} * f + t];
        sum += u;
        squares += u * u;
      }
      s += 0.5 * (sum * sum - squares);
    }
    return s;
  }

  // Writes `rows` rows from stream `stream` to `path`.
  bool WriteFile(const std::string& path, uint64_t rows, uint64_t stream,
                 kiln::core::ThreadPool& pool, uint64_t* positives) const {
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) {
      fmt::print(stderr, "gen_ctr: cannot write {}\n", path);
      return false;
    }
    const uint64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    const uint64_t batch = static_cast<uint64_t>(std::max(2, 2 * pool.num_threads()));
    std::vector<std::string> text(batch);
    std::vector<uint64_t> pos(batch);
    bool ok = true;
    for (uint64_t b0 = 0; b0 < blocks && ok; b0 += batch) {
      const uint64_t n = std::min(batch, blocks - b0);
      kiln::core::ParallelForBlocks(pool, 0, n, 1, [&](size_t i, size_t, size_t) {
        const uint64_t block = b0 + i;
        const uint64_t first = block * kBlockRows;
        const uint64_t count = std::min(kBlockRows, rows - first);
        kiln::core::Rng rng = root_.Fork(stream * 0x100000000ull + block);
        text[i].clear();
        pos[i] = 0;
        std::vector<uint32_t> row;
        char buf[16];
        for (uint64_t r = 0; r < count; ++r) {
          DrawRow(rng, &row);
          const double p = 1.0 / (1.0 + std::exp(-(Score(row) + bias_)));
          const bool y = rng.Uniform() < p;
          pos[i] += y;
          text[i] += y ? '1' : '0';
          for (uint32_t j : row) {
            text[i] += ' ';
            auto res = std::to_chars(buf, buf + sizeof(buf), j + 1);
            text[i].append(buf, res.ptr);
            text[i] += ":1";
          }
          text[i] += '\n';
        }
      });
      for (uint64_t i = 0; i < n && ok; ++i) {
        ok = std::fwrite(text[i].data(), 1, text[i].size(), out) == text[i].size();
        *positives += pos[i];
      }
    }
    ok = std::fclose(out) == 0 && ok;
    if (!ok) fmt::print(stderr, "gen_ctr: write to {} failed\n", path);
    return ok;
  }

 private:
  // A feature id: Zipf-like rank by inverting the continuous power-law CDF, then hashed.
  uint32_t Feature(kiln::core::Rng& rng) const {
    const double u = rng.Uniform();
    const double x = std::pow(1.0 + u * (top_ - 1.0), 1.0 / power_);
    auto rank = static_cast<uint64_t>(x) - 1;  // 0-based, in [0, features)
    if (rank >= cfg_.features) rank = cfg_.features - 1;
    if (pow_of_two_) {
      // An odd multiplier is a bijection modulo a power of two.
      return static_cast<uint32_t>((rank * 0x9E3779B1ull + 0x7F4A7C15ull) & (cfg_.features - 1));
    }
    return static_cast<uint32_t>(kiln::core::Hash64(&rank, sizeof(rank), 17) % cfg_.features);
  }

  Config cfg_;
  std::vector<float> weights_;
  std::vector<float> latent_;  // features x interactions, row-major
  double power_ = 0, top_ = 0, bias_ = 0;
  bool pow_of_two_ = false;
  kiln::core::Rng root_{0};
};

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"Generate seeded CTR-like sparse data (LibSVM) for benchmarks"};
  app.add_option("--rows", cfg.rows, "training rows")->capture_default_str();
  app.add_option("--test-rows", cfg.test_rows, "test rows")->capture_default_str();
  app.add_option("--features", cfg.features, "feature space size")
      ->capture_default_str()
      ->check(CLI::Range(1u, 0xFFFFFFFEu));
  app.add_option("--nnz", cfg.nnz, "average nonzeros per row")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--seed", cfg.seed, "random seed")->capture_default_str();
  app.add_option("--out-train", cfg.out_train, "training file")->capture_default_str();
  app.add_option("--out-test", cfg.out_test, "test file")->capture_default_str();
  app.add_option("--threads", cfg.threads, "threads (0 = all cores)")->capture_default_str();
  app.add_option("--interactions", cfg.interactions,
                 "latent dimensions of pairwise feature effects in the true model (0 = linear)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 64u));
  app.add_option("--interaction-scale", cfg.interaction_scale,
                 "standard deviation of the latent values of --interactions")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (cfg.nnz > cfg.features) {
    fmt::print(stderr, "gen_ctr: --nnz must not exceed --features\n");
    return 2;
  }
  kiln::core::Context ctx(kiln::core::ContextOptions{cfg.threads, cfg.seed});
  Generator gen(cfg);
  uint64_t pos_train = 0, pos_test = 0;
  if (!gen.WriteFile(cfg.out_train, cfg.rows, 1, ctx.pool(), &pos_train)) return 1;
  if (cfg.test_rows > 0 && !gen.WriteFile(cfg.out_test, cfg.test_rows, 2, ctx.pool(), &pos_test)) {
    return 1;
  }
  auto rate = [](uint64_t pos, uint64_t rows) {
    return 100.0 * static_cast<double>(pos) / static_cast<double>(std::max<uint64_t>(rows, 1));
  };
  fmt::print("wrote {} ({} rows, {:.1f}% positive)", cfg.out_train, cfg.rows,
             rate(pos_train, cfg.rows));
  if (cfg.test_rows > 0) {
    fmt::print(" and {} ({} rows, {:.1f}% positive)", cfg.out_test, cfg.test_rows,
               rate(pos_test, cfg.test_rows));
  }
  fmt::print("; bias {:.3f}\n", gen.bias());
  return 0;
}
