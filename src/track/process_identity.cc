#include "kiln/track/process_identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace kiln::track {
namespace {

// Field 22 of /proc/<pid>/stat; 0 if unreadable. The command name (field 2) may hold spaces
// and parentheses, so fields are counted after its closing ')'.
int64_t StartTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::stoll(field);
  }
  return 0;
}

}  // namespace

ProcessIdentity CurrentProcess() {
  ProcessIdentity id;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) id.host = host;
  id.pid = getpid();
  id.start_ticks = StartTicks(id.pid);
  return id;
}

bool IsProcessAlive(int64_t pid, int64_t start_ticks) {
  if (pid <= 0) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  if (start_ticks == 0) return true;
  const int64_t now = StartTicks(pid);
  return now == 0 || now == start_ticks;
}

}  // namespace kiln::track
