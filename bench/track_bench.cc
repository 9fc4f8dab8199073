// track_bench: the MetaStore's two targets, each against its peer in the same run.
//
//  1. Logging 100,000 metric points from one run through RunRepo::LogMetrics (batches of
//     --batch points) against raw batched SQLite inserts of the same rows (one prepared INSERT,
//     one transaction per batch) into an identical table. Prints both rates and the ratio.
//  2. A store with --runs runs in one experiment (each with params, a metric series, a dataset
//     version, a model version and lineage edges): the first page of runs ordered by
//     metric.auc desc, and the lineage walk of a model, timed over --repeat runs (medians).
//
// Usage: track_bench [--dir DIR] [--points 100000] [--batch 1000] [--runs 100000] [--repeat 7]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "kiln/track/meta_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using kiln::track::MetaStore;
using kiln::track::MetricPoint;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Check(const kiln::core::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "track_bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "track_bench: %s: %s\n", sql.c_str(), error);
    std::exit(1);
  }
}

// Raw batched inserts: the ceiling for one process writing rows into SQLite with the same
// settings the MetaStore uses (WAL, synchronous=NORMAL).
double RawSqliteSeconds(const std::string& path, int points, int batch) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  Exec(db,
       "CREATE TABLE metrics (run_id BIGINT NOT NULL, key TEXT NOT NULL, step BIGINT NOT NULL, "
       "value DOUBLE PRECISION NOT NULL, time_ms BIGINT NOT NULL);"
       "CREATE INDEX metrics_by_run ON metrics (run_id, key, step);");
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", -1, &stmt, nullptr);
  const auto start = Clock::now();
  for (int done = 0; done < points; done += batch) {
    Exec(db, "BEGIN IMMEDIATE");
    for (int i = done; i < std::min(points, done + batch); ++i) {
      sqlite3_bind_int64(stmt, 1, 1);
      sqlite3_bind_text(stmt, 2, "loss", 4, SQLITE_STATIC);
      sqlite3_bind_int64(stmt, 3, i);
      sqlite3_bind_double(stmt, 4, 1.0 / (i + 1));
      sqlite3_bind_int64(stmt, 5, 1700000000000 + i);
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
    }
    Exec(db, "COMMIT");
  }
  const double seconds = Seconds(start);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return seconds;
}

double StoreSeconds(const std::string& path, int points, int batch) {
  auto store = MetaStore::Open(path);
  Check(store.status(), "open");
  auto project = (*store)->projects().Ensure("default");
  auto experiment = (*store)->projects().EnsureExperiment(project->id, "bench");
  kiln::track::NewRun run;
  run.experiment_id = experiment->id;
  run.kind = "train";
  auto run_id = (*store)->runs().Create(run);
  Check(run_id.status(), "create run");
  std::vector<MetricPoint> buffer;
  const auto start = Clock::now();
  for (int done = 0; done < points; done += batch) {
    buffer.clear();
    for (int i = done; i < std::min(points, done + batch); ++i) {
      buffer.push_back({"loss", 1.0 / (i + 1), i, 1700000000000 + i});
    }
    Check((*store)->runs().LogMetrics(*run_id, buffer), "log metrics");
  }
  return Seconds(start);
}

// Fills a store with `runs` runs in one experiment, quickly (one transaction, raw SQL through
// the store's connection), shaped like what `kiln train` records.
void Populate(MetaStore& store, int runs) {
  auto project = store.projects().Ensure("default");
  auto experiment = store.projects().EnsureExperiment(project->id, "x");
  Check(store.projects().EnsureExperiment(project->id, "other").status(), "experiment");
  auto& db = store.sql();
  Check(db.BeginWrite(), "begin");
  Check(db.Execute("INSERT INTO datasets (project_id, name, created_ms) VALUES (?, 'train.csv', 0)",
                   {project->id})
            .status(),
        "dataset");
  Check(db.Execute("INSERT INTO models (project_id, name, created_ms, updated_ms) VALUES "
                   "(?, 'churn', 0, 0)",
                   {project->id})
            .status(),
        "model");
  for (int64_t r = 1; r <= runs; ++r) {
    const double auc = 0.5 + 0.5 * static_cast<double>((r * 7919) % 100003) / 100003.0;
    Check(db.Execute("INSERT INTO runs (id, experiment_id, kind, status, start_ms, end_ms, "
                     "command, kiln_version, host, pid, pid_start) VALUES (?, ?, 'train', "
                     "'finished', ?, ?, 'kiln train', '0.1.0', 'bench', 1, 1)",
                     {r, experiment->id, r * 1000, r * 1000 + 500})
              .status(),
          "run");
    for (const char* key : {"l2", "solver", "algo"}) {
      Check(db.Execute("INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)",
                       {r, std::string(key), std::to_string(r % 10)})
                .status(),
            "param");
    }
    for (int step = 0; step < 5; ++step) {
      Check(db.Execute("INSERT INTO metrics (run_id, key, step, value, time_ms) VALUES (?, "
                       "'auc', ?, ?, 0)",
                       {r, int64_t{step}, auc - 0.01 * (4 - step)})
                .status(),
            "metric");
    }
    Check(db.Execute("INSERT INTO latest_metrics (run_id, key, value, step, time_ms) VALUES (?, "
                     "'auc', ?, 4, 0)",
                     {r, auc})
              .status(),
          "latest");
    Check(db.Execute("INSERT INTO dataset_versions (id, dataset_id, version, content_hash, "
                     "source_path, format, size_bytes, num_rows, num_columns, schema_json, "
                     "stats_json, created_ms) VALUES (?, 1, ?, ?, '/data/train.csv', 'csv', 1, "
                     "1, 1, '[]', '[]', 0)",
                     {r, r, std::to_string(r)})
              .status(),
          "dataset version");
    Check(db.Execute("INSERT INTO model_versions (id, model_id, version, run_id, algorithm, "
                     "artifact_uri, metrics_json, created_ms) VALUES (?, 1, ?, ?, "
                     "'logistic_regression', ?, '{}', 0)",
                     {r, r, r, "kiln-blob:xxh128:" + std::to_string(r)})
              .status(),
          "model version");
    Check(db.Execute("INSERT INTO lineage_edges VALUES ('dataset_version', ?, 'run', ?, "
                     "'train_data', 0)",
                     {r, r})
              .status(),
          "edge");
    Check(db.Execute("INSERT INTO lineage_edges VALUES ('run', ?, 'model_version', ?, "
                     "'produced', 0)",
                     {r, r})
              .status(),
          "edge");
  }
  Check(db.Commit(), "commit");
  Check(db.ExecuteScript("ANALYZE"), "analyze");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/kiln-track-bench";
  int points = 100000, batch = 1000, runs = 100000, repeat = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--dir")
      dir = value;
    else if (flag == "--points")
      points = std::stoi(value);
    else if (flag == "--batch")
      batch = std::stoi(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--repeat")
      repeat = std::stoi(value);
    else {
      std::fprintf(stderr, "track_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  std::vector<double> raw, kiln;
  for (int r = 0; r < repeat; ++r) {  // interleaved, fresh files each time
    const std::string a = dir + "/raw" + std::to_string(r) + ".db";
    const std::string b = dir + "/store" + std::to_string(r) + ".db";
    raw.push_back(RawSqliteSeconds(a, points, batch));
    kiln.push_back(StoreSeconds(b, points, batch));
  }
  const double raw_rate = points / Median(raw), kiln_rate = points / Median(kiln);
  std::printf("metric logging, %d points in batches of %d (median of %d):\n", points, batch,
              repeat);
  std::printf("  raw batched SQLite inserts: %.0f points/s\n", raw_rate);
  std::printf("  MetaStore RunRepo::LogMetrics: %.0f points/s\n", kiln_rate);
  std::printf("  ratio kiln/raw: %.2f (target >= 0.50)\n", kiln_rate / raw_rate);

  const std::string path = dir + "/runs.db";
  {
    auto store = MetaStore::Open(path);
    Check(store.status(), "open");
    const auto start = Clock::now();
    Populate(**store, runs);
    std::printf("populated %d runs in %.1f s\n", runs, Seconds(start));
  }
  // Each timing opens the store afresh, as a `kiln` command does.
  std::vector<double> list_ms, lineage_ms;
  for (int r = 0; r < repeat; ++r) {
    auto start = Clock::now();
    auto store = MetaStore::Open(path);
    auto project = (*store)->projects().Find("default");
    auto experiment = (*store)->projects().FindExperiment(project->id, "x");
    kiln::track::RunQuery query;
    query.project_id = project->id;
    query.experiment_id = (*experiment)->id;
    query.order_by = "metric.auc";
    query.limit = 100;
    auto page = (*store)->runs().List(query);
    Check(page.status(), "list");
    list_ms.push_back(Seconds(start) * 1000);
    if (r == 0) {
      std::printf("first page: %zu runs, best auc %.5f (run %lld)\n", page->runs.size(),
                  page->runs[0].metrics.at("auc"), static_cast<long long>(page->runs[0].id));
    }
    start = Clock::now();
    auto version = (*store)->registry().Resolve(project->id, "churn");
    Check(version.status(), "resolve");
    auto up = (*store)->lineage().Walk({kiln::track::kNodeModelVersion, version->id},
                                       kiln::track::LineageDirection::kUpstream);
    auto down = (*store)->lineage().Walk({kiln::track::kNodeModelVersion, version->id},
                                         kiln::track::LineageDirection::kDownstream);
    Check(up.status(), "lineage");
    lineage_ms.push_back(Seconds(start) * 1000);
  }
  std::printf("with %d runs (median of %d, store opened each time):\n", runs, repeat);
  std::printf(
      "  runs list --experiment x --order-by metric.auc desc, first page: %.1f ms "
      "(target <= 100)\n",
      Median(list_ms));
  std::printf(
      "  lineage of model churn (resolve + upstream + downstream): %.2f ms (target <= "
      "50)\n",
      Median(lineage_ms));
  return 0;
}
