// detection_set.hpp — clamscan-style scan output parsed into comparable sets.
// Promise: parse_detections() turns every `PATH: NAME FOUND` line into the pair (PATH, NAME), with
// PATH in lexically normal form (so "./a/b" and "a/b" compare equal) and every other line ignored;
// describe_difference() prints both one-sided sets readably, with an optional note per file.
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace vg::testing {

using Detection = std::pair<std::string, std::string>; // (file, signature name)
using DetectionSet = std::set<Detection>;

inline DetectionSet parse_detections(std::string_view output) {
  DetectionSet found;
  constexpr std::string_view suffix = " FOUND";
  while (!output.empty()) {
    std::size_t nl = output.find('\n');
    std::string_view line = output.substr(0, nl);
    output = nl == std::string_view::npos ? std::string_view() : output.substr(nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.size() <= suffix.size() || line.substr(line.size() - suffix.size()) != suffix)
      continue;
    line.remove_suffix(suffix.size());
    std::size_t sep = line.rfind(": ");
    if (sep == std::string_view::npos)
      continue;
    std::string path =
        std::filesystem::path(std::string(line.substr(0, sep))).lexically_normal().string();
    found.emplace(std::move(path), std::string(line.substr(sep + 2)));
  }
  return found;
}

inline std::string
describe_difference(const DetectionSet &expected, const std::string &expected_name,
                    const DetectionSet &actual, const std::string &actual_name,
                    const std::function<std::string(const std::string &)> &note = {},
                    std::size_t limit = 300) {
  std::ostringstream os;
  std::size_t shown = 0;
  std::size_t only_expected = 0;
  std::size_t only_actual = 0;
  auto emit = [&](const Detection &d, const std::string &who) {
    if (shown++ >= limit)
      return;
    os << "  only " << who << ": " << d.first << ": " << d.second;
    if (note) {
      std::string n = note(d.first);
      if (!n.empty())
        os << "   [" << n << "]";
    }
    os << "\n";
  };
  for (const auto &d : expected)
    if (!actual.count(d)) {
      ++only_expected;
      emit(d, expected_name);
    }
  for (const auto &d : actual)
    if (!expected.count(d)) {
      ++only_actual;
      emit(d, actual_name);
    }
  if (shown > limit)
    os << "  ... " << (shown - limit) << " more\n";
  os << "  " << expected_name << " " << expected.size() << " detections, " << actual_name << " "
     << actual.size() << "; only " << expected_name << " " << only_expected << ", only "
     << actual_name << " " << only_actual << "\n";
  return os.str();
}

} // namespace vg::testing
