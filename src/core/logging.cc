#include "kiln/core/logging.h"

#include <mutex>
#include <sstream>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace kiln::core {
namespace {

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

struct MemoryBuffer {
  std::mutex mutex;
  std::ostringstream stream;
};

}  // namespace

Logger::Logger(LogLevel level, std::shared_ptr<spdlog::logger> impl, std::shared_ptr<void> memory)
    : level_(level), impl_(std::move(impl)), memory_(std::move(memory)) {}

Logger::~Logger() = default;

std::unique_ptr<Logger> Logger::Stderr(LogLevel level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto impl = std::make_shared<spdlog::logger>("kiln", sink);
  impl->set_pattern("%^[%l]%$ %v");
  impl->set_level(ToSpd(level));
  return std::unique_ptr<Logger>(new Logger(level, std::move(impl), nullptr));
}

std::unique_ptr<Logger> Logger::Null() {
  return std::unique_ptr<Logger>(new Logger(LogLevel::kOff, nullptr, nullptr));
}

std::unique_ptr<Logger> Logger::Memory(LogLevel level) {
  auto buffer = std::make_shared<MemoryBuffer>();
  return std::unique_ptr<Logger>(new Logger(level, nullptr, buffer));
}

void Logger::Write(LogLevel level, const std::string& message) {
  if (!Enabled(level)) return;
  if (impl_) {
    impl_->log(ToSpd(level), message);
    return;
  }
  if (memory_) {
    auto* buffer = static_cast<MemoryBuffer*>(memory_.get());
    std::lock_guard<std::mutex> lock(buffer->mutex);
    buffer->stream << spdlog::level::to_string_view(ToSpd(level)).data() << ": " << message << "\n";
  }
}

std::string Logger::lines() const {
  if (!memory_) return {};
  auto* buffer = static_cast<MemoryBuffer*>(memory_.get());
  std::lock_guard<std::mutex> lock(buffer->mutex);
  return buffer->stream.str();
}

}  // namespace kiln::core
