// zip_huffman.hpp — a canonical prefix code as Deflate64 (Huffman) and Implode (Shannon-Fano)
// transmit it: only the code length of each symbol is stored.
// Promise: build() checks the lengths (over-subscribed and incomplete sets are told apart, so each
// method can apply its own rule); decode() reads one symbol, code bits most significant first as
// both methods store them, and throws vg::Error (through the reader) on a code no symbol has.
// Implode's Shannon-Fano codes are the canonical code of the same lengths with every bit
// inverted; `inverted` reads them.
#pragma once
#include "scan/containers/zip_bit_reader.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace vg {

class ZipHuffman {
public:
  static constexpr unsigned kMaxBits = 16;
  enum class Shape { complete, incomplete, over_subscribed };

  // lengths[s] is symbol s's code length, 0 when s has no code, at most kMaxBits.
  Shape build(std::span<const std::uint8_t> lengths);
  // Number of symbols with a code.
  unsigned used() const { return used_; }
  // The longest code length in use (0 when no symbol has a code).
  unsigned longest() const { return longest_; }

  unsigned decode(ZipBitReader &in, bool inverted = false) const;

private:
  std::array<std::uint16_t, kMaxBits + 1> count_{};
  std::vector<std::uint16_t> symbol_;
  unsigned used_ = 0;
  unsigned longest_ = 0;
};

} // namespace vg
