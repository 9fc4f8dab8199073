#include "kiln/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace kiln::core {
namespace {

class NullTask final : public ProgressTask {
 public:
  void Add(uint64_t) override {}
  void Set(uint64_t) override {}
  void SetNote(std::string) override {}
  void Finish() override {}
};

using Clock = std::chrono::steady_clock;

class TerminalTask final : public ProgressTask {
 public:
  TerminalTask(std::FILE* out, std::mutex* draw_mutex, std::string label, uint64_t total,
               std::string unit)
      : out_(out),
        draw_mutex_(draw_mutex),
        label_(std::move(label)),
        total_(total),
        unit_(std::move(unit)),
        start_(Clock::now()) {}
  ~TerminalTask() override { Finish(); }

  void Add(uint64_t amount) override {
    position_.fetch_add(amount, std::memory_order_relaxed);
    MaybeDraw(false);
  }
  void Set(uint64_t position) override {
    position_.store(position, std::memory_order_relaxed);
    MaybeDraw(false);
  }
  void SetNote(std::string note) override {
    std::lock_guard<std::mutex> lock(note_mutex_);
    note_ = std::move(note);
  }
  void Finish() override {
    if (finished_.exchange(true)) return;
    std::lock_guard<std::mutex> lock(*draw_mutex_);
    Draw(true);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

 private:
  void MaybeDraw(bool force) {
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    int64_t last = last_draw_ms_.load(std::memory_order_relaxed);
    if (!force && now_ms - last < 100) return;
    if (!last_draw_ms_.compare_exchange_strong(last, now_ms)) return;
    std::unique_lock<std::mutex> lock(*draw_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || finished_.load()) return;
    Draw(false);
  }

  std::string Amount(double v) const {
    if (unit_ == "B") return HumanBytes(v);
    return fmt::format("{:.0f} {}", v, unit_);
  }

  void Draw(bool final) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double pos = static_cast<double>(position_.load(std::memory_order_relaxed));
    const double rate = elapsed > 0 ? pos / elapsed : 0.0;
    std::string rate_text =
        unit_ == "B" ? HumanBytes(rate) + "/s" : fmt::format("{:.1f} {}/s", rate, unit_);
    std::string note;
    {
      std::lock_guard<std::mutex> lock(note_mutex_);
      note = note_;
    }
    std::string line;
    if (total_ > 0) {
      const double frac = std::clamp(pos / static_cast<double>(total_), 0.0, 1.0);
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(frac * kWidth);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(kWidth - filled), '-');
      std::string eta = final
                            ? HumanDuration(elapsed)
                            : (rate > 0 ? "ETA " + HumanDuration((total_ - pos) / rate) : "ETA ?");
      line = fmt::format("{} [{}] {:3.0f}% {} {}", label_, bar, frac * 100, rate_text, eta);
    } else {
      line = fmt::format("{} {} {} {}", label_, Amount(pos), rate_text, HumanDuration(elapsed));
    }
    if (!note.empty()) line += "  " + note;
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
    std::fflush(out_);
  }

  std::FILE* out_;
  std::mutex* draw_mutex_;
  std::string label_;
  uint64_t total_;
  std::string unit_;
  Clock::time_point start_;
  std::atomic<uint64_t> position_{0};
  std::atomic<int64_t> last_draw_ms_{-1000};
  std::atomic<bool> finished_{false};
  std::mutex note_mutex_;
  std::string note_;
};

}  // namespace

std::unique_ptr<ProgressTask> NullProgressReporter::Start(std::string, uint64_t, std::string) {
  return std::make_unique<NullTask>();
}

std::unique_ptr<ProgressTask> TerminalProgressReporter::Start(std::string label, uint64_t total,
                                                              std::string unit) {
  return std::make_unique<TerminalTask>(out_, &draw_mutex_, std::move(label), total,
                                        std::move(unit));
}

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string HumanDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return fmt::format("{:.1f}s", seconds);
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

}  // namespace kiln::core
