// toml_lite.hpp — the TOML subset the guard policy is written in.
// Promise: parses [table], [[array-of-tables]], key = value with basic "..." and literal '...'
// strings, integers, booleans and one-line arrays of those, and # comments. Anything outside this
// subset, duplicate keys and unterminated strings throw vg::Error naming "INPUT:LINE" and the
// reason.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vg::guard {

struct TomlValue {
  std::variant<std::string, std::int64_t, bool, std::vector<TomlValue>> v;
  std::size_t line = 0;
};

struct TomlTable {
  std::string name;     // "" for the top level
  bool array = false;   // declared with [[name]]
  std::size_t line = 0; // where it was declared
  std::map<std::string, TomlValue> keys;
};

std::vector<TomlTable> parse_toml_lite(std::string_view text, const std::string &input);

// Quotes a string as a TOML basic string.
std::string toml_quote(std::string_view s);

} // namespace vg::guard
