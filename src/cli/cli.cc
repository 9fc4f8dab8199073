#include "kiln/cli/cli.h"

namespace kiln::cli {

int RunCli(int argc, char** argv) {
  (void)argc;
  (void)argv;
  return 0;
}

}  // namespace kiln::cli
