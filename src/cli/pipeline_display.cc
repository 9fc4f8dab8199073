#include "pipeline_display.h"

#include <fmt/format.h>

#include "kiln/cli/format.h"

namespace kiln::cli {

using pipeline::StepState;

namespace {

const char* Mark(StepState s) {
  switch (s) {
    case StepState::kPending:
      return " ";
    case StepState::kRunning:
      return ">";
    case StepState::kFinished:
      return "+";
    case StepState::kCached:
      return "=";
    case StepState::kFailed:
      return "x";
    case StepState::kSkipped:
      return "-";
    case StepState::kCancelled:
      return "!";
  }
  return "?";
}

std::string StateWord(StepState s) {
  return s == StepState::kFinished ? "ran" : std::string(pipeline::StepStateName(s));
}

}  // namespace

PipelineDisplay::PipelineDisplay(std::ostream& out, std::FILE* terminal, bool live)
    : out_(out), terminal_(terminal), live_(live) {}

PipelineDisplay::~PipelineDisplay() { Finish(); }

void PipelineDisplay::OnStart(const pipeline::Plan& plan, int64_t run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const pipeline::PlannedStep& s : plan.steps) {
    rows_.push_back({s.name});
    name_width_ = std::max(name_width_, s.name.size());
  }
  out_ << fmt::format("pipeline {} run {}: {} steps\n", plan.spec.name, run_id, plan.steps.size());
  out_.flush();
  if (live_) ticker_ = std::thread([this] { Ticker(); });
}

std::string PipelineDisplay::RowText(const Row& row,
                                     std::chrono::steady_clock::time_point now) const {
  double seconds = row.seconds;
  if (row.state == StepState::kRunning)
    seconds = std::chrono::duration<double>(now - row.started).count();
  std::string time = row.state == StepState::kPending || row.state == StepState::kSkipped
                         ? std::string()
                         : FormatSeconds(seconds);
  std::string state = StateWord(row.state);
  if (row.state == StepState::kRunning && row.attempt > 1)
    state += fmt::format(" (attempt {})", row.attempt);
  return fmt::format(" {} {:<{}}  {:<9} {:>7}  {}", Mark(row.state), row.name, name_width_, state,
                     time, row.detail);
}

void PipelineDisplay::OnStep(const pipeline::Plan& plan, const pipeline::StepEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (e.step >= rows_.size()) return;
  Row& row = rows_[e.step];
  row.state = e.state;
  row.attempt = e.attempt;
  if (e.state == StepState::kRunning) {
    row.started = std::chrono::steady_clock::now();
    row.detail.clear();
  } else {
    row.seconds = e.seconds;
    row.detail = e.note.empty() ? e.message : e.note;
  }
  if (e.will_retry) {
    row.state = StepState::kRunning;
    row.detail = "retrying: " + e.message;
  }
  const std::string& name = plan.steps[e.step].name;
  std::string line;
  switch (e.state) {
    case StepState::kRunning:
      // The log says what happened to a step; a first start is only news on a terminal.
      if (e.attempt > 1) line = fmt::format("step {}: running (attempt {})", name, e.attempt);
      break;
    case StepState::kFinished:
      line = fmt::format("step {}: ran in {}{}", name, FormatSeconds(e.seconds),
                         e.note.empty() ? "" : " (" + e.note + ")");
      break;
    case StepState::kCached:
      line = fmt::format("step {}: cached ({})", name, e.message);
      break;
    case StepState::kFailed:
      line = e.will_retry
                 ? fmt::format("step {}: attempt {} failed: {}", name, e.attempt, e.message)
                 : fmt::format("step {}: failed after {}: {}", name, FormatSeconds(e.seconds),
                               e.message);
      break;
    case StepState::kSkipped:
      line = fmt::format("step {}: skipped ({})", name, e.message);
      break;
    case StepState::kCancelled:
      line = fmt::format("step {}: cancelled", name);
      break;
    case StepState::kPending:
      break;
  }
  if (line.empty()) return;
  // On a terminal the block shows running states; the log keeps the outcomes.
  if (!live_ || e.state != StepState::kRunning) {
    if (live_) {
      // Printed above the block: clear it, print, redraw.
      if (drawn_lines_ > 0) std::fprintf(terminal_, "\x1b[%zuA\x1b[J", drawn_lines_);
      drawn_lines_ = 0;
      std::fflush(terminal_);
    }
    out_ << line << '\n';
    out_.flush();
  }
  if (live_) Draw();
}

void PipelineDisplay::Draw() {
  const auto now = std::chrono::steady_clock::now();
  std::string block;
  if (drawn_lines_ > 0) block += fmt::format("\x1b[{}A", drawn_lines_);
  size_t lines = 0;
  for (const Row& row : rows_) {
    if (row.state != StepState::kRunning && row.state != StepState::kPending) continue;
    block += "\x1b[2K" + RowText(row, now) + "\n";
    ++lines;
  }
  block += "\x1b[J";
  std::fputs(block.c_str(), terminal_);
  std::fflush(terminal_);
  drawn_lines_ = lines;
}

void PipelineDisplay::Ticker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (!stop_) Draw();
  }
}

void PipelineDisplay::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    if (live_ && drawn_lines_ > 0) {
      std::fprintf(terminal_, "\x1b[%zuA\x1b[J", drawn_lines_);
      std::fflush(terminal_);
      drawn_lines_ = 0;
    }
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

}  // namespace kiln::cli
