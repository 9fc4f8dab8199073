// The `kiln` command line: parses arguments, runs the command, prints errors through the error
// table (core/error_code.h) and returns the process exit code.
#pragma once

namespace kiln::cli {

int RunCli(int argc, char** argv);

}  // namespace kiln::cli
