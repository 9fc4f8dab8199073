// parse_bench: how fast ReadDataset parses a file and how much memory it needs at peak.
//
// Each configuration runs in a fresh child process so that its peak RSS (getrusage ru_maxrss)
// belongs to that configuration alone: first parsing without the cache for each thread count,
// then reading through the dataset cache (one cold read that parses and stores, then cached
// re-reads that map the binary copy).
//
//   parse_bench /tmp/ctr_train.libsvm --threads 1,2 --repeat 3
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "kiln/core/context.h"
#include "kiln/core/file.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"

namespace {

struct Measurement {
  double median_seconds = 0;
  double min_seconds = 0;
  uint64_t rows = 0;
  uint64_t nnz = 0;
  uint64_t data_bytes = 0;  // in-memory size of the parsed dataset
  uint64_t csr_bytes = 0;   // sparse only
  uint64_t peak_rss = 0;    // bytes
  uint64_t base_rss = 0;    // bytes, before reading
  bool ok = false;
};

uint64_t PeakRss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

uint64_t DatasetBytes(const kiln::data::Dataset& ds) {
  uint64_t bytes = 0;
  if (ds.is_sparse()) {
    bytes += ds.csr().MemoryBytes();
  } else {
    for (const auto& c : ds.columns()) bytes += c.size() * 4;
  }
  if (ds.label() != nullptr) bytes += ds.label()->size() * 4;
  bytes += ds.weights().size() * 4;
  return bytes;
}

// Runs `repeat` reads in this process. cache_dir empty = no cache; else the first read fills
// the cache and is not timed.
Measurement Run(const std::string& path, const kiln::data::ReadOptions& base, int threads,
                int repeat, const std::string& cache_dir) {
  Measurement m;
  m.base_rss = PeakRss();
  kiln::core::Context ctx(kiln::core::ContextOptions{threads, 1});
  kiln::data::ReadOptions options = base;
  options.use_cache = !cache_dir.empty();
  options.cache_dir = cache_dir;
  if (!cache_dir.empty()) {
    auto cold = kiln::data::ReadDataset(path, options, ctx);
    if (!cold.ok()) {
      fmt::print(stderr, "{}\n", cold.status().ToString());
      return m;
    }
  }
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto ds = kiln::data::ReadDataset(path, options, ctx);
    const auto t1 = std::chrono::steady_clock::now();
    if (!ds.ok()) {
      fmt::print(stderr, "{}\n", ds.status().ToString());
      return m;
    }
    if (!cache_dir.empty() && !ds->source().from_cache) {
      fmt::print(stderr, "expected a cache hit\n");
      return m;
    }
    times.push_back(std::chrono::duration<double>(t1 - t0).count());
    m.rows = ds->num_rows();
    m.nnz = ds->is_sparse() ? ds->csr().nnz() : 0;
    m.data_bytes = DatasetBytes(*ds);
    m.csr_bytes = ds->is_sparse() ? ds->csr().MemoryBytes() : 0;
  }
  std::sort(times.begin(), times.end());
  m.median_seconds = times[times.size() / 2];
  m.min_seconds = times.front();
  m.peak_rss = PeakRss();
  m.ok = true;
  return m;
}

// Runs Run() in a child process and returns its measurement.
Measurement InChild(const std::string& path, const kiln::data::ReadOptions& options, int threads,
                    int repeat, const std::string& cache_dir) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Measurement m = Run(path, options, threads, repeat, cache_dir);
    const ssize_t n = write(fds[1], &m, sizeof(m));
    _exit(n == static_cast<ssize_t>(sizeof(m)) ? 0 : 1);
  }
  close(fds[1]);
  Measurement m;
  const ssize_t n = read(fds[0], &m, sizeof(m));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof(m))) return {};
  return m;
}

double Mb(uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  std::string threads_list = "1,2";
  int repeat = 3;
  std::string format = "auto";
  bool skip_cache = false;
  size_t chunk_bytes = 0;
  CLI::App app{"Measure ReadDataset parse speed and peak memory"};
  app.add_option("file", path, "data file")->required()->check(CLI::ExistingFile);
  app.add_option("--threads", threads_list, "comma-separated thread counts")->capture_default_str();
  app.add_option("--repeat", repeat, "timed reads per configuration (median reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--format", format, "csv, libsvm, jsonl or auto")->capture_default_str();
  app.add_flag("--no-cache", skip_cache, "skip the cached re-read measurement");
  app.add_option("--chunk-bytes", chunk_bytes, "ReadOptions::chunk_bytes (0 = the default)");
  CLI11_PARSE(app, argc, argv);

  kiln::data::ReadOptions options;
  auto fmt_parsed = kiln::data::ParseFormat(format);
  if (!fmt_parsed.ok()) {
    fmt::print(stderr, "{}\n", fmt_parsed.status().ToString());
    return 2;
  }
  options.format = *fmt_parsed;
  options.label_policy = kiln::data::LabelPolicy::kOptional;
  if (chunk_bytes > 0) options.chunk_bytes = chunk_bytes;
  const uint64_t file_bytes = std::filesystem::file_size(path);
  fmt::print("file: {} ({:.1f} MB)\n", path, Mb(file_bytes));
  fmt::print("{:<22} {:>9} {:>9} {:>10} {:>12} {:>11} {:>9}\n", "configuration", "median s", "MB/s",
             "rows", "data MB", "peak RSS MB", "peak/data");
  bool all_ok = true;
  auto report = [&](const std::string& name, const Measurement& m) {
    if (!m.ok) {
      fmt::print("{:<22} failed\n", name);
      all_ok = false;
      return;
    }
    const uint64_t data = m.csr_bytes > 0 ? m.csr_bytes : m.data_bytes;
    fmt::print("{:<22} {:>9.3f} {:>9.0f} {:>10} {:>12.1f} {:>11.1f} {:>9.2f}\n", name,
               m.median_seconds, Mb(file_bytes) / m.median_seconds, m.rows, Mb(data),
               Mb(m.peak_rss), static_cast<double>(m.peak_rss) / static_cast<double>(data));
  };
  for (const auto& t : kiln::core::Split(threads_list, ',')) {
    const int threads = std::stoi(t);
    report(fmt::format("parse, {} thread{}", threads, threads == 1 ? "" : "s"),
           InChild(path, options, threads, repeat, ""));
  }
  if (!skip_cache) {
    const std::string cache_dir =
        (std::filesystem::temp_directory_path() / fmt::format("kiln_parse_bench_{}", getpid()))
            .string();
    report("cached re-read", InChild(path, options, 2, repeat, cache_dir));
    std::filesystem::remove_all(cache_dir);
  }
  fmt::print(
      "data MB = in-memory CSR (indptr + indices + values) for sparse data, columns for "
      "dense; peak RSS includes the process baseline\n");
  return all_ok ? 0 : 1;
}
