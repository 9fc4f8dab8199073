// gen_big_model: grows a small Kiln linear model into a large one without training, for memory
// benchmarks of `kiln serve` (bench/run_serve_memory_bench.sh).
//
// The input must be a linear model (linear_regression, logistic_regression, ...) with a hashed
// categorical column (one with more categories than max_onehot). The output is the same model
// with that column hashed into --buckets features: its weights array has outputs x features
// doubles, so --buckets 134217728 gives a ~1 GiB model file. The hashed features' weights repeat
// the small model's (bucket b gets the weight of bucket b mod the old count), so predictions stay
// plausible. The file is a regular, checksummed model file; serving maps its arrays.
//
//   gen_big_model --in tiny.kiln --buckets 134217728 --out big.kiln
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kiln/core/array_file.h"
#include "kiln/ml/model_io.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "gen_big_model: %s\n", message.c_str());
  return 1;
}

size_t Width(const nlohmann::json& column) {
  const std::string kind = column.at("kind").get<std::string>();
  if (kind == "numeric") return column.at("indicator").get<bool>() ? 2 : 1;
  if (kind == "onehot") return column.at("categories").size();
  return column.at("buckets").get<size_t>();
}

}  // namespace

int main(int argc, char** argv) {
  std::string in;
  std::string out;
  uint64_t buckets = 0;
  CLI::App app("gen_big_model: a large Kiln linear model from a small one (no training)");
  app.add_option("--in", in, "A linear model with a hashed categorical column")->required();
  app.add_option("--out", out, "The model file to write")->required();
  app.add_option("--buckets", buckets, "Hash buckets of that column in the output")
      ->required()
      ->check(CLI::Range(uint64_t{1}, uint64_t{4'000'000'000}));
  CLI11_PARSE(app, argc, argv);

  auto reader = kiln::core::ArrayFileReader::Open(in, kiln::ml::kModelMagic,
                                                  kiln::ml::kModelFormatVersion, "model file");
  if (!reader.ok()) return Fail(reader.status().ToString());
  nlohmann::json meta = (*reader)->meta();
  auto weights = (*reader)->GetArray<double>("weights");
  auto intercept = (*reader)->GetArray<double>("intercept");
  if (!weights.ok() || !intercept.ok() || !meta.contains("body") ||
      !meta["body"].contains("encoder"))
    return Fail(in + ": not a Kiln linear model (no encoder, weights or intercept)");
  nlohmann::json& body = meta["body"];
  nlohmann::json& encoder = body["encoder"];
  const size_t outputs = body.at("outputs").get<size_t>();
  const size_t old_d = encoder.at("num_features").get<size_t>();
  if (weights->size() != outputs * old_d) return Fail(in + ": weights do not match the encoder");

  // Where the hashed column's features start, and how many it had.
  size_t offset = 0;
  size_t old_buckets = 0;
  for (nlohmann::json& column : encoder.at("columns")) {
    if (column.at("kind") == "hashed") {
      old_buckets = column.at("buckets").get<size_t>();
      column["buckets"] = buckets;
      break;
    }
    offset += Width(column);
  }
  if (old_buckets == 0)
    return Fail(in +
                ": the model has no hashed column (train it on a categorical column with "
                "more than max_onehot categories)");
  const size_t new_d = old_d - old_buckets + buckets;
  encoder["num_features"] = new_d;
  encoder["hash_buckets"] = buckets;
  body["num_features"] = new_d;
  if (meta.contains("params") && meta["params"].is_object())
    meta["params"]["hash_buckets"] = buckets;

  std::vector<double> grown(outputs * new_d);
  for (size_t c = 0; c < outputs; ++c) {
    const double* from = weights->data() + c * old_d;
    double* to = grown.data() + c * new_d;
    for (size_t j = 0; j < offset; ++j) to[j] = from[j];
    for (size_t b = 0; b < buckets; ++b) to[offset + b] = from[offset + b % old_buckets];
    for (size_t j = offset + old_buckets; j < old_d; ++j) to[j - old_buckets + buckets] = from[j];
  }
  kiln::core::ArrayFileWriter writer(kiln::ml::kModelMagic, kiln::ml::kModelFormatVersion);
  writer.meta() = meta;
  writer.AddArray("weights", grown);
  writer.AddArray("intercept", *intercept);
  if (kiln::core::Status s = writer.Write(out); !s.ok()) return Fail(s.ToString());
  std::printf("gen_big_model: %s: %zu features (%zu outputs), %.1f MiB of weights\n", out.c_str(),
              new_d, outputs, static_cast<double>(grown.size() * sizeof(double)) / (1 << 20));
  return 0;
}
