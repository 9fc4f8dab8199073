// Flags shared by the commands that read data and run models.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace kiln::cli {

void AddRunOptions(CLI::App& command, RunOptions& run, ReadFlagsUse use) {
  // The validator's name would otherwise show in the help as "N:NONNEGATIVE".
  CLI::Validator non_negative = CLI::NonNegativeNumber;
  non_negative.description("");
  command.add_option("--threads", run.threads, "Worker threads; 0 uses every core")
      ->type_name("N")
      ->check(non_negative)
      ->capture_default_str();
  command.add_option("--seed", run.seed, "Seed for every random choice")
      ->type_name("S")
      ->capture_default_str();
  AddReadFlags(command, run.read, use);
}

}  // namespace kiln::cli
