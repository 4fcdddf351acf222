// main.cpp — `voxguard COMMAND [options]`: dispatches to the registered subcommands.
#include "cli/command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace vg::cli {
std::vector<Command> &commands() {
  static std::vector<Command> all;
  return all;
}
} // namespace vg::cli

namespace {
void usage(std::FILE *out) {
  auto cmds = vg::cli::commands();
  std::sort(cmds.begin(), cmds.end(),
            [](const auto &a, const auto &b) { return std::strcmp(a.name, b.name) < 0; });
  std::fprintf(out,
               "voxguard %s - protection for people who phone over IP\n\n"
               "USAGE\n  voxguard COMMAND [OPTIONS] [ARGS]\n  voxguard COMMAND --help\n\n"
               "COMMANDS\n",
               VOXGUARD_VERSION);
  for (const auto &c : cmds)
    std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\nEXIT STATUS\n  0 nothing found, 1 something found, 2 an error occurred.\n");
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "-V") {
    std::printf("voxguard %s\n", VOXGUARD_VERSION);
    return 0;
  }
  for (const auto &c : vg::cli::commands())
    if (cmd == c.name)
      return c.run(argc - 1, argv + 1);
  std::fprintf(stderr, "voxguard: unknown command '%s' (see voxguard --help)\n", argv[1]);
  return 2;
}
