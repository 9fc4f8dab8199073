// The `kiln` command-line tool. All logic lives in src/cli.
#include "kiln/cli/cli.h"

int main(int argc, char** argv) { return kiln::cli::RunCli(argc, argv); }
