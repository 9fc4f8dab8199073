#include "kiln/core/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

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

constexpr int kBarWidth = 30;
constexpr int kMinBarWidth = 10;
constexpr size_t kMinLabel = 12;  // columns a shortened label keeps
constexpr int kDefaultColumns = 80;
constexpr int64_t kRedrawMs = 100;

// Characters on screen (UTF-8 continuation bytes take no column).
size_t Columns(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// The longest prefix of `text` that takes at most `columns` characters.
std::string_view FirstColumns(std::string_view text, size_t columns) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && n++ == columns) {
      return text.substr(0, i);
    }
  }
  return text;
}

int TerminalColumns(std::FILE* out) {
  struct winsize size {};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return kDefaultColumns;
}

class TerminalTask final : public ProgressTask {
 public:
  TerminalTask(std::FILE* out, std::mutex* draw_mutex, TerminalProgressReporter::Options options,
               std::string label, uint64_t total, std::string unit)
      : out_(out),
        draw_mutex_(draw_mutex),
        options_(options),
        label_(std::move(label)),
        total_(total),
        unit_(std::move(unit)),
        start_(Clock::now()) {}
  ~TerminalTask() override { Finish(); }

  void Add(uint64_t amount) override {
    position_.fetch_add(amount, std::memory_order_relaxed);
    MaybeDraw();
  }
  void Set(uint64_t position) override {
    position_.store(position, std::memory_order_relaxed);
    MaybeDraw();
  }
  void SetNote(std::string note) override {
    std::lock_guard<std::mutex> lock(note_mutex_);
    note_ = std::move(note);
  }
  void Finish() override {
    if (finished_.exchange(true)) return;
    std::lock_guard<std::mutex> lock(*draw_mutex_);
    // A step too quick to have shown anything leaves nothing behind.
    if (!drawn_ && Elapsed() < options_.delay_seconds) return;
    Draw(true);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

 private:
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void MaybeDraw() {
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    if (now_ms < static_cast<int64_t>(options_.delay_seconds * 1000)) return;
    int64_t last = last_draw_ms_.load(std::memory_order_relaxed);
    if (now_ms - last < kRedrawMs) return;
    if (!last_draw_ms_.compare_exchange_strong(last, now_ms)) return;
    std::unique_lock<std::mutex> lock(*draw_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || finished_.load()) return;
    Draw(false);
  }

  std::string Amount(double v) const {
    if (unit_ == "B") return HumanBytes(v);
    return HumanCount(v) + " " + unit_;
  }
  std::string Rate(double per_second) const {
    if (unit_ == "B") return HumanBytes(per_second) + "/s";
    return HumanCount(per_second, true) + " " + unit_ + "/s";
  }

  // Running: "label [####------]  40% 1.53M rows/s ETA 3.1s"; finished: "label [##########]
  // 2.00M rows in 1.3s, 1.53M rows/s"; ended short of the total: "label [####------] 400 of 1000
  // iter in 0.3s, 1333 iter/s". The note follows.
  void Draw(bool final) {
    const double elapsed = Elapsed();
    const double pos = static_cast<double>(position_.load(std::memory_order_relaxed));
    const double rate = elapsed > 0 ? pos / elapsed : 0.0;
    std::string note;
    {
      std::lock_guard<std::mutex> lock(note_mutex_);
      note = note_;
    }
    double frac = -1;  // no bar
    // Status texts, the fullest first; a final line may drop its rate to fit the note.
    std::vector<std::string> statuses;
    if (total_ > 0) {
      const double total = static_cast<double>(total_);
      frac = std::clamp(pos / total, 0.0, 1.0);
      const std::string percent = fmt::format("{:3.0f}%", std::floor(frac * 100));
      std::string done;
      if (!final) {
        statuses.push_back(fmt::format("{} {} ETA {}", percent, Rate(rate),
                                       rate > 0 ? HumanDuration((total - pos) / rate) : "?"));
      } else if (pos >= total) {
        done = fmt::format("{} in {}", Amount(total), HumanDuration(elapsed));
      } else {
        done = fmt::format("{} of {} in {}", unit_ == "B" ? HumanBytes(pos) : HumanCount(pos),
                           Amount(total), HumanDuration(elapsed));
      }
      if (final) statuses = {fmt::format("{}, {}", done, Rate(rate)), done};
    } else {
      const std::string done =
          fmt::format("{} {} {}", Amount(pos), final ? "in" : "after", HumanDuration(elapsed));
      statuses = {fmt::format("{}, {}", done, Rate(rate)), done};
    }
    drawn_ = true;
    std::fprintf(out_, "\r%s\x1b[K", Fit(frac, statuses, note).c_str());
    std::fflush(out_);
  }

  // The line in fewer columns than the terminal has. The bar takes what is left, between
  // kMinBarWidth and kBarWidth (and no more than last time). What gives way, in order: the rate
  // of a final line, the end of a long label, the note, the bar, and at last the end of the line.
  std::string Fit(double frac, const std::vector<std::string>& statuses, const std::string& note) {
    const int columns = options_.width > 0 ? options_.width : TerminalColumns(out_);
    const size_t room = static_cast<size_t>(std::max(columns - 1, 1));
    auto line = [&](std::string_view label, int bar_width, const std::string& status,
                    bool with_note) {
      std::string out(label);
      if (frac >= 0) {
        const int filled = static_cast<int>(frac * bar_width);
        out += " [";
        out.append(static_cast<size_t>(filled), '#');
        out.append(static_cast<size_t>(bar_width - filled), '-');
        out += "]";
      }
      out += " ";
      out += status;
      if (with_note && !note.empty()) {
        out += "  ";
        out += note;
      }
      return out;
    };
    const size_t min_bar = frac >= 0 ? kMinBarWidth : 0;
    for (bool with_note : {true, false}) {
      for (const std::string& status : statuses) {
        const size_t bare = Columns(line(label_, 0, status, with_note));
        if (bare + min_bar <= room) {
          // The bar only ever narrows, so that it does not jump as the texts change length.
          bar_width_ = static_cast<int>(std::min(static_cast<size_t>(bar_width_), room - bare));
          return line(label_, frac >= 0 ? bar_width_ : 0, status, with_note);
        }
      }
      // A shortened label (still recognisable) before giving up the note.
      const std::string rest = line("", kMinBarWidth, statuses.back(), with_note);
      const size_t rest_columns = Columns(rest);
      if (rest_columns + kMinLabel + 3 <= room) {
        bar_width_ = kMinBarWidth;
        return std::string(FirstColumns(label_, room - rest_columns - 3)) + "..." + rest;
      }
    }
    // A narrow terminal: no bar.
    return std::string(FirstColumns(label_ + " " + statuses.back(), room));
  }

  std::FILE* out_;
  std::mutex* draw_mutex_;
  TerminalProgressReporter::Options options_;
  std::string label_;
  uint64_t total_;
  std::string unit_;
  Clock::time_point start_;
  std::atomic<uint64_t> position_{0};
  std::atomic<int64_t> last_draw_ms_{-1000};
  std::atomic<bool> finished_{false};
  bool drawn_ = false;         // guarded by *draw_mutex_
  int bar_width_ = kBarWidth;  // guarded by *draw_mutex_
  std::mutex note_mutex_;
  std::string note_;
};

}  // namespace

std::unique_ptr<ProgressTask> NullProgressReporter::Start(std::string, uint64_t, std::string) {
  return std::make_unique<NullTask>();
}

std::unique_ptr<ProgressTask> TerminalProgressReporter::Start(std::string label, uint64_t total,
                                                              std::string unit) {
  return std::make_unique<TerminalTask>(out_, &draw_mutex_, options_, std::move(label), total,
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

std::string HumanCount(double count, bool fraction) {
  if (!std::isfinite(count) || count < 0) return "?";
  if (count < 10000) {
    return fraction && count < 10 ? fmt::format("{:.1f}", count) : fmt::format("{:.0f}", count);
  }
  const char* suffixes[] = {"k", "M", "G", "T"};
  int s = 0;
  count /= 1000;
  while (count >= 999.5 && s < 3) {
    count /= 1000;
    ++s;
  }
  const int decimals = count < 9.995 ? 2 : count < 99.95 ? 1 : 0;
  return fmt::format("{:.{}f}{}", count, decimals, suffixes[s]);
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
