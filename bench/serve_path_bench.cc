// The in-process cost of one row-format prediction request — decode the JSON body, predict,
// encode the answer — without HTTP or the kernel: the part of `kiln serve`'s per-request CPU
// that Kiln's own code decides. Prints microseconds of thread CPU time per request for each
// phase (median of --repeat runs of --iterations requests).
//
// Usage: serve_path_bench MODEL_FILE REQUEST_JSON [--iterations N] [--repeat R]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/algorithms/builtin.h"
#include "kiln/serve/inference_codec.h"
#include "kiln/serve/processor_registry.h"

namespace {

double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "serve_path_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kiln;
  if (argc < 3)
    return Fail("usage: serve_path_bench MODEL_FILE REQUEST_JSON [--iterations N] [--repeat R]");
  size_t iterations = 20000;
  int repeat = 5;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--iterations") {
      iterations = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    } else {
      return Fail("unknown argument " + flag);
    }
  }
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) return Fail(std::string("cannot read ") + argv[2]);
  std::stringstream text;
  text << in.rdbuf();
  const std::string body = text.str();

  ml::AlgorithmRegistry algorithms("algorithm");
  if (auto s = algorithms::RegisterBuiltinAlgorithms(algorithms); !s.ok())
    return Fail(s.ToString());
  serve::ProcessorRegistry processors("processor");
  if (auto s = serve::RegisterBuiltinProcessors(processors, algorithms); !s.ok())
    return Fail(s.ToString());
  auto servable = serve::LoadServable(processors, serve::ModelFiles{argv[1], "", {}});
  if (!servable.ok()) return Fail(servable.status().ToString());

  auto batch = serve::DecodeV1(body, (*servable)->metadata());
  if (!batch.ok()) return Fail(batch.status().ToString());
  auto output = (*servable)->Infer(*batch);
  if (!output.ok()) return Fail(output.status().ToString());
  // Each phase in its own loop, so the clock is read twice per loop, not per request.
  auto per_request = [&](auto&& step) {
    const double start = ThreadCpuUs();
    for (size_t i = 0; i < iterations; ++i) step();
    return (ThreadCpuUs() - start) / static_cast<double>(iterations);
  };
  std::vector<double> decode_us, infer_us, encode_us;
  size_t bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    decode_us.push_back(per_request([&] {
      auto b = serve::DecodeV1(body, (*servable)->metadata());
      if (!b.ok()) std::abort();
    }));
    infer_us.push_back(per_request([&] {
      auto o = (*servable)->Infer(*batch);
      if (!o.ok()) std::abort();
    }));
    encode_us.push_back(per_request([&] { bytes = serve::EncodeV1("m", 1, *output).size(); }));
  }
  const double d = Median(decode_us), p = Median(infer_us), e = Median(encode_us);
  std::printf(
      "request %zu bytes: decode %.2f us  infer %.2f us  encode %.2f us  total %.2f us"
      " (median of %d x %zu requests; %zu answer bytes)\n",
      body.size(), d, p, e, d + p + e, repeat, iterations, bytes);
  return 0;
}
