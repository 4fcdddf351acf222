#include "cli/option_parser.hpp"

#include "common/error.hpp"
#include "engine/compiled_cache.hpp"

#include <charconv>

namespace vg::cli {

std::vector<std::string> parse_options(int argc, char **argv,
                                       const std::vector<OptionSpec> &specs) {
  std::vector<std::string> positional;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg == "-" || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    const OptionSpec *spec = nullptr;
    std::optional<std::string> inline_value;
    if (arg.starts_with("--")) {
      std::string name = arg.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      for (const auto &s : specs)
        if (s.long_name && name == s.long_name)
          spec = &s;
      if (!spec)
        throw Error("--" + name, "unknown option (see --help)");
    } else {
      for (const auto &s : specs)
        if (s.short_name && s.short_name == arg[1])
          spec = &s;
      if (!spec)
        throw Error(arg.substr(0, 2), "unknown option (see --help)");
      if (arg.size() > 2) {
        if (!spec->takes_value)
          throw Error(arg, "option -" + std::string(1, arg[1]) + " takes no value");
        inline_value = arg.substr(2);
      }
    }
    std::string shown =
        spec->long_name ? std::string("--") + spec->long_name : std::string("-") + spec->short_name;
    if (spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= argc)
          throw Error(shown, "needs a value");
        inline_value = argv[++i];
      }
      spec->apply(*inline_value);
    } else {
      if (inline_value) {
        // Accept clamscan's --opt=yes/no form for flags.
        if (*inline_value == "no")
          continue;
        if (*inline_value != "yes")
          throw Error(shown, "takes no value (or yes/no)");
      }
      spec->apply("");
    }
  }
  return positional;
}

std::uint64_t parse_size(const std::string &option, const std::string &value) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p == value.data())
    throw Error(option, "'" + value + "' is not a size (e.g. 4096, 512K, 100M, 2G)");
  std::string_view rest(p, static_cast<std::size_t>(value.data() + value.size() - p));
  unsigned shift = 0;
  if (rest == "K" || rest == "k")
    shift = 10;
  else if (rest == "M" || rest == "m")
    shift = 20;
  else if (rest == "G" || rest == "g")
    shift = 30;
  else if (!rest.empty())
    throw Error(option, "'" + value + "' has an unknown unit (use K, M or G)");
  if (shift && n > (~std::uint64_t{0} >> shift))
    throw Error(option, "'" + value + "' is too large");
  return n << shift;
}

unsigned parse_count(const std::string &option, const std::string &value) {
  unsigned n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p != value.data() + value.size() || n == 0 || n > 1024)
    throw Error(option, "'" + value + "' is not a count from 1 to 1024");
  return n;
}

std::vector<OptionSpec> cache_option_specs(CompiledCacheSettings &settings) {
  return {
      {0, "cache-dir", true,
       [&settings](const std::string &v) {
         if (v.empty())
           throw Error("--cache-dir", "needs a directory name");
         settings.dir = v;
       }},
      {0, "cache-max-size", true,
       [&settings](const std::string &v) {
         settings.max_bytes = parse_size("--cache-max-size", v);
       }},
      {0, "no-cache", false, [&settings](const std::string &) { settings.enabled = false; }},
  };
}

} // namespace vg::cli
