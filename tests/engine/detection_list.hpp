// detection_list.hpp — test helper: what an engine detects in a list of files, as sorted
// "file: NAME @offset" lines (allmatch), so that two engines' verdicts compare as one value.
#pragma once
#include "common/mapped_file.hpp"
#include "engine/engine.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace vg {

inline std::vector<std::string> detection_list(const Engine &engine,
                                               const std::vector<std::filesystem::path> &files) {
  std::vector<std::string> out;
  Engine::Scratch s;
  for (const auto &f : files) {
    auto m = MappedFile::open(f.string());
    for (const auto &d : engine.scan(m.bytes(), true, s).detections)
      out.push_back(f.filename().string() + ": " + std::string(d.name) + " @" +
                    (d.offset ? std::to_string(*d.offset) : "-"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace vg
