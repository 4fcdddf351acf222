// packed_pattern.hpp — a body pattern kept as one compact, immutable byte string.
// Promise: pack() encodes any BodyPattern and unpack() gives back an equal one (pack(p).unpack() ==
// p). A PackedPattern owns one heap block (none when empty) and is one pointer in size; equal
// patterns have equal bytes(), so bytes() equality and hash() identify repeated patterns.
// PackedPattern::check() validates an encoding read from outside (a snapshot) in one pass without
// allocating, and refuses with a reason anything that pack() cannot produce or that the parser
// cannot describe: an empty pattern, an empty run or alternation, a value outside its mask, a
// negated alternation of unequal lengths, an unknown tag, a non-minimal or over-long number, a
// truncated element, or bytes after the last element. unpack() of a checked encoding cannot fail.
//
// Encoding (numbers are LEB128 varints, at most 5 bytes, minimal, each below 2^32):
//   element     := run-tag run | alt-tag count run{count} | gap-tag min span | boundary-tag bits
//   run-tag 0x00, alt-tag 0x01 (0x02 negated), gap-tag 0x03, boundary-tag 0x04
//   run         := header (length * 2 + masked) value{length} [masks]
//   masks       := count (delta mask){count}   positions whose mask is not 0xff, in increasing
//                  order, each as its distance from the previous one (the first from -1, minus 1)
//   span        := 0 for an unbounded gap (max == Gap::kUnbounded), else max - min + 1
//   bits        := kind | side << 2 | negated << 3 | wide << 4
#pragma once
#include "signatures/body_pattern.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace vg {

class PackedPattern {
public:
  PackedPattern() = default; // the empty pattern (no elements)
  // Checks `bytes` (check()) and copies them; throws vg::Error(input, reason) when they are
  // refused.
  PackedPattern(std::span<const std::uint8_t> bytes, const std::string &input);

  PackedPattern(const PackedPattern &other);
  PackedPattern &operator=(const PackedPattern &other);
  PackedPattern(PackedPattern &&) noexcept = default;
  PackedPattern &operator=(PackedPattern &&) noexcept = default;
  ~PackedPattern() = default;

  static PackedPattern pack(const BodyPattern &pattern);
  BodyPattern unpack() const;

  // Empty when `bytes` is a valid encoding, else the reason (naming the byte offset). Allocates
  // only to build the reason.
  static std::string check(std::span<const std::uint8_t> bytes);
  // The pattern of a valid encoding (one check, one allocation); else nullopt with `why` set.
  static std::optional<PackedPattern> read(std::span<const std::uint8_t> bytes, std::string &why);

  std::span<const std::uint8_t> bytes() const;
  bool empty() const { return !block_; }
  // Minimum number of bytes a match spans (as BodyMatcher counts it), read off the encoding.
  std::uint64_t min_length() const;
  std::size_t hash() const;

  friend bool operator==(const PackedPattern &a, const PackedPattern &b);

private:
  explicit PackedPattern(std::span<const std::uint8_t> bytes);
  // The block: a 32-bit length, then the encoding.
  std::unique_ptr<std::uint8_t[]> block_;
};

} // namespace vg

template <> struct std::hash<vg::PackedPattern> {
  std::size_t operator()(const vg::PackedPattern &p) const { return p.hash(); }
};
