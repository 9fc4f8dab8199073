// Logger: leveled, formatted log lines for one Kiln job (a CLI invocation, a server, a test).
// Built on spdlog; each Logger owns its own spdlog logger (nothing is registered globally).
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace spdlog {
class logger;
}

namespace kiln::core {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

class Logger {
 public:
  // Writes "[level] message" lines to stderr.
  static std::unique_ptr<Logger> Stderr(LogLevel level);
  // Discards everything.
  static std::unique_ptr<Logger> Null();
  // Keeps lines in memory (tests read them back through lines()).
  static std::unique_ptr<Logger> Memory(LogLevel level);
  ~Logger();

  LogLevel level() const { return level_; }
  bool Enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::kOff; }

  template <typename... Args>
  void Debug(fmt::format_string<Args...> f, Args&&... args) {
    if (Enabled(LogLevel::kDebug))
      Write(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Info(fmt::format_string<Args...> f, Args&&... args) {
    if (Enabled(LogLevel::kInfo))
      Write(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Warn(fmt::format_string<Args...> f, Args&&... args) {
    if (Enabled(LogLevel::kWarn))
      Write(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Error(fmt::format_string<Args...> f, Args&&... args) {
    if (Enabled(LogLevel::kError))
      Write(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...));
  }

  void Write(LogLevel level, const std::string& message);
  // For Memory loggers: every line written so far, "level: message". Empty for other kinds.
  std::string lines() const;

 private:
  Logger(LogLevel level, std::shared_ptr<spdlog::logger> impl, std::shared_ptr<void> memory);
  LogLevel level_;
  std::shared_ptr<spdlog::logger> impl_;
  std::shared_ptr<void> memory_;
};

}  // namespace kiln::core
