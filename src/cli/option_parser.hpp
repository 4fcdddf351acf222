// option_parser.hpp — a small GNU-style option reader shared by the subcommands.
// Promise: accepts `-x VALUE`, `-xVALUE`, `--long VALUE`, `--long=VALUE`, flags, `--` and
// positional arguments; an unknown option or a missing value is an error naming the option.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg {
struct CompiledCacheSettings;
}

namespace vg::cli {

struct OptionSpec {
  char short_name;       // 0 if none
  const char *long_name; // nullptr if none
  bool takes_value;
  std::function<void(const std::string &value)> apply;
};

// Parses argv[1..argc); returns the positional arguments. Throws vg::Error on a bad option.
std::vector<std::string> parse_options(int argc, char **argv, const std::vector<OptionSpec> &specs);

// "100M", "4096", "2G", "512K" -> bytes. Throws vg::Error naming `option`.
std::uint64_t parse_size(const std::string &option, const std::string &value);
unsigned parse_count(const std::string &option, const std::string &value);

// The options of every command that builds an engine, applied to `settings`:
// --cache-dir=DIR, --cache-max-size=SIZE, --no-cache.
std::vector<OptionSpec> cache_option_specs(CompiledCacheSettings &settings);

} // namespace vg::cli
