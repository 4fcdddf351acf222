// command.hpp — the registry of `voxguard <command>` subcommands.
// Promise: every src/cli/*_command.cpp registers itself with a static VOXGUARD_COMMAND object;
// main() dispatches on the first argument and prints the list of commands in --help.
#pragma once
#include <string>
#include <vector>

namespace vg::cli {

struct Command {
  const char *name;
  const char *summary;               // one line for `voxguard --help`
  int (*run)(int argc, char **argv); // argv[0] is the command name; returns the process exit code
};

std::vector<Command> &commands();

struct CommandRegistration {
  explicit CommandRegistration(Command c) { commands().push_back(c); }
};

} // namespace vg::cli

#define VOXGUARD_COMMAND(ident, name, summary, fn)                                                 \
  static ::vg::cli::CommandRegistration ident##_registration {                                     \
    ::vg::cli::Command {                                                                           \
      name, summary, fn                                                                            \
    }                                                                                              \
  }
