// RunCli: the process entry point — real streams, the built-in algorithms, the data readers and
// a Ctrl-C handler.
#include "kiln/cli/cli.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "kiln/algorithms/builtin.h"
#include "kiln/core/file.h"
#include "kiln/core/progress.h"
#include "kiln/data/reader.h"

namespace kiln::cli {
namespace {

// A signal handler can reach only static storage; this points at main's CancellationToken flag
// for the duration of RunCli. Storing to a lock-free atomic is async-signal-safe.
std::atomic<bool>* g_cancel_flag = nullptr;  // NOLINT: the one global a signal handler needs

extern "C" void OnSigint(int) {
  if (g_cancel_flag != nullptr) g_cancel_flag->store(true, std::memory_order_relaxed);
  static_assert(std::atomic<bool>::is_always_lock_free);
}

class SigintScope {
 public:
  explicit SigintScope(core::CancellationToken& token) {
    g_cancel_flag = token.flag();
    struct sigaction action {};
    action.sa_handler = OnSigint;
    sigemptyset(&action.sa_mask);
    // SA_RESETHAND: the first Ctrl-C cancels cleanly, a second one kills the process.
    action.sa_flags = SA_RESETHAND;
    installed_ = sigaction(SIGINT, &action, &previous_) == 0;
    // SIGTERM (a service manager, `kill`) asks for the same orderly stop: kiln serve drains.
    installed_term_ = sigaction(SIGTERM, &action, &previous_term_) == 0;
  }
  ~SigintScope() {
    if (installed_) sigaction(SIGINT, &previous_, nullptr);
    if (installed_term_) sigaction(SIGTERM, &previous_term_, nullptr);
    g_cancel_flag = nullptr;
  }
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;

 private:
  struct sigaction previous_ {};
  struct sigaction previous_term_ {};
  bool installed_ = false;
  bool installed_term_ = false;
};

}  // namespace

int RunCli(int argc, char** argv) {
  core::CancellationToken cancel;
  SigintScope sigint(cancel);
  CliEnv env;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.progress_bars = core::IsTerminal(STDERR_FILENO);
  env.cancel = &cancel;
  env.register_algorithms = algorithms::RegisterBuiltinAlgorithms;
  env.read_dataset = data::ReadDataset;
  env.kiln_home = core::KilnHome();
  if (const char* store = std::getenv("KILN_STORE"); store != nullptr) env.store_uri = store;
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = Run(args, env);
  std::cout.flush();
  return code;
}

}  // namespace kiln::cli
