// PipelineDisplay: how `kiln run` shows a pipeline running. On a terminal, a block of lines on
// stderr — one per step with its state and elapsed time — redrawn in place a few times a
// second; otherwise one plain line on stdout per state change ("step train: finished in
// 1.20s (auc 0.8574)"). Either way the final state of each step is printed to stdout. Private to
// src/cli. Thread-safe (the executor calls it from its threads).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "kiln/pipeline/executor.h"

namespace kiln::cli {

class PipelineDisplay final : public pipeline::ExecutionObserver {
 public:
  // `live`: draw the redrawn block on `terminal` (stderr); `out` gets the plain lines.
  PipelineDisplay(std::ostream& out, std::FILE* terminal, bool live);
  ~PipelineDisplay() override;

  void OnStart(const pipeline::Plan& plan, int64_t run_id) override;
  void OnStep(const pipeline::Plan& plan, const pipeline::StepEvent& event) override;
  // Stops redrawing and leaves the block's final state on the terminal.
  void Finish();

 private:
  struct Row {
    std::string name;
    pipeline::StepState state = pipeline::StepState::kPending;
    std::chrono::steady_clock::time_point started;
    double seconds = 0;
    int attempt = 0;
    std::string detail;
  };
  std::string RowText(const Row& row, std::chrono::steady_clock::time_point now) const;
  void Draw();  // holds mu_
  void Ticker();

  std::ostream& out_;
  std::FILE* terminal_;
  bool live_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Row> rows_;
  size_t drawn_lines_ = 0;
  size_t name_width_ = 4;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace kiln::cli
