// file_bytes.hpp — test helper: the whole content of a file.
// Promise: read_file_bytes(p) returns every byte of p; a file that cannot be opened or read is a
// std::runtime_error naming it, so a test never mistakes a missing file for an empty one.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace vg::testing {

inline std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    throw std::runtime_error(p.string() + ": cannot open for reading");
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
  if (in.bad())
    throw std::runtime_error(p.string() + ": read error");
  return bytes;
}

} // namespace vg::testing
